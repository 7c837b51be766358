// Host tests for drivers/pit and kernel/jiffies.cpp's do_timer: the 8254 control word and divisor bytes
// for two rates, the latched count read, the IRQ0 request ("timer", IRQF_TIMER) and jiffies advancing.
#include "drivers/pit/pit.h"
#include "kernel/errno.h"
#include "kernel/irq/interrupt.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/jiffies.h"

#include <gtest/gtest.h>
#include <vector>

#include "tests/host/support/fake_chip.h"
#include "tests/host/support/fake_portio.h"
#include "tests/host/support/host_env.h"

namespace {

using V = std::vector<FakePortIo::Access>;

class Pit : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        io.allow({0x40, 0x43});
        irq_set_chip_and_handler_name(0, &chip, handle_level_irq, "FAKE");
    }
    void TearDown() override { pit_shutdown(); }
    FakePortIo io;
    FakeChip chip;
};

TEST(PitDivisor, RoundsToNearestLikeLinuxLatch) {
    EXPECT_EQ(pit_divisor(1000), 1193u);  // 1193.182
    EXPECT_EQ(pit_divisor(100), 11932u);  // 11931.82
    EXPECT_EQ(pit_divisor(250), 4773u);   // 4772.728
    EXPECT_EQ(pit_divisor(10000), 119u);  // 119.3182
}

TEST_F(Pit, ProgramsChannel0RateGeneratorAt1000Hz) {
    ASSERT_EQ(pit_init(io, 1000), 0);
    EXPECT_EQ(io.log(), (V{OUT(0x43, 0x34), OUT(0x40, 0xA9), OUT(0x40, 0x04)}));  // 1193 = 0x04A9
    EXPECT_EQ(pit_current_divisor(), 1193u);
}

TEST_F(Pit, ProgramsChannel0At100Hz) {
    ASSERT_EQ(pit_init(io, 100), 0);
    EXPECT_EQ(io.log(), (V{OUT(0x43, 0x34), OUT(0x40, 0x9C), OUT(0x40, 0x2E)}));  // 11932 = 0x2E9C
}

TEST_F(Pit, RejectsRatesOutsideHzRangeWithoutTouchingHardware) {
    EXPECT_EQ(pit_init(io, 99), -EINVAL);
    EXPECT_EQ(pit_init(io, 10001), -EINVAL);
    EXPECT_TRUE(io.log().empty());
    EXPECT_EQ(irq_to_desc(0)->action, nullptr);
}

TEST_F(Pit, RequestsIrq0AsTimerAndEachInterruptAdvancesJiffies) {
    ASSERT_EQ(pit_init(io, 1000), 0);
    irqaction* a = irq_to_desc(0)->action;
    ASSERT_NE(a, nullptr);
    EXPECT_STREQ(a->name, "timer");
    EXPECT_EQ(a->flags & IRQF_TIMER, IRQF_TIMER);
    unsigned long j0 = jiffies, t0 = pit_tick_count();
    for (int i = 0; i < 5; i++) host_env::fire_irq(0);
    EXPECT_EQ(jiffies, j0 + 5);
    EXPECT_EQ(pit_tick_count(), t0 + 5);
    EXPECT_EQ(kstat_irqs(0), 5u);
    EXPECT_EQ(irq_to_desc(0)->irqs_unhandled, 0u) << "the timer handler must say IRQ_HANDLED";
}

TEST_F(Pit, FailsWhenIrq0CannotBeRequested) {
    irq_set_chip_and_handler_name(0, &no_irq_chip, handle_bad_irq, nullptr);
    EXPECT_EQ(pit_init(io, 1000), -ENOSYS);
}

TEST_F(Pit, ReadCountLatchesThenReadsLowHigh) {
    EXPECT_EQ(pit_read_count(), 0u) << "before init";
    ASSERT_EQ(pit_init(io, 1000), 0);
    io.clear_log();
    io.queue_in(0x40, {0x34, 0x02});
    EXPECT_EQ(pit_read_count(), 0x0234u);
    EXPECT_EQ(io.log(), (V{OUT(0x43, 0x00), IN(0x40, 0x34), IN(0x40, 0x02)}));
}

TEST_F(Pit, StopTickShutsChannel0DownAndLeavesJiffiesToTheNewTick) {
    ASSERT_EQ(pit_init(io, 1000), 0);
    EXPECT_TRUE(pit_ticking());
    io.clear_log();
    pit_stop_tick();
    EXPECT_FALSE(pit_ticking());
    EXPECT_EQ(io.log(), (V{OUT(0x43, 0x30), OUT(0x40, 0x00), OUT(0x40, 0x00)}));  // Linux pit_shutdown
    unsigned long j0 = jiffies, t0 = pit_tick_count();
    host_env::fire_irq(0);  // the one interrupt mode 0 may still raise
    EXPECT_EQ(jiffies, j0);
    EXPECT_EQ(pit_tick_count(), t0 + 1);
    EXPECT_EQ(kstat_irqs(0), 1u);
    EXPECT_EQ(irq_to_desc(0)->irqs_unhandled, 0u);
}

TEST(Jiffies, DoTimerAdvances) {
    host_env::reset_all();
    EXPECT_EQ(jiffies, 0u);
    do_timer(1);
    do_timer(3);
    EXPECT_EQ(jiffies, 4u);
    EXPECT_EQ(kernel_hz, HZ_DEFAULT);
    EXPECT_EQ(HZ, 1000u);
}

}  // namespace
