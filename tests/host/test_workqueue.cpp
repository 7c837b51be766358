// Host tests of the workqueues (kernel/workqueue.cpp) with real concurrency: four simulated CPUs whose
// tasks, kworkers included, are host threads (tests/host/support/sim_sched.h). Each test boots the
// workqueues (workqueue_init_early + workqueue_init on a kthread), and the sleeping calls (flushes,
// cancel_work_sync, destroy_workqueue) run in kthreads while the test thread polls. Work functions that
// must be held "running" wait on a completion the test completes. All are "Smp" tests, so
// ThreadSanitizer runs them too (make host-test-tsan).
#include "kernel/err.h"
#include "kernel/kthread.h"
#include "kernel/preempt.h"
#include "kernel/printk.h"
#include "kernel/sched/wait.h"
#include "kernel/shell/shell.h"
#include "kernel/workqueue.h"
#include "kernel/workqueue_internal.h"

#include <gtest/gtest.h>
#include <atomic>
#include <cstring>
#include <functional>
#include <memory>
#include <string>

#include "tests/host/support/capture_console.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/sim_sched.h"

namespace {
constexpr unsigned CPUS = 4;
constexpr unsigned SETTLE_MS = 50;  // how long "does not happen" is watched for

// A function run on a kernel thread bound to a CPU (it may sleep there).
struct TaskCall {
    std::function<void()> fn;
    std::atomic<bool> done{false};
    task_struct* task = nullptr;
};
int task_call(void* data) {
    auto* c = static_cast<TaskCall*>(data);
    c->fn();
    c->done = true;
    return 0;
}

// The calling kworker's CPU (work functions run with preemption on; nothing moves a bound kworker).
unsigned this_cpu() {
    preempt_disable();
    unsigned cpu = smp_processor_id();
    preempt_enable();
    return cpu;
}

class WorkqueueSmp : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        sim_ = std::make_unique<SimSched>(CPUS);
        ASSERT_TRUE(run_on(0, [] {
            workqueue_init_early();
            workqueue_init();
        }));
    }
    void TearDown() override {
        // Every test leaves the system workqueues idle; freeing them keeps LeakSanitizer quiet. The
        // kworkers stay asleep for good (SimSched allows that).
        EXPECT_TRUE(run_on(0, [] {
            destroy_workqueue(system_highpri_wq);
            destroy_workqueue(system_wq);
        }));
        sim_.reset();
    }

    // Start fn on a kthread bound to `cpu`. The call (and a reference to its task) is freed by finish().
    static TaskCall* start_on(unsigned cpu, std::function<void()> fn) {
        auto* c = new TaskCall;
        c->fn = std::move(fn);
        task_struct* t = kthread_create_on_cpu(task_call, c, cpu, "wqtest/%u");
        if (IS_ERR(t)) std::abort();
        get_task_struct(t);
        c->task = t;
        wake_up_process(t);
        return c;
    }
    // Wait until it returned, then free it. False (and it leaks) on a timeout.
    static bool finish(TaskCall* c, unsigned ms = 10000) {
        if (!SimSched::wait_until([c] { return c->done.load(); }, ms)) return false;
        put_task_struct(c->task);
        delete c;
        return true;
    }
    static bool run_on(unsigned cpu, std::function<void()> fn) { return finish(start_on(cpu, std::move(fn))); }
    // The call's task sleeps (uninterruptibly: a completion, a mutex) and is off its CPU.
    static bool asleep(const TaskCall* c) {
        return SimSched::wait_until([c] {
            return __atomic_load_n(&c->task->__state, __ATOMIC_RELAXED) == TASK_UNINTERRUPTIBLE &&
                   !__atomic_load_n(&c->task->on_cpu, __ATOMIC_ACQUIRE);
        });
    }
    static workqueue_struct* alloc_wq(const char* name, unsigned flags, int max_active) {
        workqueue_struct* wq = nullptr;
        EXPECT_TRUE(run_on(0, [&] { wq = alloc_workqueue("%s", flags, max_active, name); }));
        return wq;
    }
    static bool destroy_wq(workqueue_struct* wq) {
        return run_on(0, [wq] { destroy_workqueue(wq); });
    }
    // Before a test's work items go out of scope: none of them is queued or running any more.
    template <typename... W>
    static bool settle(W*... works) {
        return run_on(0, [=] { (flush_work(&works->work), ...); });
    }

private:
    std::unique_ptr<SimSched> sim_;
};

