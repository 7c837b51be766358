// Host tests for drivers/apic/irq_mode and io_apic_setup: APIC mode by default with a usable MADT (the
// 8259 pair initialised and fully masked behind the null PIC, no cascade, ISA IRQs 0-15 on their GSIs'
// pins with the overrides' trigger and polarity, IRQ 0 on pin 2, IRQ 2 unwired), `noapic` and an unusable
// MADT keeping the 8259 pair with every IO-APIC pin masked, IO-APIC registration (Linux's line, GSI
// ranges, a window with nothing behind it) and PCI INTx made level on its GSI.
#include "drivers/apic/irq_mode.h"
#include "arch/x86/irq_vectors.h"
#include "drivers/acpi/acpi.h"
#include "drivers/apic/io_apic_setup.h"
#include "drivers/pci/pci.h"
#include "drivers/pic/i8259.h"
#include "drivers/pic/legacy_pic.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/irq/interrupt.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/shell/shell.h"

#include <gtest/gtest.h>
#include <memory>
#include <string>

#include "tests/host/support/acpi_image.h"
#include "tests/host/support/capture_console.h"
#include "tests/host/support/fake_ioapic.h"
#include "tests/host/support/fake_pci.h"
#include "tests/host/support/fake_portio.h"
#include "tests/host/support/host_env.h"

namespace {

namespace img = acpi_image;
using acpi_image::qemu_madt;
constexpr uint32_t RTE_LEVEL = 1u << 15, RTE_MASKED = 1u << 16, RTE_ACTIVE_LOW = 1u << 13;

FakeIoApic* g_models[2];
Mmio* model_window(unsigned index, uint32_t) { return index < 2 && g_models[index] ? &g_models[index]->mmio : nullptr; }
FakeMmio* g_empty;
Mmio* empty_window(unsigned, uint32_t) { return g_empty; }

class IrqMode : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        irq_mode_reset();
        io.allow({0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1});
        io.set_in(0x21, 0xFB);  // the probe reads back what it wrote
        io.set_in(0x4D0, 0x00);
        io.set_in(0x4D1, 0x0C);
        g_models[0] = &model;
        g_models[1] = nullptr;
    }
    void TearDown() override {
        for (unsigned irq = 0; irq < 16; irq++)
            if (irq_to_desc(irq)->action) free_irq(irq, irq == 2 ? nullptr : this);
        irq_mode_reset();
        legacy_pic = &null_legacy_pic;
        g_models[0] = g_models[1] = nullptr;
    }
    const MadtInfo* madt_of(const Bytes& image) {
        EXPECT_EQ(acpi_parse_madt(image.data(), image.size(), &madt), 0);
        return &madt;
    }
    int setup(const MadtInfo* m, unsigned apic_id = 0) {
        host_console::clear();
        return irq_mode_setup(IrqModeEnv{&pic, m, model_window, apic_id});
    }
    bool logged(const std::string& s) { return host_console::text().find(s) != std::string::npos; }
    static irqreturn_t handler(int, void*) { return IRQ_HANDLED; }

    FakePortIo io;
    Pic8259 pic{io};
    FakeIoApic model{0x20};
    MadtInfo madt;
};

