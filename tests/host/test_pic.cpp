// Host tests for drivers/pic: the 8259A pair byte by byte against the fake PortIo (init words, IMR
// halves, specific EOI order, spurious IRQ7/IRQ15 through the ISR, AEOI, probe, ELCR) and its wiring
// into the genirq core (handle_level_irq on all 16 lines, the cascade, a real interrupt end to end).
#include "drivers/pic/i8259.h"
#include "drivers/pic/legacy_pic.h"
#include "kernel/irq/interrupt.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/shell/shell.h"

#include <gtest/gtest.h>
#include <cstdio>
#include <string>
#include <vector>

#include "tests/host/support/capture_console.h"
#include "tests/host/support/fake_chip.h"
#include "tests/host/support/fake_portio.h"
#include "tests/host/support/host_env.h"

namespace {

using A = FakePortIo::Access;
using V = std::vector<A>;

class Pic8259Test : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        io.allow({0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1});
    }
    void TearDown() override { legacy_pic = &null_legacy_pic; }  // the chip object dies with the test
    irq_data line(unsigned pin) {
        irq_data d;
        d.irq = pin;
        d.hwirq = pin;
        d.has_hwirq = true;
        return d;
    }
    FakePortIo io;
    Pic8259 pic{io};
};

TEST_F(Pic8259Test, InitWritesTheIcwSequence) {
    pic.init(false);
    V expect = {
        OUT(0x21, 0xFF), OUT(0xA1, 0xFF),  // mask everything first
        OUT(0x20, 0x11), IO_DELAY(),      OUT(0x21, 0x30), IO_DELAY(),      OUT(0x21, 0x04),
        IO_DELAY(),      OUT(0x21, 0x01), IO_DELAY(),      OUT(0xA0, 0x11), IO_DELAY(),
        OUT(0xA1, 0x38), IO_DELAY(),      OUT(0xA1, 0x02), IO_DELAY(),      OUT(0xA1, 0x01),
        IO_DELAY(),      UDELAY(100),     OUT(0x21, 0xFF), OUT(0xA1, 0xFF)};  // the cached masks: still all masked
    EXPECT_EQ(io.log(), expect);
    EXPECT_FALSE(pic.auto_eoi());
    EXPECT_STREQ(pic.name(), "XT-PIC");
}

TEST_F(Pic8259Test, InitRestoresCachedMasksAndHonoursVectorBase) {
    Pic8259 other(io, 0x30);  // Linux's base
    other.unmask(0);
    other.unmask(2);
    other.unmask(9);
    io.clear_log();
    other.init(false);
    EXPECT_EQ(io.outs_to(0x21)[1], OUT(0x21, 0x30));
    EXPECT_EQ(io.outs_to(0xA1)[1], OUT(0xA1, 0x38));
    V tail(io.log().end() - 3, io.log().end());
    EXPECT_EQ(tail, (V{UDELAY(100), OUT(0x21, 0xFA), OUT(0xA1, 0xFD)}));
}

TEST_F(Pic8259Test, AeoiInitAndMaskAckIsPlainMask) {
    pic.init(true);
    EXPECT_TRUE(pic.auto_eoi());
    EXPECT_EQ(io.outs_to(0x21)[3], OUT(0x21, 0x03));  // ICW4 with AEOI, master
    EXPECT_EQ(io.outs_to(0xA1)[3], OUT(0xA1, 0x03));  // and slave (see i8259.cpp init)
    pic.unmask(3);
    io.clear_log();
    irq_data d = line(3);
    pic.irq_mask_ack(&d);
    EXPECT_EQ(io.log(), (V{OUT(0x21, 0xFF)})) << "AEOI: no EOI command";
    io.clear_log();
    EXPECT_FALSE(pic.filter_spurious(7)) << "no ISR check is possible in AEOI mode";
    EXPECT_TRUE(io.log().empty());
}

TEST_F(Pic8259Test, MaskAndUnmaskWriteOnlyTheirHalf) {
    pic.unmask(1);
    EXPECT_EQ(io.log(), (V{OUT(0x21, 0xFD)}));
    io.clear_log();
    pic.unmask(12);
    EXPECT_EQ(io.log(), (V{OUT(0xA1, 0xEF)}));
    io.clear_log();
    irq_data d1 = line(1), d12 = line(12);
    pic.irq_mask(&d1);
    pic.irq_unmask(&d1);
    pic.irq_disable(&d12);  // disable masks at once (not lazy)
    pic.irq_enable(&d12);
    EXPECT_EQ(io.log(), (V{OUT(0x21, 0xFF), OUT(0x21, 0xFD), OUT(0xA1, 0xFF), OUT(0xA1, 0xEF)}));
    EXPECT_EQ(pic.cached_mask(), 0xEFFD);
    EXPECT_TRUE(pic.has(IRQCHIP_OP_DISABLE));
}

