// The workqueue's interfaces to the scheduler and to the views (Linux kernel/workqueue_internal.h and
// the show_* helpers of kernel/workqueue.c). Not for users of workqueues: see kernel/workqueue.h.
#pragma once
#include "kernel/sched/sched.h"
#include "kernel/workqueue.h"

// The one-work primitives of kernel/workqueue.cpp, for delayed work (a work_struct on a timer) to build
// on, with Linux's names and rules (kernel/workqueue.c).
// Queue a work whose PENDING the caller owns, interrupts off.
void __queue_work(int cpu, workqueue_struct* wq, work_struct* work);
// A disabled work the caller just took PENDING of: give PENDING back; true if it was disabled.
bool clear_pending_if_disabled(work_struct* work);
// Take a work off a timer it waits on; true if it was there (its PENDING is then the caller's).
using work_steal_fn = bool (*)(work_struct* work);
// Own PENDING: 1 if the work was queued (or on its timer, with `steal`) and is now off it, 0 if it was
// idle, -EAGAIN if it is being queued (or just started running): retry. On >= 0 interrupts are off,
// restored from *irq_flags by the caller.
int try_to_grab_pending(work_struct* work, work_steal_fn steal, unsigned long* irq_flags);
bool work_grab_pending(work_struct* work, work_steal_fn steal, unsigned long* irq_flags);  // retries
constexpr unsigned WORK_CANCEL_DISABLE = 1u << 1;  // __cancel_work: also raise the disable count
bool __cancel_work(work_struct* work, unsigned cflags, work_steal_fn steal);
bool __cancel_work_sync(work_struct* work, unsigned cflags, work_steal_fn steal);
bool __flush_work(work_struct* work);  // flush_work without might_sleep

// Concurrency management, called by schedule() for a PF_WQ_WORKER task only: it is about to sleep
// (its state is not TASK_RUNNING; interrupts on or off), and it runs again after schedule().
void wq_worker_sleeping(task_struct* task);
void wq_worker_running(task_struct* task);

// A kworker's name as ps shows it (Linux wq_worker_comm): its comm, then "+NAME" while it runs a work of
// workqueue NAME or "-NAME" for the last one it ran. Other tasks: their comm. Any context (takes the
// pool's lock with interrupts off).
void wq_worker_comm(char* buf, size_t size, task_struct* task);

// Snapshots for the `workqueues` shell view, each taken under the lock that keeps it consistent.
constexpr unsigned WQ_VIEW_BUSY_MAX = 8;  // busy workers listed per pool (more are counted)
struct wq_busy_view {
    int pid;
    char comm[TASK_COMM_LEN];
    work_func_t func;      // the function it runs now
    char wq[WQ_NAME_LEN];  // the workqueue the work was queued on
};
struct wq_pool_view {
    unsigned cpu;
    int nice;
    int nr_workers, nr_idle, nr_running;  // running: busy workers that are not asleep
    unsigned nr_pending;                  // works on the pool's worklist, waiting for a worker
    unsigned nr_busy;                     // workers running a work (asleep in it or not)
    wq_busy_view busy[WQ_VIEW_BUSY_MAX];
};
// Pool `highpri` of `cpu` (a possible CPU). Any context.
void wq_pool_view_get(unsigned cpu, bool highpri, wq_pool_view* out);

struct wq_view {
    char name[WQ_NAME_LEN];
    unsigned flags;
    int max_active;
    int nr_active;    // its works on pool worklists or running, all CPUs
    int nr_inactive;  // its works waiting for max_active, all CPUs
};
// Call fn for each workqueue, oldest first. Process context (takes the workqueue list's mutex; fn must
// not create or destroy workqueues).
void wq_for_each_view(void (*fn)(const wq_view* v, void* ctx), void* ctx);
