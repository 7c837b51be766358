// Host tests of the edu driver in both interrupt modes, against a fake edu whose configuration space has
// QEMU's MSI capability (0x40, 64-bit, one vector) and which, like hw/misc/edu.c, sends one message per
// raise while MSI is enabled and otherwise raises INTx (unless PCI_COMMAND_INTX_DISABLE is set): MSI by
// default when the PCI-MSI domain exists, INTx without (PIC mode), each raise served exactly once through its own
// "PCI-MSI" row, switching back and forth without losing or duplicating an interrupt (also one raised
// and not yet delivered at the switch), MSI refused in PIC mode with a clear answer, and the storm
// scenario running on INTx and putting MSI back.
#include "drivers/misc/edu_dev.h"
#include "drivers/pci/msi.h"
#include "kernel/errno.h"
#include "kernel/irq/proc.h"
#include "kernel/irq/vector_domain.h"
#include "kernel/scenario/storm.h"
#include "kernel/shell/shell.h"

#include <gtest/gtest.h>
#include <cstdio>
#include <string>

#include "tests/host/support/capture_console.h"
#include "tests/host/support/fake_chip.h"
#include "tests/host/support/fake_pci.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/msi_host.h"
#include "tests/host/support/test_dev.h"

namespace {

using namespace edu_regs;
using namespace pci_regs;

// QEMU's edu: registers plus the delivery decision of edu_raise_irq (MSI if enabled, else INTx). A
// message is the capability's address and data, taken by the CPU its address names (msi_host).
class FakeEduMsi final : public IoMem {
public:
    FakePciConfig::Function* fn = nullptr;
    unsigned intx_line = 0;
    bool deliver = true;  // false: the raise is latched in the status but not delivered yet
    uint32_t status = 0, liveness = 0;
    unsigned msis = 0, intx = 0;

    uint32_t read32(uint32_t off) override {
        if (off == EDU_REG_ID) return 0x010000ed;
        if (off == EDU_REG_LIVENESS) return ~liveness;
        if (off == EDU_REG_IRQ_STATUS) return status;
        return 0;
    }
    void write32(uint32_t off, uint32_t v) override {
        if (off == EDU_REG_LIVENESS) liveness = v;
        if (off == EDU_REG_IRQ_ACK) status &= ~v;
        if (off != EDU_REG_IRQ_RAISE) return;
        status |= v;
        if (!status || !deliver) return;
        if (fn->regs[0x42] & PCI_MSI_FLAGS_ENABLE) {
            msis++;
            msi_host::send(msi_msg{fn->r32(0x44), fn->r32(0x48), fn->r32(0x4C) & 0xFFFF});
            msi_host::service();
        } else if (!(fn->r32(PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE)) {
            intx++;
            host_env::fire_irq(intx_line);
        }
    }
};

std::string g_out;
void capture(const char* s, size_t n) { g_out.append(s, n); }
std::string g_view;
void view_out(const char* s, size_t n, void*) { g_view.append(s, n); }

class EduMsi : public IrqTest {
protected:
    static constexpr unsigned INTX = 11;
    FakeChip chip;
    FakePciConfig cfg;
    msi_host::Env env;
    FakeEduMsi fake;
    pci_dev* pdev = nullptr;
    edu_device* dev = nullptr;
    shell_output_fn previous_ = nullptr;

