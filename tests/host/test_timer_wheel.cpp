// Host tests of the jiffies timers (kernel/time/timer.cpp): expiry never early and at most one bucket
// of its level late, on every level and at both wheel depths (HZ 1000: 9 levels, HZ 100: 8), also across
// the jiffies wrap; the cap for timeouts beyond the wheel; Linux's return values of mod_timer, del_timer,
// timer_reduce, mod_timer_pending and add_timer's refusal of a pending timer; a timer re-armed from its
// own function; cancel; order; many timers in one bucket; add_timer_on and mod_timer moving a timer
// between CPUs; the callback's context (interrupts on, off for TIMER_IRQSAFE; running_timer; a preempt
// leak repaired); shutdown; the tick hook-up (raise only when due, the APIC and PIT handlers, the
// scheduler tick only with a run queue); the `timers` command; and, with simulated CPUs as threads (Smp),
// del_timer_sync waiting for a function running on another CPU, mod_timer leaving a running timer on its
// CPU, and mod_timer racing from several CPUs keeping one queued instance. Tests drive jiffies
// themselves and run the TIMER softirq where irq_exit would.
#include "kernel/time/timer.h"
#include "drivers/apic/apic_timer.h"
#include "drivers/pit/pit.h"
#include "kernel/irq/interrupt.h"
#include "kernel/jiffies.h"
#include "kernel/preempt.h"
#include "kernel/printk.h"
#include "kernel/sched/sched.h"
#include "kernel/shell/shell.h"
#include "kernel/softirq.h"
#include "kernel/spinlock.h"

#include <gtest/gtest.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/host/support/capture_console.h"
#include "tests/host/support/fake_chip.h"
#include "tests/host/support/fake_portio.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/sim_cpu.h"

// External linkage, so the host's symbol lookup (the dynamic symbol table) can name it for `timers`.
void timers_cmd_test_fn(timer_list*) {}

namespace {

unsigned long now() { return __atomic_load_n(&jiffies, __ATOMIC_RELAXED); }

// What one timer function call saw.
struct Fired {
    timer_list* timer;
    unsigned long at;  // jiffies
    unsigned cpu;
    bool irqs_off;
};
std::vector<Fired> fired;  // single-CPU tests only (the Smp tests count with atomics)

void record(timer_list* t) { fired.push_back({t, now(), smp_processor_id(), irqs_disabled()}); }

unsigned times_fired(const timer_list* t) {
    return unsigned(std::count_if(fired.begin(), fired.end(), [t](const Fired& f) { return f.timer == t; }));
}

bool timer_softirq_pending() { return local_softirq_pending() & (1u << TIMER_SOFTIRQ); }

// Run this CPU's TIMER softirq if it is pending, as the way out of the interrupt would.
void run_raised_softirq() {
    if (!timer_softirq_pending()) return;
    this_cpu_and(__softirq_pending, ~(1u << TIMER_SOFTIRQ));
    run_timer_softirq();
}

// The tick on the calling thread's CPU, as tick_periodic runs it (hard-IRQ context, interrupts off):
// `advance` jiffies first when this is the CPU that keeps them, then update_process_times; then the
// softirq it may have raised.
void tick(unsigned long advance = 1) {
    unsigned long flags = arch::irq_save();
    irq_enter();
    if (advance) do_timer(advance);
    update_process_times(0);
    irq_exit();
    arch::irq_restore(flags);
    run_raised_softirq();
}

// Jump jiffies to `j` in one tick (nothing in between runs: a timer due before `j` fires at `j`).
void jump_to(unsigned long j) { tick(j - now()); }

// The one pending timer of `cpu`'s wheel (or none).
bool snapshot_one(unsigned cpu, timer_snapshot* out, timer_base_info* info = nullptr) {
    timer_base_info i;
    timer_snapshot s[2];
    unsigned n = timer_base_snapshot(cpu, &i, s, 2);
    if (info) *info = i;
    if (n != 1) return false;
    *out = s[0];
    return true;
}
unsigned pending_on(unsigned cpu) {
    timer_base_info info;
    timer_base_snapshot(cpu, &info, nullptr, 0);
    return info.nr_pending;
}

class TimerWheel : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        fired.clear();
    }
    // A wheel started at jiffies `j`, as boot starts it at the boot jiffies.
    void start_at(unsigned long j) {
        host_env::set_jiffies(j);
        init_timers();
    }
};

// Linux's level boundaries (LVL_START(n) = 63 << 3(n-1)): distances well inside each level and on both
// sides of each edge, and the level each must land on.
struct LevelCase {
    unsigned long delta;
    unsigned level;
};
const LevelCase level_cases[] = {
    {0, 0},        {1, 0},         {30, 0},        {62, 0},        {63, 1},         {100, 1},
    {503, 1},      {504, 2},       {1000, 2},      {4031, 2},      {4032, 3},       {10000, 3},
    {32256, 4},    {100000, 4},    {258048, 5},    {1000000, 5},   {2064384, 6},    {10000000, 6},
    {16515072, 7}, {100000000, 7}, {132120576, 8}, {500000000, 8}, {1040187392, 8},
};

