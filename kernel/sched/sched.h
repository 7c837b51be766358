// Tasks and the per-CPU scheduler core, in the shape of Linux's kernel/sched (core.c, rt.c, fair.c) at
// its simplest faithful size: one run queue per CPU with two classes, the real-time class (SCHED_FIFO
// and SCHED_RR, priorities 1-99, always before) above the fair class (SCHED_NORMAL, ordered by virtual
// runtime, weighted by nice, preempted when its slice is used up), and the idle task when both are
// empty. Wake-ups (try_to_wake_up) put a task on a CPU it may run on and ask for a reschedule there when
// it should preempt (a reschedule IPI for another CPU). The core is portable: the context switch, the
// reschedule IPI and the clock are hooks the architecture installs (arch/x86) and the host tests fake.
#pragma once
#include "kernel/cpumask.h"
#include "kernel/percpu.h"
#include "kernel/spinlock.h"
#include "lib/list.h"

// Task states (Linux include/linux/sched.h values).
constexpr unsigned TASK_RUNNING = 0x0000;
constexpr unsigned TASK_INTERRUPTIBLE = 0x0001;
constexpr unsigned TASK_UNINTERRUPTIBLE = 0x0002;
constexpr unsigned TASK_DEAD = 0x0080;
constexpr unsigned TASK_WAKING = 0x0200;  // a waker owns it between the state check and the enqueue
constexpr unsigned TASK_NOLOAD = 0x0400;  // with TASK_UNINTERRUPTIBLE: an idle wait, not a blocked one
constexpr unsigned TASK_NEW = 0x0800;
constexpr unsigned TASK_NORMAL = TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE;
constexpr unsigned TASK_IDLE = TASK_UNINTERRUPTIBLE | TASK_NOLOAD;  // kworkers waiting for work (ps: I)

// Policies and priorities (Linux uapi sched.h, sched/prio.h): prio 0-99 is real time (99 - rt_priority,
// lower is more urgent), 100-139 fair (120 + nice).
constexpr int SCHED_NORMAL = 0, SCHED_FIFO = 1, SCHED_RR = 2;
constexpr int MAX_RT_PRIO = 100, MAX_PRIO = 140, DEFAULT_PRIO = 120;
constexpr int MIN_NICE = -20, MAX_NICE = 19;
constexpr unsigned TASK_COMM_LEN = 16;
constexpr unsigned PF_IDLE = 0x00000002, PF_KTHREAD = 0x00200000, PF_NO_SETAFFINITY = 0x04000000;
// A workqueue worker (kernel/workqueue.cpp): schedule() tells its pool when it sleeps and runs again.
constexpr unsigned PF_WQ_WORKER = 0x00000020;

// Time (nanoseconds of sched_clock). Linux's defaults for one CPU: the fair slice, the wake-up
// preemption granularity, the SCHED_RR quantum.
constexpr uint64_t NSEC_PER_MSEC = 1000000;
constexpr uint64_t SCHED_BASE_SLICE_NS = 3 * NSEC_PER_MSEC / 4;  // sysctl_sched_base_slice, 0.75 ms
constexpr uint64_t SCHED_WAKEUP_GRAN_NS = NSEC_PER_MSEC;         // sysctl_sched_wakeup_granularity
constexpr uint64_t SCHED_SLEEPER_CREDIT_NS = 3 * NSEC_PER_MSEC;  // half of the 6 ms latency target
constexpr uint64_t RR_TIMESLICE_NS = 100 * NSEC_PER_MSEC;        // include/linux/sched/rt.h RR_TIMESLICE
constexpr unsigned NICE_0_LOAD = 1024;