TEST_F(Pic8259Test, MaskAckMasterLine) {
    pic.unmask(1);
    io.clear_log();
    irq_data d = line(1);
    pic.irq_mask_ack(&d);
    EXPECT_EQ(io.log(), (V{OUT(0x21, 0xFF), OUT(0x20, 0x61)}));  // mask, specific EOI for IR1
    EXPECT_EQ(pic.cached_mask() & 0x2, 0x2);
}

TEST_F(Pic8259Test, MaskAckSlaveLineEoisSlaveThenMasterCascade) {
    pic.unmask(2);
    pic.unmask(12);
    io.clear_log();
    irq_data d = line(12);
    pic.irq_mask_ack(&d);
    EXPECT_EQ(io.log(), (V{OUT(0xA1, 0xFF), OUT(0xA0, 0x64), OUT(0x20, 0x62)}));
}

TEST_F(Pic8259Test, SpuriousIrq7IsCountedNotEoidAndReportedOnce) {
    unsigned long err = irq_err_count;
    io.queue_in(0x20, {0x00, 0x00});  // ISR: nothing in service, twice
    EXPECT_TRUE(pic.filter_spurious(7));
    EXPECT_EQ(io.log(), (V{OUT(0x20, 0x0B), IN(0x20, 0x00), OUT(0x20, 0x0A)})) << "ISR read, no EOI";
    EXPECT_TRUE(pic.filter_spurious(7));
    EXPECT_EQ(irq_err_count, err + 2);
    EXPECT_EQ(host_console::count("spurious 8259A interrupt: IRQ7.\n"), 1u);
}

TEST_F(Pic8259Test, RealIrq7IsDispatchedAndEoid) {
    pic.unmask(7);
    io.clear_log();
    unsigned long err = irq_err_count;
    io.queue_in(0x20, {0x80});  // ISR bit 7 set: a real printer-port interrupt
    EXPECT_FALSE(pic.filter_spurious(7));
    irq_data d = line(7);
    pic.irq_mask_ack(&d);
    EXPECT_EQ(io.log(), (V{OUT(0x20, 0x0B), IN(0x20, 0x80), OUT(0x20, 0x0A), OUT(0x21, 0xFF), OUT(0x20, 0x67)}));
    EXPECT_EQ(irq_err_count, err);
    EXPECT_EQ(host_console::count("spurious 8259A"), 0u);
}

TEST_F(Pic8259Test, SpuriousIrq15EoisOnlyTheMasterCascade) {
    unsigned long err = irq_err_count;
    io.queue_in(0xA0, {0x00});
    EXPECT_TRUE(pic.filter_spurious(15));
    EXPECT_EQ(io.log(), (V{OUT(0xA0, 0x0B), IN(0xA0, 0x00), OUT(0xA0, 0x0A), OUT(0x20, 0x62)}));
    EXPECT_EQ(irq_err_count, err + 1);
    EXPECT_EQ(host_console::count("spurious 8259A interrupt: IRQ15.\n"), 1u);
}

TEST_F(Pic8259Test, RealIrq15WithOtherIsrBitsIsNotSpurious) {
    io.queue_in(0xA0, {0x80 | 0x04});
    EXPECT_FALSE(pic.filter_spurious(15));
    io.queue_in(0xA0, {0x7F});  // every bit but IR7: still spurious for IRQ15
    EXPECT_TRUE(pic.filter_spurious(15));
}

TEST_F(Pic8259Test, FilterIgnoresOtherLinesWithoutTouchingPorts) {
    for (unsigned irq : {0u, 1u, 2u, 6u, 8u, 14u, 16u, 23u}) EXPECT_FALSE(pic.filter_spurious(irq)) << irq;
    EXPECT_TRUE(io.log().empty());
}

