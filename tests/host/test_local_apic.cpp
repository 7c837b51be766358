// Host tests for drivers/apic/local_apic: the register accesses of the enable sequence (Linux
// setup_local_APIC + lapic_setup_esr), EOI, the TMR/ISR bit lookups, typed LVT entries, the error
// interrupt's ESR write-then-read with its message and ERR count, and the ICR encodings of every IPI
// kind with the wait for the delivery status (Intel SDM vol. 3A 11.5, 11.6, 11.8, 11.9).
#include "drivers/apic/local_apic.h"
#include "arch/x86/irq_vectors.h"
#include "kernel/errno.h"
#include "kernel/irq/irqdesc.h"

#include <gtest/gtest.h>
#include <vector>

#include "tests/host/support/capture_console.h"
#include "tests/host/support/fake_mmio.h"
#include "tests/host/support/host_env.h"

namespace {

using namespace lapic;
using V = std::vector<FakeMmio::Access>;

class LocalApicTest : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        mmio.set(APIC_ID, 3u << 24);
        mmio.set(APIC_LVR, 0x00050014);   // version 0x14, max LVT 5 (QEMU and Bochs)
        mmio.set(APIC_SPIV, 0x000000FF);  // reset value: disabled, vector 0xff
        mmio.set(APIC_TASKPRI, 0);
        mmio.set(APIC_ESR, 0);
        mmio.set(APIC_ICR, 0);
        mmio.set(APIC_LVTT, APIC_LVT_MASKED);
        for (unsigned r = 0; r < APIC_IR_REGS; r++) {
            mmio.set(APIC_ISR + 0x10 * r, 0);
            mmio.set(APIC_IRR + 0x10 * r, 0);
            mmio.set(APIC_TMR + 0x10 * r, 0);
        }
    }
    void TearDown() override { set_local_apic(nullptr); }
    FakeMmio mmio{APIC_MMIO_SIZE};
    LocalApic apic{mmio};
};

TEST_F(LocalApicTest, IdAndVersionComeFromTheirRegisters) {
    EXPECT_EQ(apic.id(), 3u);
    EXPECT_EQ(apic.version(), 0x14u);
    EXPECT_EQ(apic.max_lvt(), 5u);
    EXPECT_TRUE(apic.integrated());
    mmio.set(APIC_LVR, 0x00030003);  // an external 82489DX
    EXPECT_FALSE(apic.integrated());
}

TEST_F(LocalApicTest, SetupOnTheBootCpuFollowsLinuxOrder) {
    mmio.set(APIC_SPIV, 0x1FF);  // left enabled by a previous owner
    apic.setup(/*boot_cpu=*/true, /*extint=*/true, SPURIOUS_APIC_VECTOR, ERROR_APIC_VECTOR);
    EXPECT_EQ(mmio.writes(), (V{
                                 MMIO_W(APIC_SPIV, 0x0FF),  // soft-disabled first
                                 MMIO_W(APIC_TASKPRI, 0x10),
                                 MMIO_W(APIC_SPIV, 0x100 | SPURIOUS_APIC_VECTOR),  // enabled
                                 MMIO_W(APIC_LVT0, APIC_DM_EXTINT),                // virtual wire
                                 MMIO_W(APIC_LVT1, APIC_DM_NMI),
                                 MMIO_W(APIC_ESR, 0),
                                 MMIO_W(APIC_LVTERR, ERROR_APIC_VECTOR),
                                 MMIO_W(APIC_ESR, 0),
                                 MMIO_W(APIC_LVTT, APIC_LVT_MASKED),
                             }));
    EXPECT_TRUE(apic.enabled());
    EXPECT_EQ(apic.lvt_error().vector(), ERROR_APIC_VECTOR);
    EXPECT_FALSE(apic.lvt_error().masked());
}

TEST_F(LocalApicTest, SetupOnAnApMasksLint0AndLint1) {
    apic.setup(/*boot_cpu=*/false, /*extint=*/true, SPURIOUS_APIC_VECTOR, ERROR_APIC_VECTOR);
    EXPECT_EQ(mmio.get(APIC_LVT0), APIC_DM_EXTINT | APIC_LVT_MASKED);
    EXPECT_EQ(mmio.get(APIC_LVT1), APIC_DM_NMI | APIC_LVT_MASKED);
    EXPECT_TRUE(apic.lvt_lint0().masked());
    EXPECT_EQ(apic.lvt_lint1().delivery(), LvtDelivery::Nmi);
}

TEST_F(LocalApicTest, SetupInApicModeMasksExtintOnTheBootCpuToo) {
    apic.setup(/*boot_cpu=*/true, /*extint=*/false, SPURIOUS_APIC_VECTOR, ERROR_APIC_VECTOR);
    EXPECT_TRUE(apic.lvt_lint0().masked());
    EXPECT_FALSE(apic.lvt_lint1().masked());
}

