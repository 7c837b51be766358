// Host tests for drivers/apic/apic_timer: the calibration's port and register sequence and the rate it
// works out, its failure answers, the periodic programming at HZ (divide by 16, Linux's order), and the
// tick: LOC counted on every CPU, jiffies advanced only by the tick CPU.
#include "drivers/apic/apic_timer.h"
#include "arch/x86/irq_vectors.h"
#include "kernel/irq/irq_stat.h"
#include "kernel/jiffies.h"

#include <gtest/gtest.h>
#include <vector>

#include "tests/host/support/fake_mmio.h"
#include "tests/host/support/fake_portio.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/sim_cpu.h"

namespace {

using namespace lapic;

class ApicTimer : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        io.allow({0x42, 0x43, 0x61});
        mmio.set(APIC_LVTT, APIC_LVT_MASKED);
    }
    void TearDown() override {
        apic_set_tick_do_timer_cpu(-1);
        apic_timer_set_bus_hz(0);
    }
    FakePortIo io;
    FakeMmio mmio{APIC_MMIO_SIZE};
    LocalApic apic{mmio};
};

TEST_F(ApicTimer, CalibrationCountsTheLapicOverAKnownPitInterval) {
    // Three windows; each: port B as found, OUT2 low twice, then high.
    for (int i = 0; i < 3; i++) io.queue_in(0x61, {0x00, 0x00, 0x00, 0x20});
    // 59659 PIT clocks = 50.0 ms; the LAPIC (divide by 16) moved by 3,125,000 in the shortest window, a
    // 1 GHz bus (QEMU); the longer ones (a preempted emulator) do not count.
    mmio.queue_read(APIC_TMCCT, {0xFFFFFFFFu, 0xFFFFFFFFu - 3600000u, 0xFFFFFFFFu, 0xFFFFFFFFu - 3125000u, 0xFFFFFFFFu,
                                 0xFFFFFFFFu - 3300000u});
    unsigned long hz = apic_timer_calibrate(io, apic);
    EXPECT_NEAR(double(hz), 1e9, 1e9 * 0.0001);
    // Channel 2: gate on with the speaker off, mode 0, the count LSB/MSB; gate off again at the end.
    std::vector<FakePortIo::Access> one = {OUT(0x61, 0x01), OUT(0x43, 0xB0), OUT(0x42, 59659 & 0xFF),
                                           OUT(0x42, 59659 >> 8), OUT(0x61, 0x00)};
    std::vector<FakePortIo::Access> three;
    for (int i = 0; i < 3; i++) three.insert(three.end(), one.begin(), one.end());
    EXPECT_EQ(io.outs(), three);
    // The LAPIC counted one-shot, masked, from the top, and is stopped again.
    auto lvtt = mmio.writes_to(APIC_LVTT);
    ASSERT_FALSE(lvtt.empty());
    EXPECT_EQ(lvtt.front().value, APIC_LVT_MASKED | LOCAL_TIMER_VECTOR);
    EXPECT_EQ(mmio.get(APIC_TDCR), APIC_TDR_DIV_16);
    EXPECT_EQ(mmio.writes_to(APIC_TMICT).front().value, 0xFFFFFFFFu);
    EXPECT_EQ(mmio.get(APIC_TMICT), 0u);
    EXPECT_TRUE(apic.lvt_timer().masked());
}

TEST_F(ApicTimer, CalibrationFailsWhenTheLapicCounterStands) {
    for (int i = 0; i < 3; i++) io.queue_in(0x61, {0x00, 0x20});
    mmio.queue_read(APIC_TMCCT, {0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000});
    EXPECT_EQ(apic_timer_calibrate(io, apic), 0u);
}

TEST_F(ApicTimer, PeriodicAtHzDividesTheBusClockBy16) {
    EXPECT_EQ(apic_timer_setup_periodic(apic, 1000000000ul, 1000), 62500u);
    EXPECT_EQ(mmio.writes(),
              (std::vector<FakeMmio::Access>{MMIO_W(APIC_LVTT, 0x20000u | LOCAL_TIMER_VECTOR),
                                             MMIO_W(APIC_TDCR, APIC_TDR_DIV_16), MMIO_W(APIC_TMICT, 62500)}));
    EXPECT_EQ(apic_timer_setup_periodic(apic, 1000000000ul, 250), 250000u);
}

TEST_F(ApicTimer, PeriodicRefusesAZeroCount) {
    EXPECT_EQ(apic_timer_setup_periodic(apic, 1000, 1000), 0u);
    EXPECT_TRUE(apic.lvt_timer().masked());
    EXPECT_EQ(mmio.get(APIC_TMICT), 0u);
}

TEST_F(ApicTimer, EveryCpuCountsLocOnlyTheTickCpuAdvancesJiffies) {
    SimCpu::set_online(2);
    apic_set_tick_do_timer_cpu(0);
    unsigned long j = jiffies;
    local_apic_timer_interrupt(0);
    {
        SimCpu::Scope cpu1(1);
        local_apic_timer_interrupt(1);
        local_apic_timer_interrupt(1);
    }
    EXPECT_EQ(jiffies, j + 1);
    EXPECT_EQ(irq_stat_read(apic_timer_irqs, 0), 1u);
    EXPECT_EQ(irq_stat_read(apic_timer_irqs, 1), 2u);
}

TEST_F(ApicTimer, NoJiffiesWhileThePitOwnsTheTick) {
    unsigned long j = jiffies;
    local_apic_timer_interrupt(0);
    EXPECT_EQ(jiffies, j);
    EXPECT_EQ(irq_stat_read(apic_timer_irqs, 0), 1u);
}

}  // namespace
