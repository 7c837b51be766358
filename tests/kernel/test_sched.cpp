// In-kernel tests of kernel threads and the scheduler on the real machine: kthread_run / kthread_stop
// and the thread's return value, a thread stopped before it ran, kthread_bind on every online CPU,
// completions and wait queues across CPUs, a mutex shared by threads on every CPU, preemption by a
// woken real-time thread at preempt_enable and (with a second CPU) at the return from the reschedule
// IPI, threads freed after they exit, and might_sleep's report for a thread holding a spinlock. Every
// wait is bounded (jiffies), so a scheduler bug fails a test instead of hanging the run.
#include "tests/kernel/ktest.h"
#include "arch/x86/cpu.h"
#include "kernel/err.h"
#include "kernel/errno.h"
#include "kernel/jiffies.h"
#include "kernel/kthread.h"
#include "kernel/locking/mutex.h"
#include "kernel/preempt.h"
#include "kernel/sched/wait.h"
#include "kernel/spinlock.h"
#include "lib/vsprintf.h"

namespace {
constexpr unsigned long WAIT_JIFFIES_MS = 5000;  // generous: TCG on a busy host

bool flag_set(void* p) { return __atomic_load_n(static_cast<int*>(p), __ATOMIC_ACQUIRE) != 0; }
bool wait_flag(int* flag) { return ktest_wait_jiffies(flag_set, flag, msecs_to_jiffies(WAIT_JIFFIES_MS)); }

// ---- kthread_run / kthread_stop
struct Looper {
    int started = 0;
    int loops = 0;
};
int looper_fn(void* data) {
    Looper* l = static_cast<Looper*>(data);
    __atomic_store_n(&l->started, 1, __ATOMIC_RELEASE);
    while (!kthread_should_stop()) {
        set_current_state(TASK_INTERRUPTIBLE);
        if (!kthread_should_stop()) schedule();
        __set_current_state(TASK_RUNNING);
        l->loops++;
    }
    return 42;
}

KTEST(kthread, stop_wakes_the_thread_and_returns_its_value) {
    Looper l;
    task_struct* t = kthread_run(looper_fn, &l, "kt-looper");
    KASSERT(!IS_ERR(t));
    KASSERT(wait_flag(&l.started));
    KEXPECT_STREQ(t->comm, "kt-looper");
    KEXPECT_TRUE(t->flags & PF_KTHREAD);
    KEXPECT_EQ(kthread_stop(t), 42);
    KEXPECT_TRUE(l.loops >= 1);  // it was asleep and the stop woke it
}

int never_fn(void* data) {
    __atomic_store_n(static_cast<int*>(data), 1, __ATOMIC_RELEASE);
    return 0;
}

KTEST(kthread, stopped_before_it_ran_returns_eintr_without_running) {
    int ran = 0;
    task_struct* t = kthread_create(never_fn, &ran, "kt-never-%d", 7);
    KASSERT(!IS_ERR(t));
    KEXPECT_STREQ(t->comm, "kt-never-7");
    KEXPECT_EQ(__atomic_load_n(&t->__state, __ATOMIC_RELAXED), TASK_NEW);
    KEXPECT_EQ(kthread_stop(t), -EINTR);
    KEXPECT_EQ(ran, 0);
}

// ---- kthread_bind: each CPU
struct Where {
    int cpu = -1;
    int done = 0;
    completion c;
};
int where_fn(void* data) {
    Where* w = static_cast<Where*>(data);
    preempt_disable();
    w->cpu = int(smp_processor_id());
    preempt_enable();
    complete(&w->c);
    return 0;
}

KTEST(kthread, bound_thread_runs_on_its_cpu) {
    for (unsigned cpu = 0; cpu < arch::num_online_cpus(); cpu++) {
        Where w;
        init_completion(&w.c);
        task_struct* t = kthread_create_on_cpu(where_fn, &w, cpu, "kt-bound/%u");
        KASSERT(!IS_ERR(t));
        get_task_struct(t);
        KEXPECT_TRUE(t->flags & PF_NO_SETAFFINITY);
        char name[TASK_COMM_LEN];
        snprintf(name, sizeof name, "kt-bound/%u", cpu);
        KEXPECT_STREQ(t->comm, name);  // the CPU number filled into the name, as Linux's ksoftirqd/N
        wake_up_process(t);
        wait_for_completion(&w.c);
        KEXPECT_EQ(w.cpu, int(cpu));
        put_task_struct(t);
    }
}

// ---- wait queues: a waiter on another CPU (or this one) woken by wake_up after the condition changed
struct WqCase {
    wait_queue_head wq;
    int cond = 0;
    int woke = 0;
    int waiting = 0;
};
int wq_waiter_fn(void* data) {
    WqCase* c = static_cast<WqCase*>(data);
    __atomic_store_n(&c->waiting, 1, __ATOMIC_RELEASE);
    wait_event(c->wq, __atomic_load_n(&c->cond, __ATOMIC_ACQUIRE) != 0);
    __atomic_store_n(&c->woke, 1, __ATOMIC_RELEASE);
    return 0;
}

KTEST(sched, wait_event_sleeps_until_the_condition_and_wake_up) {
    unsigned cpu = arch::num_online_cpus() > 1 ? 1 : 0;
    WqCase c;
    init_waitqueue_head(&c.wq);
    task_struct* t = kthread_create(wq_waiter_fn, &c, "kt-wq");
    KASSERT(!IS_ERR(t));
    kthread_bind(t, cpu);
    wake_up_process(t);
    KASSERT(wait_flag(&c.waiting));
    // Asleep on the queue: a wake-up without the condition leaves it waiting.
    KASSERT(ktest_wait_jiffies([](void* p) { return READ_ONCE(static_cast<task_struct*>(p)->__state) != TASK_RUNNING; },
                               t, msecs_to_jiffies(WAIT_JIFFIES_MS)));
    wake_up(&c.wq);
    int none = 0;
    ktest_wait_jiffies(flag_set, &c.woke, msecs_to_jiffies(20));
    KEXPECT_EQ(__atomic_load_n(&c.woke, __ATOMIC_ACQUIRE), none);
    __atomic_store_n(&c.cond, 1, __ATOMIC_RELEASE);
    wake_up(&c.wq);
    KEXPECT_TRUE(wait_flag(&c.woke));
}

// ---- completions: complete before wait does not sleep; complete_all releases every waiter
KTEST(sched, completion_counts_and_complete_all_releases_everyone) {
    completion c;
    init_completion(&c);
    KEXPECT_FALSE(try_wait_for_completion(&c));
    complete(&c);
    complete(&c);
    KEXPECT_TRUE(completion_done(&c));
    wait_for_completion(&c);  // one "done" each, no sleep
    KEXPECT_TRUE(try_wait_for_completion(&c));
    KEXPECT_FALSE(try_wait_for_completion(&c));
    complete_all(&c);
    for (int i = 0; i < 3; i++) wait_for_completion(&c);
    KEXPECT_TRUE(completion_done(&c));
}

// ---- a mutex shared by threads on every CPU, each yielding while it holds it
constexpr int MUTEX_THREADS = 4, MUTEX_ROUNDS = 100;
struct MutexCase {
    mutex m;
    int inside = 0;
    int max_inside = 0;
    long counter = 0;
    int finished = 0;
};
int mutex_fn(void* data) {
    MutexCase* c = static_cast<MutexCase*>(data);
    for (int i = 0; i < MUTEX_ROUNDS; i++) {
        mutex_lock(&c->m);
        int in = __atomic_add_fetch(&c->inside, 1, __ATOMIC_ACQ_REL);
        if (in > c->max_inside) c->max_inside = in;
        long v = c->counter;
        if (i % 8 == 0) schedule();  // a voluntary yield with the mutex held: the others must wait
        c->counter = v + 1;
        __atomic_sub_fetch(&c->inside, 1, __ATOMIC_ACQ_REL);
        mutex_unlock(&c->m);
    }
    __atomic_add_fetch(&c->finished, 1, __ATOMIC_RELEASE);
    return 0;
}
bool all_finished(void* p) {
    return __atomic_load_n(&static_cast<MutexCase*>(p)->finished, __ATOMIC_ACQUIRE) == MUTEX_THREADS;
}

KTEST(sched, mutex_excludes_threads_on_every_cpu) {
    MutexCase c;
    mutex_init(&c.m);
    for (int i = 0; i < MUTEX_THREADS; i++) {
        task_struct* t = kthread_create(mutex_fn, &c, "kt-mutex/%d", i);
        KASSERT(!IS_ERR(t));
        kthread_bind(t, unsigned(i) % arch::num_online_cpus());
        wake_up_process(t);
    }
    KASSERT(ktest_wait_jiffies(all_finished, &c, msecs_to_jiffies(4 * WAIT_JIFFIES_MS)));
    KEXPECT_EQ(c.counter, long(MUTEX_THREADS * MUTEX_ROUNDS));
    KEXPECT_EQ(c.max_inside, 1);
    KEXPECT_FALSE(mutex_is_locked(&c.m));
}

// ---- preemption by a woken real-time thread
struct RtCase {
    wait_queue_head wq;
    int go = 0;
    int ran = 0;
    int sleeping = 0;
};
int rt_fn(void* data) {
    RtCase* c = static_cast<RtCase*>(data);
    __atomic_store_n(&c->sleeping, 1, __ATOMIC_RELEASE);
    wait_event(c->wq, __atomic_load_n(&c->go, __ATOMIC_ACQUIRE) != 0);
    __atomic_store_n(&c->ran, 1, __ATOMIC_RELEASE);
    return 0;
}
bool asleep(void* p) {
    auto* t = static_cast<task_struct*>(p);
    return __atomic_load_n(&t->__state, __ATOMIC_RELAXED) == TASK_UNINTERRUPTIBLE &&
           !__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE);
}

