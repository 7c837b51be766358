// In-kernel tests of the edu device on MSI (QEMU's edu has one 64-bit MSI vector at capability 0x40):
// the capability found by the boot scan, each raise one message handled exactly once on its own
// "PCI-MSI" IRQ (the INTx line's count unchanged), switching between MSI and INTx back and forth without
// losing or doubling an interrupt, and MSI refused while no MSI parent exists (PIC mode). Each test puts
// the device back in the mode it found it in. MSI needs the local APIC: without one the MSI tests skip.
#include "tests/kernel/ktest.h"
#include "drivers/misc/edu_dev.h"
#include "drivers/pci/msi.h"
#include "kernel/irq/interrupt.h"

using namespace pci_regs;

namespace {

constexpr unsigned RAISES = 16;
constexpr unsigned RAISE_TIMEOUT_MS = 1000;

// The device's mode is restored whatever the test did.
struct ModeGuard {
    edu_device* dev;
    edu_irq_mode saved;
    explicit ModeGuard(edu_device* d) : dev(d), saved(edu_get_mode(d)) {}
    ~ModeGuard() { (void)edu_set_mode(dev, saved); }
};

unsigned intx_line(const edu_device* dev) { return pci_read_config_byte(dev->pdev, PCI_INTERRUPT_LINE); }

}  // namespace

KTEST(edu_msi, capability_found_by_the_scan) {
    edu_device* dev = edu_get(0);
    if (!dev) KSKIP("no edu device on this machine");
    KEXPECT_EQ(dev->pdev->msi_cap, 0x40);
    pci_msi_cap cap = pci_msi_read_cap(dev->pdev);
    KEXPECT_TRUE(cap.is_64());
    KEXPECT_EQ(cap.vec_count(), 1u);
    KEXPECT_EQ(cap.enabled(), edu_get_mode(dev) == EDU_MODE_MSI);
}

KTEST(edu_msi, each_raise_is_one_message_handled_once) {
    edu_device* dev = edu_get(0);
    if (!dev) KSKIP("no edu device on this machine");
    if (!pci_msi_parent()) KSKIP("no local APIC: MSI needs APIC mode");
    ModeGuard guard(dev);
    KASSERT_EQ(edu_set_mode(dev, EDU_MODE_MSI), 0);
    unsigned irq = edu_irq(dev);
    KEXPECT_TRUE(irq >= MSI_FIRST_IRQ);
    KEXPECT_EQ(irq_to_desc(irq)->irq_data.chip, &pci_msi_chip);
    KEXPECT_EQ(irq_to_desc(irq)->irq_data.hwirq, pci_msi_domain_calc_hwirq(dev->pdev->bus, dev->pdev->devfn, 0));
    KEXPECT_TRUE(pci_read_config_word(dev->pdev, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE);
    unsigned intx_before = kstat_irqs(intx_line(dev));
    unsigned msi_before = kstat_irqs(irq);
    edu_stats before = edu_get_stats(dev);
    KEXPECT_EQ(edu_raise(dev, RAISES, RAISE_TIMEOUT_MS), 0);
    edu_stats after = edu_get_stats(dev);
    KEXPECT_EQ(after.handled - before.handled, (unsigned long)RAISES);
    KEXPECT_EQ(after.calls - before.calls, (unsigned long)RAISES);
    KEXPECT_EQ(kstat_irqs(irq) - msi_before, RAISES);
    KEXPECT_EQ(kstat_irqs(intx_line(dev)), intx_before);  // INTx stayed quiet
    KEXPECT_EQ(edu_irq_status(dev), 0u);
}

KTEST(edu_msi, switching_back_and_forth_loses_and_doubles_nothing) {
    edu_device* dev = edu_get(0);
    if (!dev) KSKIP("no edu device on this machine");
    if (!pci_msi_parent()) KSKIP("no local APIC: MSI needs APIC mode");
    ModeGuard guard(dev);
    edu_stats before = edu_get_stats(dev);
    for (int round = 0; round < 3; round++) {
        KASSERT_EQ(edu_set_mode(dev, EDU_MODE_INTX), 0);
        KEXPECT_EQ(edu_irq(dev), intx_line(dev));
        KEXPECT_EQ(edu_raise(dev, 2, RAISE_TIMEOUT_MS), 0);
        KASSERT_EQ(edu_set_mode(dev, EDU_MODE_MSI), 0);
        KEXPECT_EQ(edu_raise(dev, 2, RAISE_TIMEOUT_MS), 0);
    }
    // One raised while the line is disabled, served once after the switch to the other mode.
    disable_irq(edu_irq(dev));
    edu_raise_irq(dev);
    enable_irq(edu_irq(dev));
    KASSERT_EQ(edu_set_mode(dev, EDU_MODE_INTX), 0);
    edu_stats after = edu_get_stats(dev);
    KEXPECT_EQ(after.raised - before.raised, 13ul);
    KEXPECT_EQ(after.handled - before.handled, 13ul);
    KEXPECT_EQ(after.not_mine - before.not_mine, 0ul);
    KEXPECT_EQ(edu_irq_status(dev), 0u);
}

KTEST(edu_msi, msi_refused_without_a_parent) {
    edu_device* dev = edu_get(0);
    if (!dev) KSKIP("no edu device on this machine");
    ModeGuard guard(dev);
    KASSERT_EQ(edu_set_mode(dev, EDU_MODE_INTX), 0);
    MsiParent* parent = pci_msi_parent();
    pci_msi_set_parent(nullptr);  // what PIC mode has
    int err = edu_set_mode(dev, EDU_MODE_MSI);
    pci_msi_set_parent(parent);
    KEXPECT_EQ(err, -EINVAL);
    KEXPECT_EQ(edu_get_mode(dev), EDU_MODE_INTX);
    KEXPECT_EQ(edu_raise(dev, 1, RAISE_TIMEOUT_MS), 0);  // INTx still served
}