struct task_struct {
    raw_spinlock_t pi_lock;       // serialises the wakers of this task (Linux p->pi_lock)
    unsigned __state = TASK_NEW;  // TASK_*; written by the task itself or under pi_lock / its run queue's lock
    unsigned flags = 0;           // PF_*
    int on_rq = 0;                // runnable: queued on (or running from) a run queue
    int on_cpu = 0;               // running on a CPU, until the switch away from it finished
    int policy = SCHED_NORMAL;
    int prio = DEFAULT_PRIO;  // 0-99 real time, 100-139 fair
    unsigned rt_priority = 0;
    unsigned weight = NICE_0_LOAD;  // from nice (sched_prio_to_weight)
    unsigned cpu = 0;               // the run queue it is on or last ran on (task_cpu)
    cpumask_t cpus_mask = {};       // where it may run; empty is filled with every CPU by sched_task_init
    bool need_resched = false;      // TIF_NEED_RESCHED
    bool rt_requeue_tail = false;   // yielded or its RR quantum expired: back to the tail of its priority
    uint64_t exec_start = 0;        // sched_clock when it last started running
    uint64_t sum_exec_runtime = 0;
    uint64_t slice_start = 0;  // sum_exec_runtime when it was last picked
    uint64_t vruntime = 0;
    uint64_t rr_left = 0;                 // SCHED_RR: the rest of its quantum
    unsigned long nvcsw = 0, nivcsw = 0;  // voluntary and involuntary switches away from it
    list_head run_list;                   // on its class's queue while runnable and not running
    uintptr_t thread_sp = 0;              // arch: the saved stack pointer of a task not running
    char comm[TASK_COMM_LEN] = {};
    int usage = 1;                            // references; the task's own one is dropped once it is dead
    void (*release)(task_struct*) = nullptr;  // frees it when the last reference goes (kthreads: the stack)
    int pid = 0;                              // 0: an idle task ("swapper/N"), 1: init, then kthreads
    uintptr_t stack_lo = 0, stack_hi = 0;     // its own stack (kthreads); 0 for the boot and idle stacks
    list_head tasks;                          // on the list of every task (ps), see kernel/kthread.h
    void* kthread = nullptr;                  // its struct kthread (kernel/kthread.cpp) if it is one
};

struct rq {
    raw_spinlock_t lock;
    unsigned cpu = 0;
    task_struct* curr = nullptr;
    task_struct* idle = nullptr;
    unsigned nr_running = 0;  // runnable tasks, the running one included, the idle task not
    list_head rt_queue[MAX_RT_PRIO];
    uint64_t rt_bitmap[2] = {};  // bit p: rt_queue[p] not empty
    unsigned rt_nr_running = 0;
    list_head cfs_queue;  // fair tasks waiting, by vruntime (smallest first)
    unsigned cfs_nr_running = 0;
    uint64_t min_vruntime = 0;
    uint64_t clock = 0;  // sched_clock at the last update
    unsigned long nr_switches = 0;
};
DECLARE_PER_CPU(rq, runqueues);
static inline rq* cpu_rq(unsigned cpu) { return &per_cpu(runqueues, cpu); }

// The hooks (arch/x86 installs them; host tests fake them). context_switch runs with this CPU's run
// queue lock held and interrupts off, switches stacks to `next`, and returns in whichever task is
// resumed here later, giving the task that ran just before it (Linux switch_to's `last`); a new task
// starts in the architecture's entry, which calls schedule_tail(last) instead. resched_cpu_ipi asks
// another CPU to call schedule() (the reschedule IPI). clock: nanoseconds, monotonic per CPU.
struct SchedHooks {
    task_struct* (*context_switch)(task_struct* prev, task_struct* next) = nullptr;
    // Prepare p's stack (p->stack_lo/hi) so that the first switch to it enters ret_from_fork.
    void (*init_task_stack)(task_struct* p) = nullptr;
    void (*resched_cpu_ipi)(unsigned cpu) = nullptr;
    uint64_t (*clock)() = nullptr;
};
void sched_set_hooks(const SchedHooks& hooks);

// Boot of `cpu` (or between host tests): an empty run queue whose current and idle task is `idle`.
// Interrupts off.
void sched_init_cpu(unsigned cpu, task_struct* idle);
// A new task's scheduling fields: `name`, the policy and priority (nice for SCHED_NORMAL, 1-99 for
// FIFO/RR), allowed on every CPU, state TASK_NEW. Any context; the task is not visible to anybody yet.
// -EINVAL for a priority out of range.
int sched_task_init(task_struct* p, const char* name, int policy, int prio_or_nice);
// Start a new task on a CPU it may run on (Linux wake_up_new_task). 0, or -EINVAL if it is not TASK_NEW
// or may run on no online CPU. Any context; takes the target run queue's lock.
int wake_up_new_task(task_struct* p);
// Wake `p` if its state is in `state` (Linux try_to_wake_up): TASK_RUNNING, queued on a CPU in its mask,
// and a reschedule asked for there when it should preempt the running task. True if it was woken. Any
// context (interrupts too); takes the run queue's lock.
bool try_to_wake_up(task_struct* p, unsigned state);
// Wake a sleeping task, or start a new one (a kernel thread after kthread_create). True if it was woken.
bool wake_up_process(task_struct* p);
// Change the scheduling class of a task not started yet or of the caller itself: SCHED_FIFO/SCHED_RR
// with priority 1-99, or SCHED_NORMAL with nice -20..19 (Linux sched_setscheduler_nocheck and
// set_user_nice). -EINVAL for bad values or another task that already runs.
int sched_setscheduler(task_struct* p, int policy, int prio_or_nice);
// Change where `p` may run (kthread_bind, before it first runs). -EINVAL for a mask with no online CPU
// or a task that already ran. Process context.
int sched_set_cpus_allowed_new(task_struct* p, const cpumask_t* mask);