// A FIFO thread bound to `cpu`, started and asleep on c->wq.
task_struct* start_rt_sleeper(RtCase* c, unsigned cpu) {
    init_waitqueue_head(&c->wq);
    task_struct* t = kthread_create(rt_fn, c, "kt-rt");
    if (IS_ERR(t)) return t;
    sched_setscheduler(t, SCHED_FIFO, 50);
    kthread_bind(t, cpu);
    get_task_struct(t);
    wake_up_process(t);
    if (!wait_flag(&c->sleeping) || !ktest_wait_jiffies(asleep, t, msecs_to_jiffies(WAIT_JIFFIES_MS))) {
        put_task_struct(t);
        return ERR_PTR<task_struct>(-ETIMEDOUT);
    }
    return t;
}

KTEST(sched, preempt_enable_switches_to_a_woken_rt_thread_at_once) {
    preempt_disable();
    unsigned cpu = smp_processor_id();
    preempt_enable();
    // The test thread stays on its CPU: nothing moves a running task in irqos (no load balancing).
    RtCase c;
    task_struct* t = start_rt_sleeper(&c, cpu);
    KASSERT(!IS_ERR(t));
    preempt_disable();
    KEXPECT_EQ(smp_processor_id(), cpu);
    __atomic_store_n(&c.go, 1, __ATOMIC_RELEASE);
    wake_up(&c.wq);
    int before = __atomic_load_n(&c.ran, __ATOMIC_ACQUIRE);  // preemption is off: it cannot have run
    preempt_enable();                                        // the preemption point
    int after = __atomic_load_n(&c.ran, __ATOMIC_ACQUIRE);
    KEXPECT_EQ(before, 0);
    KEXPECT_EQ(after, 1);
    put_task_struct(t);
}