TEST_F(LocalApicTest, SetupAcknowledgesStaleInServiceBits) {
    // Two stale in-service vectors: one EOI each, then the next round finds the ISR empty.
    mmio.queue_read(APIC_ISR + 0x10 * 1, {0x3});  // vectors 0x20 and 0x21
    apic.setup(true, false, SPURIOUS_APIC_VECTOR, ERROR_APIC_VECTOR);
    EXPECT_EQ(mmio.writes_to(APIC_EOI).size(), 2u);
}

TEST_F(LocalApicTest, EoiWritesZeroToTheEoiRegister) {
    apic.eoi();
    EXPECT_EQ(mmio.log(), (V{MMIO_W(APIC_EOI, 0)}));
}

TEST_F(LocalApicTest, ApicEoiReachesTheInstalledApicOnly) {
    apic_eoi();  // PIC mode: nothing
    EXPECT_TRUE(mmio.log().empty());
    EXPECT_EQ(local_apic(), nullptr);
    set_local_apic(&apic);
    EXPECT_EQ(local_apic(), &apic);
    apic_eoi();
    EXPECT_EQ(mmio.log(), (V{MMIO_W(APIC_EOI, 0)}));
}

// A real (direct) window: apic_eoi is one store to the EOI register of the installed local APIC, and
// nothing once the APIC is uninstalled. Host memory stands in for the 4 KiB register page.
TEST_F(LocalApicTest, ApicEoiOnADirectWindowStoresToItsEoiRegister) {
    static uint32_t page[0x400];
    for (uint32_t& w : page) w = 0xdeadbeef;
    MmioWindow window(reinterpret_cast<uintptr_t>(page));
    LocalApic direct(window);
    set_local_apic(&direct);
    EXPECT_EQ(apic_eoi_reg, reinterpret_cast<uintptr_t>(&page[APIC_EOI / 4]));
    apic_eoi();
    EXPECT_EQ(page[APIC_EOI / 4], 0u);
    for (unsigned i = 0; i < 0x400; i++) {
        if (i != APIC_EOI / 4) {
            ASSERT_EQ(page[i], 0xdeadbeefu) << "register " << i * 4 << " written";
        }
    }
    page[APIC_EOI / 4] = 0xdeadbeef;
    set_local_apic(&apic);  // a fake again: through the object, not the old window
    EXPECT_EQ(apic_eoi_reg, 0u);
    apic_eoi();
    EXPECT_EQ(page[APIC_EOI / 4], 0xdeadbeefu);
    EXPECT_EQ(mmio.log(), (V{MMIO_W(APIC_EOI, 0)}));
    set_local_apic(nullptr);
    apic_eoi();
    EXPECT_EQ(mmio.log().size(), 1u);
}

TEST_F(LocalApicTest, TmrIsrIrrBitsAreLookedUpByVector) {
    mmio.set(APIC_TMR + 0x10 * 1, 1u << 11);    // vector 0x2b
    mmio.set(APIC_ISR + 0x10 * 7, 1u << 31);    // vector 0xff
    mmio.set(APIC_IRR + 0x10 * 7, 1u << 0x1c);  // vector 0xfc
    EXPECT_TRUE(apic.vector_is_level(0x2b));
    EXPECT_FALSE(apic.vector_is_level(0x2a));
    EXPECT_FALSE(apic.vector_is_level(0x4b));
    EXPECT_TRUE(apic.vector_in_service(0xff));
    EXPECT_FALSE(apic.vector_in_service(0xfe));
    EXPECT_TRUE(apic.vector_requested(CALL_FUNCTION_VECTOR));
}

TEST_F(LocalApicTest, LvtEntriesEncodeTheirFields) {
    EXPECT_EQ(Lvt::timer(LOCAL_TIMER_VECTOR, LvtTimerMode::Periodic).raw, 0x20000u | LOCAL_TIMER_VECTOR);
    EXPECT_EQ(Lvt::fixed(ERROR_APIC_VECTOR, true).raw, 0x10000u | ERROR_APIC_VECTOR);
    EXPECT_EQ(Lvt::lint(LvtDelivery::ExtInt, false).raw, 0x700u);
    EXPECT_EQ(Lvt::lint(LvtDelivery::Nmi, true, true).raw, 0x18400u);
    Lvt l{0x0001A7ECu};
    EXPECT_TRUE(l.masked());
    EXPECT_TRUE(l.level());
    EXPECT_EQ(l.vector(), 0xECu);
    EXPECT_EQ(l.delivery(), LvtDelivery::ExtInt);
    EXPECT_TRUE(l.pending() == false);
}

TEST_F(LocalApicTest, ErrorInterruptWritesEsrBeforeReadingAndCounts) {
    unsigned long err = irq_err_count;
    host_console::clear();
    // The ESR shows nothing until written (the write latches the collected errors): before 0x00, after
    // the latch "Send illegal vector" and "Received illegal vector".
    mmio.queue_read(APIC_ESR, {0x00, 0x60});
    EXPECT_EQ(apic.handle_error_interrupt(1), 0x60u);
    EXPECT_EQ(mmio.log(), (V{
                              MMIO_R(APIC_ESR, 0x00),
                              MMIO_R(APIC_LVR, 0x00050014),
                              MMIO_W(APIC_ESR, 0),
                              MMIO_R(APIC_ESR, 0x60),
                              MMIO_W(APIC_EOI, 0),
                          }));
    EXPECT_EQ(irq_err_count, err + 1);
    EXPECT_NE(host_console::text().find("APIC error on CPU1: 00(60) : Send illegal vector : Received illegal vector\n"),
              std::string::npos)
        << host_console::text();
}