TEST_F(IrqMode, ApicModeByDefaultWithAUsableMadt) {
    legacy_pic = &pic;  // whatever was in charge before, the 8259 pair is not afterwards
    ASSERT_EQ(setup(madt_of(qemu_madt()), 3), 0);
    EXPECT_FALSE(logged("Failed to find ioapic")) << "IRQ 2 has no GSI: nothing to look for";
    EXPECT_TRUE(irq_routing_is_ioapic());
    EXPECT_TRUE(logged("IOAPIC[0]: apic_id 0, version 32, address 0xfec00000, GSI 0-23\n")) << host_console::text();
    EXPECT_TRUE(logged("ACPI: Using IOAPIC for interrupt routing (15 ISA lines)\n")) << host_console::text();
    EXPECT_EQ(legacy_pic, &null_legacy_pic) << "the null PIC answers for the 8259 pair";
    EXPECT_EQ(irq_to_desc(2)->action, nullptr) << "no cascade in APIC mode";
    // The 8259 pair was initialised and left with every line masked.
    auto to21 = io.outs_to(0x21), toA1 = io.outs_to(0xA1);
    ASSERT_FALSE(to21.empty());
    EXPECT_EQ(to21.back().value, 0xFFu);
    EXPECT_EQ(toA1.back().value, 0xFFu);
    EXPECT_EQ(io.outs_to(0x20).front().value, 0x11u) << "ICW1: the pair was initialised";

    irq_desc* timer = irq_to_desc(0);
    EXPECT_STREQ(timer->irq_data.chip->name(), "IO-APIC");
    EXPECT_EQ(timer->irq_data.hwirq, 2u);
    EXPECT_STREQ(timer->name, "edge");
    irq_desc* eleven = irq_to_desc(11);
    EXPECT_EQ(eleven->irq_data.hwirq, 11u);
    EXPECT_STREQ(eleven->name, "fasteoi");
    EXPECT_EQ(eleven->handle_irq, handle_fasteoi_irq);
    EXPECT_EQ(irq_to_desc(2)->irq_data.chip, &no_irq_chip) << "IRQ 2 has no pin once IRQ 0 took GSI 2";

    EXPECT_EQ(model.entry(2).raw(), (3ull << 56) | RTE_MASKED | ISA_IRQ_VECTOR(0)) << "edge, high, to APIC ID 3";
    EXPECT_EQ(model.entry(11).raw(), (3ull << 56) | RTE_MASKED | RTE_LEVEL | ISA_IRQ_VECTOR(11));
    EXPECT_EQ(model.entry(1).raw(), (3ull << 56) | RTE_MASKED | ISA_IRQ_VECTOR(1));
    EXPECT_EQ(model.entry(0).raw(), (uint64_t)RTE_MASKED) << "pin 0 carries no ISA IRQ";
    EXPECT_EQ(model.entry(16).raw(), (uint64_t)RTE_MASKED);

    ASSERT_EQ(request_irq(0, handler, 0, "timer", this), 0);
    EXPECT_FALSE(model.entry(2).masked()) << "request_irq starts the line: the pin is unmasked";
    EXPECT_TRUE(model.entry(0).masked());
}

TEST_F(IrqMode, OverridesGiveTriggerAndPolarity) {
    Bytes t = img::madt(0xfee00000, 1,
                        {img::lapic(0, 0, 1), img::ioapic(0, 0xfec00000, 0), img::override_entry(0, 0, 2, 0),
                         img::override_entry(0, 9, 20, 0xf), img::override_entry(0, 4, 4, 0x5)});
    ASSERT_EQ(setup(madt_of(t)), 0);
    EXPECT_EQ(model.entry(20).raw(), RTE_MASKED | RTE_LEVEL | RTE_ACTIVE_LOW | (uint64_t)ISA_IRQ_VECTOR(9))
        << "IRQ 9 on GSI 20, level, active low";
    EXPECT_EQ(irq_to_desc(9)->irq_data.hwirq, 20u);
    EXPECT_EQ(model.entry(4).raw(), RTE_MASKED | (uint64_t)ISA_IRQ_VECTOR(4)) << "explicit edge/high";
    EXPECT_EQ(model.entry(9).raw(), (uint64_t)RTE_MASKED) << "GSI 9 is nobody's";
    EXPECT_TRUE(logged("(15 ISA lines)")) << host_console::text();
}

