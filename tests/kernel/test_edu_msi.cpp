// In-kernel tests of the edu device on MSI (QEMU's edu has one 64-bit MSI vector at capability 0x40):
// the capability found by the boot scan and MSI chosen at boot in APIC mode, each raise one message
// handled exactly once on its own "PCI-MSI" IRQ two levels above the vector domain (the INTx line's count
// unchanged), switching between MSI and INTx back and forth without losing or doubling an interrupt, the
// MSI line moved to CPU 1 and back with a raise in flight across each move (the message rewritten, every
// raise handled once, the per-CPU counts following the line), and MSI refused while no PCI-MSI domain
// exists (PIC mode). Each test puts back the mode and affinity it found. MSI needs the local APIC:
// without one the MSI tests skip.
#include "tests/kernel/ktest.h"
#include "tests/kernel/kt_hw.h"
#include "tests/kernel/kt_edu_move.h"
#include "arch/x86/vector.h"
#include "drivers/misc/edu_dev.h"
#include "drivers/pci/msi.h"
#include "kernel/arch.h"
#include "kernel/irq/interrupt.h"
#include "kernel/irq/vector_domain.h"

using namespace pci_regs;

namespace {

constexpr unsigned RAISES = 16;
constexpr unsigned RAISE_TIMEOUT_MS = 1000;
constexpr uint64_t QUIET_US = 20000;

// The device's mode is restored whatever the test did.
struct ModeGuard {
    edu_device* dev;
    edu_irq_mode saved;
    explicit ModeGuard(edu_device* d) : dev(d), saved(edu_get_mode(d)) {}
    ~ModeGuard() { (void)edu_set_mode(dev, saved); }
};

// The line's requested affinity is restored whatever the test did (before the mode, which frees it).
struct AffinityGuard {
    unsigned irq;
    cpumask_t saved;
    bool ok;
    explicit AffinityGuard(unsigned i) : irq(i), ok(irq_get_affinity(i, &saved, nullptr) == 0) {}
    ~AffinityGuard() {
        if (ok) (void)irq_set_affinity(irq, &saved);
    }
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

// Linux's drivers ask for MSI first: in APIC mode the edu came up on MSI at boot (or a test before this
// one left it elsewhere and its guard put it back), in PIC mode on INTx.
KTEST(edu_msi, msi_by_default_in_apic_mode) {
    edu_device* dev = edu_get(0);
    if (!dev) KSKIP("no edu device on this machine");
    KEXPECT_EQ(edu_default_mode(dev->pdev), pci_msi_get_domain() ? EDU_MODE_MSI : EDU_MODE_INTX);
    KEXPECT_EQ(edu_get_mode(dev), edu_default_mode(dev->pdev));
    KEXPECT_EQ(pci_msi_get_domain() != nullptr, kt_apic_mode());
}

KTEST(edu_msi, each_raise_is_one_message_handled_once) {
    edu_device* dev = edu_get(0);
    if (!dev) KSKIP("no edu device on this machine");
    if (!pci_msi_get_domain()) KSKIP("no local APIC: MSI needs APIC mode");
    ModeGuard guard(dev);
    KASSERT_EQ(edu_set_mode(dev, EDU_MODE_MSI), 0);
    unsigned irq = edu_irq(dev);
    KEXPECT_TRUE(irq >= MSI_FIRST_IRQ);
    irq_data* irqd = &irq_to_desc(irq)->irq_data;
    KEXPECT_EQ(irqd->chip, &pci_msi_chip);
    KEXPECT_EQ(irqd->domain, pci_msi_get_domain());
    KASSERT(irqd->parent_data != nullptr);
    KEXPECT_EQ(irqd->parent_data->domain, x86_vector_domain);
    const apic_chip_data* a = apic_chip_data_of(irqd->parent_data);
    KASSERT(a != nullptr);
    msi_msg m = pci_read_msi_msg(dev->pdev->msi);  // the message composed from the parent's vector and CPU
    KEXPECT_EQ(x86_msi_data::decode(m.data).vector, a->vector);
    KEXPECT_EQ(x86_msi_addr_lo::decode(m.address_lo).destid_0_7, x86_msi_cpu_apicid(a->cpu));
    KEXPECT_EQ(vector_irq_get(a->cpu, a->vector), (int)irq);
    kt_settle_us(QUIET_US);  // nothing a test before this one left in flight is counted below
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
    if (!pci_msi_get_domain()) KSKIP("no local APIC: MSI needs APIC mode");
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
    // On MSI the replay is an IPI of the vector to its CPU (irq_chip_retrigger_hierarchy): let it land
    // before the switch frees the IRQ, or a late one would reach whichever IRQ gets that vector next.
    kt_settle_us(QUIET_US);
    KASSERT_EQ(edu_set_mode(dev, EDU_MODE_INTX), 0);
    edu_stats after = edu_get_stats(dev);
    KEXPECT_EQ(after.raised - before.raised, 13ul);
    KEXPECT_EQ(after.handled - before.handled, 13ul);
    KEXPECT_EQ(after.not_mine - before.not_mine, 0ul);
    KEXPECT_EQ(edu_irq_status(dev), 0u);
}

// The edu's MSI moved between CPUs (msi_set_affinity through the vector domain): one raise is sent on the
// line's current vector with interrupts off on this CPU while the message is rewritten (taken once
// interrupts are back on), then RAISES more all land on the new CPU: every raise handled once, the
// message naming the target's APIC ID, and the per-CPU counts moving to the target's column. Moving
// back to CPU 0 runs on CPU 0 while the line is on CPU 1, so both directions of msi_set_affinity's
// route through the moving CPU are taken.
namespace {
// After a move: the message names the target's APIC ID and the vector the vector domain gave the line.
void check_msi_message(unsigned irq, unsigned target) {
    msi_msg m = pci_read_msi_msg(edu_get(0)->pdev->msi);
    KEXPECT_EQ(x86_msi_addr_lo::decode(m.address_lo).destid_0_7, x86_msi_cpu_apicid(target));
    const apic_chip_data* a = apic_chip_data_of(irq_to_desc(irq)->irq_data.parent_data);
    if (KEXPECT_TRUE(a != nullptr)) KEXPECT_EQ(x86_msi_data::decode(m.data).vector, a->vector);
}
}  // namespace

KTEST(edu_msi, msi_follows_its_affinity_to_cpu1_and_back) {
    edu_device* dev = edu_get(0);
    if (!dev) KSKIP("no edu device on this machine");
    if (!pci_msi_get_domain()) KSKIP("no local APIC: MSI needs APIC mode");
    if (arch::num_online_cpus() < 2) KSKIP("one CPU online: no other CPU to move the line to");
    ModeGuard mode(dev);
    KASSERT_EQ(edu_set_mode(dev, EDU_MODE_MSI), 0);
    const unsigned irq = edu_irq(dev);
    AffinityGuard affinity(irq);
    KASSERT(affinity.ok);
    const unsigned targets[] = {1, 0, 1, 0};
    for (unsigned target : targets) {
        kt_edu_move_and_count(dev, irq, target, RAISES, check_msi_message);
        const apic_chip_data* a = apic_chip_data_of(irq_to_desc(irq)->irq_data.parent_data);
        KASSERT(a != nullptr);
        KEXPECT_FALSE(a->move_in_progress);  // the first interrupt on the target finished the move
    }
}

KTEST(edu_msi, msi_refused_without_an_msi_domain) {
    edu_device* dev = edu_get(0);
    if (!dev) KSKIP("no edu device on this machine");
    ModeGuard guard(dev);
    KASSERT_EQ(edu_set_mode(dev, EDU_MODE_INTX), 0);
    irq_domain* domain = pci_msi_get_domain();
    if (domain && domain->mapcount) KSKIP("another device uses MSI: the domain stays");
    pci_msi_remove_irq_domain();  // what PIC mode has
    int err = edu_set_mode(dev, EDU_MODE_MSI);
    if (domain) KEXPECT_EQ(pci_msi_create_irq_domain(x86_vector_domain), 0);
    KEXPECT_EQ(err, -EINVAL);
    KEXPECT_EQ(edu_get_mode(dev), EDU_MODE_INTX);
    KEXPECT_EQ(edu_raise(dev, 1, RAISE_TIMEOUT_MS), 0);  // INTx still served
}