// Arm at `start` for start + delta, find when it fires by jumping to one jiffy before the wheel's first
// bucket and stepping once, and check: on the expected level, never before expires, at most one
// granularity of that level after it.
void check_fires_on_time(unsigned long start, const LevelCase& c) {
    SCOPED_TRACE("delta " + std::to_string(c.delta) + " from jiffies " + std::to_string(start));
    fired.clear();
    host_env::set_jiffies(start);
    init_timers();
    timer_list t;
    timer_setup(&t, record, 0);
    EXPECT_EQ(mod_timer(&t, start + c.delta), 0);
    timer_snapshot s;
    timer_base_info info;
    ASSERT_TRUE(snapshot_one(0, &s, &info));
    EXPECT_EQ(s.level, c.level);
    EXPECT_EQ(s.expires, start + c.delta);
    unsigned long gran = timer_wheel_granularity(c.level);
    EXPECT_EQ(gran, 1UL << (3 * c.level));
    // The step before the first due bucket: nothing may fire there (that would be early or a wrong bucket).
    unsigned long due = info.next_expiry;
    if (due - start > 1) {
        jump_to(due - 1);
        ASSERT_EQ(times_fired(&t), 0u) << "fired at " << fired[0].at;
    }
    tick();
    ASSERT_EQ(times_fired(&t), 1u) << "not fired at the bucket's time " << due;
    unsigned long at = fired[0].at;
    EXPECT_TRUE(time_after_eq(at, start + c.delta)) << "early by " << long(start + c.delta - at);
    EXPECT_TRUE(time_before_eq(at, start + c.delta + gran)) << "late by " << long(at - start - c.delta);
    EXPECT_FALSE(timer_pending(&t));
}

TEST_F(TimerWheel, NeverEarlyAndAtMostOneGranularityLateOnEveryLevelAtHz1000) {
    ASSERT_EQ(timer_wheel_levels(), 9u);
    for (const LevelCase& c : level_cases) check_fires_on_time(0, c);
    for (const LevelCase& c : level_cases) check_fires_on_time(123457, c);  // a clock off every boundary
}

TEST_F(TimerWheel, NeverEarlyAcrossTheJiffiesWrap) {
    for (const LevelCase& c : level_cases)
        if (c.delta > 10) check_fires_on_time(~0UL - c.delta / 2, c);
}

TEST_F(TimerWheel, EightLevelsAtHz100AndTheLastOneEndsEarlier) {
    kernel_hz = 100;
    init_timers();
    ASSERT_EQ(timer_wheel_levels(), 8u);
    for (const LevelCase& c : level_cases)
        if (c.level <= 7 && c.delta < 132120576) check_fires_on_time(777, c);
    // Beyond level 7's range: the last level, capped (see the cap test).
    check_fires_on_time(777, {132120576 - 1, 7});
}

// Step one jiffy at a time: every timer fires once, never early, and no later than its level's
// granularity, which Linux bounds by about 1/8 of the distance (a level starts at 63 of its buckets).
TEST_F(TimerWheel, RandomTimersSteppedEveryJiffyFireWithinAnEighthOfTheirDistance) {
    start_at(5000);
    std::mt19937 rng(12345);
    std::vector<timer_list> timers(400);
    std::vector<unsigned long> armed_at(timers.size());
    for (size_t i = 0; i < timers.size(); i++) {
        timer_setup(&timers[i], record, 0);
        unsigned long d = rng() % 6000;
        armed_at[i] = now();
        mod_timer(&timers[i], now() + d);
        if (i % 4 == 3) tick();  // arm while the wheel runs, from various clocks
    }
    for (int i = 0; i < 7000; i++) tick();
    ASSERT_EQ(fired.size(), timers.size());
    for (const Fired& f : fired) {
        size_t i = size_t(f.timer - timers.data());
        unsigned long d = f.timer->expires - armed_at[i];
        unsigned long slack = std::max(1UL, d * 8 / 63);
        EXPECT_TRUE(time_after_eq(f.at, f.timer->expires)) << "timer " << i << " early";
        EXPECT_LE(f.at - f.timer->expires, slack) << "timer " << i << " distance " << d;
    }
}

TEST_F(TimerWheel, ATimeoutBeyondTheWheelIsCappedAtItsCapacity) {
    // Linux 6.12: WHEEL_TIMEOUT_MAX = LVL_START(LVL_DEPTH) - LVL_GRAN(LVL_DEPTH - 1).
    EXPECT_EQ(timer_wheel_timeout_max(), (63UL << 24) - (1UL << 24));  // 9 levels: 1040187392 jiffies
    start_at(1000);
    timer_list t;
    timer_setup(&t, record, 0);
    mod_timer(&t, now() + 0x7000000000000000UL);
    timer_snapshot s;
    timer_base_info info;
    ASSERT_TRUE(snapshot_one(0, &s, &info));
    EXPECT_EQ(s.level, 8u);
    unsigned long cap = 1000 + timer_wheel_timeout_max();
    EXPECT_GT(info.next_expiry, cap);
    EXPECT_LE(info.next_expiry, cap + timer_wheel_granularity(8));
    jump_to(info.next_expiry - 1);
    EXPECT_EQ(times_fired(&t), 0u);
    tick();
    EXPECT_EQ(times_fired(&t), 1u) << "fires at the cap, long before its expires";

    kernel_hz = 100;
    EXPECT_EQ(timer_wheel_timeout_max(), (63UL << 21) - (1UL << 21));  // 8 levels: 130023424 jiffies
    start_at(1000);
    fired.clear();
    mod_timer(&t, now() + 0x7000000000000000UL);
    ASSERT_TRUE(snapshot_one(0, &s, &info));
    EXPECT_EQ(s.level, 7u);
    EXPECT_LE(info.next_expiry, 1000 + timer_wheel_timeout_max() + timer_wheel_granularity(7));
}