// A work item with the test's bookkeeping around it.
struct TWork {
    work_struct work;
    workqueue_struct* wq = nullptr;
    std::atomic<int> runs{0};
    std::atomic<int> inside{0};
    std::atomic<int> max_inside{0};
    std::atomic<int> entered{0};        // runs that reached the gate
    std::atomic<int> hold_run{0};       // run number (1-based) that waits on `gate`; 0: none
    std::atomic<int> requeue_upto{0};   // requeue itself while runs < this
    std::atomic<int> requeue_false{0};  // its own queue_work returned false
    std::atomic<int> saw_pending{0};    // work_pending() was true inside the function
    std::atomic<int> last_cpu{-1};
    std::atomic<int> cpu_mask{0};  // CPUs it ran on
    std::atomic<bool> in_task_ok{true};
    completion gate;
    char comm[TASK_COMM_LEN] = {};
};

void twork_fn(work_struct* work) {
    TWork* t = container_of(work, TWork, work);
    int in = ++t->inside;
    int prev = t->max_inside.load();
    while (in > prev && !t->max_inside.compare_exchange_weak(prev, in)) {}
    if (work_pending(work)) t->saw_pending++;
    if (!in_task()) t->in_task_ok = false;
    unsigned cpu = this_cpu();
    t->last_cpu = int(cpu);
    t->cpu_mask |= 1 << cpu;
    std::memcpy(t->comm, sched_current()->comm, TASK_COMM_LEN);  // before `runs`, which the test polls
    int run = ++t->runs;
    if (run == t->hold_run.load()) {
        t->entered++;
        wait_for_completion(&t->gate);
    }
    t->inside--;
    if (run < t->requeue_upto.load() && !queue_work(t->wq, work)) t->requeue_false++;
}

void init_twork(TWork* t, workqueue_struct* wq) {
    INIT_WORK(&t->work, twork_fn);
    t->wq = wq;
    init_completion(&t->gate);
}

TEST_F(WorkqueueSmp, PendingIsClearedBeforeTheFunctionRunsSoItCanRequeueItself) {
    TWork t;
    init_twork(&t, system_wq);
    t.requeue_upto = 5;
    EXPECT_FALSE(work_pending(&t.work));
    ASSERT_TRUE(queue_work_on(1, system_wq, &t.work));
    ASSERT_TRUE(SimSched::wait_until([&] { return t.runs.load() == 5; }));
    SimSched::wait_until([&] { return t.runs.load() > 5; }, SETTLE_MS);
    EXPECT_EQ(t.runs.load(), 5);
    EXPECT_EQ(t.saw_pending.load(), 0);    // PENDING was clear in every run...
    EXPECT_EQ(t.requeue_false.load(), 0);  // ...so each self-requeue was accepted
    EXPECT_EQ(t.last_cpu.load(), 1);       // queue_work from a work: the CPU it runs on
    EXPECT_TRUE(t.in_task_ok.load());
    EXPECT_EQ(std::string(t.comm).rfind("kworker/1:", 0), 0u) << t.comm;
    EXPECT_TRUE(settle(&t));
    EXPECT_FALSE(work_pending(&t.work));
}

TEST_F(WorkqueueSmp, QueueWorkReturnsFalseWhilePendingAndTheWorkRunsOnce) {
    workqueue_struct* wq = alloc_wq("wq-once", 0, 1);
    ASSERT_NE(wq, nullptr);
    TWork blocker, t;
    init_twork(&blocker, wq);
    init_twork(&t, wq);
    blocker.hold_run = 1;
    ASSERT_TRUE(queue_work_on(2, wq, &blocker.work));
    ASSERT_TRUE(SimSched::wait_until([&] { return blocker.entered.load() == 1; }));
    // max_active 1: t waits behind the blocker, pending.
    EXPECT_TRUE(queue_work_on(2, wq, &t.work));
    EXPECT_TRUE(work_pending(&t.work));
    EXPECT_FALSE(queue_work_on(2, wq, &t.work));
    EXPECT_FALSE(queue_work_on(3, wq, &t.work));
    EXPECT_EQ(t.runs.load(), 0);
    complete(&blocker.gate);
    ASSERT_TRUE(SimSched::wait_until([&] { return t.runs.load() == 1; }));
    SimSched::wait_until([&] { return t.runs.load() > 1; }, SETTLE_MS);
    EXPECT_EQ(t.runs.load(), 1);
    EXPECT_EQ(t.last_cpu.load(), 2);
    EXPECT_TRUE(destroy_wq(wq));
}

