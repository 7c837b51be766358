// Workqueues (Linux include/linux/workqueue.h, kernel/workqueue.c): run a function later, in process
// context, on a kernel thread ("kworker") of the CPU it was queued on, where it may sleep.
//
//     void my_fn(work_struct* work) { struct foo* f = container_of(work, foo, work); ... }
//     INIT_WORK(&f->work, my_fn);             // or DECLARE_WORK(name, my_fn) for a static one
//     queue_work(system_wq, &f->work);        // true: queued; false: it was pending already
//     flush_work(&f->work);                   // wait for the instance queued or running now
//     cancel_work_sync(&f->work);             // unqueue it and wait for a running instance
//
// A work item is queued at most once at a time: the queuer takes its PENDING bit atomically, and the
// worker clears it (under its pool's lock) right before calling the function, so the function may queue
// its own work again. Each CPU has two worker pools (nice 0 and, for WQ_HIGHPRI workqueues, nice -20)
// whose kworkers run the works of every workqueue; a workqueue is a set of per-CPU "pool workqueues"
// (its limits, max_active, and its flush state) pointing at those pools. See docs/workqueues.md.
//
// Contexts: queue_work*, cancel_work, work_pending, disable_work and enable_work from any context
// (interrupts too); flush_*, cancel_work_sync, disable_work_sync, alloc_workqueue and destroy_workqueue
// in process context (they may sleep).
#pragma once
#include "kernel/percpu.h"
#include "kernel/types.h"
#include "lib/list.h"

struct work_struct;
struct workqueue_struct;
using work_func_t = void (*)(work_struct* work);

// work->data (Linux's layout, one word changed atomically): flag bits, then either, while queued, the
// pool workqueue it is queued on with its flush colour, or, off queue, the disable count and the ID of
// the pool it last ran on.
//     queued:    [ pwq pointer ] [ colour: 4 ] [ LINKED PWQ INACTIVE PENDING ]
//     off queue: [ pool ID: 31 ] [ disable count: 16 ] [ LINKED PWQ INACTIVE PENDING ]
constexpr unsigned WORK_STRUCT_PENDING_BIT = 0;   // queued, or about to be: owned by whoever set it
constexpr unsigned WORK_STRUCT_INACTIVE_BIT = 1;  // waits on its pwq's inactive list (max_active)
constexpr unsigned WORK_STRUCT_PWQ_BIT = 2;       // data points to the pwq
constexpr unsigned WORK_STRUCT_LINKED_BIT = 3;    // the next work (a flush barrier) is linked to this one
constexpr unsigned WORK_STRUCT_FLAG_BITS = 4;
constexpr unsigned WORK_STRUCT_COLOR_SHIFT = WORK_STRUCT_FLAG_BITS;
constexpr unsigned WORK_STRUCT_COLOR_BITS = 4;
constexpr unsigned WORK_STRUCT_PWQ_SHIFT = WORK_STRUCT_COLOR_SHIFT + WORK_STRUCT_COLOR_BITS;  // pwqs: 256-aligned
constexpr unsigned WORK_OFFQ_DISABLE_SHIFT = WORK_STRUCT_FLAG_BITS;  // (Linux keeps one OFFQ flag, BH, here)
constexpr unsigned WORK_OFFQ_DISABLE_BITS = 16;
constexpr unsigned WORK_OFFQ_POOL_SHIFT = WORK_OFFQ_DISABLE_SHIFT + WORK_OFFQ_DISABLE_BITS;
constexpr unsigned WORK_OFFQ_POOL_BITS = 31;

constexpr unsigned long WORK_STRUCT_PENDING = 1ul << WORK_STRUCT_PENDING_BIT;
constexpr unsigned long WORK_STRUCT_INACTIVE = 1ul << WORK_STRUCT_INACTIVE_BIT;
constexpr unsigned long WORK_STRUCT_PWQ = 1ul << WORK_STRUCT_PWQ_BIT;
constexpr unsigned long WORK_STRUCT_LINKED = 1ul << WORK_STRUCT_LINKED_BIT;
constexpr unsigned long WORK_OFFQ_DISABLE_MASK = ((1ul << WORK_OFFQ_DISABLE_BITS) - 1) << WORK_OFFQ_DISABLE_SHIFT;
constexpr unsigned long WORK_OFFQ_POOL_NONE = (1ul << WORK_OFFQ_POOL_BITS) - 1;
constexpr unsigned long WORK_STRUCT_NO_POOL = WORK_OFFQ_POOL_NONE << WORK_OFFQ_POOL_SHIFT;
constexpr unsigned long WORK_STRUCT_PWQ_MASK = ~((1ul << WORK_STRUCT_PWQ_SHIFT) - 1);

constexpr unsigned WORK_NR_COLORS = 1u << WORK_STRUCT_COLOR_BITS;  // flush colours
constexpr int WORK_CPU_UNBOUND = NR_CPUS;                          // "the queueing CPU" for a per-CPU wq

struct work_struct {
    unsigned long data;  // see above; changed with atomics
    list_head entry;     // on a pool's worklist, a pwq's inactive list or a worker's scheduled list
    work_func_t func;
};

#define __WORK_INITIALIZER(n, f) \
    { WORK_STRUCT_NO_POOL, {&(n).entry, &(n).entry}, (f) }