TEST_F(TimerWheel, ModTimerAndDelTimerReturnWhetherItWasPending) {
    start_at(0);
    timer_list t;
    timer_setup(&t, record, 0);
    EXPECT_FALSE(timer_pending(&t));
    EXPECT_EQ(mod_timer(&t, 100), 0);
    EXPECT_TRUE(timer_pending(&t));
    EXPECT_EQ(mod_timer(&t, 100), 1) << "same time";
    EXPECT_EQ(mod_timer(&t, 101), 1) << "same bucket, new expires";
    EXPECT_EQ(t.expires, 101u);
    EXPECT_EQ(mod_timer(&t, 5000), 1) << "another level";
    EXPECT_EQ(t.expires, 5000u);
    EXPECT_EQ(pending_on(0), 1u) << "moved, not duplicated";
    EXPECT_EQ(del_timer(&t), 1);
    EXPECT_EQ(del_timer(&t), 0);
    EXPECT_FALSE(timer_pending(&t));
    EXPECT_EQ(pending_on(0), 0u);
    EXPECT_EQ(mod_timer_pending(&t, 50), 0);
    EXPECT_FALSE(timer_pending(&t)) << "mod_timer_pending does not arm an idle timer";
    EXPECT_EQ(mod_timer(&t, 50), 0);
    EXPECT_EQ(mod_timer_pending(&t, 60), 1);
    EXPECT_EQ(t.expires, 60u);
    EXPECT_EQ(del_timer_sync(&t), 1);
    EXPECT_EQ(del_timer_sync(&t), 0);
    EXPECT_EQ(warn_count, 0u);
}

TEST_F(TimerWheel, TimerReduceOnlyBringsAPendingTimerEarlier) {
    start_at(0);
    timer_list t;
    timer_setup(&t, record, 0);
    EXPECT_EQ(timer_reduce(&t, 300), 0) << "an idle timer is armed";
    EXPECT_EQ(t.expires, 300u);
    EXPECT_EQ(timer_reduce(&t, 900), 1);
    EXPECT_EQ(t.expires, 300u) << "later: unchanged";
    EXPECT_EQ(timer_reduce(&t, 40), 1);
    EXPECT_EQ(t.expires, 40u);
    for (int i = 0; i < 41; i++) tick();
    EXPECT_EQ(times_fired(&t), 1u);
    EXPECT_TRUE(time_after_eq(fired[0].at, 40UL));
}

TEST_F(TimerWheel, AddTimerOfAPendingTimerWarnsAndLeavesIt) {
    start_at(0);
    timer_list t;
    timer_setup(&t, record, 0);
    t.expires = 10;
    add_timer(&t);
    EXPECT_TRUE(timer_pending(&t));
    t.expires = 500;  // a caller scribbling over a pending timer, then add_timer again
    add_timer(&t);
    EXPECT_EQ(warn_count, 1u);
    EXPECT_EQ(pending_on(0), 1u);
    timer_snapshot s;
    ASSERT_TRUE(snapshot_one(0, &s));
    EXPECT_EQ(s.level, 0u) << "still in its first bucket";
    del_timer(&t);
}

TEST_F(TimerWheel, AddTimerInThePastFiresAtTheNextTick) {
    start_at(1000);
    timer_list t;
    timer_setup(&t, record, 0);
    t.expires = 900;
    add_timer(&t);
    EXPECT_EQ(times_fired(&t), 0u);
    tick();
    ASSERT_EQ(times_fired(&t), 1u);
    EXPECT_EQ(fired[0].at, 1001u);
}

TEST_F(TimerWheel, TimerSetupRefusesUnknownFlagsAndRecordsThisCpu) {
    SimCpu::set_online(2);
    SimCpu::Scope cpu1(1);
    timer_list t;
    timer_setup(&t, record, TIMER_PINNED | 0x1);  // 0x1 is a CPU number's bit, not a flag
    EXPECT_EQ(warn_count, 1u);
    EXPECT_EQ(t.flags, TIMER_PINNED | 1u) << "the flag kept, the stray bit dropped, CPU 1 recorded";
    timer_setup(&t, record, TIMER_IRQSAFE | TIMER_DEFERRABLE);
    EXPECT_EQ(t.flags, TIMER_IRQSAFE | TIMER_DEFERRABLE | 1u);
}

// ---- Functions that re-arm, cancel, and look at their context.

