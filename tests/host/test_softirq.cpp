// Host tests of softirq processing (kernel/softirq.cpp, Linux kernel/softirq.c): handlers run lowest
// number first on the raising CPU, on the way out of the outermost interrupt, in softirq context with
// interrupts on; a raise from a handler is run by the next pass; the restart limits (10 passes, 2 ms of
// jiffies, a reschedule wanted) hand what is left to ksoftirqd, woken through the scheduler core;
// local_bh_disable/enable; the "huh, entered softirq" repair; the /proc/softirqs layout.
#include "kernel/softirq.h"
#include "kernel/bottom_half.h"
#include "kernel/jiffies.h"
#include "kernel/preempt.h"
#include "kernel/printk.h"
#include "kernel/sched/sched.h"
#include "kernel/shell/shell.h"
#include "kernel/spinlock.h"

#include <gtest/gtest.h>
#include <functional>
#include <string>
#include <vector>

#include "tests/host/support/capture_console.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/sim_cpu.h"

namespace {

// What a handler saw when it ran.
struct Seen {
    unsigned nr, cpu, count;  // count: preempt_count() inside
    bool irqs_off, serving, hardirq;
};
std::vector<Seen> g_seen;
std::function<void(unsigned nr)> g_work;  // extra work inside every handler (may re-raise)

template <unsigned NR>
void handler() {
    g_seen.push_back({NR, smp_processor_id(), preempt_count(), irqs_disabled(), in_serving_softirq(), in_hardirq()});
    if (g_work) g_work(NR);
}

std::vector<unsigned> order() {
    std::vector<unsigned> v;
    for (const Seen& s : g_seen) v.push_back(s.nr);
    return v;
}

// Raise `nrs` from a hard interrupt on the calling CPU; its irq_exit runs them.
void raise_in_irq(std::initializer_list<unsigned> nrs) {
    unsigned long flags;
    local_irq_save(flags);
    irq_enter();
    for (unsigned nr : nrs) raise_softirq_irqoff(nr);
    irq_exit();
    local_irq_restore(flags);
}

class Softirq : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        g_seen.clear();
        g_work = nullptr;
        softirq_reset_handlers();  // the timer wheel's TIMER handler too: these tests own every number
        softirq_init();
        open_softirq(TIMER_SOFTIRQ, handler<TIMER_SOFTIRQ>);
        open_softirq(NET_TX_SOFTIRQ, handler<NET_TX_SOFTIRQ>);
        open_softirq(NET_RX_SOFTIRQ, handler<NET_RX_SOFTIRQ>);
        open_softirq(BLOCK_SOFTIRQ, handler<BLOCK_SOFTIRQ>);
        open_softirq(SCHED_SOFTIRQ, handler<SCHED_SOFTIRQ>);
        open_softirq(RCU_SOFTIRQ, handler<RCU_SOFTIRQ>);
    }
    void TearDown() override { g_work = nullptr; }
};

TEST_F(Softirq, RaisedInAnInterruptTheyRunAtItsExitLowestNumberFirst) {
    unsigned long flags;
    local_irq_save(flags);
    irq_enter();
    raise_softirq_irqoff(RCU_SOFTIRQ);
    raise_softirq_irqoff(NET_RX_SOFTIRQ);
    raise_softirq_irqoff(TIMER_SOFTIRQ);
    raise_softirq_irqoff(SCHED_SOFTIRQ);
    EXPECT_EQ(local_softirq_pending(),
              (1u << TIMER_SOFTIRQ) | (1u << NET_RX_SOFTIRQ) | (1u << SCHED_SOFTIRQ) | (1u << RCU_SOFTIRQ));
    EXPECT_TRUE(g_seen.empty()) << "nothing runs inside the hard interrupt";
    irq_exit();
    EXPECT_TRUE(irqs_disabled()) << "irq_exit returns with interrupts off, as it was entered";
    local_irq_restore(flags);
    EXPECT_EQ(order(), (std::vector<unsigned>{TIMER_SOFTIRQ, NET_RX_SOFTIRQ, SCHED_SOFTIRQ, RCU_SOFTIRQ}));
    EXPECT_EQ(local_softirq_pending(), 0u);
    EXPECT_EQ(kstat_softirqs_cpu(TIMER_SOFTIRQ, 0), 1u);
    EXPECT_EQ(kstat_softirqs_cpu(NET_TX_SOFTIRQ, 0), 0u);
    EXPECT_EQ(preempt_count(), 0u);
}