// ---- Several CPUs queueing and cancelling the same works at once.
constexpr int STRESS_WORKS = 8;
constexpr int STRESS_ROUNDS = 2000;
struct Stress {
    TWork w[STRESS_WORKS];
    std::atomic<long> queued{0};
    std::atomic<long> cancelled{0};
};

TEST_F(WorkqueueSmp, EveryQueuedInstanceRunsExactlyOnceUnderConcurrentQueueingFrom4Cpus) {
    Stress s;
    for (TWork& w : s.w) init_twork(&w, system_wq);
    TaskCall* calls[CPUS];
    for (unsigned cpu = 0; cpu < CPUS; cpu++) {
        calls[cpu] = start_on(cpu, [&s, cpu] {
            for (int i = 0; i < STRESS_ROUNDS; i++) {
                TWork& w = s.w[(i * 3 + int(cpu)) % STRESS_WORKS];
                int target = (i + int(cpu)) % int(CPUS);
                if (queue_work_on(i % 3 ? target : WORK_CPU_UNBOUND, system_wq, &w.work)) s.queued++;
                if (i % 13 == int(cpu) && cancel_work(&s.w[i % STRESS_WORKS].work)) s.cancelled++;
                if (i % 50 == 0) flush_work(&s.w[(i / 50) % STRESS_WORKS].work);
                if (i % 4 == 0) schedule();  // a yield: the kworkers of this CPU get their turns
            }
        });
    }
    for (TaskCall* c : calls) ASSERT_TRUE(finish(c, 60000));
    ASSERT_TRUE(run_on(0, [&s] {
        for (TWork& w : s.w) flush_work(&w.work);
    }));
    long runs = 0;
    for (TWork& w : s.w) {
        runs += w.runs.load();
        EXPECT_EQ(w.max_inside.load(), 1);  // never on two CPUs at once
        EXPECT_FALSE(work_pending(&w.work));
    }
    EXPECT_GT(s.queued.load(), long(STRESS_WORKS));
    EXPECT_EQ(runs, s.queued.load() - s.cancelled.load());
}

TEST_F(WorkqueueSmp, FlushWorkWaitsForTheRunningInstanceAndIsFalseWhenIdle) {
    TWork t;
    init_twork(&t, system_wq);
    t.hold_run = 1;
    std::atomic<int> flushed{-1};
    std::atomic<int> runs_at_return{-1};
    ASSERT_TRUE(queue_work_on(3, system_wq, &t.work));
    ASSERT_TRUE(SimSched::wait_until([&] { return t.entered.load() == 1; }));
    TaskCall* f = start_on(0, [&] {
        flushed = flush_work(&t.work);
        runs_at_return = t.inside.load() == 0 ? t.runs.load() : -2;
    });
    ASSERT_TRUE(asleep(f));
    EXPECT_EQ(flushed.load(), -1);  // still waiting: the instance runs
    complete(&t.gate);
    ASSERT_TRUE(finish(f));
    EXPECT_EQ(flushed.load(), 1);
    EXPECT_EQ(runs_at_return.load(), 1);  // returned after the function did
    ASSERT_TRUE(run_on(1, [&] { flushed = flush_work(&t.work); }));
    EXPECT_EQ(flushed.load(), 0);  // idle: nothing to wait for
}