struct Rearm {
    timer_list timer;
    int runs = 0;
    int limit = 0;
    unsigned long interval = 0;
};
void rearm_fn(timer_list* t) {
    Rearm* r = from_timer(r, t, timer);
    record(t);
    if (++r->runs < r->limit) mod_timer(t, now() + r->interval);
}

TEST_F(TimerWheel, ATimerReArmedFromItsOwnFunctionRunsAgain) {
    start_at(0);
    Rearm r;
    r.limit = 5;
    r.interval = 10;
    timer_setup(&r.timer, rearm_fn, 0);
    mod_timer(&r.timer, 10);
    for (int i = 0; i < 100; i++) tick();
    ASSERT_EQ(r.runs, 5);
    for (size_t i = 1; i < fired.size(); i++) EXPECT_GE(fired[i].at - fired[i - 1].at, 10u);
    EXPECT_FALSE(timer_pending(&r.timer));
}

TEST_F(TimerWheel, ATimerReArmedForNowRunsAtTheNextTickNotInALoop) {
    start_at(0);
    Rearm r;
    r.limit = 1000;
    r.interval = 0;  // expires = jiffies from inside its own function
    timer_setup(&r.timer, rearm_fn, 0);
    mod_timer(&r.timer, 0);
    tick();
    EXPECT_EQ(r.runs, 1) << "the wheel's clock is one ahead while functions run";
    tick();
    EXPECT_EQ(r.runs, 2);
    del_timer_sync(&r.timer);
}

TEST_F(TimerWheel, ACancelledTimerNeverRuns) {
    start_at(0);
    timer_list a, b;
    timer_setup(&a, record, 0);
    timer_setup(&b, record, 0);
    mod_timer(&a, 20);
    mod_timer(&b, 20);  // same bucket: deleting a must not lose b
    for (int i = 0; i < 10; i++) tick();
    EXPECT_EQ(del_timer(&a), 1);
    for (int i = 0; i < 30; i++) tick();
    EXPECT_EQ(times_fired(&a), 0u);
    EXPECT_EQ(times_fired(&b), 1u);
    // The only timer of a bucket deleted: the wheel finds nothing there and goes on.
    mod_timer(&a, now() + 5);
    del_timer(&a);
    for (int i = 0; i < 10; i++) tick();
    EXPECT_EQ(times_fired(&a), 0u);
    EXPECT_EQ(warn_count, 0u);
}

TEST_F(TimerWheel, TimersRunInTheOrderOfTheirBuckets) {
    start_at(0);
    timer_list t[5];
    const unsigned long expires[5] = {70, 61, 5, 60, 3};  // 70 is on level 1 (bucket at 72)
    for (int i = 0; i < 5; i++) {
        timer_setup(&t[i], record, 0);
        mod_timer(&t[i], expires[i]);
    }
    for (int i = 0; i < 100; i++) tick();
    ASSERT_EQ(fired.size(), 5u);
    const unsigned long order[5] = {3, 5, 60, 61, 70};
    for (int i = 0; i < 5; i++) EXPECT_EQ(fired[i].timer->expires, order[i]) << i;
}

TEST_F(TimerWheel, ManyTimersInOneBucketAllRunInOnePass) {
    start_at(0);
    std::vector<timer_list> t(1000);
    for (auto& x : t) {
        timer_setup(&x, record, 0);
        mod_timer(&x, 40);
    }
    for (size_t i = 0; i < t.size(); i += 2) EXPECT_EQ(del_timer(&t[i]), 1);
    EXPECT_EQ(pending_on(0), 500u);
    jump_to(40);
    EXPECT_EQ(fired.size(), 0u);
    tick();
    EXPECT_EQ(fired.size(), 500u);
    for (const Fired& f : fired) EXPECT_EQ(f.at, 41u);
    EXPECT_EQ(pending_on(0), 0u);
}

std::atomic<int> self_delete_result{0};
void irqs_and_running_fn(timer_list* t) {
    record(t);
    self_delete_result = try_to_del_timer_sync(t);  // from its own function: it is the running timer
}

TEST_F(TimerWheel, FunctionsRunWithInterruptsOnOrOffForIrqSafeAndAsTheRunningTimer) {
    start_at(0);
    timer_list normal, irqsafe;
    timer_setup(&normal, irqs_and_running_fn, 0);
    timer_setup(&irqsafe, irqs_and_running_fn, TIMER_IRQSAFE);
    mod_timer(&normal, 1);
    tick();
    tick();
    ASSERT_EQ(fired.size(), 1u);
    EXPECT_FALSE(fired[0].irqs_off);
    EXPECT_EQ(self_delete_result.load(), -1);
    self_delete_result = 0;
    mod_timer(&irqsafe, 3);
    tick();
    tick();
    ASSERT_EQ(fired.size(), 2u);
    EXPECT_TRUE(fired[1].irqs_off);
    EXPECT_EQ(self_delete_result.load(), -1);
    EXPECT_FALSE(irqs_disabled()) << "the softirq leaves interrupts on";
    EXPECT_EQ(try_to_del_timer_sync(&irqsafe), 0) << "not running any more, not pending";
}

void leaky_fn(timer_list* t) {
    record(t);
    preempt_disable();  // and never enabled again
}