// A static work item, ready to queue: DECLARE_WORK(my_work, my_fn);
#define DECLARE_WORK(n, f) work_struct n = __WORK_INITIALIZER(n, f)
// Initialise a work item before its first use (never while it may be queued or running).
static inline void __init_work(work_struct* work, work_func_t func) {
    __atomic_store_n(&work->data, WORK_STRUCT_NO_POOL, __ATOMIC_RELAXED);
    INIT_LIST_HEAD(&work->entry);
    work->func = func;
}
#define INIT_WORK(_work, _func) __init_work((_work), (_func))

// Whether the work is queued (or about to be): its PENDING bit. Any context; a snapshot.
static inline bool work_pending(const work_struct* work) {
    return (__atomic_load_n(&work->data, __ATOMIC_RELAXED) & WORK_STRUCT_PENDING) != 0;
}

// alloc_workqueue flags (Linux values). irqos has per-CPU workqueues only: WQ_UNBOUND and WQ_BH are
// refused; WQ_MEM_RECLAIM, WQ_FREEZABLE, WQ_SYSFS and WQ_POWER_EFFICIENT are accepted and change nothing
// (no rescuers, freezer, sysfs or power-efficient mode).
constexpr unsigned WQ_BH = 1u << 0;
constexpr unsigned WQ_UNBOUND = 1u << 1;
constexpr unsigned WQ_FREEZABLE = 1u << 2;
constexpr unsigned WQ_MEM_RECLAIM = 1u << 3;
constexpr unsigned WQ_HIGHPRI = 1u << 4;        // the CPU's highpri pool: kworkers at nice -20
constexpr unsigned WQ_CPU_INTENSIVE = 1u << 5;  // its works do not count for concurrency management
constexpr unsigned WQ_SYSFS = 1u << 6;
constexpr unsigned WQ_POWER_EFFICIENT = 1u << 7;
constexpr unsigned WQ_PERCPU = 1u << 8;
constexpr unsigned __WQ_DESTROYING = 1u << 15;  // internal: destroy_workqueue has begun
constexpr unsigned __WQ_DRAINING = 1u << 16;    // internal: only its own works may queue more
constexpr int WQ_MAX_ACTIVE = 512;
constexpr int WQ_DFL_ACTIVE = WQ_MAX_ACTIVE / 2;  // max_active 0 means this
constexpr unsigned WQ_NAME_LEN = 32;

// The system workqueues (created by workqueue_init_early): "events" and "events_highpri".
extern workqueue_struct* system_wq;
extern workqueue_struct* system_highpri_wq;

// A workqueue named by printf-style `fmt`: at most `max_active` of its works run at once on each CPU
// (0: WQ_DFL_ACTIVE; clamped to 1..WQ_MAX_ACTIVE with a warning), the others wait in queueing order.
// NULL on failure (memory, or a flag irqos does not implement). Process context.
workqueue_struct* alloc_workqueue(const char* fmt, unsigned flags, int max_active, ...)
    __attribute__((format(printf, 1, 4)));
// Drain the workqueue (only its own works may still queue on it meanwhile; anybody else's queue_work
// WARNs and is dropped, as on Linux), then free it. Process context.
void destroy_workqueue(workqueue_struct* wq);

// Queue `work` on `cpu`'s pool (WORK_CPU_UNBOUND: the calling CPU). If it still runs on another CPU's
// pool, it is queued there instead, so it never runs on two CPUs at once. False if it was pending
// already (or is disabled). Any context.
bool queue_work_on(int cpu, workqueue_struct* wq, work_struct* work);
static inline bool queue_work(workqueue_struct* wq, work_struct* work) {
    return queue_work_on(WORK_CPU_UNBOUND, wq, work);
}
static inline bool schedule_work(work_struct* work) { return queue_work(system_wq, work); }
static inline bool schedule_work_on(int cpu, work_struct* work) { return queue_work_on(cpu, system_wq, work); }

// Wait until the instance of `work` queued or running at the call has finished. True if it waited,
// false if the work was idle. Process context.
bool flush_work(work_struct* work);
// Wait until every work queued on `wq` before the call has finished (not those queued after it, even
// by the flushed works themselves). Process context.
void __flush_workqueue(workqueue_struct* wq);
#define flush_workqueue(wq) __flush_workqueue(wq)
// Flush until `wq` is empty; meanwhile only its own works may queue on it. Process context.
void drain_workqueue(workqueue_struct* wq);

// Take `work` off its queue if it is pending. True if it was. It may still be running. Any context.
bool cancel_work(work_struct* work);
// Take `work` off its queue and wait for a running instance to finish; while it waits, the work cannot
// be queued (not even by itself). True if it was pending. Process context.
bool cancel_work_sync(work_struct* work);
// cancel_work / cancel_work_sync that also disable the work: queue_work refuses it (returns false)
// until as many enable_work calls. Linux 6.12's disable_work family. enable_work returns true when the
// count reached 0. Any context (disable_work_sync: process context).
bool disable_work(work_struct* work);
bool disable_work_sync(work_struct* work);
bool enable_work(work_struct* work);

// The work the calling kworker is running, or NULL when the caller is not running a work item.
work_struct* current_work();

// Boot: the per-CPU pools and the system workqueues (works may be queued from here on), then, once every
// CPU runs the scheduler, the first kworker of each pool (works start running). Process context on the
// boot CPU.
void workqueue_init_early();
void workqueue_init();