TEST_F(Softirq, HandlersRunServingSoftirqWithInterruptsOnAndTheHardirqCountGone) {
    raise_in_irq({TIMER_SOFTIRQ});
    ASSERT_EQ(g_seen.size(), 1u);
    EXPECT_EQ(g_seen[0].count, SOFTIRQ_OFFSET) << "exactly the serving offset: no hard-IRQ count, no BH disable";
    EXPECT_TRUE(g_seen[0].serving);
    EXPECT_FALSE(g_seen[0].hardirq);
    EXPECT_FALSE(g_seen[0].irqs_off);
}

TEST_F(Softirq, TheyRunOnTheCpuThatRaisedThem) {
    SimCpu::set_online(2);
    {
        SimCpu::Scope cpu1(1);
        unsigned long flags;
        local_irq_save(flags);
        irq_enter();
        raise_softirq_irqoff(NET_RX_SOFTIRQ);
        {
            SimCpu::Scope cpu0(0);
            host_env::empty_interrupt();  // CPU 0 has nothing pending
            EXPECT_TRUE(g_seen.empty());
        }
        irq_exit();
        local_irq_restore(flags);
    }
    ASSERT_EQ(g_seen.size(), 1u);
    EXPECT_EQ(g_seen[0].cpu, 1u);
    EXPECT_EQ(kstat_softirqs_cpu(NET_RX_SOFTIRQ, 1), 1u);
    EXPECT_EQ(kstat_softirqs_cpu(NET_RX_SOFTIRQ, 0), 0u);
}

TEST_F(Softirq, OnlyTheOutermostInterruptRunsThem) {
    unsigned long flags;
    local_irq_save(flags);
    irq_enter();
    irq_enter();  // a nested interrupt raises
    raise_softirq_irqoff(BLOCK_SOFTIRQ);
    irq_exit();
    EXPECT_TRUE(g_seen.empty()) << "still inside the outer interrupt";
    irq_exit();
    local_irq_restore(flags);
    EXPECT_EQ(order(), (std::vector<unsigned>{BLOCK_SOFTIRQ}));
}

// A raise from a handler lands in the fresh pending word: the next pass runs it, whatever its number.
TEST_F(Softirq, ARaiseFromAHandlerRunsInTheNextPass) {
    g_work = [](unsigned nr) {
        if (nr == NET_RX_SOFTIRQ && g_seen.size() == 2) {
            raise_softirq(TIMER_SOFTIRQ);  // lower than NET_RX: the current pass is past it
            raise_softirq(RCU_SOFTIRQ);    // higher: still not this pass (the pass works on its snapshot)
        }
    };
    raise_in_irq({TIMER_SOFTIRQ, NET_RX_SOFTIRQ});
    EXPECT_EQ(order(), (std::vector<unsigned>{TIMER_SOFTIRQ, NET_RX_SOFTIRQ, TIMER_SOFTIRQ, RCU_SOFTIRQ}));
    EXPECT_EQ(kstat_softirqs_cpu(TIMER_SOFTIRQ, 0), 2u);
    EXPECT_EQ(local_softirq_pending(), 0u);
}

TEST_F(Softirq, AnInterruptDuringAHandlerDoesNotRunThemRecursively) {
    unsigned depth = 0, max_depth = 0;
    g_work = [&](unsigned nr) {
        max_depth = ++depth > max_depth ? depth : max_depth;
        if (nr == TIMER_SOFTIRQ && g_seen.size() == 1) {
            raise_softirq(NET_TX_SOFTIRQ);
            host_env::empty_interrupt();  // an interrupt arrives while the handler runs
        }
        depth--;
    };
    raise_in_irq({TIMER_SOFTIRQ});
    EXPECT_EQ(max_depth, 1u) << "the nested interrupt's irq_exit is inside softirq context: it runs nothing";
    EXPECT_EQ(order(), (std::vector<unsigned>{TIMER_SOFTIRQ, NET_TX_SOFTIRQ}));
}

// ---- The limits and ksoftirqd.