TEST_F(TimerWheel, APreemptCountLeakInAFunctionIsReportedAndRepaired) {
    start_at(0);
    timer_list t;
    timer_setup(&t, leaky_fn, 0);
    unsigned before = preempt_count();
    mod_timer(&t, 1);
    tick();
    tick();
    EXPECT_EQ(times_fired(&t), 1u);
    EXPECT_EQ(warn_count, 1u);
    EXPECT_EQ(host_console::count("preempt leak"), 1u);
    EXPECT_EQ(preempt_count(), before);
}

TEST_F(TimerWheel, AShutDownTimerCannotBeArmedAgain) {
    start_at(0);
    timer_list t;
    timer_setup(&t, record, 0);
    mod_timer(&t, 10);
    EXPECT_EQ(timer_shutdown_sync(&t), 1);
    EXPECT_EQ(t.function, nullptr);
    EXPECT_EQ(mod_timer(&t, 20), 0);
    t.expires = 20;
    add_timer(&t);
    EXPECT_FALSE(timer_pending(&t));
    EXPECT_EQ(pending_on(0), 0u);
    for (int i = 0; i < 40; i++) tick();
    EXPECT_EQ(fired.size(), 0u);
    timer_setup(&t, record, 0);  // set up again: usable again
    EXPECT_EQ(mod_timer(&t, 50), 0);
    EXPECT_TRUE(timer_pending(&t));
    EXPECT_EQ(timer_shutdown(&t), 1);
    EXPECT_EQ(mod_timer(&t, 60), 0);
    EXPECT_FALSE(timer_pending(&t));
}

TEST_F(TimerWheel, DelTimerSyncFromHardIrqWarnsUnlessTheTimerIsIrqSafe) {
    start_at(0);
    timer_list normal, irqsafe;
    timer_setup(&normal, record, 0);
    timer_setup(&irqsafe, record, TIMER_IRQSAFE);
    mod_timer(&normal, 10);
    mod_timer(&irqsafe, 10);
    unsigned long flags = arch::irq_save();
    irq_enter();
    EXPECT_EQ(del_timer_sync(&irqsafe), 1);
    EXPECT_EQ(warn_count, 0u);
    EXPECT_EQ(del_timer_sync(&normal), 1) << "Linux warns but still deletes";
    EXPECT_EQ(warn_count, 1u);
    preempt_count_sub(HARDIRQ_OFFSET);  // leave hard-IRQ context without irq_exit's work
    arch::irq_restore(flags);
}

// ---- Which CPU.

TEST_F(TimerWheel, AddTimerOnQueuesOnThatCpuAndItRunsOnlyThere) {
    SimCpu::set_online(2);
    start_at(0);
    timer_list t;
    timer_setup(&t, record, 0);
    t.expires = 5;
    add_timer_on(&t, 1);
    EXPECT_EQ(pending_on(0), 0u);
    EXPECT_EQ(pending_on(1), 1u);
    EXPECT_EQ(t.flags & TIMER_CPUMASK, 1u);
    EXPECT_TRUE(t.flags & TIMER_PINNED);
    for (int i = 0; i < 20; i++) tick();  // CPU 0 keeps jiffies and runs its own wheel only
    EXPECT_EQ(fired.size(), 0u);
    {
        SimCpu::Scope cpu1(1);
        tick(0);  // CPU 1's tick: jiffies are CPU 0's business
    }
    ASSERT_EQ(fired.size(), 1u);
    EXPECT_EQ(fired[0].cpu, 1u);
    EXPECT_TRUE(time_after_eq(fired[0].at, 5UL));
}

TEST_F(TimerWheel, ModTimerFromAnotherCpuMovesTheTimerThereEvenWhenPinned) {
    SimCpu::set_online(2);
    start_at(0);
    timer_list t, pinned;
    timer_setup(&t, record, 0);
    timer_setup(&pinned, record, 0);
    {
        SimCpu::Scope cpu1(1);
        mod_timer(&t, 100);
    }
    pinned.expires = 100;
    add_timer_on(&pinned, 1);
    EXPECT_EQ(pending_on(1), 2u);
    EXPECT_EQ(mod_timer(&t, 200), 1);
    EXPECT_EQ(mod_timer(&pinned, 200), 1);
    EXPECT_EQ(pending_on(1), 0u);
    EXPECT_EQ(pending_on(0), 2u) << "Linux queues at mod_timer on the calling CPU, pinned or not";
    EXPECT_EQ(t.flags & TIMER_CPUMASK, 0u);
    EXPECT_EQ(pinned.flags & TIMER_CPUMASK, 0u);
    EXPECT_TRUE(pinned.flags & TIMER_PINNED);
}

TEST_F(TimerWheel, AnIdleTimerIsArmedOnTheCallingCpu) {
    SimCpu::set_online(3);
    start_at(0);
    timer_list t;
    timer_setup(&t, record, 0);  // set up on CPU 0
    {
        SimCpu::Scope cpu2(2);
        EXPECT_EQ(mod_timer(&t, 10), 0);
    }
    EXPECT_EQ(pending_on(2), 1u);
    EXPECT_EQ(t.flags & TIMER_CPUMASK, 2u);
}