TEST_F(WorkqueueSmp, FlushWorkqueueWaitsOnlyForWorksQueuedBeforeIt) {
    workqueue_struct* wq = alloc_wq("wq-flush", 0, 0);
    ASSERT_NE(wq, nullptr);
    TWork a, b;
    init_twork(&a, wq);
    init_twork(&b, wq);
    a.hold_run = 1;      // the first run of a waits on its gate...
    a.requeue_upto = 2;  // ...then requeues itself once: that second run is after the flush began
    b.hold_run = 1;
    ASSERT_TRUE(queue_work_on(1, wq, &a.work));
    ASSERT_TRUE(SimSched::wait_until([&] { return a.entered.load() == 1; }));
    std::atomic<bool> flushed{false};
    TaskCall* f = start_on(0, [&] {
        flush_workqueue(wq);
        flushed = true;
    });
    ASSERT_TRUE(asleep(f));  // it took its flush colour and waits
    // b is queued after the flush started, on another CPU, and stays running (its gate stays shut).
    ASSERT_TRUE(queue_work_on(2, wq, &b.work));
    ASSERT_TRUE(SimSched::wait_until([&] { return b.entered.load() == 1; }));
    SimSched::wait_until([&] { return flushed.load(); }, SETTLE_MS);
    EXPECT_FALSE(flushed.load());  // a, queued before, still runs
    // Its second run waits on the gate again (hold_run 2), so the requeued instance stays in flight.
    a.hold_run = 2;
    complete(&a.gate);
    ASSERT_TRUE(finish(f));  // returns with b and a's requeued run still in flight
    EXPECT_TRUE(flushed.load());
    ASSERT_TRUE(SimSched::wait_until([&] { return a.entered.load() == 2; }));
    EXPECT_EQ(b.runs.load(), 1);
    EXPECT_EQ(b.inside.load(), 1);
    complete(&a.gate);
    complete(&b.gate);
    EXPECT_TRUE(destroy_wq(wq));
    EXPECT_EQ(a.runs.load(), 2);
    EXPECT_EQ(b.runs.load(), 1);
}

TEST_F(WorkqueueSmp, ConcurrentFlushersOfOneWorkqueueEachWaitForTheirOwnWorks) {
    workqueue_struct* wq = alloc_wq("wq-flushers", 0, 0);
    ASSERT_NE(wq, nullptr);
    constexpr int N = 3;
    TWork w[N];
    TaskCall* f[N];
    std::atomic<bool> flushed[N] = {};
    // Works 0..2, each followed by a flusher: flusher i waits for works 0..i, not for later ones.
    for (int i = 0; i < N; i++) {
        init_twork(&w[i], wq);
        w[i].hold_run = 1;
        ASSERT_TRUE(queue_work_on(i % int(CPUS), wq, &w[i].work));
        ASSERT_TRUE(SimSched::wait_until([&] { return w[i].entered.load() == 1; }));
        f[i] = start_on(3, [wq, &flushed, i] {
            flush_workqueue(wq);
            flushed[i] = true;
        });
        ASSERT_TRUE(asleep(f[i]));
    }
    // Finish them newest first: no flusher may return before the oldest work finished, since each
    // waits for every work queued before it.
    for (int i = N - 1; i > 0; i--) {
        complete(&w[i].gate);
        ASSERT_TRUE(SimSched::wait_until([&] { return w[i].inside.load() == 0; }));
        SimSched::wait_until([&] { return flushed[0] || flushed[1] || flushed[2]; }, SETTLE_MS);
        for (int j = 0; j < N; j++) EXPECT_FALSE(flushed[j].load()) << "flusher " << j << " after work " << i;
    }
    complete(&w[0].gate);
    EXPECT_TRUE(SimSched::wait_until([&] { return flushed[0] && flushed[1] && flushed[2]; }));
    for (TaskCall* c : f) ASSERT_TRUE(finish(c));
    EXPECT_TRUE(destroy_wq(wq));
}

// Flush colours run out: 15 flushers in flight take colours 0..14 (one colour always stays free), the
// others wait on the overflow list and get a colour when the first flush completes: the colour of the
// works queued meanwhile, so (as on Linux) they also wait for those, never for works queued later.
TEST_F(WorkqueueSmp, MoreFlushersThanFlushColoursWaitOnTheOverflowListAndAllReturn) {
    workqueue_struct* wq = alloc_wq("wq-overflow", 0, 0);
    ASSERT_NE(wq, nullptr);
    constexpr int IN_FLIGHT = int(WORK_NR_COLORS) - 1;
    constexpr int N = IN_FLIGHT + 5;
    TWork before, during, later;
    init_twork(&before, wq);
    init_twork(&during, wq);
    init_twork(&later, wq);
    before.hold_run = during.hold_run = later.hold_run = 1;
    ASSERT_TRUE(queue_work_on(1, wq, &before.work));
    ASSERT_TRUE(SimSched::wait_until([&] { return before.entered.load() == 1; }));
    TaskCall* f[N];
    std::atomic<int> flushed[N] = {};
    for (int i = 0; i < N; i++) {
        f[i] = start_on(unsigned(i) % CPUS, [wq, &flushed, i] {
            flush_workqueue(wq);
            flushed[i] = 1;
        });
        ASSERT_TRUE(asleep(f[i])) << i;
    }
    auto count = [&] {
        int n = 0;
        for (auto& x : flushed) n += x.load();
        return n;
    };
    ASSERT_TRUE(queue_work_on(2, wq, &during.work));  // while the last five wait for a colour
    ASSERT_TRUE(SimSched::wait_until([&] { return during.entered.load() == 1; }));
    SimSched::wait_until([&] { return count() > 0; }, SETTLE_MS);
    EXPECT_EQ(count(), 0);  // everybody waits for `before`
    complete(&before.gate);
    ASSERT_TRUE(SimSched::wait_until([&] { return count() == IN_FLIGHT; }));
    SimSched::wait_until([&] { return count() > IN_FLIGHT; }, SETTLE_MS);
    for (int i = 0; i < N; i++) EXPECT_EQ(flushed[i].load(), i < IN_FLIGHT ? 1 : 0) << "flusher " << i;
    // Queued now, after the overflowed flushers got their colour: nobody waits for it.
    ASSERT_TRUE(queue_work_on(3, wq, &later.work));
    ASSERT_TRUE(SimSched::wait_until([&] { return later.entered.load() == 1; }));
    complete(&during.gate);
    for (TaskCall* c : f) EXPECT_TRUE(finish(c));
    EXPECT_EQ(count(), N);
    EXPECT_EQ(later.inside.load(), 1);
    complete(&later.gate);
    EXPECT_TRUE(destroy_wq(wq));
}