TEST_F(Pic8259Test, MaskAckOnMaskedLineChecksIsrLikeLinux) {
    // IRQ7 still masked (never requested): mask_ack reads the ISR. Not in service: spurious, no IMR
    // write, no EOI. In service (masked after delivery): a normal mask + EOI.
    irq_data d = line(7);
    unsigned long err = irq_err_count;
    io.queue_in(0x20, {0x00});
    pic.irq_mask_ack(&d);
    EXPECT_EQ(io.log(), (V{OUT(0x20, 0x0B), IN(0x20, 0x00), OUT(0x20, 0x0A)}));
    EXPECT_EQ(irq_err_count, err + 1);
    io.clear_log();
    io.queue_in(0x20, {0x80});
    pic.irq_mask_ack(&d);
    EXPECT_EQ(io.log(), (V{OUT(0x20, 0x0B), IN(0x20, 0x80), OUT(0x20, 0x0A), OUT(0x21, 0xFF), OUT(0x20, 0x67)}));
    EXPECT_EQ(irq_err_count, err + 1);
}

TEST_F(Pic8259Test, SpuriousSlaveLineInMaskAckEoisTheCascadeOnly) {
    irq_data d = line(15);
    io.queue_in(0xA0, {0x00});
    pic.irq_mask_ack(&d);
    EXPECT_EQ(io.log(), (V{OUT(0xA0, 0x0B), IN(0xA0, 0x00), OUT(0xA0, 0x0A), OUT(0x20, 0x62)}));
}

TEST_F(Pic8259Test, ProbeFailsWhenImrDoesNotReadBack) {
    io.queue_in(0x21, {0xFF});  // floating bus
    EXPECT_EQ(legacy_pic_setup_chip(pic), -ENODEV);
    EXPECT_EQ(io.log(), (V{OUT(0xA1, 0xFF), OUT(0x21, 0xFB), IN(0x21, 0xFF)}));
    EXPECT_EQ(legacy_pic, &null_legacy_pic);
    EXPECT_EQ(nr_legacy_irqs(), 0u);
    EXPECT_FALSE(legacy_pic_filter_spurious(irq_to_desc(7)));
    EXPECT_EQ(host_console::count("Using NULL legacy PIC\n"), 1u);
    EXPECT_EQ(irq_to_desc(0)->irq_data.chip, &no_irq_chip) << "lines stay unwired";
}

class Pic8259Setup : public Pic8259Test {
protected:
    void SetUp() override {
        Pic8259Test::SetUp();
        io.queue_in(0x21, {0xFB});   // probe read-back
        io.queue_in(0x4D0, {0x00});  // ELCR1: all edge
        io.queue_in(0x4D1, {0x0C});  // ELCR2: IRQ10, 11 level (PCI)
        ASSERT_EQ(legacy_pic_setup_chip(pic), 0);
    }
};

TEST_F(Pic8259Setup, WiresAllSixteenLinesAndTheCascade) {
    EXPECT_EQ(legacy_pic, static_cast<LegacyPic*>(&pic));
    EXPECT_EQ(nr_legacy_irqs(), 16u);
    for (unsigned i = 0; i < 16; i++) {
        irq_desc* desc = irq_to_desc(i);
        EXPECT_EQ(desc->irq_data.chip, static_cast<IrqChip*>(&pic)) << i;
        EXPECT_EQ(desc->handle_irq, &handle_level_irq) << i;
        EXPECT_STREQ(desc->name, "level") << i;
        EXPECT_EQ(desc->irq_data.hwirq, i);
        EXPECT_TRUE(desc->irq_data.has_hwirq);
        EXPECT_TRUE(irq_settings_is_level(desc)) << i;
    }
    EXPECT_EQ(irq_to_desc(16)->irq_data.chip, &no_irq_chip);
    ASSERT_NE(irq_to_desc(2)->action, nullptr);
    EXPECT_STREQ(irq_to_desc(2)->action->name, "cascade");
    EXPECT_EQ(pic.cached_mask(), 0xFFFB) << "requesting the cascade unmasks IR2 only";
    EXPECT_EQ(io.outs_to(0x21).back(), OUT(0x21, 0xFB));
    EXPECT_TRUE(pic.elcr_is_level(10));
    EXPECT_TRUE(pic.elcr_is_level(11));
    EXPECT_FALSE(pic.elcr_is_level(9));
}

int g_kbd_calls;
irqreturn_t kbd_handler(int irq, void* dev) {
    EXPECT_EQ(irq, 1);
    EXPECT_EQ(dev, &g_kbd_calls);
    g_kbd_calls++;
    return IRQ_HANDLED;
}