TEST_F(IrqMode, NoapicKeepsThe8259AndMasksEveryIoApicPin) {
    model.mmio.writel(ioapic::IOREGSEL, ioapic::IOREDTBL + 2 * 2);  // firmware left pin 2 live
    model.mmio.writel(ioapic::IOWIN, 0x30);
    ASSERT_FALSE(model.entry(2).masked());
    char line[] = "noapic";
    EXPECT_EQ(cmdline_apply(line), 0);
    EXPECT_TRUE(ioapic_is_disabled);
    ASSERT_EQ(setup(madt_of(qemu_madt())), 0);
    EXPECT_FALSE(irq_routing_is_ioapic());
    EXPECT_TRUE(logged("ACPI: Skipping IOAPIC probe due to 'noapic' option.\n"));
    EXPECT_TRUE(logged("ACPI: Using PIC for interrupt routing\n"));
    EXPECT_EQ(legacy_pic, static_cast<LegacyPic*>(&pic));
    EXPECT_STREQ(irq_to_desc(0)->irq_data.chip->name(), "XT-PIC");
    ASSERT_NE(irq_to_desc(2)->action, nullptr);
    EXPECT_STREQ(irq_to_desc(2)->action->name, "cascade");
    for (unsigned p = 0; p < 24; p++) EXPECT_TRUE(model.entry(p).masked()) << p;
    EXPECT_EQ(nr_ioapics(), 0u) << "nothing is routed through it";
}

TEST_F(IrqMode, WithoutAUsableMadtThe8259Stays) {
    ASSERT_EQ(setup(nullptr), 0);
    EXPECT_FALSE(irq_routing_is_ioapic());
    EXPECT_TRUE(logged("ACPI: Using PIC for interrupt routing\n"));
    EXPECT_TRUE(model.mmio.log().empty()) << "no MADT: no IO-APIC address to touch";
    EXPECT_EQ(legacy_pic, static_cast<LegacyPic*>(&pic));

    irq_mode_reset();
    legacy_pic = &null_legacy_pic;
    free_irq(2, nullptr);
    ASSERT_EQ(setup(madt_of(img::madt(0xfee00000, 1, {img::lapic(0, 0, 1)}))), 0);
    EXPECT_TRUE(logged("ACPI: No IOAPIC entries present\n"));
    EXPECT_FALSE(irq_routing_is_ioapic());
}

TEST_F(IrqMode, AnIoApicThatDoesNotAnswerLeavesThePic) {
    FakeMmio empty{ioapic::MMIO_SIZE};
    empty.set(ioapic::IOWIN, 0xffffffffu);  // what a read of nothing returns
    g_empty = &empty;
    host_console::clear();
    ASSERT_EQ(irq_mode_setup(IrqModeEnv{&pic, madt_of(qemu_madt()), empty_window, 0}), 0);
    EXPECT_FALSE(irq_routing_is_ioapic());
    EXPECT_TRUE(logged("IOAPIC[0]: no IO-APIC at 0xfec00000 (registers read all ones), ignored\n"))
        << host_console::text();
    EXPECT_TRUE(logged("ACPI: No IO-APIC answered: staying with the 8259 PIC\n"));
}

TEST_F(IrqMode, TwoIoApicsSplitTheGsisAndOverlapsAreRefused) {
    FakeIoApic second(0x20, 24, 1);
    g_models[1] = &second;
    ASSERT_EQ(
        setup(madt_of(img::madt(0xfee00000, 1,
                                {img::lapic(0, 0, 1), img::ioapic(0, 0xfec00000, 0), img::ioapic(1, 0xfec01000, 24)}))),
        0);
    EXPECT_TRUE(logged("IOAPIC[1]: apic_id 1, version 32, address 0xfec01000, GSI 24-47\n")) << host_console::text();
    unsigned pin = 99;
    EXPECT_EQ(mp_find_ioapic(30, &pin), ioapic_at(1));
    EXPECT_EQ(pin, 6u);
    EXPECT_EQ(mp_find_ioapic(23, &pin), ioapic_at(0));
    EXPECT_EQ(pin, 23u);
    EXPECT_EQ(mp_find_ioapic(48, &pin), nullptr);

    FakeIoApic third(0x20, 24, 2);
    host_console::clear();
    EXPECT_EQ(mp_register_ioapic(MadtIoApic{2, 0xfec02000, 40}, third.mmio), -EINVAL);
    EXPECT_TRUE(logged("ioapic: GSI range [40-63] for new IOAPIC conflicts with GSI[24-47]\n")) << host_console::text();
    EXPECT_EQ(nr_ioapics(), 2u);
}