TEST_F(WorkqueueSmp, CancelWorkSyncStopsASelfRequeueingWorkForGood) {
    TWork t;
    init_twork(&t, system_wq);
    t.requeue_upto = 1000000;  // forever
    t.hold_run = 20;           // run 20 is held at the gate, then tries to requeue itself
    ASSERT_TRUE(queue_work_on(1, system_wq, &t.work));
    ASSERT_TRUE(SimSched::wait_until([&] { return t.entered.load() == 1; }));
    std::atomic<int> ret{-1};
    TaskCall* c = start_on(2, [&] { ret = cancel_work_sync(&t.work); });
    ASSERT_TRUE(asleep(c));  // waits for the running instance
    EXPECT_EQ(ret.load(), -1);
    complete(&t.gate);
    ASSERT_TRUE(finish(c));
    EXPECT_EQ(ret.load(), 0);              // it was running, not pending
    EXPECT_EQ(t.requeue_false.load(), 1);  // its requeue during the cancel was refused
    SimSched::wait_until([&] { return t.runs.load() > 20; }, SETTLE_MS);
    EXPECT_EQ(t.runs.load(), 20);
    EXPECT_FALSE(work_pending(&t.work));
    // Enabled again afterwards: it can be queued as before.
    t.requeue_upto = 0;
    EXPECT_TRUE(queue_work_on(0, system_wq, &t.work));
    EXPECT_TRUE(SimSched::wait_until([&] { return t.runs.load() == 21; }));
    EXPECT_TRUE(settle(&t));
}

TEST_F(WorkqueueSmp, CancelReturnsWhetherTheWorkWasPendingAndAPendingOneNeverRuns) {
    workqueue_struct* wq = alloc_wq("wq-cancel", 0, 1);
    ASSERT_NE(wq, nullptr);
    TWork blocker, t, u;
    init_twork(&blocker, wq);
    init_twork(&t, wq);
    init_twork(&u, wq);
    blocker.hold_run = 1;
    ASSERT_TRUE(queue_work_on(0, wq, &blocker.work));
    ASSERT_TRUE(SimSched::wait_until([&] { return blocker.entered.load() == 1; }));
    ASSERT_TRUE(queue_work_on(0, wq, &t.work));  // inactive behind the blocker
    ASSERT_TRUE(queue_work_on(0, wq, &u.work));
    std::atomic<int> r1{-1}, r2{-1}, r3{-1};
    ASSERT_TRUE(run_on(1, [&] {
        r1 = cancel_work_sync(&t.work);
        r2 = cancel_work_sync(&t.work);
    }));
    r3 = cancel_work(&u.work);  // the non-sync form, from the test thread (any context)
    EXPECT_EQ(r1.load(), 1);
    EXPECT_EQ(r2.load(), 0);
    EXPECT_EQ(r3.load(), 1);
    EXPECT_FALSE(work_pending(&t.work));
    complete(&blocker.gate);
    EXPECT_TRUE(destroy_wq(wq));
    EXPECT_EQ(t.runs.load(), 0);
    EXPECT_EQ(u.runs.load(), 0);
    EXPECT_EQ(blocker.runs.load(), 1);
}