// ---- The tick.

TEST_F(TimerWheel, TheTickRaisesTheSoftirqOnlyWhenATimerIsDue) {
    start_at(0);
    unsigned long flags = arch::irq_save();
    do_timer(1);
    update_process_times(0);
    EXPECT_FALSE(timer_softirq_pending()) << "empty wheel";
    timer_list t;
    timer_setup(&t, record, 0);
    mod_timer(&t, 4);  // due at its bucket, jiffies 5
    for (int j = 2; j <= 4; j++) {
        do_timer(1);
        update_process_times(0);
        EXPECT_FALSE(timer_softirq_pending()) << "jiffies " << j;
    }
    do_timer(1);
    update_process_times(0);
    EXPECT_TRUE(timer_softirq_pending());
    arch::irq_restore(flags);
    run_raised_softirq();
    EXPECT_EQ(times_fired(&t), 1u);
}

// Each CPU's wheel keeps the jiffies its last two ticks compared with next_expiry: another CPU's tick
// changes neither, and a tick that saw no new jiffy (jiffies kept by another CPU) still counts as one.
TEST_F(TimerWheel, TheWheelRecordsWhatItsCpusLastTwoTicksSaw) {
    SimCpu::set_online(2);
    start_at(20);
    tick();  // 21
    tick();  // 22
    {
        SimCpu::Scope c1(1);
        tick(0);  // CPU 1's tick, jiffies still 22
    }
    timer_base_info i0, i1;
    timer_base_snapshot(0, &i0, nullptr, 0);
    timer_base_snapshot(1, &i1, nullptr, 0);
    EXPECT_EQ(i0.last_tick_jiffies, 22ul);
    EXPECT_EQ(i0.prev_tick_jiffies, 21ul);
    EXPECT_EQ(i1.last_tick_jiffies, 22ul);
    EXPECT_EQ(i1.prev_tick_jiffies, 0ul) << "CPU 1 ticked once";
    {
        SimCpu::Scope c1(1);
        tick(0);
    }
    timer_base_snapshot(1, &i1, nullptr, 0);
    EXPECT_EQ(i1.prev_tick_jiffies, 22ul) << "the same jiffy seen twice";
}

struct pass_ticks {
    unsigned long tick, prev;
};
// The expiry pass remembers the tick that raised it: the first raise before the softirq ran, even when
// later ticks came first (a busy or stopped CPU), and the tick before that one.
pass_ticks seen_pass;
void record_pass(timer_list*) {
    timer_base_info i;
    timer_base_snapshot(0, &i, nullptr, 0);
    seen_pass = {i.pass_tick_jiffies, i.pass_prev_tick_jiffies};
}
TEST_F(TimerWheel, AnExpiryPassKnowsTheTickThatRaisedIt) {
    start_at(100);
    timer_list t;
    timer_setup(&t, record_pass, 0);
    mod_timer(&t, 103);  // bucket 104
    unsigned long flags = arch::irq_save();
    for (int k = 0; k < 6; k++) {  // ticks 101 .. 106, the softirq held back
        do_timer(1);
        update_process_times(0);
    }
    arch::irq_restore(flags);
    run_raised_softirq();
    EXPECT_EQ(seen_pass.tick, 104ul) << "the first tick that reached the bucket raised the pass";
    EXPECT_EQ(seen_pass.prev, 103ul);
}

TEST_F(TimerWheel, EveryCpusApicTickRunsItsOwnTimersAfterTheTickCpuAdvancedJiffies) {
    SimCpu::set_online(2);
    apic_set_tick_do_timer_cpu(0);
    start_at(0);
    timer_list on0, on1;
    timer_setup(&on0, record, 0);
    timer_setup(&on1, record, 0);
    mod_timer(&on0, 0);  // bucket 1: due once jiffies is 1
    on1.expires = 0;
    add_timer_on(&on1, 1);
    unsigned long flags = arch::irq_save();
    irq_enter();
    local_apic_timer_interrupt(0);  // jiffies 0 -> 1, then CPU 0's wheel: due in this very tick
    preempt_count_sub(HARDIRQ_OFFSET);
    arch::irq_restore(flags);
    EXPECT_EQ(now(), 1u);
    EXPECT_TRUE(timer_softirq_pending()) << "update_process_times after do_timer";
    run_raised_softirq();
    EXPECT_EQ(times_fired(&on0), 1u);
    EXPECT_EQ(times_fired(&on1), 0u);
    {
        SimCpu::Scope cpu1(1);
        flags = arch::irq_save();
        local_apic_timer_interrupt(1);
        arch::irq_restore(flags);
        EXPECT_TRUE(timer_softirq_pending());
        run_raised_softirq();
    }
    apic_set_tick_do_timer_cpu(-1);
    EXPECT_EQ(now(), 1u) << "only the tick CPU advances jiffies";
    ASSERT_EQ(times_fired(&on1), 1u);
    EXPECT_EQ(fired.back().cpu, 1u);
}