std::vector<std::pair<task_struct*, task_struct*>> g_switches;
task_struct* record_switch(task_struct* prev, task_struct* next) {
    g_switches.emplace_back(prev, next);
    return prev;
}
uint64_t g_clock_ns;
uint64_t test_clock() { return g_clock_ns; }

class SoftirqLimits : public Softirq {
protected:
    task_struct idle0, kd;  // kd: CPU 0's ksoftirqd, asleep
    void SetUp() override {
        Softirq::SetUp();
        g_switches.clear();
        g_clock_ns = 1000 * NSEC_PER_MSEC;
        sched_set_hooks(SchedHooks{.context_switch = record_switch, .clock = test_clock});
        sched_init_cpu(0, &idle0);
        start_asleep(&kd, "ksoftirqd/0");
        per_cpu(ksoftirqd, 0) = &kd;
    }
    void TearDown() override {
        Softirq::TearDown();
        sched_set_hooks(SchedHooks{});
    }
    // A kernel thread on CPU 0 that ran once and went to sleep (TASK_INTERRUPTIBLE, off the run queue).
    void start_asleep(task_struct* p, const char* name) {
        ASSERT_EQ(sched_task_init(p, name, SCHED_NORMAL, 0), 0);
        ASSERT_EQ(sched_set_cpus_allowed_new(p, cpumask_of(0)), 0);
        ASSERT_EQ(wake_up_new_task(p), 0);
        switch_now(true);
        ASSERT_EQ(sched_current(), p);
        WRITE_ONCE(p->__state, TASK_INTERRUPTIBLE);
        switch_now(false);
        ASSERT_EQ(sched_current(), &idle0);
        ASSERT_EQ(p->on_rq, 0);
        ASSERT_FALSE(need_resched());
    }
    void switch_now(bool preempt) {
        unsigned long flags;
        local_irq_save(flags);
        __schedule(preempt);
        local_irq_restore(flags);
    }
};

TEST_F(SoftirqLimits, AtMostTenPassesThenKsoftirqdIsWokenAndRunsTheRest) {
    g_work = [](unsigned nr) { raise_softirq(nr); };  // a handler that always has more to do
    raise_in_irq({NET_RX_SOFTIRQ});
    EXPECT_EQ(g_seen.size(), size_t(MAX_SOFTIRQ_RESTART));
    EXPECT_EQ(kstat_softirqs_cpu(NET_RX_SOFTIRQ, 0), 10u);
    EXPECT_EQ(local_softirq_pending(), 1u << NET_RX_SOFTIRQ) << "left for ksoftirqd";
    EXPECT_EQ(READ_ONCE(kd.__state), TASK_RUNNING) << "woken";
    EXPECT_EQ(kd.on_rq, 1);
    EXPECT_TRUE(idle0.need_resched) << "it preempts the idle task";
    EXPECT_TRUE(ksoftirqd_should_run(0));

    switch_now(true);  // the interrupt return preempts the idle task
    ASSERT_EQ(sched_current(), &kd);
    g_seen.clear();
    run_ksoftirqd(0);  // the thread's round: the same limits
    EXPECT_EQ(g_seen.size(), size_t(MAX_SOFTIRQ_RESTART));
    EXPECT_FALSE(irqs_disabled());
    EXPECT_EQ(preempt_count(), 0u);
    g_work = nullptr;
    run_ksoftirqd(0);
    EXPECT_EQ(g_seen.size(), size_t(MAX_SOFTIRQ_RESTART + 1));
    EXPECT_FALSE(ksoftirqd_should_run(0));
}

TEST_F(SoftirqLimits, NoNewPassOnce2msOfJiffiesHaveGone) {
    // HZ 1000: msecs_to_jiffies(2) = 2. Each pass takes a jiffy: the second pass ends at the deadline.
    host_env::set_jiffies(5000);
    g_work = [](unsigned nr) {
        host_env::set_jiffies(jiffies + 1);
        raise_softirq(nr);
    };
    raise_in_irq({SCHED_SOFTIRQ});
    EXPECT_EQ(g_seen.size(), 2u);
    EXPECT_EQ(READ_ONCE(kd.__state), TASK_RUNNING);

    // HZ 100: 2 ms round up to one jiffy, so a pass that took a jiffy is the only one.
    kernel_hz = 100;
    g_seen.clear();
    switch_now(true);
    run_ksoftirqd(0);
    EXPECT_EQ(g_seen.size(), 1u);
}