TEST_F(Pic8259Setup, RealInterruptFlowsThroughMaskAckHandlerUnmask) {
    g_kbd_calls = 0;
    ASSERT_EQ(request_irq(1, kbd_handler, 0, "i8042", &g_kbd_calls), 0);
    EXPECT_EQ(io.outs().back(), OUT(0x21, 0xF9));
    io.clear_log();
    ASSERT_FALSE(legacy_pic_filter_spurious(irq_to_desc(1)));
    host_env::fire_irq(1);
    EXPECT_EQ(g_kbd_calls, 1);
    EXPECT_EQ(io.log(), (V{OUT(0x21, 0xFB), OUT(0x20, 0x61), OUT(0x21, 0xF9)}));
    EXPECT_EQ(kstat_irqs(1), 1u);
    free_irq(1, &g_kbd_calls);
    EXPECT_EQ(pic.cached_mask() & 0x2, 0x2) << "free of the last action masks the line";
}

TEST_F(Pic8259Setup, SetTypeProgramsTheElcr) {
    io.queue_in(0x4D1, {0x0C});
    EXPECT_EQ(irq_set_irq_type(9, IRQ_TYPE_LEVEL_LOW), 0);
    EXPECT_EQ(io.outs_to(0x4D1).back(), OUT(0x4D1, 0x0E));
    EXPECT_TRUE(pic.elcr_is_level(9));
    io.queue_in(0x4D1, {0x0E});
    EXPECT_EQ(irq_set_irq_type(10, IRQ_TYPE_EDGE_RISING), 0);
    EXPECT_EQ(io.outs_to(0x4D1).back(), OUT(0x4D1, 0x0A));
    EXPECT_FALSE(pic.elcr_is_level(10));
    io.clear_log();
    EXPECT_EQ(irq_set_irq_type(0, IRQ_TYPE_LEVEL_LOW), -EINVAL) << "IRQ0 is wired edge";
    EXPECT_EQ(irq_set_irq_type(13, IRQ_TYPE_LEVEL_LOW), -EINVAL);
    EXPECT_EQ(irq_set_irq_type(5, IRQ_TYPE_EDGE_FALLING), -EINVAL);
    EXPECT_TRUE(io.log().empty());
}

TEST_F(Pic8259Setup, IrqPendingReadsTheIrr) {
    io.queue_in(0x20, {0x02, 0x02});
    EXPECT_TRUE(pic.irq_pending(1));
    EXPECT_FALSE(pic.irq_pending(0));
    io.queue_in(0xA0, {0x10});
    EXPECT_TRUE(pic.irq_pending(12));
}

TEST_F(Pic8259Setup, MaskAllAndRestore) {
    io.clear_log();
    pic.mask_all();
    pic.restore_mask();
    EXPECT_EQ(io.log(), (V{OUT(0x21, 0xFF), OUT(0xA1, 0xFF), OUT(0x21, 0xFB), OUT(0xA1, 0xFF)}));
}

}  // namespace

// ---- "XT-PIC-lazy": the same 8259 without irq_disable, so that the core's lazy disable shows on it.

namespace {

int g_lazy_calls;
irqreturn_t lazy_handler(int, void* dev) {
    static_cast<int*>(dev)[0]++;
    return IRQ_HANDLED;
}

// APIC mode with the 8259 pair still present: IRQ 7 and 15 are IO-APIC pins now. The spurious filter
// belongs to the line's chip, so the 8259's in-service register is not consulted (no port access) and
// the interrupt is dispatched, even though the 8259 would call IRQ7 spurious.
TEST_F(Pic8259Setup, Irq7OnAnotherChipIsNotFilteredByThe8259) {
    FakeChip ioapic{FakeChip::DEFAULT_OPS, 0, "IO-APIC"};
    for (unsigned irq : {7u, 15u}) irq_set_chip_and_handler_name(irq, &ioapic, handle_edge_irq, "edge");
    io.clear_log();
    unsigned long err = irq_err_count;
    EXPECT_FALSE(legacy_pic_filter_spurious(irq_to_desc(7)));
    EXPECT_FALSE(legacy_pic_filter_spurious(irq_to_desc(15)));
    EXPECT_EQ(io.log(), V{});
    EXPECT_EQ(irq_err_count, err);
}

// Both 8259 chips filter: XT-PIC and a line switched to XT-PIC-lazy.
TEST_F(Pic8259Setup, Irq7OnEither8259ChipIsFiltered) {
    io.queue_in(0x20, {0x00, 0x00});  // ISR: nothing in service
    unsigned long err = irq_err_count;
    EXPECT_TRUE(legacy_pic_filter_spurious(irq_to_desc(7)));
    ASSERT_EQ(i8259_set_lazy(7, true), 0);
    EXPECT_TRUE(legacy_pic_filter_spurious(irq_to_desc(7)));
    EXPECT_EQ(irq_err_count, err + 2);
    ASSERT_EQ(i8259_set_lazy(7, false), 0);
}

class Pic8259Lazy : public Pic8259Setup {
protected:
    irq_desc* desc(unsigned irq) { return irq_to_desc(irq); }
    bool masked(unsigned irq) { return irqd_irq_masked(&desc(irq)->irq_data); }
    bool pending(unsigned irq) { return desc(irq)->istate & IRQS_PENDING; }
    // Request `irq` and switch it to the lazy chip; the port log then holds only what the test does.
    void lazy_line(unsigned irq) {
        g_lazy_calls = 0;
        ASSERT_EQ(request_irq(irq, lazy_handler, 0, "lazy", &g_lazy_calls), 0);
        ASSERT_EQ(i8259_set_lazy(irq, true), 0);
        io.clear_log();
    }
    void TearDown() override {
        for (unsigned irq : {1u, 11u})
            if (desc(irq)->action) free_irq(irq, &g_lazy_calls);
        Pic8259Setup::TearDown();
    }
};

}  // namespace