TEST_F(IrqMode, PciIntxIsLevelOnItsGsiWithTheOverridesPolarity) {
    ASSERT_EQ(setup(madt_of(qemu_madt())), 0);
    EXPECT_EQ(pcibios_enable_irq, io_apic_pci_enable_irq);
    pci_dev edu;
    edu.devfn = PCI_DEVFN(4, 0);
    edu.interrupt_pin = 1;
    edu.irq = 11;  // QEMU: level, active high by override, already so
    host_console::clear();
    EXPECT_EQ(io_apic_pci_enable_irq(&edu), 0);
    EXPECT_TRUE(logged("pci 0000:00:04.0: PCI INT A -> GSI 11 (level, high) -> IRQ 11\n")) << host_console::text();
    EXPECT_EQ(model.entry(11).raw(), RTE_MASKED | RTE_LEVEL | (uint64_t)ISA_IRQ_VECTOR(11));

    pci_dev nic;
    nic.devfn = PCI_DEVFN(3, 0);
    nic.interrupt_pin = 2;
    nic.irq = 3;  // no override: ISA edge until a PCI function claims it, then level active low
    EXPECT_EQ(io_apic_pci_enable_irq(&nic), 0);
    EXPECT_TRUE(logged("pci 0000:00:03.0: PCI INT B -> GSI 3 (level, low) -> IRQ 3\n")) << host_console::text();
    EXPECT_EQ(model.entry(3).raw(), RTE_MASKED | RTE_LEVEL | RTE_ACTIVE_LOW | (uint64_t)ISA_IRQ_VECTOR(3));
    EXPECT_STREQ(irq_to_desc(3)->name, "fasteoi");

    ASSERT_EQ(request_irq(4, handler, 0, "serial", this), 0);  // IRQ 4 busy as an ISA edge line
    nic.irq = 4;
    EXPECT_EQ(io_apic_pci_enable_irq(&nic), -EBUSY);
    EXPECT_TRUE(logged("pci 0000:00:03.0: IRQ 4 is in use as an edge ISA line: not made level for PCI INT B\n"));
    EXPECT_FALSE(model.entry(4).level());
}

}  // namespace

namespace {
std::string g_lspci;
void lspci_capture(const char* s, size_t n) { g_lspci.append(s, n); }

// lspci in APIC mode: the line's trigger comes from its IO-APIC pin (no ELCR to ask).
TEST_F(IrqMode, LspciShowsTheIoApicPinAndItsTrigger) {
    ASSERT_EQ(setup(madt_of(qemu_madt())), 0);
    FakePciConfig cfg;
    auto& edu = cfg.add(0, 4, 0, 0x1234, 0x11e8, 0x00ff00, 0, 0x10);
    FakePciConfig::irq(edu, 1, 11);
    ASSERT_EQ(pci_scan(cfg), 1u);
    g_lspci.clear();
    shell_output_fn prev = shell_set_output(lspci_capture);
    char line[] = "lspci";
    EXPECT_EQ(shell_execute(line), 0);
    shell_set_output(prev);
    EXPECT_NE(g_lspci.find("\tInterrupt: pin A routed to IRQ 11, level-triggered (IO-APIC pin 11)\n"),
              std::string::npos)
        << g_lspci;
    FakePciConfig empty;
    pci_scan(empty);  // the table must not keep pointers into `cfg`
}
}  // namespace
