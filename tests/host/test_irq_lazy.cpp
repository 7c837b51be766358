// Lazy disable and the replay of a pending edge (Linux kernel/irq/chip.c __irq_disable, resend.c
// check_irq_resend): logical DISABLED vs hardware MASKED, PENDING, REPLAY; the software replay runs from
// resend_tasklet, in softirq context on the CPU that enabled the line.
#include "kernel/irq/internals.h"
#include "kernel/preempt.h"
#include "kernel/printk.h"
#include "kernel/softirq.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/line_test.h"
#include "tests/host/support/sim_cpu.h"
#include <memory>

namespace {
class IrqLazy : public LineTest {
protected:
    // enable_irq with interrupts off, as under a spin_lock_irqsave: the replay can only be queued.
    void enable_with_irqs_off() {
        unsigned long flags;
        local_irq_save(flags);
        enable_irq(IRQ);
        local_irq_restore(flags);
    }
};

TEST_F(IrqLazy, EdgeWhileDisabledIsPendingAndReplayedOnceBySoftwareResend) {
    FakeChip& chip = make_chip();  // no retrigger op
    setup(chip, handle_edge_irq);
    disable_irq(IRQ);
    EXPECT_TRUE(disabled());
    EXPECT_FALSE(masked()) << "lazy: the line stays open until an interrupt comes";
    EXPECT_EQ(chip.log(), "");

    host_env::fire_irq(IRQ);
    EXPECT_EQ(chip.log(), "mask 5, ack 5");
    EXPECT_TRUE(masked());
    EXPECT_TRUE(desc->istate & IRQS_PENDING);
    EXPECT_EQ(dev.calls, 0);

    chip.clear();
    enable_irq(IRQ);  // queues the replay and schedules resend_tasklet: nothing runs yet (as on Linux)
    EXPECT_EQ(chip.log(), "unmask 5");
    EXPECT_EQ(dev.calls, 0);
    EXPECT_TRUE(irq_resend_pending());
    EXPECT_EQ(local_softirq_pending(), 1u << TASKLET_SOFTIRQ);
    EXPECT_TRUE(desc->istate & IRQS_REPLAY);

    run_ksoftirqd(0);  // what this CPU's ksoftirqd (woken by the raise) does
    EXPECT_EQ(chip.log(), "unmask 5, ack 5, handler a");
    EXPECT_EQ(dev.calls, 1);
    EXPECT_FALSE(desc->istate & (IRQS_PENDING | IRQS_REPLAY));
    EXPECT_FALSE(irq_resend_pending());
    EXPECT_FALSE(dev.saw_in_irq) << "the replay runs in a tasklet, not in a hard interrupt";
    EXPECT_TRUE(dev.saw_serving_softirq);
    EXPECT_TRUE(dev.saw_irqs_off) << "resend_irqs runs each flow with interrupts off";
    EXPECT_EQ(kstat_irqs(IRQ), 1u);
    EXPECT_EQ(kstat_softirqs_cpu(TASKLET_SOFTIRQ, 0), 1u);

    chip.clear();
    host_env::fire_irq(IRQ);
    EXPECT_EQ(chip.log(), "ack 5, handler a") << "back to normal: no second replay";
    EXPECT_EQ(dev.calls, 2);
}

TEST_F(IrqLazy, ReplayUsesTheChipRetriggerWhenItCan) {
    FakeChip& chip = make_chip(FakeChip::DEFAULT_OPS | IRQCHIP_OP_RETRIGGER);
    chip.retrigger_result = 1;
    setup(chip, handle_edge_irq);
    disable_and_fire();
    chip.clear();
    enable_irq(IRQ);
    EXPECT_EQ(chip.log(), "unmask 5, retrigger 5");
    EXPECT_EQ(dev.calls, 0) << "the hardware raises it again; nothing queued in software";
    EXPECT_TRUE(desc->istate & IRQS_REPLAY);
    EXPECT_FALSE(irq_resend_pending());
    host_env::fire_irq(IRQ);  // the retriggered interrupt
    EXPECT_EQ(dev.calls, 1);
    EXPECT_FALSE(desc->istate & IRQS_REPLAY);
}

TEST_F(IrqLazy, FailedRetriggerFallsBackToSoftware) {
    FakeChip& chip = make_chip(FakeChip::DEFAULT_OPS | IRQCHIP_OP_RETRIGGER);
    chip.retrigger_result = 0;
    setup(chip, handle_edge_irq);
    disable_and_fire();
    chip.clear();
    enable_irq(IRQ);
    EXPECT_EQ(chip.log(), "unmask 5, retrigger 5");
    host_env::fire_irq(40);  // any interrupt: its irq_exit runs the resend tasklet
    EXPECT_EQ(chip.log(), "unmask 5, retrigger 5, ack 5, handler a");
    EXPECT_EQ(dev.calls, 1);
}

TEST_F(IrqLazy, EnableWithInterruptsOffLeavesTheReplayToIrqExit) {
    FakeChip& chip = make_chip();
    setup(chip, handle_edge_irq);
    disable_and_fire();
    enable_with_irqs_off();
    EXPECT_EQ(dev.calls, 0);
    EXPECT_TRUE(irq_resend_pending());
    EXPECT_TRUE(desc->istate & IRQS_REPLAY);
    // A second enable/disable round must not queue it twice (REPLAY: -EBUSY).
    EXPECT_EQ(check_irq_resend(desc, true), -EBUSY);
    host_env::fire_irq(40);  // any interrupt: its irq_exit runs the resend tasklet
    EXPECT_EQ(dev.calls, 1);
    EXPECT_FALSE(irq_resend_pending());
}

TEST_F(IrqLazy, TheReplayRunsOnTheCpuThatEnabledTheLine) {
    SimCpu::set_online(2);
    FakeChip& chip = make_chip();
    setup(chip, handle_edge_irq);
    disable_and_fire();
    {
        SimCpu::Scope cpu1(1);
        enable_irq(IRQ);
        EXPECT_EQ(local_softirq_pending(), 1u << TASKLET_SOFTIRQ);
    }
    EXPECT_EQ(local_softirq_pending(), 0u) << "the tasklet was queued on CPU 1's list";
    host_env::empty_interrupt();
    EXPECT_EQ(dev.calls, 0);
    {
        SimCpu::Scope cpu1(1);
        host_env::empty_interrupt();
    }
    EXPECT_EQ(dev.calls, 1);
    EXPECT_EQ(kstat_softirqs_cpu(TASKLET_SOFTIRQ, 1), 1u);
    EXPECT_EQ(kstat_softirqs_cpu(TASKLET_SOFTIRQ, 0), 0u);
}

TEST_F(IrqLazy, NestedIrqExitDoesNotDrain) {
    FakeChip& chip = make_chip();
    setup(chip, handle_edge_irq);
    disable_and_fire();
    unsigned long flags;
    local_irq_save(flags);
    enable_irq(IRQ);
    irq_enter();
    irq_enter();
    irq_exit();
    EXPECT_EQ(dev.calls, 0) << "still inside the outer interrupt";
    irq_exit();
    EXPECT_EQ(dev.calls, 1);
    local_irq_restore(flags);
}

TEST_F(IrqLazy, LevelWhileDisabledIsNotReplayed) {
    FakeChip& chip = make_chip();
    irq_set_status_flags(IRQ, IRQ_LEVEL);
    setup(chip, handle_level_irq);
    disable_and_fire();
    EXPECT_EQ(chip.log(), "mask 5, ack 5");
    EXPECT_TRUE(desc->istate & IRQS_PENDING);
    EXPECT_TRUE(masked());
    chip.clear();
    enable_irq(IRQ);
    EXPECT_EQ(chip.log(), "unmask 5") << "the hardware re-asserts a level line by itself";
    EXPECT_EQ(dev.calls, 0);
    EXPECT_FALSE(desc->istate & IRQS_PENDING);
    EXPECT_FALSE(desc->istate & IRQS_REPLAY);
    EXPECT_EQ(check_irq_resend(desc, true), -EINVAL);
}

TEST_F(IrqLazy, DisableUnlazyMasksAtOnce) {
    FakeChip& chip = make_chip();
    setup(chip, handle_edge_irq);
    irq_set_status_flags(IRQ, IRQ_DISABLE_UNLAZY);
    disable_irq(IRQ);
    EXPECT_EQ(chip.log(), "mask 5");
    EXPECT_TRUE(masked());
    host_env::fire_irq(IRQ);  // cannot really happen while masked; the flow would just ack
    chip.clear();
    enable_irq(IRQ);
    do_softirq();  // process context: run what the enable raised
    EXPECT_EQ(chip.log(), "unmask 5, ack 5, handler a");
}

TEST_F(IrqLazy, UnlazyIsClearedWhenTheLastActionGoes) {
    FakeChip& chip = make_chip();
    setup(chip, handle_edge_irq);
    irq_set_status_flags(IRQ, IRQ_DISABLE_UNLAZY);
    free_irq(IRQ, &dev);
    EXPECT_FALSE(irq_settings_disable_unlazy(desc));
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, 0, "a", &dev), 0);
    chip.clear();
    disable_irq(IRQ);
    EXPECT_EQ(chip.log(), "") << "lazy again";
    enable_irq(IRQ);
}