TEST_F(Pic8259Lazy, OnlyTheDeviceLinesOfAnExisting8259CanBeSwitched) {
    EXPECT_EQ(i8259_set_lazy(2, true), -EINVAL) << "the cascade";
    EXPECT_EQ(i8259_set_lazy(16, true), -EINVAL);
    EXPECT_EQ(i8259_set_lazy(255, true), -EINVAL);
    EXPECT_EQ(i8259_set_lazy(1000, false), -EINVAL);
    EXPECT_FALSE(i8259_is_lazy(2));
    EXPECT_FALSE(i8259_is_lazy(1000));
    legacy_pic = &null_legacy_pic;
    EXPECT_EQ(i8259_set_lazy(1, true), -EINVAL) << "no 8259";
}

TEST_F(Pic8259Lazy, EdgeLineGetsTheEdgeFlowLevelLineTheLevelFlowAndBackToLinuxWiring) {
    IrqChip* lazy = i8259_lazy_chip();
    EXPECT_STREQ(lazy->name(), "XT-PIC-lazy");
    EXPECT_FALSE(lazy->has(IRQCHIP_OP_DISABLE)) << "that is what makes disable lazy";
    EXPECT_TRUE(lazy->has(IRQCHIP_OP_ACK));
    io.clear_log();
    ASSERT_EQ(i8259_set_lazy(1, true), 0);   // ELCR: edge
    ASSERT_EQ(i8259_set_lazy(11, true), 0);  // ELCR: level
    EXPECT_TRUE(io.log().empty()) << "switching touches no port";
    EXPECT_TRUE(i8259_is_lazy(1));
    EXPECT_EQ(desc(1)->irq_data.chip, lazy);
    EXPECT_EQ(desc(1)->handle_irq, &handle_edge_irq);
    EXPECT_STREQ(desc(1)->name, "edge");
    EXPECT_FALSE(irq_settings_is_level(desc(1)));
    EXPECT_EQ(desc(11)->handle_irq, &handle_level_irq);
    EXPECT_STREQ(desc(11)->name, "level");
    EXPECT_TRUE(irq_settings_is_level(desc(11)));
    EXPECT_EQ(i8259_set_lazy(1, true), 0) << "twice is fine";
    ASSERT_EQ(i8259_set_lazy(1, false), 0);
    ASSERT_EQ(i8259_set_lazy(11, false), 0);
    for (unsigned irq : {1u, 11u}) {
        EXPECT_FALSE(i8259_is_lazy(irq));
        EXPECT_EQ(desc(irq)->irq_data.chip, static_cast<IrqChip*>(&pic));
        EXPECT_EQ(desc(irq)->handle_irq, &handle_level_irq);
        EXPECT_STREQ(desc(irq)->name, "level");
        EXPECT_TRUE(irq_settings_is_level(desc(irq)));
    }
}

TEST_F(Pic8259Lazy, LineWiredToAnotherChipIsRefused) {
    irq_set_chip(5, &dummy_irq_chip);
    EXPECT_EQ(i8259_set_lazy(5, true), -EINVAL);
    EXPECT_EQ(desc(5)->irq_data.chip, &dummy_irq_chip);
}