struct Waker {
    RtCase* c;
};
int waker_fn(void* data) {
    RtCase* c = static_cast<Waker*>(data)->c;
    __atomic_store_n(&c->go, 1, __ATOMIC_RELEASE);
    wake_up(&c->wq);  // from another CPU: the reschedule IPI tells the RT thread's CPU
    return 0;
}

KTEST(sched, wake_up_from_another_cpu_preempts_at_the_ipi_return) {
    if (arch::num_online_cpus() < 2) KSKIP("one CPU online: no other CPU to wake from");
    preempt_disable();
    unsigned cpu = smp_processor_id();
    preempt_enable();
    RtCase c;
    task_struct* t = start_rt_sleeper(&c, cpu);
    KASSERT(!IS_ERR(t));
    Waker w{&c};
    task_struct* k = kthread_create(waker_fn, &w, "kt-waker");
    KASSERT(!IS_ERR(k));
    kthread_bind(k, (cpu + 1) % arch::num_online_cpus());
    unsigned long res_before = 0;
    wake_up_process(k);
    // Spin with interrupts and preemption on, never sleeping or yielding: only the return from the
    // reschedule IPI on this CPU can let the RT thread run before the spin ends.
    uint64_t t0 = x86::rdtsc(), limit = uint64_t(arch::cycles_khz()) * WAIT_JIFFIES_MS;
    while (!__atomic_load_n(&c.ran, __ATOMIC_ACQUIRE) && x86::rdtsc() - t0 < limit) arch::cpu_relax();
    (void)res_before;
    KEXPECT_EQ(__atomic_load_n(&c.ran, __ATOMIC_ACQUIRE), 1);
    put_task_struct(t);
}

// ---- exited threads are freed (off the task list)
int exit_fn(void*) { return 0; }
unsigned count_tasks() {
    unsigned n = 0;
    unsigned long flags;
    raw_spin_lock_irqsave(&tasklist_lock, flags);
    list_head* pos = task_list.next;
    for (; pos != &task_list; pos = pos->next) n++;
    raw_spin_unlock_irqrestore(&tasklist_lock, flags);
    return n;
}
bool tasks_back_to(void* p) { return count_tasks() <= *static_cast<unsigned*>(p); }