TEST_F(WorkqueueSmp, DisabledWorkIsRefusedUntilEnabledAsOftenAsDisabled) {
    TWork t;
    init_twork(&t, system_wq);
    EXPECT_FALSE(disable_work(&t.work));
    EXPECT_FALSE(disable_work(&t.work));
    EXPECT_FALSE(queue_work_on(0, system_wq, &t.work));
    EXPECT_FALSE(work_pending(&t.work));
    EXPECT_FALSE(enable_work(&t.work));  // one disable left
    EXPECT_FALSE(queue_work_on(0, system_wq, &t.work));
    EXPECT_TRUE(enable_work(&t.work));
    EXPECT_TRUE(queue_work_on(0, system_wq, &t.work));
    EXPECT_TRUE(settle(&t));
    EXPECT_EQ(t.runs.load(), 1);
}

TEST_F(WorkqueueSmp, AWorkQueuedOnCpu1WhileRunningOnCpu0RunsAfterOnCpu0NeverConcurrently) {
    TWork t;
    init_twork(&t, system_wq);
    t.hold_run = 1;
    ASSERT_TRUE(queue_work_on(0, system_wq, &t.work));
    ASSERT_TRUE(SimSched::wait_until([&] { return t.entered.load() == 1; }));
    EXPECT_TRUE(queue_work_on(1, system_wq, &t.work));  // PENDING is clear: accepted...
    SimSched::wait_until([&] { return t.runs.load() > 1; }, SETTLE_MS);
    EXPECT_EQ(t.runs.load(), 1);  // ...but it waits for the running instance
    complete(&t.gate);
    ASSERT_TRUE(SimSched::wait_until([&] { return t.runs.load() == 2; }));
    EXPECT_EQ(t.max_inside.load(), 1);
    EXPECT_EQ(t.cpu_mask.load(), 1 << 0);  // both runs on CPU 0
    // Within one pool: queued again on CPU 0 while held there, another kworker of CPU 0 (woken because
    // the first one sleeps) must hand it to the busy one instead of running it beside it.
    t.hold_run = 3;
    ASSERT_TRUE(queue_work_on(0, system_wq, &t.work));
    ASSERT_TRUE(SimSched::wait_until([&] { return t.entered.load() == 2; }));
    ASSERT_TRUE(queue_work_on(0, system_wq, &t.work));
    SimSched::wait_until([&] { return t.runs.load() > 3; }, SETTLE_MS);
    EXPECT_EQ(t.runs.load(), 3);
    complete(&t.gate);
    ASSERT_TRUE(SimSched::wait_until([&] { return t.runs.load() == 4; }));
    EXPECT_TRUE(settle(&t));
    EXPECT_EQ(t.max_inside.load(), 1);
    EXPECT_EQ(t.cpu_mask.load(), 1 << 0);
}

TEST_F(WorkqueueSmp, MaxActiveOneRunsTheWorksOneAtATimeInQueueingOrder) {
    workqueue_struct* wq = alloc_wq("wq-serial", 0, 1);
    ASSERT_NE(wq, nullptr);
    constexpr int N = 4;
    TWork w[N];
    std::atomic<int> order[N];
    for (int i = 0; i < N; i++) {
        init_twork(&w[i], wq);
        w[i].hold_run = 1;
        order[i] = -1;
        ASSERT_TRUE(queue_work_on(1, wq, &w[i].work));
    }
    for (int i = 0; i < N; i++) {
        // Only w[i] runs (the others wait although its kworker sleeps and another could start them).
        ASSERT_TRUE(SimSched::wait_until([&] { return w[i].entered.load() == 1; })) << i;
        SimSched::wait_until([&] { return i + 1 < N && w[i + 1].runs.load() > 0; }, SETTLE_MS);
        for (int j = i + 1; j < N; j++) EXPECT_EQ(w[j].runs.load(), 0) << "work " << j << " beside " << i;
        for (int j = i + 1; j < N; j++) EXPECT_TRUE(work_pending(&w[j].work));
        complete(&w[i].gate);
    }
    EXPECT_TRUE(destroy_wq(wq));
    for (TWork& t : w) EXPECT_EQ(t.runs.load(), 1);
}

