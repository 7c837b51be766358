// Host tests of schedule_timeout and msleep (kernel/time/timer.cpp) with the scheduler core
// (kernel/sched) really switching between two host threads on simulated CPU 0: the test's own thread is
// the task that sleeps, and a helper thread is CPU 0's idle task. The context switch hook hands the CPU
// from one thread to the other, so when the task sleeps its thread blocks inside schedule() and the idle
// thread runs: it ticks (jiffies, update_process_times, the TIMER softirq) until the timer's function
// wakes the task and the idle task is preempted. Checked: the timer armed for the right time, the wake-up
// by the timer, the jiffies left after an early wake-up, MAX_SCHEDULE_TIMEOUT without a timer, a
// TASK_RUNNING caller, a negative timeout, and msleep sleeping the whole time (never shorter than asked).
#include "kernel/time/timer.h"
#include "kernel/irq/interrupt.h"
#include "kernel/preempt.h"
#include "kernel/sched/sched.h"
#include "kernel/softirq.h"
#include "kernel/spinlock.h"

#include <gtest/gtest.h>
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "tests/host/support/capture_console.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/sim_cpu.h"

namespace {

unsigned long now() { return __atomic_load_n(&jiffies, __ATOMIC_RELAXED); }

// ---- Two tasks, two threads, one CPU.

struct IdleStop {};  // thrown in the idle thread to end it at the end of a test

std::mutex mu;
std::condition_variable cv;
task_struct* running_task;   // whose thread may run (guarded by mu)
task_struct* switched_from;  // the task the last switch left: the resumed side's `last`
bool stopping;
bool first_switch;
task_struct idle_task, sleeper;
std::thread idle_thread;
std::function<void()> idle_step;  // one pass of the idle loop; the test chooses it
std::atomic<unsigned> idle_steps;

void idle_thread_fn();

// The context switch (rq lock held, interrupts off): wake next's thread, block this one until a later
// switch comes back to `prev`. The first switch, made by the test's thread as the idle task, instead
// starts the idle thread and lets the test's thread go on as the sleeper.
task_struct* thread_switch(task_struct* prev, task_struct* next) {
    std::unique_lock<std::mutex> l(mu);
    running_task = next;
    switched_from = prev;
    if (first_switch) {
        first_switch = false;
        idle_thread = std::thread(idle_thread_fn);
        return prev;
    }
    cv.notify_all();
    cv.wait(l, [prev] { return running_task == prev || (stopping && prev == &idle_task); });
    if (running_task != prev) throw IdleStop{};
    return switched_from;
}

// What a preemption point does on the idle task (schedule() with preempt set).
void preempt_switch() {
    preempt_disable();
    unsigned long flags = arch::irq_save();
    __schedule(true);
    arch::irq_restore(flags);
    preempt_enable_no_resched();
}

void idle_thread_fn() {
    SimCpu::set_current(0);
    try {
        task_struct* last;
        {
            std::unique_lock<std::mutex> l(mu);
            cv.wait(l, [] { return running_task == &idle_task || stopping; });
            if (running_task != &idle_task) throw IdleStop{};
            last = switched_from;
        }
        // The end of the preempt_switch the test's thread made as the idle task in SetUp.
        schedule_tail(last);
        arch::irq_enable();
        preempt_enable_no_resched();
        for (;;) {
            idle_steps++;
            idle_step();
            if (need_resched()) preempt_switch();
        }
    } catch (const IdleStop&) {}
}

// The idle loop's usual pass: one tick of CPU 0 as its timer interrupt runs it, then the TIMER softirq.
void tick() {
    unsigned long flags = arch::irq_save();
    irq_enter();
    do_timer(1);
    update_process_times(0);
    irq_exit();
    arch::irq_restore(flags);
    if (local_softirq_pending() & (1u << TIMER_SOFTIRQ)) {
        this_cpu_and(__softirq_pending, ~(1u << TIMER_SOFTIRQ));
        run_timer_softirq();
    }
}

uint64_t clock_from_jiffies() { return uint64_t(now()) * 1000000; }

unsigned pending_on(unsigned cpu) {
    timer_base_info info;
    timer_base_snapshot(cpu, &info, nullptr, 0);
    return info.nr_pending;
}

class ScheduleTimeout : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        idle_step = tick;
        idle_steps = 0;
        stopping = false;
        first_switch = true;
        running_task = &idle_task;
        sched_set_hooks(SchedHooks{.context_switch = thread_switch, .clock = clock_from_jiffies});
        unsigned long flags = arch::irq_save();
        sched_init_cpu(0, &idle_task);
        arch::irq_restore(flags);
        ASSERT_EQ(sched_task_init(&sleeper, "sleeper", SCHED_NORMAL, 0), 0);
        ASSERT_EQ(wake_up_new_task(&sleeper), 0);
        preempt_switch();  // from here on this thread is the sleeper
        ASSERT_EQ(sched_current(), &sleeper);
    }
    void TearDown() override {
        {
            std::lock_guard<std::mutex> l(mu);
            stopping = true;
        }
        cv.notify_all();
        if (idle_thread.joinable()) idle_thread.join();
        sched_set_hooks(SchedHooks{});
    }
};