    void SetUp() override {
        IrqTest::SetUp();
        msi_host::setup(env, 1);
        wire_line(INTX, &chip, handle_level_irq, "level");
        auto& f = cfg.add(0, 4, 0, 0x1234, 0x11e8, 0x00ff00, 0, 0x10);
        FakePciConfig::bar(f, 0, FakePciConfig::Bar::Mem32, 0xFEA00000, 1 << 20);
        FakePciConfig::irq(f, 1, INTX);
        FakePciConfig::cap(f, 0x40, PCI_CAP_ID_MSI, 0x00, true);
        f.regs[0x42] = (uint8_t)PCI_MSI_FLAGS_64BIT;
        ASSERT_EQ(pci_scan(cfg), 1u);
        pdev = pci_dev_at(0);
        fake.fn = &f;
        fake.intx_line = INTX;
        g_out.clear();
        previous_ = shell_set_output(capture);
    }
    void TearDown() override {
        edu_detach_all();
        msi_host::teardown();
        shell_set_output(previous_);
    }
    void attach(bool apic_mode) {
        if (!apic_mode) pci_msi_remove_irq_domain();  // PIC mode: no local APIC, no PCI-MSI domain
        int err = 1;
        dev = edu_attach(pdev, &fake, &err);
        ASSERT_EQ(err, 0);
        ASSERT_NE(dev, nullptr);
    }
    int run(const char* line) {
        g_out.clear();
        char buf[SHELL_LINE_MAX];
        std::snprintf(buf, sizeof buf, "%s", line);
        return shell_execute(buf);
    }
    irqaction* action(unsigned irq) { return irq_to_desc(irq)->action; }
};

TEST_F(EduMsi, MsiByDefaultInApicMode) {
    host_console::clear();
    attach(true);
    EXPECT_EQ(edu_get_mode(dev), EDU_MODE_MSI);
    EXPECT_EQ(edu_irq(dev), MSI_FIRST_IRQ);
    ASSERT_NE(action(MSI_FIRST_IRQ), nullptr);
    EXPECT_FALSE(action(MSI_FIRST_IRQ)->flags & IRQF_SHARED) << "an MSI is the device's own";
    EXPECT_EQ(action(INTX), nullptr) << "INTx line not requested";
    EXPECT_TRUE(fake.fn->r32(PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE);
    EXPECT_NE(host_console::text().find("edu 00:04.0: version 1.0, BAR0 0xfea00000, IRQ 24 (MSI, edge)\n"),
              std::string::npos)
        << host_console::text();
}

TEST_F(EduMsi, IntxInPicMode) {
    attach(false);
    EXPECT_EQ(edu_get_mode(dev), EDU_MODE_INTX);
    EXPECT_EQ(edu_irq(dev), INTX);
    EXPECT_TRUE(action(INTX)->flags & IRQF_SHARED);
    EXPECT_FALSE(fake.fn->regs[0x42] & PCI_MSI_FLAGS_ENABLE);
}

TEST_F(EduMsi, EachRaiseIsOneMessageHandledOnce) {
    attach(true);
    ASSERT_EQ(edu_raise(dev, 5, 100), 0);
    edu_stats s = edu_get_stats(dev);
    EXPECT_EQ(s.raised, 5ul);
    EXPECT_EQ(s.calls, 5ul);
    EXPECT_EQ(s.handled, 5ul);
    EXPECT_EQ(fake.msis, 5u);
    EXPECT_EQ(fake.intx, 0u);
    EXPECT_EQ(kstat_irqs(MSI_FIRST_IRQ), 5u);
    EXPECT_EQ(kstat_irqs(INTX), 0u);
    EXPECT_EQ(env.eois, 5u) << "one local APIC EOI per message, at the start of the edge flow";
    g_view.clear();
    show_interrupts(view_out, nullptr);
    EXPECT_NE(g_view.find(" 24:          5   PCI-MSI 65536-edge      edu:00:04.0\n"), std::string::npos) << g_view;
}

TEST_F(EduMsi, SwitchingBackAndForthLosesAndDoublesNothing) {
    attach(true);
    for (int round = 0; round < 3; round++) {
        ASSERT_EQ(edu_set_mode(dev, EDU_MODE_INTX), 0);
        EXPECT_EQ(edu_irq(dev), INTX);
        ASSERT_EQ(edu_raise(dev, 2, 100), 0);
        ASSERT_EQ(edu_set_mode(dev, EDU_MODE_MSI), 0);
        EXPECT_EQ(edu_irq(dev), MSI_FIRST_IRQ);
        ASSERT_EQ(edu_raise(dev, 2, 100), 0);
    }
    edu_stats s = edu_get_stats(dev);
    EXPECT_EQ(s.raised, 12ul);
    EXPECT_EQ(s.handled, 12ul);
    EXPECT_EQ(s.not_mine, 0ul);
    EXPECT_EQ(fake.intx, 6u);
    EXPECT_EQ(fake.msis, 6u);
    EXPECT_EQ(kstat_irqs(INTX), 6u);
    EXPECT_EQ(kstat_irqs(MSI_FIRST_IRQ), 2u) << "a fresh descriptor each time MSI comes back: the last round only";
}

TEST_F(EduMsi, ARaiseNotYetDeliveredAtTheSwitchIsServedOnceInTheNewMode) {
    attach(true);
    fake.deliver = false;
    edu_raise_irq(dev);  // latched in the status, no message yet
    fake.deliver = true;
    ASSERT_EQ(edu_set_mode(dev, EDU_MODE_INTX), 0);
    EXPECT_EQ(edu_get_stats(dev).handled, 1ul) << "raised again on INTx and served";
    EXPECT_EQ(edu_irq_status(dev), 0u);
    fake.deliver = false;
    edu_raise_irq(dev);
    fake.deliver = true;
    ASSERT_EQ(edu_set_mode(dev, EDU_MODE_MSI), 0);
    edu_stats s = edu_get_stats(dev);
    EXPECT_EQ(s.raised, 2ul);
    EXPECT_EQ(s.handled, 2ul) << "and once more on MSI";
    EXPECT_EQ(s.calls, 2ul) << "nothing handled twice";
}

TEST_F(EduMsi, MsiRefusedInPicModeWithTheReason) {
    attach(false);
    EXPECT_EQ(edu_set_mode(dev, EDU_MODE_MSI), -EINVAL);
    EXPECT_EQ(run("edu mode msi"), -EINVAL);
    EXPECT_NE(g_out.find("edu 00:04.0: MSI refused: interrupts go through the 8259 pair (PIC mode, noapic)"),
              std::string::npos)
        << g_out;
    EXPECT_NE(g_out.find("no MSI without an APIC. Staying on INTx (IRQ 11)"), std::string::npos) << g_out;
    EXPECT_EQ(edu_get_mode(dev), EDU_MODE_INTX);
    ASSERT_EQ(edu_raise(dev, 1, 100), 0) << "and INTx still works";
}

TEST_F(EduMsi, ShellSwitchesAndShowsTheMode) {
    attach(true);
    ASSERT_EQ(run("edu status"), 0);
    EXPECT_NE(g_out.find("edu 00:04.0: IRQ 24 (edge, MSI), driver ok, status 0x00000000\n"), std::string::npos)
        << g_out;
    const apic_chip_data* a = apic_chip_data_of(irq_to_desc(MSI_FIRST_IRQ)->irq_data.parent_data);
    ASSERT_NE(a, nullptr);
    char want[128];
    std::snprintf(want, sizeof want,
                  "  mode MSI: address 0xfee0%u000 data 0x%04x (vector 0x%02x, APIC ID %u), INTx disabled\n", a->cpu,
                  a->vector, a->vector, a->cpu);
    EXPECT_NE(g_out.find(want), std::string::npos) << "the vector domain's vector and CPU\n" << g_out;
    ASSERT_EQ(run("edu mode intx"), 0);
    EXPECT_NE(g_out.find("edu 00:04.0: MSI IRQ 24 -> INTx IRQ 11\n"), std::string::npos) << g_out;
    EXPECT_NE(g_out.find("edu 00:04.0: IRQ 11 (trigger unknown, shared)"), std::string::npos) << g_out;
    EXPECT_NE(g_out.find("  mode INTx (`edu mode msi` switches to MSI)\n"), std::string::npos) << g_out;
    ASSERT_EQ(run("edu mode intx 0"), 0);
    EXPECT_NE(g_out.find("edu 00:04.0: already INTx (IRQ 11)\n"), std::string::npos) << g_out;
    ASSERT_EQ(run("edu mode msi 00:04.0"), 0);
    EXPECT_NE(g_out.find("edu 00:04.0: INTx IRQ 11 -> MSI IRQ 24\n"), std::string::npos) << g_out;
    EXPECT_EQ(run("edu mode msix"), -EINVAL);
    EXPECT_NE(g_out.find("usage: edu"), std::string::npos);
    EXPECT_EQ(run("edu mode"), -EINVAL);
    EXPECT_EQ(run("edu mode msi 7"), -ENODEV);
}

TEST_F(EduMsi, WithoutTheCapabilityThereIsNoMsi) {
    fake.fn->regs[0x06] &= (uint8_t)~PCI_STATUS_CAP_LIST;
    ASSERT_EQ(pci_scan(cfg), 1u);
    pdev = pci_dev_at(0);
    attach(true);
    EXPECT_EQ(edu_get_mode(dev), EDU_MODE_INTX);
    EXPECT_EQ(run("edu mode msi"), -ENODEV);
    EXPECT_NE(g_out.find("edu 00:04.0: no MSI capability\n"), std::string::npos) << g_out;
}

TEST_F(EduMsi, StormRunsOnIntxAndPutsMsiBack) {
    attach(true);
    const storm_source* src = storm_find("edu");
    ASSERT_NE(src, nullptr);
    g_out.clear();
    EXPECT_EQ(src->prepare(), (int)INTX) << "the storm needs the level line";
    EXPECT_NE(g_out.find("each raise is one message, one edge"), std::string::npos) << g_out;
    EXPECT_EQ(edu_get_mode(dev), EDU_MODE_INTX);
    EXPECT_TRUE(edu_is_faulty(dev));
    EXPECT_EQ(src->restore(), 0);
    EXPECT_EQ(edu_get_mode(dev), EDU_MODE_MSI);
    EXPECT_FALSE(edu_is_faulty(dev));
    ASSERT_EQ(edu_raise(dev, 1, 100), 0);
    EXPECT_EQ(fake.msis, 1u);
}

}  // namespace