TEST_F(SoftirqLimits, AReschedulePendingEndsTheRunAfterThisPass) {
    task_struct other;
    start_asleep(&other, "other");
    g_work = [&](unsigned nr) {
        if (g_seen.size() == 3) wake_up_process(&other);  // it preempts the idle task: need_resched()
        raise_softirq(nr);
    };
    raise_in_irq({TIMER_SOFTIRQ});
    EXPECT_EQ(g_seen.size(), 3u);
    EXPECT_TRUE(need_resched());
    EXPECT_EQ(READ_ONCE(kd.__state), TASK_RUNNING) << "the rest goes to ksoftirqd";
    EXPECT_EQ(local_softirq_pending(), 1u << TIMER_SOFTIRQ);
}

TEST_F(SoftirqLimits, ARaiseOutsideInterruptContextWakesKsoftirqdOnlyThen) {
    local_bh_disable();
    raise_softirq(BLOCK_SOFTIRQ);
    EXPECT_EQ(READ_ONCE(kd.__state), TASK_INTERRUPTIBLE) << "BH disabled: local_bh_enable will run it";
    _local_bh_enable();
    EXPECT_TRUE(g_seen.empty()) << "_local_bh_enable runs nothing";
    raise_in_irq({});
    EXPECT_EQ(order(), (std::vector<unsigned>{BLOCK_SOFTIRQ})) << "the next irq_exit ran it";
    EXPECT_EQ(READ_ONCE(kd.__state), TASK_INTERRUPTIBLE);

    raise_softirq(BLOCK_SOFTIRQ);  // process context: nothing else is coming
    EXPECT_EQ(READ_ONCE(kd.__state), TASK_RUNNING);
    EXPECT_EQ(g_seen.size(), 1u) << "raising runs nothing by itself";
}

TEST_F(Softirq, WithNoKsoftirqdThreadTheWakeUpDoesNothing) {
    g_work = [](unsigned nr) { raise_softirq(nr); };
    raise_in_irq({TIMER_SOFTIRQ});  // the limit is reached with no thread to hand over to
    EXPECT_EQ(g_seen.size(), size_t(MAX_SOFTIRQ_RESTART));
    EXPECT_EQ(local_softirq_pending(), 1u << TIMER_SOFTIRQ) << "waits for the next irq_exit";
    g_work = nullptr;
    host_env::empty_interrupt();
    EXPECT_EQ(local_softirq_pending(), 0u);
}

// ---- Bottom halves.

TEST_F(Softirq, BhDisabledKeepsThemOutAndTheLastEnableRunsThem) {
    local_bh_disable();
    local_bh_disable();
    EXPECT_EQ(preempt_count(), 2 * SOFTIRQ_DISABLE_OFFSET);
    EXPECT_TRUE(in_softirq());
    EXPECT_FALSE(in_serving_softirq());
    raise_in_irq({TIMER_SOFTIRQ, RCU_SOFTIRQ});
    EXPECT_TRUE(g_seen.empty()) << "irq_exit sees softirq context (BH disabled)";
    local_bh_enable();
    EXPECT_TRUE(g_seen.empty()) << "still disabled once";
    local_bh_enable();
    EXPECT_EQ(order(), (std::vector<unsigned>{TIMER_SOFTIRQ, RCU_SOFTIRQ}));
    EXPECT_EQ(g_seen[0].count, SOFTIRQ_OFFSET + 1) << "preemption stays off while local_bh_enable runs them";
    EXPECT_TRUE(g_seen[0].serving);
    EXPECT_FALSE(g_seen[0].irqs_off);
    EXPECT_EQ(preempt_count(), 0u);
    EXPECT_EQ(warn_count, 0ul);
}

TEST_F(Softirq, DoSoftirqRunsThemInProcessContextButNotInAnInterrupt) {
    raise_softirq(NET_TX_SOFTIRQ);
    unsigned long flags;
    local_irq_save(flags);
    irq_enter();
    do_softirq();
    EXPECT_TRUE(g_seen.empty());
    preempt_count_sub(HARDIRQ_OFFSET);  // leave without irq_exit, which would run them
    local_irq_restore(flags);
    do_softirq();
    EXPECT_EQ(order(), (std::vector<unsigned>{NET_TX_SOFTIRQ}));
    EXPECT_FALSE(irqs_disabled()) << "the interrupt state is restored";
}