TEST_F(Pic8259Lazy, XtPicDisableMasksAtOnce) {
    g_lazy_calls = 0;
    ASSERT_EQ(request_irq(1, lazy_handler, 0, "lazy", &g_lazy_calls), 0);
    io.clear_log();
    disable_irq(1);
    EXPECT_EQ(io.log(), (V{OUT(0x21, 0xFB)}));
    EXPECT_TRUE(masked(1));
    enable_irq(1);
}

TEST_F(Pic8259Lazy, EdgeLineDisableIsLazyTheInterruptMasksAndEnableReplaysItOnce) {
    lazy_line(1);
    disable_irq(1);
    EXPECT_TRUE(io.log().empty()) << "lazy: the 8259 is not touched";
    EXPECT_FALSE(masked(1));
    host_env::fire_irq(1);
    EXPECT_EQ(g_lazy_calls, 0);
    EXPECT_EQ(io.log(), (V{OUT(0x21, 0xFB), OUT(0x20, 0x61)})) << "the flow masks and acks it";
    EXPECT_TRUE(masked(1));
    EXPECT_TRUE(pending(1));
    EXPECT_EQ(kstat_irqs(1), 0u) << "6.12 does not count an interrupt on a disabled line";
    io.clear_log();
    enable_irq(1);  // unmask; the software resend is queued for the resend tasklet
    EXPECT_EQ(g_lazy_calls, 0);
    EXPECT_EQ(io.log(), (V{OUT(0x21, 0xF9)}));
    EXPECT_TRUE(desc(1)->istate & IRQS_REPLAY);
    host_env::empty_interrupt();  // the next tick's irq_exit runs it: the edge flow acks (EOI), handler
    EXPECT_EQ(g_lazy_calls, 1);
    EXPECT_EQ(io.log(), (V{OUT(0x21, 0xF9), OUT(0x20, 0x61)}));
    EXPECT_FALSE(pending(1));
    EXPECT_FALSE(desc(1)->istate & IRQS_REPLAY);
    EXPECT_EQ(kstat_irqs(1), 1u);
    io.clear_log();
    host_env::fire_irq(1);  // an ordinary edge now: ack, handler, no mask
    EXPECT_EQ(g_lazy_calls, 2);
    EXPECT_EQ(io.log(), (V{OUT(0x20, 0x61)}));
}

TEST_F(Pic8259Lazy, EdgeLineDisabledWithoutAnInterruptIsNotReplayed) {
    lazy_line(1);
    disable_irq(1);
    enable_irq(1);
    EXPECT_EQ(g_lazy_calls, 0);
    EXPECT_TRUE(io.log().empty()) << "never masked, so nothing to unmask";
}

TEST_F(Pic8259Lazy, LevelLineIsNotReplayedTheHardwareReasserts) {
    lazy_line(11);
    disable_irq(11);
    EXPECT_TRUE(io.log().empty());
    host_env::fire_irq(11);
    EXPECT_EQ(g_lazy_calls, 0);
    EXPECT_EQ(io.log(), (V{OUT(0xA1, 0xFF), OUT(0xA0, 0x63), OUT(0x20, 0x62)}));
    EXPECT_TRUE(masked(11));
    EXPECT_TRUE(pending(11));
    io.clear_log();
    enable_irq(11);
    EXPECT_EQ(g_lazy_calls, 0) << "check_irq_resend: -EINVAL for a level line, no replay";
    EXPECT_FALSE(pending(11)) << "... and PENDING cleared";
    EXPECT_EQ(io.log(), (V{OUT(0xA1, 0xF7)}));
    host_env::fire_irq(11);  // the device still asserts: the 8259 delivers it again
    EXPECT_EQ(g_lazy_calls, 1);
}

TEST_F(Pic8259Lazy, BackToXtPicMasksALazilyDisabledLineAndRefusesAnOwedInterrupt) {
    lazy_line(1);
    disable_irq(1);
    ASSERT_EQ(i8259_set_lazy(1, false), 0);
    EXPECT_EQ(io.log(), (V{OUT(0x21, 0xFB)})) << "XT-PIC keeps a disabled line masked";
    EXPECT_TRUE(masked(1));
    enable_irq(1);
    EXPECT_FALSE(masked(1));
    ASSERT_EQ(i8259_set_lazy(1, true), 0);
    disable_irq(1);
    host_env::fire_irq(1);
    ASSERT_TRUE(pending(1));
    EXPECT_EQ(i8259_set_lazy(1, false), -EBUSY) << "XT-PIC's level flow would drop the pending edge";
    EXPECT_TRUE(i8259_is_lazy(1));
    enable_irq(1);
    EXPECT_EQ(i8259_set_lazy(1, false), -EBUSY) << "the replay is queued (IRQS_REPLAY) until the tasklet runs";
    host_env::empty_interrupt();
    EXPECT_EQ(g_lazy_calls, 1);
    EXPECT_EQ(i8259_set_lazy(1, false), 0);
}

