// preempt_count's HARDIRQ/NMI fields through irq_enter/irq_exit and nmi_enter/nmi_exit, the context
// tests, and the spinlock recursion check (Linux kernel/softirq.c, include/linux/preempt.h,
// kernel/locking/spinlock_debug.c).
#include "kernel/preempt.h"
#include "kernel/spinlock.h"
#include "kernel/printk.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/sim_cpu.h"

namespace {
class Hardirq : public IrqTest {};

TEST_F(Hardirq, IrqEnterExitMovesTheHardirqField) {
    arch::irq_disable();
    EXPECT_FALSE(in_interrupt());
    irq_enter();
    EXPECT_EQ(preempt_count(), 0x10000u);
    EXPECT_TRUE(in_irq());
    EXPECT_TRUE(in_hardirq());
    EXPECT_TRUE(in_interrupt());
    EXPECT_FALSE(in_softirq());
    EXPECT_FALSE(in_nmi());
    EXPECT_FALSE(in_task());
    irq_enter();  // nested interrupt
    EXPECT_EQ(hardirq_count(), 0x20000u);
    irq_exit();
    EXPECT_TRUE(in_irq());
    irq_exit();
    EXPECT_EQ(preempt_count(), 0u);
    EXPECT_TRUE(in_task());
    arch::irq_enable();
}

TEST_F(Hardirq, NmiCountsAsHardirqToo) {
    nmi_enter();
    EXPECT_EQ(preempt_count(), 0x110000u);
    EXPECT_TRUE(in_nmi());
    EXPECT_TRUE(in_irq());
    nmi_exit();
    EXPECT_EQ(preempt_count(), 0u);
}

TEST_F(Hardirq, SoftirqFieldIsSeparate) {
    preempt_count_add(SOFTIRQ_DISABLE_OFFSET);  // local_bh_disable
    EXPECT_TRUE(in_softirq());
    EXPECT_FALSE(in_serving_softirq());
    EXPECT_TRUE(in_interrupt());
    EXPECT_FALSE(in_irq());
    preempt_count_sub(SOFTIRQ_DISABLE_OFFSET);
    EXPECT_FALSE(in_interrupt());
}

TEST_F(Hardirq, CountsArePerCpu) {
    arch::irq_disable();
    irq_enter();
    {
        SimCpu::Scope cpu2(2);
        EXPECT_FALSE(in_interrupt()) << "CPU 2 is not in an interrupt";
    }
    EXPECT_TRUE(in_interrupt());
    irq_exit();
    arch::irq_enable();
}

TEST_F(Hardirq, IrqExitWithInterruptsOnWarns) {
    irq_enter();
    irq_exit();  // interrupts are on in this test: the entry path never does that
    EXPECT_EQ(warn_count, 1ul);
}

TEST_F(Hardirq, SpinlockHeldRaisesPreemptCountAndRecordsTheOwner) {
    raw_spinlock_t lock;
    SimCpu::Scope cpu3(3);
    raw_spin_lock(&lock);
    EXPECT_EQ(preempt_count(), 1u);
    EXPECT_EQ(lock.owner_cpu, 3);
    EXPECT_FALSE(raw_spin_trylock(&lock));
    raw_spin_unlock(&lock);
    EXPECT_EQ(preempt_count(), 0u);
    EXPECT_EQ(lock.owner_cpu, -1);
    EXPECT_TRUE(raw_spin_trylock(&lock));
    raw_spin_unlock(&lock);
}

TEST(HardirqDeathTest, SpinlockRecursionIsReported) {
    EXPECT_DEATH(
        {
            host_env::reset_all();
            SimCpu::Scope cpu1(1);
            raw_spinlock_t lock;
            raw_spin_lock(&lock);
            raw_spin_lock(&lock);
        },
        "BUG: spinlock recursion on CPU#1");
}
}  // namespace