TEST_F(LocalApicTest, EsrIsNotWrittenOnAnApicWithThreeLvts) {
    mmio.set(APIC_LVR, 0x00030014);  // Pentium erratum 3AP: writing the ESR is only safe with max LVT > 3
    mmio.set(APIC_ESR, 0x80);
    EXPECT_EQ(apic.read_esr(), 0x80u);
    EXPECT_EQ(mmio.count(FakeMmio::Op::Write, APIC_ESR), 0u);
}

TEST_F(LocalApicTest, FixedIpiWritesTheDestinationFirst) {
    EXPECT_EQ(apic.send_ipi(2, CALL_FUNCTION_SINGLE_VECTOR), 0);
    EXPECT_EQ(mmio.log(), (V{
                              MMIO_R(APIC_ICR, 0),  // idle
                              MMIO_W(APIC_ICR2, 2u << 24),
                              MMIO_W(APIC_ICR, CALL_FUNCTION_SINGLE_VECTOR),
                          }));
}

TEST_F(LocalApicTest, ShorthandIpisLeaveTheDestinationAlone) {
    EXPECT_EQ(apic.send_ipi_self(RESCHEDULE_VECTOR), 0);
    EXPECT_EQ(apic.send_ipi_allbutself(CALL_FUNCTION_VECTOR), 0);
    EXPECT_EQ(apic.send_ipi_all(RESCHEDULE_VECTOR), 0);
    EXPECT_EQ(mmio.writes(), (V{
                                 MMIO_W(APIC_ICR, 0x40000u | RESCHEDULE_VECTOR),
                                 MMIO_W(APIC_ICR, 0xC0000u | CALL_FUNCTION_VECTOR),
                                 MMIO_W(APIC_ICR, 0x80000u | RESCHEDULE_VECTOR),
                             }));
}

TEST_F(LocalApicTest, InitAndStartupEncodings) {
    EXPECT_EQ(apic.send_init_assert(1), 0);
    EXPECT_EQ(apic.send_init_deassert(1), 0);
    EXPECT_EQ(apic.send_startup(1, 0x8000), 0);
    EXPECT_EQ(mmio.writes(), (V{
                                 MMIO_W(APIC_ICR2, 1u << 24), MMIO_W(APIC_ICR, 0xC500),  // level, assert, INIT
                                 MMIO_W(APIC_ICR2, 1u << 24), MMIO_W(APIC_ICR, 0x8500),  // level, de-assert, INIT
                                 MMIO_W(APIC_ICR2, 1u << 24), MMIO_W(APIC_ICR, 0x0608),  // start-up at page 8 (0x8000)
                             }));
}

TEST_F(LocalApicTest, IpiWaitsForTheDeliveryStatus) {
    mmio.queue_read(APIC_ICR, {APIC_SEND_PENDING, APIC_SEND_PENDING, APIC_SEND_PENDING});
    EXPECT_EQ(apic.send_ipi(0, RESCHEDULE_VECTOR), 0);
    EXPECT_EQ(mmio.count(FakeMmio::Op::Read, APIC_ICR), 4u);
    EXPECT_EQ(mmio.writes_to(APIC_ICR), (V{MMIO_W(APIC_ICR, RESCHEDULE_VECTOR)}));
}

TEST_F(LocalApicTest, IpiGivesUpWhenTheIcrStaysBusy) {
    mmio.set(APIC_ICR, APIC_SEND_PENDING);
    EXPECT_EQ(apic.send_ipi(1, RESCHEDULE_VECTOR), -ETIMEDOUT);
    EXPECT_TRUE(mmio.writes().empty());  // nothing sent over a command still in flight
    EXPECT_EQ(apic.wait_icr_idle(), -ETIMEDOUT);
}

TEST_F(LocalApicTest, SoftDisableMasksEveryLvtAndClearsTheEnable) {
    apic.setup(true, true, SPURIOUS_APIC_VECTOR, ERROR_APIC_VECTOR);
    apic.soft_disable();
    EXPECT_FALSE(apic.enabled());
    EXPECT_TRUE(apic.lvt_timer().masked());
    EXPECT_TRUE(apic.lvt_lint0().masked());
    EXPECT_TRUE(apic.lvt_lint1().masked());
    EXPECT_TRUE(apic.lvt_error().masked());
}

TEST(LocalApicEsr, BitNames) {
    EXPECT_STREQ(esr_bit_name(0), "Send CS error");
    EXPECT_STREQ(esr_bit_name(7), "Illegal register address");
    EXPECT_EQ(esr_bit_name(8), nullptr);
}

}  // namespace