KTEST(kthread, exited_threads_are_freed) {
    unsigned before = count_tasks();
    for (int i = 0; i < 20; i++) {
        task_struct* t = kthread_run(exit_fn, nullptr, "kt-exit/%d", i);
        KASSERT(!IS_ERR(t));
    }
    KEXPECT_TRUE(ktest_wait_jiffies(tasks_back_to, &before, msecs_to_jiffies(WAIT_JIFFIES_MS)));
    KEXPECT_EQ(count_tasks(), before);
}

// ---- might_sleep: a thread that would sleep with a spinlock held
struct SleepBug {
    raw_spinlock_t lock;
    mutex m;
    unsigned long reports_before = 0, reports_after = 0;
    int done = 0;
};
int sleep_bug_fn(void* data) {
    SleepBug* s = static_cast<SleepBug*>(data);
    s->reports_before = might_sleep_reports();
    might_sleep_ratelimit_reset();
    raw_spin_lock(&s->lock);
    mutex_lock(&s->m);  // uncontended: it does not actually sleep, but it may, and that is the bug
    mutex_unlock(&s->m);
    raw_spin_unlock(&s->lock);
    s->reports_after = might_sleep_reports();
    __atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
    return 0;
}

KTEST(sched, sleeping_with_a_spinlock_held_is_reported) {
    SleepBug s;
    raw_spin_lock_init(&s.lock);
    mutex_init(&s.m);
    unsigned long mark = ktest_log_mark();
    task_struct* t = kthread_run(sleep_bug_fn, &s, "kt-sleepbug");
    KASSERT(!IS_ERR(t));
    KASSERT(wait_flag(&s.done));
    KEXPECT_EQ(s.reports_after - s.reports_before, 1ul);
    KEXPECT_EQ(
        ktest_log_count_since(mark, "BUG: sleeping function called from invalid context at kernel/locking/mutex.cpp"),
        1u);
    KEXPECT_EQ(ktest_log_count_since(mark, "name: kt-sleepbug"), 1u);
    KEXPECT_EQ(ktest_log_count_since(mark, "preempt_count: 1, expected: 0"), 1u);
    // And not in a clean context: the same calls without the spinlock are quiet.
    unsigned long quiet = might_sleep_reports();
    mutex_lock(&s.m);
    mutex_unlock(&s.m);
    KEXPECT_EQ(might_sleep_reports(), quiet);
}
}  // namespace

// ---- preemption by the tick: a fair thread that never sleeps cannot keep its CPU from another one
struct Hog {
    int stop = 0;
    int hog_running = 0;
    int other_ran = 0;
    uint64_t spun_cycles = 0;
};
int hog_fn(void* data) {
    Hog* h = static_cast<Hog*>(data);
    __atomic_store_n(&h->hog_running, 1, __ATOMIC_RELEASE);
    uint64_t t0 = arch::cycles(), limit = uint64_t(arch::cycles_khz()) * WAIT_JIFFIES_MS;
    while (!__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE) && arch::cycles() - t0 < limit) arch::cpu_relax();
    h->spun_cycles = arch::cycles() - t0;
    return 0;
}
int other_fn(void* data) {
    Hog* h = static_cast<Hog*>(data);
    __atomic_store_n(&h->other_ran, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&h->stop, 1, __ATOMIC_RELEASE);
    return 0;
}

KTEST(sched, the_tick_ends_a_busy_fair_threads_turn) {
    unsigned cpu = arch::num_online_cpus() - 1;  // another CPU than the test's when there is one
    Hog h;
    task_struct* hog = kthread_create(hog_fn, &h, "kt-hog");
    KASSERT(!IS_ERR(hog));
    kthread_bind(hog, cpu);
    get_task_struct(hog);
    wake_up_process(hog);
    KASSERT(wait_flag(&h.hog_running));
    task_struct* other = kthread_create(other_fn, &h, "kt-other");
    KASSERT(!IS_ERR(other));
    kthread_bind(other, cpu);
    wake_up_process(other);
    KEXPECT_TRUE(wait_flag(&h.other_ran));
    // Somebody ran on its CPU while it spun (the other thread, or on one CPU also this test's thread):
    // the hog never gives the CPU up, so each of those turns began with a preemption.
    KEXPECT_TRUE(READ_ONCE(hog->nivcsw) >= 1);
    // Done well before the hog's own time limit: a few ticks, not seconds.
    KEXPECT_TRUE(ktest_wait_jiffies(
        [](void* p) { return __atomic_load_n(&static_cast<task_struct*>(p)->__state, __ATOMIC_RELAXED) == TASK_DEAD; },
        hog, msecs_to_jiffies(WAIT_JIFFIES_MS)));
    KEXPECT_TRUE(h.spun_cycles < uint64_t(arch::cycles_khz()) * WAIT_JIFFIES_MS / 2);
    put_task_struct(hog);
}