TEST_F(Softirq, LocalBhEnableFromHardIrqOrWithInterruptsOffWarnsOnce) {
    unsigned long flags;
    local_irq_save(flags);
    local_bh_disable();
    local_bh_enable();
    EXPECT_EQ(warn_count, 1ul) << "interrupts off: softirqs would run with them on";
    irq_enter();
    local_bh_disable();
    local_bh_enable();
    EXPECT_EQ(warn_count, 2ul) << "hard-IRQ context";
    local_bh_disable();
    local_bh_enable();
    EXPECT_EQ(warn_count, 2ul) << "WARN_ON_ONCE";
    irq_exit();
    local_irq_restore(flags);
    EXPECT_EQ(preempt_count(), 0u);
}

// Linux's repair of a handler that leaves the count changed: "huh, entered softirq ..." and the count put
// back, whichever way it went.
TEST_F(Softirq, AHandlerThatChangesThePreemptCountIsReportedAndRepaired) {
    g_work = [](unsigned nr) {
        if (nr == TIMER_SOFTIRQ) preempt_count_add(1);   // a preempt_disable without its enable
        if (nr == NET_RX_SOFTIRQ) preempt_count_sub(1);  // an enable too many
    };
    raise_in_irq({TIMER_SOFTIRQ});
    EXPECT_EQ(host_console::count("huh, entered softirq 1 TIMER "), 1u) << host_console::text();
    EXPECT_EQ(host_console::count("with preempt_count 00000100, exited with 00000101?\n"), 1u);
    EXPECT_EQ(preempt_count(), 0u);

    local_bh_disable();
    raise_softirq(NET_RX_SOFTIRQ);
    local_bh_enable();  // runs it at count 0x101
    EXPECT_EQ(host_console::count("huh, entered softirq 3 NET_RX "), 1u);
    EXPECT_EQ(host_console::count("with preempt_count 00000101, exited with 00000100?\n"), 1u);
    EXPECT_EQ(preempt_count(), 0u);
    EXPECT_EQ(g_seen.size(), 2u) << "each ran once";
}

// ---- The /proc/softirqs view.

TEST_F(Softirq, ProcSoftirqsLayoutOneColumnPerOnlineCpu) {
    SimCpu::set_online(2);
    raise_in_irq({TIMER_SOFTIRQ});
    raise_in_irq({TIMER_SOFTIRQ, RCU_SOFTIRQ});
    {
        SimCpu::Scope cpu1(1);
        raise_in_irq({NET_RX_SOFTIRQ});
    }
    std::string text;
    show_softirqs([](const char* s, size_t n, void* ctx) { static_cast<std::string*>(ctx)->append(s, n); }, &text);
    EXPECT_EQ(text,
              "                    CPU0       CPU1       \n"
              "          HI:          0          0\n"
              "       TIMER:          2          0\n"
              "      NET_TX:          0          0\n"
              "      NET_RX:          0          1\n"
              "       BLOCK:          0          0\n"
              "    IRQ_POLL:          0          0\n"
              "     TASKLET:          0          0\n"
              "       SCHED:          0          0\n"
              "     HRTIMER:          0          0\n"
              "         RCU:          1          0\n");
}

std::string g_shell;
void shell_capture(const char* s, size_t n) { g_shell.append(s, n); }

TEST_F(Softirq, TheShellCommandPrintsTheSameView) {
    raise_in_irq({SCHED_SOFTIRQ});
    std::string view;
    show_softirqs([](const char* s, size_t n, void* ctx) { static_cast<std::string*>(ctx)->append(s, n); }, &view);
    g_shell.clear();
    shell_output_fn prev = shell_set_output(shell_capture);
    char cmd[] = "softirqs";
    EXPECT_EQ(shell_execute(cmd), 0);
    shell_set_output(prev);
    EXPECT_EQ(g_shell, view);
    EXPECT_NE(g_shell.find("       SCHED:          1\n"), std::string::npos) << g_shell;
}

}  // namespace