TEST_F(TimerWheel, ThePitTickRunsTheTimersInPicMode) {
    FakePortIo io;
    FakeChip chip;
    io.allow({0x40, 0x43});
    irq_set_chip_and_handler_name(0, &chip, handle_level_irq, "FAKE");
    ASSERT_EQ(pit_init(io, 1000), 0);
    start_at(0);
    timer_list t;
    timer_setup(&t, record, 0);
    mod_timer(&t, 2);  // bucket 3
    for (int i = 0; i < 2; i++) {
        host_env::fire_irq(0);
        run_raised_softirq();
    }
    EXPECT_EQ(times_fired(&t), 0u);
    host_env::fire_irq(0);
    run_raised_softirq();  // (or irq_exit already ran it)
    EXPECT_EQ(times_fired(&t), 1u);
    EXPECT_EQ(fired[0].at, 3u);
    pit_shutdown();
}

std::atomic<uint64_t> sched_clock_ns{0};
uint64_t test_sched_clock() { return sched_clock_ns.load(); }
task_struct* keep_prev(task_struct* prev, task_struct*) { return prev; }

TEST_F(TimerWheel, TheSchedulerTickRunsOnlyOnceTheCpuHasARunQueue) {
    start_at(0);
    sched_clock_ns = 1000;
    unsigned long flags = arch::irq_save();
    update_process_times(0);  // no current task on CPU 0's run queue: the scheduler's tick is skipped
    arch::irq_restore(flags);
    EXPECT_EQ(cpu_rq(0)->curr, nullptr);

    task_struct idle, a;
    sched_set_hooks(SchedHooks{.context_switch = keep_prev, .clock = test_sched_clock});
    sched_init_cpu(0, &idle);
    ASSERT_EQ(sched_task_init(&a, "a", SCHED_NORMAL, 0), 0);
    ASSERT_EQ(wake_up_new_task(&a), 0);
    flags = arch::irq_save();
    __schedule(true);
    sched_clock_ns += 4000000;
    update_process_times(0);
    arch::irq_restore(flags);
    EXPECT_EQ(sched_current(), &a);
    EXPECT_EQ(a.sum_exec_runtime, 4000000u) << "scheduler_tick accounted the running task";
    sched_set_hooks(SchedHooks{});
}

// ---- The shell's view.

std::string shell_out;
void capture(const char* s, size_t n) { shell_out.append(s, n); }

TEST_F(TimerWheel, TheTimersCommandListsEachCpusPendingTimersSoonestFirst) {
    SimCpu::set_online(2);
    start_at(1000);
    timer_list a, b, c;
    timer_setup(&a, timers_cmd_test_fn, 0);
    timer_setup(&b, timers_cmd_test_fn, TIMER_IRQSAFE);
    timer_setup(&c, timers_cmd_test_fn, 0);
    mod_timer(&a, 1600);  // level 2: its bucket at 1664
    mod_timer(&b, 1010);  // level 0: its bucket at 1011
    c.expires = 1100;     // level 1: its bucket at 1104
    add_timer_on(&c, 1);
    shell_output_fn prev = shell_set_output(capture);
    shell_out.clear();
    char line[] = "timers";
    EXPECT_EQ(shell_execute(line), 0);
    shell_set_output(prev);
    size_t cpu0 = shell_out.find("cpu: 0\n"), cpu1 = shell_out.find("cpu: 1\n");
    ASSERT_NE(cpu0, std::string::npos) << shell_out;
    ASSERT_NE(cpu1, std::string::npos) << shell_out;
    EXPECT_NE(shell_out.find("at jiffies 1000 (HZ=1000): 9 levels"), std::string::npos) << shell_out;
    EXPECT_NE(shell_out.find(" clk: 1000, pending: 2, next bucket in 11\n"), std::string::npos) << shell_out;
    size_t first = shell_out.find(" #0: "), second = shell_out.find(" #1: ");
    ASSERT_LT(first, second);
    std::string l0 = shell_out.substr(first, shell_out.find('\n', first) - first);
    std::string l1 = shell_out.substr(second, shell_out.find('\n', second) - second);
    EXPECT_NE(l0.find("timers_cmd_test_fn, expires in 10, fires in 11 (level 0, granularity 1), flags IRQSAFE"),
              std::string::npos)
        << l0;
    EXPECT_NE(l1.find("expires in 600, fires in 664 (level 2, granularity 64), flags -"), std::string::npos) << l1;
    std::string after1 = shell_out.substr(cpu1);
    EXPECT_NE(after1.find("expires in 100, fires in 104 (level 1, granularity 8), flags PINNED"), std::string::npos)
        << after1;
    del_timer(&a);
    del_timer(&b);
    del_timer(&c);
}

// ---- Simulated CPUs as threads.

std::atomic<bool> cb_entered, cb_release, cb_finished;
std::atomic<int> cb_runs, cpu0_spins;
void slow_rearming_fn(timer_list* t) {
    cb_runs++;
    cb_entered = true;
    while (!cb_release) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    mod_timer(t, now() + 1);  // re-arms itself: del_timer_sync must still leave it dead
    cb_finished = true;
}
void count_cpu0_spins(unsigned cpu) {
    if (cpu == 0 && ++cpu0_spins >= 50) cb_release = true;  // CPU 0 is waiting: let the function finish
}

