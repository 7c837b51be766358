// Host tests of the scheduler core (kernel/sched): the real-time class before the fair class before the
// idle task, FIFO never sliced, RR rotating after its quantum, a preempted real-time task keeping its
// place, the fair slice and nice weights, wake-up preemption and its IPI to another CPU, the wake-up of
// a task that has not switched away yet, and (SchedSmp, also under ThreadSanitizer) concurrent wakers of
// one task enqueueing it once. The context switch is a recording hook, so after __schedule the calling
// thread "is" the next task; the clock is the test's.
#include "kernel/sched/sched.h"
#include "kernel/errno.h"
#include "kernel/preempt.h"

#include <gtest/gtest.h>
#include <atomic>
#include <thread>
#include <utility>
#include <vector>

#include "tests/host/support/capture_console.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/sim_cpu.h"

namespace {

std::atomic<uint64_t> clock_ns;
std::vector<std::pair<task_struct*, task_struct*>> switches;
std::atomic<unsigned> resched_ipis[NR_CPUS];

uint64_t test_clock() { return clock_ns.load(); }
task_struct* record_switch(task_struct* prev, task_struct* next) {
    switches.emplace_back(prev, next);
    return prev;
}
void record_ipi(unsigned cpu) { resched_ipis[cpu]++; }

class Sched : public IrqTest {
protected:
    task_struct idle0, idle1;
    void SetUp() override {
        IrqTest::SetUp();
        SimCpu::set_online(2);
        clock_ns = 1000 * NSEC_PER_MSEC;
        switches.clear();
        for (auto& c : resched_ipis) c = 0;
        sched_set_hooks(
            SchedHooks{.context_switch = record_switch, .resched_cpu_ipi = record_ipi, .clock = test_clock});
        sched_init_cpu(0, &idle0);
        sched_init_cpu(1, &idle1);
    }
    void TearDown() override { sched_set_hooks(SchedHooks{}); }