TEST_F(Pic8259Lazy, UnlazyFlagMasksAtDisableOnTheLazyChipToo) {
    lazy_line(1);
    irq_set_status_flags(1, IRQ_DISABLE_UNLAZY);
    disable_irq(1);
    EXPECT_EQ(io.log(), (V{OUT(0x21, 0xFB)}));
    enable_irq(1);
    irq_clear_status_flags(1, IRQ_DISABLE_UNLAZY);
}

TEST_F(Pic8259Setup, EoiIrqIsTheSpecificEoiAlone) {
    io.clear_log();
    pic.eoi_irq(1);
    pic.eoi_irq(12);
    EXPECT_EQ(io.log(), (V{OUT(0x20, 0x61), OUT(0xA0, 0x64), OUT(0x20, 0x62)}));
}

TEST_F(Pic8259Setup, ReadRegistersSelectsTheIsrAndRestoresTheIrrRead) {
    io.clear_log();
    io.queue_in(0x20, {0x03, 0x01});  // IRR, ISR
    io.queue_in(0x21, {0xF8});
    io.queue_in(0x4D0, {0x20});
    io.queue_in(0xA0, {0x08, 0x00});
    io.queue_in(0xA1, {0xF7});
    io.queue_in(0x4D1, {0x0C});
    Pic8259::Registers r = pic.read_registers();
    EXPECT_EQ(io.log(),
              (V{IN(0x20, 0x03), OUT(0x20, 0x0B), IN(0x20, 0x01), OUT(0x20, 0x0A), IN(0x21, 0xF8), IN(0x4D0, 0x20),
                 IN(0xA0, 0x08), OUT(0xA0, 0x0B), IN(0xA0, 0x00), OUT(0xA0, 0x0A), IN(0xA1, 0xF7), IN(0x4D1, 0x0C)}));
    EXPECT_EQ(r.irr[0], 0x03);
    EXPECT_EQ(r.isr[0], 0x01);
    EXPECT_EQ(r.imr[0], 0xF8);
    EXPECT_EQ(r.elcr[0], 0x20);
    EXPECT_EQ(r.irr[1], 0x08);
    EXPECT_EQ(r.isr[1], 0x00);
    EXPECT_EQ(r.imr[1], 0xF7);
    EXPECT_EQ(r.elcr[1], 0x0C);
}

// ---- The `pic` shell command (drivers/pic/pic_cmd.cpp).

namespace {

std::string g_pic_out;
void pic_capture(const char* s, size_t n) { g_pic_out.append(s, n); }

class PicCommand : public Pic8259Lazy {
protected:
    void SetUp() override {
        Pic8259Lazy::SetUp();
        previous_ = shell_set_output(pic_capture);
    }
    void TearDown() override {
        shell_set_output(previous_);
        Pic8259Lazy::TearDown();
    }
    int sh(const char* line) {
        g_pic_out.clear();
        char buf[SHELL_LINE_MAX + 1];
        snprintf(buf, sizeof(buf), "%s", line);
        return shell_execute(buf);
    }
    shell_output_fn previous_ = nullptr;
};

}  // namespace