TEST_F(WorkqueueSmp, ASleepingWorkDoesNotBlockAnotherWorkOnTheSameCpu) {
    TWork sleeper, other;
    init_twork(&sleeper, system_wq);
    init_twork(&other, system_wq);
    sleeper.hold_run = 1;
    wq_pool_view before;
    wq_pool_view_get(2, false, &before);
    ASSERT_TRUE(queue_work_on(2, system_wq, &sleeper.work));
    ASSERT_TRUE(SimSched::wait_until([&] { return sleeper.entered.load() == 1; }));
    ASSERT_TRUE(queue_work_on(2, system_wq, &other.work));
    // Concurrency management: the sleeping kworker left nobody running, so an idle one takes over.
    ASSERT_TRUE(SimSched::wait_until([&] { return other.runs.load() == 1; }));
    EXPECT_EQ(other.last_cpu.load(), 2);
    EXPECT_STRNE(other.comm, sleeper.comm);
    EXPECT_EQ(std::string(other.comm).rfind("kworker/2:", 0), 0u) << other.comm;
    wq_pool_view during;
    wq_pool_view_get(2, false, &during);
    EXPECT_GT(during.nr_workers, before.nr_workers);  // the pool grew to keep an idle worker
    EXPECT_GE(during.nr_idle, 1);
    EXPECT_EQ(during.nr_busy, 1u);  // the sleeper
    EXPECT_EQ(during.nr_running, 0);
    complete(&sleeper.gate);
    EXPECT_TRUE(settle(&sleeper, &other));
}

TEST_F(WorkqueueSmp, HighpriWorksRunOnTheNiceMinus20Pool) {
    TWork t;
    init_twork(&t, system_highpri_wq);
    ASSERT_TRUE(queue_work_on(3, system_highpri_wq, &t.work));
    ASSERT_TRUE(SimSched::wait_until([&] { return t.runs.load() == 1; }));
    std::string comm(t.comm);
    EXPECT_EQ(comm.rfind("kworker/3:", 0), 0u) << comm;
    EXPECT_EQ(comm.back(), 'H');
    EXPECT_TRUE(settle(&t));
    wq_pool_view v;
    wq_pool_view_get(3, true, &v);
    EXPECT_EQ(v.nice, -20);
}

struct Chain {
    work_struct work;
    workqueue_struct* wq;
    std::atomic<int> runs{0};
    std::atomic<int> refused{0};
    completion gate;
};
void chain_fn(work_struct* work) {
    Chain* c = container_of(work, Chain, work);
    if (++c->runs == 1) wait_for_completion(&c->gate);
    if (c->runs < 5 && !queue_work(c->wq, work)) c->refused++;  // chained: allowed while draining
}

TEST_F(WorkqueueSmp, DestroyWorkqueueDrainsItsOwnChainAndRefusesOutsiders) {
    workqueue_struct* wq = alloc_wq("wq-destroy", 0, 0);
    ASSERT_NE(wq, nullptr);
    Chain c;
    INIT_WORK(&c.work, chain_fn);
    c.wq = wq;
    init_completion(&c.gate);
    TWork outsider, queued;
    init_twork(&outsider, wq);
    init_twork(&queued, wq);
    queued.hold_run = 1;
    ASSERT_TRUE(queue_work_on(1, wq, &c.work));
    ASSERT_TRUE(queue_work_on(2, wq, &queued.work));
    ASSERT_TRUE(SimSched::wait_until([&] { return c.runs.load() == 1 && queued.entered.load() == 1; }));
    TaskCall* d = start_on(0, [wq] { destroy_workqueue(wq); });
    ASSERT_TRUE(asleep(d));  // draining: waits for the works
    unsigned long warns = warn_count;
    queue_work_on(3, wq, &outsider.work);  // not one of its works: WARNs and is dropped
    EXPECT_EQ(warn_count, warns + 1);
    complete(&c.gate);
    complete(&queued.gate);
    ASSERT_TRUE(finish(d));
    EXPECT_EQ(c.runs.load(), 5);  // every chained requeue ran before destroy returned
    EXPECT_EQ(c.refused.load(), 0);
    EXPECT_EQ(queued.runs.load(), 1);
    EXPECT_EQ(outsider.runs.load(), 0);
}