TEST_F(TimerWheel, DelTimerSyncReturnsOnlyAfterTheFunctionRunningOnAnotherCpuFinishedSmp) {
    SimCpu::set_online(2);
    start_at(0);
    cb_entered = cb_release = cb_finished = false;
    cb_runs = cpu0_spins = 0;
    timer_list t;
    timer_setup(&t, slow_rearming_fn, 0);
    t.expires = 0;
    add_timer_on(&t, 1);
    do_timer(1);
    std::thread cpu1([] {
        SimCpu::set_current(1);
        run_timer_softirq();
    });
    while (!cb_entered) std::this_thread::yield();
    SimCpu::set_relax_hook(count_cpu0_spins);
    int ret = del_timer_sync(&t);
    bool finished_at_return = cb_finished;
    SimCpu::set_relax_hook(nullptr);
    cb_release = true;  // in case it returned without waiting
    cpu1.join();
    EXPECT_TRUE(finished_at_return) << "del_timer_sync returned while the function still ran";
    EXPECT_GT(cpu0_spins.load(), 0) << "it waited";
    EXPECT_EQ(ret, 1) << "the function had re-armed it: pending when finally deleted";
    EXPECT_FALSE(timer_pending(&t));
    do_timer(10);
    {
        SimCpu::Scope c1(1);
        run_timer_softirq();
    }
    EXPECT_EQ(cb_runs.load(), 1) << "never again after del_timer_sync";
}

void blocking_fn(timer_list*) {
    cb_entered = true;
    while (!cb_release) std::this_thread::yield();
}

TEST_F(TimerWheel, ModTimerLeavesATimerRunningOnAnotherCpuOnThatCpuSmp) {
    SimCpu::set_online(2);
    start_at(0);
    cb_entered = cb_release = false;
    timer_list t;
    timer_setup(&t, blocking_fn, 0);
    t.expires = 0;
    add_timer_on(&t, 1);
    do_timer(1);
    std::thread cpu1([] {
        SimCpu::set_current(1);
        run_timer_softirq();
    });
    while (!cb_entered) std::this_thread::yield();
    EXPECT_EQ(mod_timer(&t, now() + 50), 0) << "running, not pending";
    EXPECT_EQ(pending_on(1), 1u) << "stays with the CPU that runs it";
    EXPECT_EQ(pending_on(0), 0u);
    EXPECT_EQ(t.flags & TIMER_CPUMASK, 1u);
    cb_release = true;
    cpu1.join();
    EXPECT_EQ(mod_timer(&t, now() + 60), 1);
    EXPECT_EQ(pending_on(0), 1u) << "no longer running: comes to the calling CPU";
    EXPECT_EQ(pending_on(1), 0u);
    del_timer_sync(&t);
}

std::atomic<int> race_runs, race_inside, race_overlaps;
void race_fn(timer_list*) {
    if (race_inside.fetch_add(1) != 0) race_overlaps++;
    race_runs++;
    std::this_thread::yield();
    race_inside--;
}

TEST_F(TimerWheel, ModTimerRacingFromSeveralCpusKeepsExactlyOneQueuedInstanceSmp) {
    constexpr unsigned CPUS = 4;
    constexpr int ROUNDS = 20000;
    SimCpu::set_online(CPUS);
    start_at(0);
    race_runs = race_inside = race_overlaps = 0;
    timer_list t;
    timer_setup(&t, race_fn, 0);
    std::vector<std::thread> cpus;
    for (unsigned c = 0; c < CPUS; c++)
        cpus.emplace_back([c, &t] {
            SimCpu::set_current(c);
            for (int i = 0; i < ROUNDS; i++) {
                if (c == 0) do_timer(1);                     // CPU 0 keeps jiffies
                mod_timer(&t, now() + unsigned(i) % 3 - 1);  // one in three already due
                if (i % 11 == int(c)) del_timer(&t);
                run_timer_softirq();  // this CPU's wheel, as its tick would
            }
        });
    for (auto& th : cpus) th.join();
    unsigned instances = 0;
    for (unsigned c = 0; c < CPUS; c++) {
        timer_base_info info;
        timer_snapshot s[4];
        unsigned n = timer_base_snapshot(c, &info, s, 4);
        EXPECT_EQ(info.nr_pending, n);
        for (unsigned i = 0; i < n; i++) {
            EXPECT_EQ(s[i].timer, &t);
            EXPECT_EQ(t.flags & TIMER_CPUMASK, c) << "queued where its flags say";
        }
        instances += n;
    }
    EXPECT_EQ(instances, timer_pending(&t) ? 1u : 0u);
    EXPECT_EQ(race_overlaps.load(), 0) << "its function ran on two CPUs at once";
    EXPECT_GT(race_runs.load(), 0);
    EXPECT_EQ(unsigned(mod_timer(&t, now() + 1000)), instances);
    unsigned total = 0;
    for (unsigned c = 0; c < CPUS; c++) total += pending_on(c);
    EXPECT_EQ(total, 1u);
    del_timer_sync(&t);
    EXPECT_EQ(warn_count, 0u);
}

}  // namespace
