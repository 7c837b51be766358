// Host tests for the PCI-MSI domain beneath the x86 vector domain and pci_alloc_irq_vectors against a fake
// configuration space: each MSI IRQ has two irq_data levels (PCI-MSI above VECTOR), the message is
// composed from the parent's vector and APIC ID at activation and the vector released at free; the
// switch-over in Linux's order (MSI off, masked, message written, INTx disabled, MSI on) and back, the
// "PCI-MSI" chip (edge flow, ack at the parent's apic_ack_edge, per-vector mask bits or none), the hwirq
// and the interrupts view's row, and Linux's errors (-EINVAL, -ERANGE, -ENOSPC, -ENODEV) with nothing
// left allocated after a failure.
#include "drivers/pci/msi.h"
#include "kernel/errno.h"
#include "kernel/irq/internals.h"
#include "kernel/irq/proc.h"
#include "kernel/irq/vector_domain.h"
#include "arch/x86/vector.h"
#include "kernel/printk.h"

#include <gtest/gtest.h>
#include <string>

#include "tests/host/support/capture_console.h"
#include "tests/host/support/fake_pci.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/msi_host.h"

namespace {

using namespace pci_regs;
using Fn = FakePciConfig::Function;

unsigned long g_handled;
irqreturn_t count_handler(int, void*) {
    g_handled++;
    return IRQ_HANDLED;
}

std::string g_view;
void view_out(const char* s, size_t n, void*) { g_view.append(s, n); }

class PciMsi : public IrqTest {
protected:
    static constexpr unsigned INTX_IRQ = 11;
    FakePciConfig cfg;
    msi_host::Env env;
    Fn* fn = nullptr;
    pci_dev* dev = nullptr;