TEST_F(WorkqueueSmp, CpuIntensiveWorksDoNotHoldBackOtherWorks) {
    workqueue_struct* wq = alloc_wq("wq-intensive", WQ_CPU_INTENSIVE, 0);
    ASSERT_NE(wq, nullptr);
    // A CPU-intensive work that spins (never sleeps) until the test lets it go: a normal work queued
    // behind it on the same CPU still starts, on another kworker, as the scheduler lets it.
    struct Spin {
        work_struct work;
        std::atomic<bool> go{false};
        std::atomic<bool> started{false};
    } spin;
    INIT_WORK(&spin.work, [](work_struct* w) {
        Spin* s = container_of(w, Spin, work);
        s->started = true;
        while (!s->go.load()) schedule();  // a yield: runnable, never asleep
    });
    TWork other;
    init_twork(&other, system_wq);
    ASSERT_TRUE(queue_work_on(1, wq, &spin.work));
    ASSERT_TRUE(SimSched::wait_until([&] { return spin.started.load(); }));
    ASSERT_TRUE(queue_work_on(1, system_wq, &other.work));
    EXPECT_TRUE(SimSched::wait_until([&] { return other.runs.load() == 1; }));
    spin.go = true;
    EXPECT_TRUE(destroy_wq(wq));
    EXPECT_TRUE(settle(&other));
}

TEST_F(WorkqueueSmp, RefusesUnboundAndClampsMaxActive) {
    unsigned long warns = warn_count;
    EXPECT_EQ(alloc_wq("wq-unbound", WQ_UNBOUND, 0), nullptr);
    EXPECT_EQ(warn_count, warns);
    host_console::reset();
    workqueue_struct* wq = alloc_wq("wq-big", 0, 100000);
    ASSERT_NE(wq, nullptr);
    EXPECT_NE(host_console::text().find("max_active 100000 requested for wq-big is out of range"), std::string::npos);
    EXPECT_TRUE(destroy_wq(wq));
}

TEST_F(WorkqueueSmp, AWorkQueuedOnACpuThatIsNotOnlineWarnsOnceAndRunsOnCpu0) {
    TWork t;
    init_twork(&t, system_wq);
    unsigned long warns = warn_count;
    ASSERT_TRUE(queue_work_on(int(CPUS) + 1, system_wq, &t.work));
    EXPECT_EQ(warn_count, warns + 1);
    ASSERT_TRUE(SimSched::wait_until([&] { return t.runs.load() == 1; }));
    EXPECT_EQ(t.last_cpu.load(), 0);
    EXPECT_TRUE(settle(&t));
}

// ---- The views: ps names and the `workqueues` shell command.
std::string g_out;
void capture(const char* s, size_t n) { g_out.append(s, n); }

}  // namespace

// Exported (not in the anonymous namespace), so the host's symbol lookup names it like kallsyms would.
void wq_view_test_busy_fn(work_struct* work) { twork_fn(work); }

namespace {
TEST_F(WorkqueueSmp, ShellViewShowsWorkqueuesPoolsAndTheBusyWorkersFunction) {
    TWork t;
    init_twork(&t, system_wq);
    t.work.func = wq_view_test_busy_fn;
    t.hold_run = 1;
    ASSERT_TRUE(queue_work_on(1, system_wq, &t.work));
    ASSERT_TRUE(SimSched::wait_until([&] { return t.entered.load() == 1; }));
    shell_output_fn prev = shell_set_output(capture);
    g_out.clear();
    ASSERT_TRUE(run_on(0, [] {
        char line[] = "workqueues";
        shell_execute(line);
    }));
    std::string view = g_out;
    g_out.clear();
    ASSERT_TRUE(run_on(0, [] {
        char line[] = "ps";
        shell_execute(line);
    }));
    std::string ps = g_out;
    shell_set_output(prev);
    complete(&t.gate);
    EXPECT_NE(view.find("events "), std::string::npos) << view;
    EXPECT_NE(view.find("events_highpri"), std::string::npos) << view;
    EXPECT_NE(view.find("wq_view_test_busy_fn"), std::string::npos) << view;
    EXPECT_NE(view.find(std::string(t.comm)), std::string::npos) << view;
    // ps: the busy kworker with the workqueue it works for, an idle highpri one.
    EXPECT_NE(ps.find(std::string(t.comm) + "+events"), std::string::npos) << ps;
    size_t idle = ps.find("kworker/3:0H");
    ASSERT_NE(idle, std::string::npos) << ps;
    size_t bol = ps.rfind('\n', idle) + 1;
    EXPECT_NE(ps.substr(bol, idle - bol).find(" I  TS"), std::string::npos) << ps;  // TASK_IDLE, ps's I
    EXPECT_TRUE(settle(&t));
}
}  // namespace
