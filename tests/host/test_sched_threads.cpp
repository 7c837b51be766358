// Host tests of sleeping and waking with real concurrency (tests/host/support/sim_sched.h: every task a
// host thread, four simulated CPUs): kthread_stop's hand-shake and return value, completions releasing
// waiters on other CPUs one complete() each, a mutex excluding threads that yield while holding it, and
// exclusive wait-queue waiters woken one per wake_up. All are "Smp" tests, so ThreadSanitizer runs them.
#include "kernel/err.h"
#include "kernel/errno.h"
#include "kernel/kthread.h"
#include "kernel/locking/mutex.h"
#include "kernel/preempt.h"
#include "kernel/printk.h"
#include "kernel/sched/wait.h"

#include <gtest/gtest.h>
#include <atomic>
#include <string>

#include "tests/host/support/capture_console.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/sim_sched.h"

namespace {
constexpr unsigned CPUS = 4;

class SchedThreadsSmp : public IrqTest {};

struct Looper {
    std::atomic<int> loops{0};
    std::atomic<int> stop_result{0};
    std::atomic<bool> done{false};
};
int looper(void* data) {
    auto* l = static_cast<Looper*>(data);
    while (!kthread_should_stop()) {
        set_current_state(TASK_INTERRUPTIBLE);
        if (!kthread_should_stop()) schedule();
        __set_current_state(TASK_RUNNING);
        l->loops++;
    }
    return 42;
}
int stopper(void* data) {
    auto* l = static_cast<Looper*>(data);
    task_struct* t = kthread_run(looper, l, "looper");
    if (IS_ERR(t)) return int(PTR_ERR(t));
    // Let it start and go to sleep (it may also still be on its way there: the stop must work either way).
    for (int i = 0; i < 100; i++) schedule();
    l->stop_result = kthread_stop(t);
    l->done = true;
    return 0;
}

TEST_F(SchedThreadsSmp, KthreadStopWakesTheThreadAndReturnsItsValue) {
    SimSched s(CPUS);
    Looper l;
    ASSERT_FALSE(IS_ERR(kthread_run(stopper, &l, "stopper")));
    ASSERT_TRUE(SimSched::wait_until([&] { return l.done.load(); }));
    EXPECT_EQ(l.stop_result.load(), 42);
}

int never(void* data) {
    static_cast<std::atomic<int>*>(data)->store(1);
    return 0;
}
struct StopNew {
    std::atomic<int> ran{0};
    std::atomic<int> result{0};
    std::atomic<bool> done{false};
};
int stop_new(void* data) {
    auto* s = static_cast<StopNew*>(data);
    task_struct* t = kthread_create(never, &s->ran, "never");
    s->result = kthread_stop(t);
    s->done = true;
    return 0;
}

TEST_F(SchedThreadsSmp, KthreadStoppedBeforeItRanReturnsEintr) {
    SimSched s(CPUS);
    StopNew st;
    ASSERT_FALSE(IS_ERR(kthread_run(stop_new, &st, "stop-new")));
    ASSERT_TRUE(SimSched::wait_until([&] { return st.done.load(); }));
    EXPECT_EQ(st.result.load(), -EINTR);
    EXPECT_EQ(st.ran.load(), 0);
}

struct Comp {
    completion c;
    std::atomic<int> waiting{0};
    std::atomic<int> passed{0};
};
int comp_waiter(void* data) {
    auto* c = static_cast<Comp*>(data);
    c->waiting++;
    wait_for_completion(&c->c);
    c->passed++;
    return 0;
}

TEST_F(SchedThreadsSmp, CompletionReleasesOneWaiterPerComplete) {
    SimSched s(CPUS);
    Comp c;
    init_completion(&c.c);
    for (unsigned i = 0; i < CPUS; i++) {
        ASSERT_FALSE(IS_ERR(kthread_run_on_cpu(comp_waiter, &c, i, "waiter/%u")));
    }
    ASSERT_TRUE(SimSched::wait_until([&] { return c.waiting.load() == int(CPUS); }));
    complete(&c.c);  // from the driver: any context may complete
    ASSERT_TRUE(SimSched::wait_until([&] { return c.passed.load() == 1; }));
    SimSched::wait_until([&] { return c.passed.load() > 1; }, 50);
    EXPECT_EQ(c.passed.load(), 1);  // one complete(), one waiter through
    complete(&c.c);
    complete(&c.c);
    complete(&c.c);
    EXPECT_TRUE(SimSched::wait_until([&] { return c.passed.load() == int(CPUS); }));
}

constexpr int MUTEX_ROUNDS = 300;
struct MutexCase {
    mutex m;
    std::atomic<int> inside{0};
    std::atomic<int> max_inside{0};
    long counter = 0;  // only under the mutex: ThreadSanitizer checks that it is really excluded
    std::atomic<int> finished{0};
};
int mutex_worker(void* data) {
    auto* c = static_cast<MutexCase*>(data);
    for (int i = 0; i < MUTEX_ROUNDS; i++) {
        mutex_lock(&c->m);
        int in = ++c->inside;
        int prev = c->max_inside.load();
        while (in > prev && !c->max_inside.compare_exchange_weak(prev, in)) {}
        long v = c->counter;
        if (i % 16 == 0) schedule();  // yield with the mutex held: the others sleep on it
        c->counter = v + 1;
        c->inside--;
        mutex_unlock(&c->m);
    }
    c->finished++;
    return 0;
}

TEST_F(SchedThreadsSmp, MutexExcludesThreadsOnEveryCpu) {
    SimSched s(CPUS);
    MutexCase c;
    mutex_init(&c.m);
    for (unsigned i = 0; i < CPUS; i++) {
        ASSERT_FALSE(IS_ERR(kthread_run_on_cpu(mutex_worker, &c, i, "mutex/%u")));
    }
    ASSERT_TRUE(SimSched::wait_until([&] { return c.finished.load() == int(CPUS); }, 60000));
    EXPECT_EQ(c.counter, long(CPUS) * MUTEX_ROUNDS);
    EXPECT_EQ(c.max_inside.load(), 1);
    EXPECT_FALSE(mutex_is_locked(&c.m));
}

DEFINE_MUTEX(static_mutex);
DECLARE_WAIT_QUEUE_HEAD(static_wq);

// The static initialisers give a ready, empty, unlocked object before any code runs.
TEST_F(SchedThreadsSmp, StaticMutexAndWaitQueueAreReadyBeforeAnyCode) {
    EXPECT_FALSE(mutex_is_locked(&static_mutex));
    EXPECT_TRUE(list_empty(&static_mutex.wait_list));
    EXPECT_EQ(static_mutex.wait_list.prev, &static_mutex.wait_list);
    EXPECT_STREQ(static_mutex.name, "static_mutex");
    EXPECT_FALSE(waitqueue_active(&static_wq));
    EXPECT_EQ(static_wq.head.prev, &static_wq.head);
    EXPECT_EQ(wake_up(&static_wq), 0u);  // nobody to wake, and no crash on the empty list
}

struct Excl {
    wait_queue_head wq;
    std::atomic<int> tokens{0};
    std::atomic<int> waiting{0};
    std::atomic<int> woken{0};
};
int excl_waiter(void* data) {
    auto* e = static_cast<Excl*>(data);
    DEFINE_WAIT(w);
    e->waiting++;
    for (;;) {
        prepare_to_wait_exclusive(&e->wq, &w, TASK_UNINTERRUPTIBLE);
        int t = e->tokens.load();
        if (t > 0 && e->tokens.compare_exchange_strong(t, t - 1)) break;
        schedule();
    }
    finish_wait(&e->wq, &w);
    e->woken++;
    return 0;
}

TEST_F(SchedThreadsSmp, ExclusiveWaitersAreWokenOnePerWakeUp) {
    SimSched s(CPUS);
    Excl e;
    init_waitqueue_head(&e.wq);
    for (unsigned i = 0; i < 3; i++) {
        ASSERT_FALSE(IS_ERR(kthread_run_on_cpu(excl_waiter, &e, i, "excl/%u")));
    }
    ASSERT_TRUE(SimSched::wait_until([&] {
        unsigned long flags;
        raw_spin_lock_irqsave(&e.wq.lock, flags);
        unsigned n = 0;
        for (list_head* p = e.wq.head.next; p != &e.wq.head; p = p->next) n++;
        raw_spin_unlock_irqrestore(&e.wq.lock, flags);
        return n == 3;
    }));
    e.tokens = 1;
    EXPECT_EQ(wake_up(&e.wq), 1u);  // one exclusive waiter, not three
    ASSERT_TRUE(SimSched::wait_until([&] { return e.woken.load() == 1; }));
    e.tokens = 2;
    wake_up_all(&e.wq);
    EXPECT_TRUE(SimSched::wait_until([&] { return e.woken.load() == 3; }));
}
// A WARN names the task it fired in, as Linux's "WARNING: CPU: 1 PID: 5 at ..." and dump_stack's
// "CPU: 1 UID: 0 PID: 5 Comm: name" line do: the report of a thread is not the report of the idle task.
struct Warner {
    std::atomic<int> pid{-1};
    std::atomic<int> cpu{-1};
    std::atomic<bool> done{false};
};
int warner(void* data) {
    auto* w = static_cast<Warner*>(data);
    preempt_disable();  // stays on its CPU while it reports
    w->pid = sched_current()->pid;
    w->cpu = int(smp_processor_id());
    WARN(true, "from a thread");
    preempt_enable();
    w->done = true;
    return 0;
}

TEST_F(SchedThreadsSmp, WarnNamesTheTaskItFiredIn) {
    SimSched s(CPUS);
    Warner w;
    host_console::reset();
    ASSERT_FALSE(IS_ERR(kthread_run(warner, &w, "warner")));
    ASSERT_TRUE(SimSched::wait_until([&] { return w.done.load(); }));
    std::string out = host_console::text();
    ASSERT_GT(w.pid.load(), 0);
    std::string hdr =
        "WARNING: CPU: " + std::to_string(w.cpu.load()) + " PID: " + std::to_string(w.pid.load()) + " at ";
    std::string info = "CPU: " + std::to_string(w.cpu.load()) + " UID: 0 PID: " + std::to_string(w.pid.load()) +
                       " Comm: warner irqos\n";
    EXPECT_NE(out.find(hdr), std::string::npos) << out;
    EXPECT_NE(out.find(info), std::string::npos) << out;
}
}  // namespace