TEST_F(PicCommand, ShowsEachRegisterWithTheSetBitsLinesNamed) {
    g_lazy_calls = 0;
    ASSERT_EQ(request_irq(1, lazy_handler, 0, "i8042", &g_lazy_calls), 0);
    ASSERT_EQ(request_irq(11, lazy_handler, 0, "edu", &g_lazy_calls), 0);
    ASSERT_EQ(i8259_set_lazy(11, true), 0);
    io.clear_log();
    io.queue_in(0x20, {0x02, 0x00});  // IRR: IRQ1 requested; ISR: nothing
    io.queue_in(0x21, {0xF9});
    io.queue_in(0x4D0, {0x00});
    io.queue_in(0xA0, {0x08, 0x08});  // IRR and ISR: IRQ11
    io.queue_in(0xA1, {0xF7});
    io.queue_in(0x4D1, {0x0C});
    EXPECT_EQ(sh("pic"), 0);
    EXPECT_EQ(g_pic_out,
              "8259A pair, vectors 0x30-0x3f; the slave's INT drives the master's IR2 (IRQ 2, cascade)\n"
              "reg   master slave  set bits (IRQ line)\n"
              "IRR   0x02   0x08   1 i8042, 11 edu\n"
              "ISR   0x00   0x08   11 edu\n"
              "IMR   0xf9   0xf7   0 -, 3 -, 4 -, 5 -, 6 -, 7 -, 8 -, 9 -, 10 -, 12 -, 13 -, 14 -, 15 -\n"
              "ELCR  0x00   0x0c   10 -, 11 edu\n"
              "IRR: requested, not yet delivered (a masked line's request waits here); ISR: in service, until its "
              "EOI; IMR: masked; ELCR: level-triggered (clear: edge)\n"
              "lines on XT-PIC-lazy: 11\n");
    EXPECT_EQ(io.outs(), (V{OUT(0x20, 0x0B), OUT(0x20, 0x0A), OUT(0xA0, 0x0B), OUT(0xA0, 0x0A)}))
        << "only the OCW3 read-select, restored to the IRR";
}

TEST_F(PicCommand, EmptyRegistersAndSharedLinesAndTheCascade) {
    io.queue_in(0x20, {0x04, 0x00});
    io.queue_in(0x21, {0x00});
    io.queue_in(0x4D0, {0x00});
    io.queue_in(0xA0, {0x00, 0x00});
    io.queue_in(0xA1, {0x00});
    io.queue_in(0x4D1, {0x00});
    static int a, b;
    ASSERT_EQ(request_irq(1, lazy_handler, IRQF_SHARED, "i8042", &a), 0);
    ASSERT_EQ(request_irq(1, lazy_handler, IRQF_SHARED, "dummy", &b), 0);
    EXPECT_EQ(sh("pic"), 0);
    EXPECT_NE(g_pic_out.find("IRR   0x04   0x00   2 cascade\n"), std::string::npos) << g_pic_out;
    EXPECT_NE(g_pic_out.find("ISR   0x00   0x00   -\n"), std::string::npos) << g_pic_out;
    EXPECT_EQ(g_pic_out.find("XT-PIC-lazy"), std::string::npos);
    free_irq(1, &a);
    free_irq(1, &b);
}

TEST_F(PicCommand, LazySwitchFromTheShell) {
    EXPECT_EQ(sh("pic lazy 1 on"), 0);
    EXPECT_EQ(g_pic_out, "IRQ 1: depth 1, IRQD_IRQ_DISABLED IRQD_IRQ_MASKED [XT-PIC-lazy edge]\n");
    EXPECT_TRUE(i8259_is_lazy(1));
    EXPECT_EQ(sh("pic lazy 1 off"), 0);
    EXPECT_EQ(g_pic_out, "IRQ 1: depth 1, IRQD_IRQ_DISABLED IRQD_IRQ_MASKED [XT-PIC level]\n");
    EXPECT_EQ(sh("pic lazy 2 on"), -EINVAL);
    EXPECT_EQ(g_pic_out, "pic: IRQ 2 is not an 8259 device line (0..15 but 2, the cascade, on XT-PIC): -EINVAL\n");
    EXPECT_EQ(sh("pic lazy 1 maybe"), -EINVAL);
    EXPECT_EQ(g_pic_out, "usage: pic lazy N on|off\n");
    EXPECT_EQ(sh("pic lazy x on"), -EINVAL);
    EXPECT_EQ(sh("pic frobnicate"), -EINVAL);
    EXPECT_EQ(g_pic_out, "usage: pic  |  pic lazy N on|off\n");
}

TEST_F(PicCommand, LazyOffWithAnOwedEdgeIsRefused) {
    lazy_line(1);
    disable_irq(1);
    host_env::fire_irq(1);
    EXPECT_EQ(sh("pic lazy 1 off"), -EBUSY);
    EXPECT_NE(g_pic_out.find("enable_irq it first: -EBUSY"), std::string::npos) << g_pic_out;
    enable_irq(1);
    host_env::empty_interrupt();  // the resend tasklet runs at the tick's irq_exit
    EXPECT_EQ(g_lazy_calls, 1);
}

TEST_F(PicCommand, NoPicNoView) {
    legacy_pic = &null_legacy_pic;
    EXPECT_EQ(sh("pic"), -ENODEV);
    EXPECT_EQ(g_pic_out, "pic: no 8259 pair (the null legacy PIC is active): -ENODEV\n");
}