    void SetUp() override {
        IrqTest::SetUp();
        g_handled = 0;
        msi_host::setup(env, 1);
    }
    void TearDown() override {
        if (dev && dev->msi_enabled) {
            if (irq_to_desc(dev->irq)->action) free_irq(dev->irq, this);
            pci_free_irq_vectors(dev);
        }
        msi_host::teardown();
    }
    // An edu-like function at 00:04.0 with its INTx on IRQ 11 and an MSI capability at 0x40.
    void make(uint16_t control = PCI_MSI_FLAGS_64BIT, bool with_msi = true) {
        Fn& f = cfg.add_edu_like(4, INTX_IRQ);
        f.regs[0x04] = PCI_COMMAND_MEMORY;
        if (with_msi) FakePciConfig::msi_cap(f, control);
        ASSERT_EQ(pci_scan(cfg), 1u);
        fn = &f;
        dev = pci_dev_at(0);
        cfg.writes.clear();
    }
    // The device sends the message its capability holds now.
    void send() {
        msi_msg m{fn->r32(0x44), fn->r32(0x48), fn->r32(0x4C) & 0xFFFF};
        msi_host::send(m);
    }
    static apic_chip_data* apicd(unsigned irq) { return apic_chip_data_of(irq_to_desc(irq)->irq_data.parent_data); }
    uint16_t control() const { return (uint16_t)(fn->regs[0x42] | fn->regs[0x43] << 8); }
    uint16_t command() const { return (uint16_t)fn->r32(0x04); }
    // Index of the first write matching `pred` in cfg.writes, or -1.
    template <typename P>
    int first_write(P pred) const {
        for (size_t i = 0; i < cfg.writes.size(); i++)
            if (pred(cfg.writes[i])) return (int)i;
        return -1;
    }
};

TEST_F(PciMsi, AllocatesMsiInLinuxOrder) {
    make();
    ASSERT_EQ(pci_alloc_irq_vectors(dev, 1, 1, PCI_IRQ_MSI | PCI_IRQ_INTX), 1);
    EXPECT_TRUE(dev->msi_enabled);
    EXPECT_EQ(pci_irq_vector(dev, 0), (int)MSI_FIRST_IRQ);
    EXPECT_EQ(dev->irq, MSI_FIRST_IRQ) << "dev->irq is the MSI's while MSI is on, as in Linux";
    apic_chip_data* a = apicd(MSI_FIRST_IRQ);
    ASSERT_NE(a, nullptr) << "the vector domain is the parent level";
    ASSERT_NE(a->vector, 0u) << "activated at allocation (MSI_FLAG_ACTIVATE_EARLY)";
    EXPECT_EQ(fn->r32(0x44), 0xFEE00000u | a->cpu << 12) << "destination: the APIC ID of the parent's CPU";
    EXPECT_EQ(fn->r32(0x48), 0u);
    EXPECT_EQ(fn->r32(0x4C) & 0xFFFF, a->vector) << "the parent's vector, fixed, edge";
    EXPECT_EQ(vector_irq_get(a->cpu, a->vector), (int)MSI_FIRST_IRQ) << "mapped on that CPU";
    EXPECT_TRUE(control() & PCI_MSI_FLAGS_ENABLE);
    EXPECT_TRUE(command() & PCI_COMMAND_INTX_DISABLE);

    auto msi_off = first_write([](auto& w) { return w.where == 0x42 && !(w.value & PCI_MSI_FLAGS_ENABLE); });
    auto addr = first_write([](auto& w) { return w.where == 0x44; });
    auto data = first_write([](auto& w) { return w.where == 0x4C; });
    auto intx_off = first_write([](auto& w) { return w.where == PCI_COMMAND && (w.value & PCI_COMMAND_INTX_DISABLE); });
    auto msi_on = first_write([](auto& w) { return w.where == 0x42 && (w.value & PCI_MSI_FLAGS_ENABLE); });
    ASSERT_GE(msi_off, 0);
    EXPECT_LT(msi_off, addr) << "MSI off while the message is written";
    EXPECT_LT(addr, data);
    EXPECT_LT(data, intx_off);
    EXPECT_LT(intx_off, msi_on) << "INTx disabled before MSI is enabled";
    EXPECT_EQ(msi_on, (int)cfg.writes.size() - 1) << "enabling MSI is the last write";

    irq_desc* desc = irq_to_desc(MSI_FIRST_IRQ);
    EXPECT_STREQ(desc->irq_data.chip->name(), "PCI-MSI");
    EXPECT_EQ(desc->irq_data.chip, &pci_msi_chip);
    EXPECT_TRUE(desc->irq_data.chip->flags() & IRQCHIP_ONESHOT_SAFE);
    EXPECT_EQ(desc->handle_irq, handle_edge_irq);
    EXPECT_STREQ(desc->name, "edge");
    EXPECT_EQ(desc->irq_data.hwirq, 65536ul) << "(bus << 8 | devfn) << 11 for 00:04.0";
    EXPECT_EQ(desc->irq_data.domain, pci_msi_get_domain());
    EXPECT_STREQ(desc->irq_data.domain->name, "PCI-MSI");
    ASSERT_NE(desc->irq_data.parent_data, nullptr);
    EXPECT_EQ(desc->irq_data.parent_data->domain, x86_vector_domain);
    EXPECT_EQ(desc->irq_data.parent_data->parent_data, nullptr) << "two levels";
    EXPECT_STREQ(desc->irq_data.parent_data->chip->name(), "APIC");
    EXPECT_EQ(desc->irq_data.domain->parent, x86_vector_domain);
    EXPECT_TRUE(desc->irq_data.state & IRQD_ACTIVATED);
}

TEST_F(PciMsi, HwirqIsLinuxsBusDevfnId) {
    EXPECT_EQ(pci_msi_domain_calc_hwirq(0, PCI_DEVFN(4, 0), 0), 65536ul);
    EXPECT_EQ(pci_msi_domain_calc_hwirq(0, PCI_DEVFN(3, 0), 0), 49152ul);
    EXPECT_EQ(pci_msi_domain_calc_hwirq(1, PCI_DEVFN(0, 1), 2), (0x101ul << 11) | 2);
}

TEST_F(PciMsi, EachMessageRunsTheEdgeFlowOnceAndAcksAtTheParent) {
    make();
    ASSERT_EQ(pci_alloc_irq_vectors(dev, 1, 1, PCI_IRQ_MSI), 1);
    unsigned irq = (unsigned)pci_irq_vector(dev, 0);
    ASSERT_EQ(request_irq(irq, count_handler, 0, "edu", this), 0);
    for (int i = 0; i < 3; i++) {
        send();
        msi_host::service();
    }
    EXPECT_EQ(g_handled, 3ul);
    EXPECT_EQ(env.eois, 3u) << "one local APIC EOI per message (irq_chip_ack_parent -> apic_ack_edge)";
    EXPECT_EQ(env.strays, 0u);
    EXPECT_EQ(kstat_irqs(irq), 3u);
    g_view.clear();
    show_interrupts(view_out, nullptr);
    EXPECT_NE(g_view.find(" 24:          3   PCI-MSI 65536-edge      edu\n"), std::string::npos) << g_view;
}

TEST_F(PciMsi, MaskBitsMaskTheVectorWhileDisabled) {
    make(PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT);
    ASSERT_EQ(pci_alloc_irq_vectors(dev, 1, 1, PCI_IRQ_MSI), 1);
    EXPECT_EQ(fn->r32(0x50), 1u) << "masked until request_irq";
    unsigned irq = dev->irq;
    ASSERT_EQ(request_irq(irq, count_handler, 0, "edu", this), 0);
    EXPECT_EQ(fn->r32(0x50), 0u) << "startup unmasked it";
    disable_irq(irq);
    EXPECT_EQ(fn->r32(0x50), 0u) << "lazy disable: not masked yet";
    send();
    msi_host::service();
    EXPECT_EQ(g_handled, 0ul);
    EXPECT_EQ(fn->r32(0x50), 1u) << "the edge flow masked the vector at the device";
    enable_irq(irq);
    EXPECT_EQ(fn->r32(0x50), 0u);
    EXPECT_TRUE(env.irr.count({apicd(irq)->cpu, apicd(irq)->vector}))
        << "replayed by irq_chip_retrigger_hierarchy: an IPI of the vector to its CPU";
    msi_host::service();
    EXPECT_EQ(g_handled, 1ul) << "the pending message replayed once";
}

TEST_F(PciMsi, WithoutMaskBitsMaskingWritesNothing) {
    make();
    ASSERT_EQ(pci_alloc_irq_vectors(dev, 1, 1, PCI_IRQ_MSI), 1);
    unsigned irq = dev->irq;
    ASSERT_EQ(request_irq(irq, count_handler, 0, "edu", this), 0);
    cfg.writes.clear();
    disable_irq(irq);
    send();
    msi_host::service();
    EXPECT_EQ(g_handled, 0ul);
    EXPECT_TRUE(irqd_irq_masked(&irq_to_desc(irq)->irq_data)) << "the core believes it masked";
    enable_irq(irq);
    msi_host::service();
    EXPECT_EQ(g_handled, 1ul);
    EXPECT_TRUE(cfg.writes.empty()) << "no mask register: pci_msi_mask has nothing to write";
}

TEST_F(PciMsi, FreeGoesBackToIntxInLinuxOrder) {
    make();
    ASSERT_EQ(pci_alloc_irq_vectors(dev, 1, 1, PCI_IRQ_MSI), 1);
    unsigned cpu = apicd(MSI_FIRST_IRQ)->cpu, vector = apicd(MSI_FIRST_IRQ)->vector;
    ASSERT_TRUE(irq_matrix_test_bit(&vector_matrix, cpu, vector));
    cfg.writes.clear();
    pci_free_irq_vectors(dev);
    EXPECT_FALSE(dev->msi_enabled);
    EXPECT_EQ(dev->irq, INTX_IRQ);
    EXPECT_EQ(pci_irq_vector(dev, 0), (int)INTX_IRQ);
    EXPECT_FALSE(control() & PCI_MSI_FLAGS_ENABLE);
    EXPECT_FALSE(command() & PCI_COMMAND_INTX_DISABLE);
    auto msi_off = first_write([](auto& w) { return w.where == 0x42 && !(w.value & PCI_MSI_FLAGS_ENABLE); });
    auto intx_on = first_write([](auto& w) { return w.where == PCI_COMMAND; });
    ASSERT_GE(msi_off, 0);
    EXPECT_LT(msi_off, intx_on) << "MSI disabled before INTx is enabled again";
    EXPECT_EQ(irq_to_desc(MSI_FIRST_IRQ)->irq_data.chip, &no_irq_chip) << "the IRQ number is free again";
    EXPECT_EQ(irq_get_msi_desc(MSI_FIRST_IRQ), nullptr);
    EXPECT_FALSE(irq_matrix_test_bit(&vector_matrix, cpu, vector)) << "the vector went back to the allocator";
    EXPECT_NE(vector_irq_get(cpu, vector), (int)MSI_FIRST_IRQ);
    EXPECT_EQ(fn->r32(0x44), 0u) << "msi_domain_deactivate wrote a zero message";
    EXPECT_EQ(fn->r32(0x4C) & 0xFFFF, 0u);
    ASSERT_EQ(pci_alloc_irq_vectors(dev, 1, 1, PCI_IRQ_MSI), 1) << "and can be allocated again";
    EXPECT_EQ(dev->irq, MSI_FIRST_IRQ);
}

TEST_F(PciMsi, FreeWithAnActionLeftIsRefused) {
    make();
    ASSERT_EQ(pci_alloc_irq_vectors(dev, 1, 1, PCI_IRQ_MSI), 1);
    ASSERT_EQ(request_irq(dev->irq, count_handler, 0, "edu", this), 0);
    pci_free_irq_vectors(dev);
    EXPECT_EQ(warn_count, 1ul);
    EXPECT_TRUE(dev->msi_enabled) << "nothing freed under a requested line";
    EXPECT_TRUE(control() & PCI_MSI_FLAGS_ENABLE);
}

TEST_F(PciMsi, NoDomainMeansNoMsiButIntxStillOffered) {
    make();
    pci_msi_remove_irq_domain();  // the 8259 pair: no local APIC to send a message to
    EXPECT_EQ(pci_msi_get_domain(), nullptr);
    EXPECT_EQ(pci_msi_create_irq_domain(nullptr), -ENODEV) << "no vector domain beneath: no MSI domain";
    EXPECT_EQ(pci_alloc_irq_vectors(dev, 1, 1, PCI_IRQ_MSI), -EINVAL);
    EXPECT_FALSE(control() & PCI_MSI_FLAGS_ENABLE);
    EXPECT_EQ(pci_alloc_irq_vectors(dev, 1, 1, PCI_IRQ_MSI | PCI_IRQ_INTX), 1);
    EXPECT_FALSE(dev->msi_enabled);
    EXPECT_EQ(pci_irq_vector(dev, 0), (int)INTX_IRQ);
}

TEST_F(PciMsi, LinuxsErrors) {
    make(PCI_MSI_FLAGS_64BIT | 0x04);  // 4 vectors capable
    EXPECT_EQ(pci_alloc_irq_vectors(dev, 2, 1, PCI_IRQ_MSI), -ERANGE);
    EXPECT_EQ(pci_alloc_irq_vectors(dev, 0, 1, PCI_IRQ_MSI), -EINVAL);
    EXPECT_EQ(pci_alloc_irq_vectors(dev, 8, 8, PCI_IRQ_MSI), -ENOSPC) << "more than the device can send";
    EXPECT_EQ(pci_alloc_irq_vectors(dev, 2, 4, PCI_IRQ_MSI), -ENOSPC) << "x86 gives one MSI vector per function";
    EXPECT_EQ(pci_alloc_irq_vectors(dev, 2, 4, PCI_IRQ_INTX), -ENOSPC) << "INTx is one vector";
    EXPECT_EQ(pci_alloc_irq_vectors(dev, 1, 1, 0), -ENOSPC);
    EXPECT_FALSE(dev->msi_enabled);
    EXPECT_TRUE(cfg.writes.empty() || first_write([](auto& w) { return w.where == 0x44; }) < 0)
        << "no message written by a refused call";
    EXPECT_EQ(pci_alloc_irq_vectors(dev, 1, 4, PCI_IRQ_MSI), 1);
    EXPECT_EQ(pci_irq_vector(dev, 1), -EINVAL);
    EXPECT_EQ(pci_alloc_irq_vectors(dev, 1, 1, PCI_IRQ_MSI), -EINVAL) << "already enabled";
    EXPECT_EQ(warn_count, 1ul);
}

TEST_F(PciMsi, NoCapabilityIsEinvalAndNoLineIsEnospc) {
    make(0, /*with_msi=*/false);
    EXPECT_EQ(pci_alloc_irq_vectors(dev, 1, 1, PCI_IRQ_MSI), -EINVAL);
    EXPECT_EQ(pci_irq_vector(dev, 1), -EINVAL);
    dev->irq = 0;
    EXPECT_EQ(pci_alloc_irq_vectors(dev, 1, 1, PCI_IRQ_INTX), -ENOSPC);
}

TEST_F(PciMsi, ParentWithoutVectorsLeavesNothingBehind) {
    make(PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT);
    std::vector<std::pair<unsigned, unsigned>> taken;  // every vector of both CPUs
    for (;;) {
        unsigned cpu = 0;
        int v = irq_matrix_alloc(&vector_matrix, cpu_online_mask, false, &cpu);
        if (v < 0) break;
        taken.emplace_back(cpu, (unsigned)v);
    }
    EXPECT_EQ(pci_alloc_irq_vectors(dev, 1, 1, PCI_IRQ_MSI), -ENOSPC);
    EXPECT_FALSE(dev->msi_enabled);
    EXPECT_EQ(dev->irq, INTX_IRQ);
    EXPECT_FALSE(control() & PCI_MSI_FLAGS_ENABLE);
    EXPECT_FALSE(command() & PCI_COMMAND_INTX_DISABLE);
    EXPECT_EQ(fn->r32(0x50), 0u) << "mask bits as found";
    EXPECT_EQ(irq_to_desc(MSI_FIRST_IRQ)->irq_data.chip, &no_irq_chip);
    EXPECT_FALSE(irq_desc_is_allocated(MSI_FIRST_IRQ)) << "the descriptor went back too";
    EXPECT_EQ(pci_msi_get_domain()->mapcount, 0u);
    EXPECT_EQ(pci_alloc_irq_vectors(dev, 1, 1, PCI_IRQ_MSI | PCI_IRQ_INTX), 1) << "falls back to INTx";
    EXPECT_EQ(pci_irq_vector(dev, 0), (int)INTX_IRQ);
    for (auto [cpu, v] : taken) irq_matrix_free(&vector_matrix, cpu, v, false);
}

TEST_F(PciMsi, ApicIdAboveFFCannotBeAddressed) {
    make();
    msi_host::apicid[0] = 0x100;
    msi_host::apicid[1] = 0x101;
    unsigned allocated = irq_matrix_allocated(&vector_matrix);
    host_console::clear();
    EXPECT_EQ(pci_alloc_irq_vectors(dev, 1, 1, PCI_IRQ_MSI), -EINVAL);
    EXPECT_NE(host_console::text().find("APIC ID 256 cannot be addressed by an MSI without interrupt remapping"),
              std::string::npos)
        << host_console::text();
    EXPECT_FALSE(dev->msi_enabled);
    EXPECT_EQ(irq_matrix_allocated(&vector_matrix), allocated) << "the parent's vector released again";
    EXPECT_FALSE(irq_desc_is_allocated(MSI_FIRST_IRQ));
}

TEST_F(PciMsi, TwoDevicesGetTwoIrqsAndMessages) {
    make();
    Fn& f2 = cfg.add_edu_like(8, INTX_IRQ);
    FakePciConfig::msi_cap(f2, PCI_MSI_FLAGS_64BIT);
    ASSERT_EQ(pci_scan(cfg), 2u);
    pci_dev* a = pci_dev_at(0);
    pci_dev* b = pci_dev_at(1);
    ASSERT_EQ(pci_alloc_irq_vectors(a, 1, 1, PCI_IRQ_MSI), 1);
    ASSERT_EQ(pci_alloc_irq_vectors(b, 1, 1, PCI_IRQ_MSI), 1);
    EXPECT_EQ(a->irq, 24u);
    EXPECT_EQ(b->irq, 25u);
    EXPECT_EQ(irq_to_desc(25)->irq_data.hwirq, (unsigned long)PCI_DEVFN(8, 0) << 11);
    EXPECT_NE(f2.r32(0x4C) & 0xFFFF, fn->r32(0x4C) & 0xFFFF) << "its own vector";
    EXPECT_EQ(f2.r32(0x4C) & 0xFFFF, apicd(25)->vector);
    pci_free_irq_vectors(a);
    pci_free_irq_vectors(b);
    dev = nullptr;
}

}  // namespace