// The timer tick's part (Linux scheduler_tick): account the running task and ask for a reschedule when
// its slice or quantum ran out and another task waits. Hard-IRQ context on this CPU.
void scheduler_tick();
// Pick the next task and switch to it (Linux __schedule). A task that set its state to something other
// than TASK_RUNNING before calling is taken off the run queue (it sleeps until woken); preempt: the
// caller was preempted (its state is kept, it stays runnable). Interrupts off, no lock held; returns
// with interrupts off when this task runs again.
void __schedule(bool preempt);
// The end of a switch, in the task switched to (Linux finish_task_switch / schedule_tail): `last` is off
// its CPU now, and this CPU's run queue lock is released (interrupts stay off).
void schedule_tail(task_struct* last);
// Sleep or yield: the current task's state says which (Linux schedule()). Process context, preemption
// enabled; interrupts may be on or off and are as they were on return. A workqueue worker (PF_WQ_WORKER)
// that goes to sleep here tells its pool first, and again when it runs (Linux sched_submit_work and
// sched_update_worker: kernel/workqueue_internal.h), so the pool can wake another worker meanwhile.
void schedule();
// Preemption points: see kernel/preempt.h (preempt_schedule) and the interrupt return
// (preempt_schedule_irq: interrupts off, preempt count zero, a reschedule wanted).
extern "C" void preempt_schedule_irq();
// The reschedule IPI's work on the CPU that received it: fold its current task's flag into the preempt
// count, so the interrupt return preempts. Hard-IRQ context.
void scheduler_ipi();
// Task references (Linux get_task_struct / put_task_struct): the last put calls p->release.
static inline void get_task_struct(task_struct* p) { __atomic_add_fetch(&p->usage, 1, __ATOMIC_RELAXED); }
void put_task_struct(task_struct* p);
// The current task of this CPU, and whether a reschedule is asked for it. Any context.
task_struct* sched_current();
bool need_resched();
// Linux's `current` (a macro there; a function here, since tests use the word).
static inline task_struct* get_current() { return sched_current(); }
// A CPU's idle task (Linux is_idle_task): it never sleeps, so waiting there means halting.
static inline bool is_idle_task(const task_struct* p) { return p->flags & PF_IDLE; }
// The task's state, as Linux's set_current_state: a full barrier after the store, so the condition the
// caller checks next is read after the state is visible to a waker (which sets TASK_RUNNING after making
// the condition true).
static inline void set_current_state(unsigned state) {
    __atomic_store_n(&sched_current()->__state, state, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
static inline void __set_current_state(unsigned state) {
    __atomic_store_n(&sched_current()->__state, state, __ATOMIC_RELAXED);
}
// The scheduler's hooks as installed (kthread creation prepares stacks through them).
const SchedHooks& sched_hooks();

// Sleeping functions call might_sleep() first (Linux __might_sleep): in atomic context (preempt count
// not zero, or interrupts off) after boot it reports "BUG: sleeping function called from invalid
// context at FILE:LINE" with the stack, at most once a second, and counts every case.
void __might_sleep(const char* file, int line);
#define might_sleep() __might_sleep(__FILE__, __LINE__)
unsigned long might_sleep_reports();  // every invalid-context case seen, printed or not
void might_sleep_ratelimit_reset();   // the next case prints (tests)
// kernel/sched/idle.cpp: make `idle` the idle task ("swapper/N") of `cpu`, which must be the caller's
// CPU running on its boot stack with interrupts off; the loop every idle task ends in (never returns);
// the tick's part of it (waking the tasks waiting in cpu_idle_once).
void sched_init_idle(unsigned cpu, task_struct* idle);
[[noreturn]] void cpu_startup_entry();
// The idle task's switch to whatever was woken on its CPU (Linux schedule_idle): it stays runnable.
// Only from an idle task, interrupts on.
void schedule_idle();
void sched_tick_idle_work();
// From when the first task other than the boot CPU's is started (Linux system_state >= SYSTEM_SCHEDULING).
extern bool sched_running;
// Ask `rq`'s CPU to reschedule (Linux resched_curr): the flag on its current task, and the IPI when it
// is another CPU. rq->lock held.
void resched_curr(rq* rq);

// Introspection for `ps` and the tests: call fn for each CPU's current and queued tasks (rq->lock held,
// interrupts off while it runs).
void sched_for_each_task_on(unsigned cpu, void (*fn)(task_struct* p, bool running, void* ctx), void* ctx);