TEST_F(IrqLazy, ChipWithDisableIsNeverLazy) {
    FakeChip& chip = make_chip(FakeChip::DEFAULT_OPS | IRQCHIP_OP_DISABLE | IRQCHIP_OP_ENABLE);
    setup(chip, handle_edge_irq);
    disable_irq(IRQ);
    EXPECT_EQ(chip.log(), "disable 5");
    EXPECT_TRUE(masked());
    chip.clear();
    enable_irq(IRQ);
    EXPECT_EQ(chip.log(), "enable 5");
    EXPECT_FALSE(masked());
}

TEST_F(IrqLazy, StartupOpIsUsedOnceThenEnable) {
    FakeChip& chip = make_chip(FakeChip::DEFAULT_OPS | IRQCHIP_OP_STARTUP | IRQCHIP_OP_SHUTDOWN | IRQCHIP_OP_ENABLE);
    wire(chip, handle_edge_irq, "edge");
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, 0, "a", &dev), 0);
    EXPECT_EQ(chip.log(), "startup 5");
    disable_irq(IRQ);
    enable_irq(IRQ);
    EXPECT_EQ(chip.log(), "startup 5, enable 5");
    free_irq(IRQ, &dev);
    EXPECT_EQ(chip.log(), "startup 5, enable 5, shutdown 5");
    EXPECT_TRUE(masked());
}

TEST_F(IrqLazy, FreeForgetsAQueuedResend) {
    FakeChip& chip = make_chip();
    setup(chip, handle_edge_irq);
    disable_and_fire();
    enable_with_irqs_off();
    ASSERT_TRUE(irq_resend_pending());
    free_irq(IRQ, &dev);
    EXPECT_FALSE(irq_resend_pending()) << "irq_shutdown -> clear_irq_resend";
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, 0, "a", &dev), 0);
}
}  // namespace