    // A task allowed on `cpu` only, started there.
    void start(task_struct* p, const char* name, int policy, int prio, unsigned cpu = 0) {
        ASSERT_EQ(sched_task_init(p, name, policy, prio), 0);
        ASSERT_EQ(sched_set_cpus_allowed_new(p, cpumask_of(cpu)), 0);
        ASSERT_EQ(wake_up_new_task(p), 0);
    }
    // Reschedule CPU 0 as its timer interrupt's return would (preempt) or as a sleeping task does.
    task_struct* preempt_now() {
        unsigned long flags;
        local_irq_save(flags);
        __schedule(true);
        local_irq_restore(flags);
        return sched_current();
    }
    task_struct* sleep_now(unsigned state = TASK_INTERRUPTIBLE) {
        __atomic_store_n(&sched_current()->__state, state, __ATOMIC_RELAXED);
        unsigned long flags;
        local_irq_save(flags);
        __schedule(false);
        local_irq_restore(flags);
        return sched_current();
    }
    void run_for(uint64_t ns) {
        clock_ns += ns;
        unsigned long flags;
        local_irq_save(flags);
        scheduler_tick();
        local_irq_restore(flags);
    }
};

TEST_F(Sched, RealTimeBeforeFairBeforeIdle) {
    task_struct fair, rt;
    start(&fair, "fair", SCHED_NORMAL, 0);
    EXPECT_TRUE(idle0.need_resched) << "anything runnable preempts the idle task";
    start(&rt, "rt", SCHED_FIFO, 10);
    EXPECT_EQ(cpu_rq(0)->nr_running, 2u);
    EXPECT_EQ(preempt_now(), &rt);
    EXPECT_EQ(sleep_now(), &fair);
    EXPECT_EQ(sleep_now(), &idle0);
    EXPECT_EQ(cpu_rq(0)->nr_running, 0u);
    ASSERT_EQ(switches.size(), 3u);
    EXPECT_EQ(switches[0], std::make_pair(&idle0, &rt));
    EXPECT_EQ(rt.nvcsw, 1u);
    EXPECT_EQ(idle0.nivcsw, 1u);
    EXPECT_EQ(rt.on_cpu, 0);
    EXPECT_EQ(idle0.on_cpu, 1);
}

TEST_F(Sched, AHigherRealTimePriorityPreemptsAtWakeUpALowerOneDoesNot) {
    task_struct mid, high, low;
    start(&mid, "mid", SCHED_FIFO, 10);
    ASSERT_EQ(preempt_now(), &mid);
    start(&low, "low", SCHED_FIFO, 5);
    EXPECT_FALSE(mid.need_resched);
    start(&high, "high", SCHED_RR, 50);
    EXPECT_TRUE(mid.need_resched);
    EXPECT_EQ(preempt_now(), &high);
    EXPECT_EQ(sleep_now(), &mid);
    EXPECT_EQ(sleep_now(), &low);
}

TEST_F(Sched, FifoIsNeverSlicedByTheTick) {
    task_struct a, b;
    start(&a, "a", SCHED_FIFO, 20);
    start(&b, "b", SCHED_FIFO, 20);
    ASSERT_EQ(preempt_now(), &a);
    for (int i = 0; i < 1000; i++) run_for(NSEC_PER_MSEC);
    EXPECT_FALSE(a.need_resched);
    EXPECT_EQ(a.sum_exec_runtime, 1000 * NSEC_PER_MSEC);
}

TEST_F(Sched, RoundRobinRotatesAfterItsQuantum) {
    task_struct a, b;
    start(&a, "a", SCHED_RR, 20);
    start(&b, "b", SCHED_RR, 20);
    ASSERT_EQ(preempt_now(), &a);
    run_for(RR_TIMESLICE_NS - NSEC_PER_MSEC);
    EXPECT_FALSE(a.need_resched);
    run_for(NSEC_PER_MSEC);
    EXPECT_TRUE(a.need_resched);
    EXPECT_EQ(preempt_now(), &b);
    run_for(RR_TIMESLICE_NS);
    EXPECT_EQ(preempt_now(), &a) << "b went to the back of priority 20 after its quantum";
}

TEST_F(Sched, ARoundRobinTaskAloneAtItsPriorityKeepsRunning) {
    task_struct a;
    start(&a, "a", SCHED_RR, 20);
    ASSERT_EQ(preempt_now(), &a);
    run_for(RR_TIMESLICE_NS);
    EXPECT_FALSE(a.need_resched);
    EXPECT_EQ(a.rr_left, RR_TIMESLICE_NS) << "a fresh quantum";
}

TEST_F(Sched, APreemptedRealTimeTaskKeepsItsPlaceAtTheHead) {
    task_struct a, c, high;
    start(&a, "a", SCHED_FIFO, 10);
    start(&c, "c", SCHED_FIFO, 10);
    ASSERT_EQ(preempt_now(), &a);
    start(&high, "high", SCHED_FIFO, 90);
    ASSERT_EQ(preempt_now(), &high);
    EXPECT_EQ(sleep_now(), &a) << "a was preempted, not done: it runs before c";
}

TEST_F(Sched, TheFairSliceEndsOnlyWithAnotherFairTaskWaiting) {
    task_struct a, b;
    start(&a, "a", SCHED_NORMAL, 0);
    ASSERT_EQ(preempt_now(), &a);
    run_for(10 * SCHED_BASE_SLICE_NS);
    EXPECT_FALSE(a.need_resched) << "alone: the tick never ends its turn";
    start(&b, "b", SCHED_NORMAL, 0);
    EXPECT_FALSE(a.need_resched) << "b starts level with the queue, no wake-up preemption";
    run_for(SCHED_BASE_SLICE_NS / 2);
    EXPECT_TRUE(a.need_resched) << "a used its slice long ago: the first tick with b waiting ends its turn";
    EXPECT_EQ(preempt_now(), &b);
    run_for(SCHED_BASE_SLICE_NS / 2);
    EXPECT_FALSE(b.need_resched) << "b's slice counts from when it was picked";
    run_for(SCHED_BASE_SLICE_NS / 2);
    EXPECT_TRUE(b.need_resched);
    EXPECT_EQ(preempt_now(), &a) << "a is behind b in virtual runtime now";
    EXPECT_EQ(a.nivcsw, 1u);
    EXPECT_EQ(b.nivcsw, 1u);
}

TEST_F(Sched, NiceWeighsVirtualRuntime) {
    task_struct nice0, nice5;
    start(&nice0, "n0", SCHED_NORMAL, 0);
    start(&nice5, "n5", SCHED_NORMAL, 5);
    EXPECT_EQ(nice5.weight, 335u);  // Linux's sched_prio_to_weight[25]
    ASSERT_EQ(preempt_now(), &nice0);
    uint64_t v0 = nice0.vruntime;
    run_for(10 * NSEC_PER_MSEC);
    EXPECT_EQ(nice0.vruntime - v0, 10 * NSEC_PER_MSEC);
    ASSERT_EQ(preempt_now(), &nice5);
    uint64_t v5 = nice5.vruntime;
    run_for(10 * NSEC_PER_MSEC);
    EXPECT_EQ(nice5.vruntime - v5, 10 * NSEC_PER_MSEC * NICE_0_LOAD / 335);
}

TEST_F(Sched, AFairWakerWithLessVirtualRuntimePreemptsPastTheGranularity) {
    task_struct a, b;
    start(&a, "a", SCHED_NORMAL, 0);
    start(&b, "b", SCHED_NORMAL, 0);
    ASSERT_EQ(preempt_now(), &a);
    ASSERT_EQ(sleep_now(), &b);  // a sleeps with little runtime
    run_for(SCHED_WAKEUP_GRAN_NS / 2);
    EXPECT_TRUE(wake_up_process(&a));
    EXPECT_FALSE(b.need_resched) << "within the granularity";
    ASSERT_EQ(sleep_now(), &a);
    ASSERT_EQ(sleep_now(), &idle0);
    EXPECT_TRUE(wake_up_process(&b));
    ASSERT_EQ(preempt_now(), &b);
    run_for(3 * SCHED_WAKEUP_GRAN_NS);
    EXPECT_TRUE(wake_up_process(&a));
    EXPECT_TRUE(b.need_resched) << "a is behind b by more than the granularity";
}

TEST_F(Sched, ALongSleeperGetsOnlyASmallCredit) {
    task_struct a, b;
    start(&a, "a", SCHED_NORMAL, 0);
    start(&b, "b", SCHED_NORMAL, 0);
    ASSERT_EQ(preempt_now(), &a);
    ASSERT_EQ(sleep_now(), &b);
    for (int i = 0; i < 100; i++) run_for(10 * NSEC_PER_MSEC);  // b runs a second alone
    EXPECT_TRUE(wake_up_process(&a));
    EXPECT_GE(a.vruntime + SCHED_SLEEPER_CREDIT_NS, cpu_rq(0)->min_vruntime);
}

TEST_F(Sched, AWakeUpOnAnotherCpuSetsItsFlagAndSendsTheIpi) {
    task_struct p, q;
    start(&p, "p", SCHED_NORMAL, 0, 1);  // from CPU 0, onto CPU 1
    EXPECT_TRUE(idle1.need_resched);
    EXPECT_EQ(resched_ipis[1].load(), 1u);
    EXPECT_EQ(resched_ipis[0].load(), 0u);
    EXPECT_EQ(p.cpu, 1u);
    EXPECT_EQ(cpu_rq(1)->nr_running, 1u);
    start(&q, "q", SCHED_NORMAL, 0, 1);  // the flag is already set
    EXPECT_EQ(resched_ipis[1].load(), 1u) << "one IPI while the flag is pending";
}

TEST_F(Sched, WakingATaskThatHasNotSwitchedAwayLeavesItRunning) {
    task_struct a;
    start(&a, "a", SCHED_NORMAL, 0);
    ASSERT_EQ(preempt_now(), &a);
    WRITE_ONCE(a.__state, TASK_INTERRUPTIBLE);  // about to sleep...
    EXPECT_TRUE(wake_up_process(&a));           // ...woken first
    EXPECT_EQ(a.__state, TASK_RUNNING);
    EXPECT_EQ(cpu_rq(0)->nr_running, 1u);
    unsigned long flags;
    local_irq_save(flags);
    __schedule(false);  // finds TASK_RUNNING: stays
    local_irq_restore(flags);
    EXPECT_EQ(sched_current(), &a);
    EXPECT_EQ(cpu_rq(0)->nr_running, 1u);
}

TEST_F(Sched, AWakeUpForAnotherStateIsRefused) {
    task_struct a;
    start(&a, "a", SCHED_NORMAL, 0);
    ASSERT_EQ(preempt_now(), &a);
    ASSERT_EQ(sleep_now(TASK_UNINTERRUPTIBLE), &idle0);
    EXPECT_FALSE(try_to_wake_up(&a, TASK_INTERRUPTIBLE));
    EXPECT_EQ(cpu_rq(0)->nr_running, 0u);
    EXPECT_TRUE(try_to_wake_up(&a, TASK_UNINTERRUPTIBLE));
    EXPECT_FALSE(wake_up_process(&a)) << "already running";
    EXPECT_EQ(cpu_rq(0)->nr_running, 1u);
}

TEST_F(Sched, BadArgumentsAreEinval) {
    task_struct p;
    EXPECT_EQ(sched_task_init(&p, "p", SCHED_FIFO, 0), -EINVAL);
    EXPECT_EQ(sched_task_init(&p, "p", SCHED_FIFO, 100), -EINVAL);
    EXPECT_EQ(sched_task_init(&p, "p", SCHED_NORMAL, 20), -EINVAL);
    EXPECT_EQ(sched_task_init(&p, "p", 7, 0), -EINVAL);
    ASSERT_EQ(sched_task_init(&p, "a-rather-long-task-name", SCHED_NORMAL, 0), 0);
    EXPECT_STREQ(p.comm, "a-rather-long-t");
    cpumask_t none;
    cpumask_clear(&none);
    cpumask_set_cpu(5, &none);  // offline
    EXPECT_EQ(sched_set_cpus_allowed_new(&p, &none), -EINVAL);
    ASSERT_EQ(wake_up_new_task(&p), 0);
    EXPECT_EQ(wake_up_new_task(&p), -EINVAL) << "not new any more";
    EXPECT_EQ(sched_set_cpus_allowed_new(&p, cpumask_of(1)), -EINVAL) << "it already ran";
}

// Two CPUs wake the same sleeping task at once, many times: it is queued exactly once each round.
TEST_F(Sched, SchedSmpConcurrentWakersEnqueueOnce) {
    task_struct a;
    start(&a, "a", SCHED_NORMAL, 0);
    ASSERT_EQ(preempt_now(), &a);
    for (int round = 0; round < 200; round++) {
        ASSERT_EQ(sleep_now(), &idle0);
        std::atomic<int> go{0}, woke{0};
        auto waker = [&](unsigned cpu) {
            SimCpu::Scope scope(cpu);
            go++;
            while (go.load() < 2) {}
            if (wake_up_process(&a)) woke++;
        };
        std::thread t0(waker, 0), t1(waker, 1);
        t0.join();
        t1.join();
        ASSERT_EQ(woke.load(), 1) << "round " << round;
        ASSERT_EQ(cpu_rq(0)->nr_running, 1u);
        ASSERT_EQ(preempt_now(), &a);
    }
}

}  // namespace