TEST_F(ScheduleTimeout, SleepsUntilItsTimerWakesIt) {
    std::atomic<long> seen_expires{-1};
    std::atomic<unsigned> seen_pending{0};
    idle_step = [&] {
        if (idle_steps == 1) {  // the sleeper just went to sleep: its timer is on the wheel
            timer_base_info info;
            timer_snapshot s[2];
            seen_pending = timer_base_snapshot(0, &info, s, 2);
            if (seen_pending == 1) seen_expires = long(s[0].expires);
        }
        tick();
    };
    long left = schedule_timeout_uninterruptible(10);
    EXPECT_EQ(left, 0);
    EXPECT_EQ(seen_pending.load(), 1u);
    EXPECT_EQ(seen_expires.load(), 10);
    EXPECT_EQ(now(), 11u) << "woken at the timer's bucket: one jiffy after it expired, never before";
    EXPECT_EQ(sleeper.nvcsw, 1u) << "it slept once";
    EXPECT_EQ(READ_ONCE(sleeper.__state), TASK_RUNNING);
    EXPECT_EQ(pending_on(0), 0u);
}

TEST_F(ScheduleTimeout, AnEarlyWakeUpReturnsTheJiffiesLeftAndCancelsTheTimer) {
    idle_step = [] {
        tick();
        if (now() == 3) wake_up_process(&sleeper);
    };
    long left = schedule_timeout_interruptible(10);
    EXPECT_EQ(now(), 3u);
    EXPECT_EQ(left, 7);
    EXPECT_EQ(pending_on(0), 0u) << "del_timer_sync took the on-stack timer off the wheel";
}

TEST_F(ScheduleTimeout, MaxScheduleTimeoutSleepsWithoutATimer) {
    std::atomic<unsigned> most_pending{0};
    idle_step = [&] {
        most_pending = std::max(most_pending.load(), pending_on(0));
        tick();
        if (now() == 5) wake_up_process(&sleeper);
    };
    EXPECT_EQ(schedule_timeout_uninterruptible(MAX_SCHEDULE_TIMEOUT), MAX_SCHEDULE_TIMEOUT);
    EXPECT_EQ(most_pending.load(), 0u);
    EXPECT_EQ(now(), 5u);
}

TEST_F(ScheduleTimeout, ATaskStillRunningDoesNotSleepAndGetsItsTimeBack) {
    EXPECT_EQ(schedule_timeout(5), 5);  // state TASK_RUNNING: schedule() keeps it
    EXPECT_EQ(idle_steps.load(), 0u);
    EXPECT_EQ(sleeper.nvcsw, 0u);
    EXPECT_EQ(pending_on(0), 0u);
}

TEST_F(ScheduleTimeout, ANegativeTimeoutIsReportedAndReturnsZeroRunning) {
    WRITE_ONCE(sleeper.__state, TASK_INTERRUPTIBLE);
    EXPECT_EQ(schedule_timeout(-5), 0);
    EXPECT_EQ(READ_ONCE(sleeper.__state), TASK_RUNNING);
    EXPECT_EQ(host_console::count("schedule_timeout: wrong timeout value fffffffffffffffb"), 1u);
    EXPECT_EQ(idle_steps.load(), 0u);
}

TEST_F(ScheduleTimeout, MsleepSleepsTheWholeTimeEvenWhenWokenEarly) {
    idle_step = [] {
        tick();
        if (now() == 3) wake_up_process(&sleeper);  // msleep is uninterruptible, but a wake-up is a wake-up
    };
    msleep(10);
    EXPECT_EQ(sleeper.nvcsw, 2u) << "slept again for the 7 jiffies left";
    EXPECT_GE(now(), 10u);
    EXPECT_LE(now(), 11u);
}

// The sleep may start at the very end of a jiffy, so only (elapsed - 1) whole ticks are sure to have
// passed: they must cover the milliseconds asked for, at a HZ where a jiffy is 4 ms.
TEST_F(ScheduleTimeout, MsleepIsNeverShorterThanAskedAtHz250) {
    kernel_hz = 250;
    for (unsigned ms : {1u, 4u, 5u, 10u, 33u}) {
        unsigned long start = now();
        msleep(ms);
        unsigned long elapsed = now() - start;
        EXPECT_GE((elapsed - 1) * 4, ms) << ms << " ms took " << elapsed << " jiffies";
        EXPECT_LE(elapsed, msecs_to_jiffies(ms) + 1) << ms << " ms";
    }
}

TEST_F(ScheduleTimeout, MsleepInterruptibleWithoutSignalsSleepsTheWholeTime) {
    idle_step = [] {
        tick();
        if (now() == 2) wake_up_process(&sleeper);
    };
    EXPECT_EQ(msleep_interruptible(20), 0u);
    EXPECT_GE(now(), 20u);
}

}  // namespace
