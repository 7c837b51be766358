// The PCI-MSI irq domain and its chip (Linux drivers/pci/msi/irqdomain.c pci_msi_template, kernel/irq/
// msi.c msi_domain_alloc_irqs/msi_domain_activate, arch/x86/kernel/apic/msi.c x86_init_dev_msi_info):
// "PCI-MSI" masks through the device's per-vector mask bits when it has them (none otherwise: Linux's
// pci_msi_mask is then a no-op), acknowledges at the parent (the local APIC's EOI), runs
// handle_edge_irq as "edge" and is IRQCHIP_ONESHOT_SAFE. Activation asks the parent for a vector and
// writes the composed message into the device.
#include "kernel/irq/msi.h"
#include "drivers/pci/msi.h"
#include "kernel/irq/internals.h"
#include "kernel/printk.h"

namespace {

MsiParent* msi_parent;

msi_desc* desc_of(irq_data* d) { return static_cast<msi_desc*>(d->chip_data); }
uint32_t vector_bit(irq_data* d) { return 1u << (d->irq - desc_of(d)->irq); }

class PciMsiChip final : public IrqChip {
public:
    constexpr PciMsiChip()
        : IrqChip("PCI-MSI", IRQCHIP_OP_ACK | IRQCHIP_OP_MASK | IRQCHIP_OP_UNMASK, IRQCHIP_ONESHOT_SAFE) {}
    // irq_chip_ack_parent: the vector domain's apic_ack_irq, an EOI at this CPU's local APIC.
    void irq_ack(irq_data* d) override {
        if (MsiParent* p = READ_ONCE(msi_parent)) p->ack(d);
    }
    // Linux pci_irq_mask_msi / pci_irq_unmask_msi.
    void irq_mask(irq_data* d) override { pci_msi_mask(desc_of(d), vector_bit(d)); }
    void irq_unmask(irq_data* d) override { pci_msi_unmask(desc_of(d), vector_bit(d)); }
    // The parent's irq_compose_msi_msg (x86_vector_msi_compose_msg): the x86 format of the vector and
    // destination the parent chose.
    static msi_msg irq_compose_msi_msg(const irq_cfg& cfg) {
        return x86_msi_compose_msg((uint8_t)cfg.vector, (uint8_t)cfg.dest_apicid);
    }
    // Linux pci_msi_domain_write_msg.
    static void irq_write_msi_msg(irq_data* d, const msi_msg& msg) { pci_write_msi_msg(desc_of(d), msg); }
};

constinit PciMsiChip pci_msi_chip_instance;

// A descriptor handed out afresh, as Linux allocates a new irq_desc: no counts, no spurious history.
void reset_counts(irq_desc* desc) {
    for_each_possible_cpu(cpu) * per_cpu_ptr(desc->kstat_irqs, cpu) = 0;
    desc->tot_count = 0;
    racy_write(desc->irq_count, 0);
    racy_write(desc->irqs_unhandled, 0);
    racy_write(desc->last_unhandled, 0);
}

// `n` consecutive IRQ numbers from MSI_FIRST_IRQ (Linux irq_alloc_descs, so no other domain takes them),
// wired to the PCI-MSI chip; 0 if none is free.
unsigned claim_irqs(unsigned n, msi_desc* desc) {
    int first = irq_alloc_descs(-1, MSI_FIRST_IRQ, n);
    if (first < 0) return 0;
    for (unsigned i = 0; i < n; i++) {
        unsigned irq = (unsigned)first + i;
        reset_counts(irq_to_desc(irq));
        irq_set_chip_and_handler_name(irq, &pci_msi_chip_instance, handle_edge_irq, "edge");
        irq_set_chip_data(irq, desc);
        irq_set_hwirq(irq, pci_msi_domain_calc_hwirq(desc->dev->bus, desc->dev->devfn, desc->msi_index + i));
    }
    return (unsigned)first;
}

void release_irq(unsigned irq) {
    irq_set_chip_and_handler_name(irq, nullptr, nullptr, nullptr);
    irq_desc* desc = irq_to_desc(irq);
    {
        SpinLockIrqSave guard(desc->lock);
        desc->irq_data.chip_data = nullptr;
        desc->irq_data.hwirq = 0;
        desc->irq_data.has_hwirq = false;
    }
    irq_free_descs(irq, 1);
}

// Linux msi_domain_activate: the parent's vector, then compose and write. The device is masked (or
// MSI is still off) meanwhile.
int activate(unsigned irq) {
    irq_cfg cfg;
    if (int err = msi_parent->activate(irq, &cfg); err) return err;
    if (cfg.dest_apicid > X86_MSI_MAX_DESTID) {
        pr_err("PCI-MSI: IRQ %u: APIC ID %u cannot be addressed by an MSI without interrupt remapping\n", irq,
               cfg.dest_apicid);
        msi_parent->deactivate(irq);
        return -EINVAL;
    }
    return msi_domain_update_msg(irq, cfg);
}

}  // namespace

IrqChip& pci_msi_chip = pci_msi_chip_instance;

void pci_msi_set_parent(MsiParent* parent) { WRITE_ONCE(msi_parent, parent); }
MsiParent* pci_msi_parent() { return READ_ONCE(msi_parent); }

msi_desc* irq_get_msi_desc(unsigned irq) {
    irq_desc* desc = irq_to_desc(irq);
    if (!desc || desc->irq_data.chip != &pci_msi_chip_instance) return nullptr;
    return desc_of(&desc->irq_data);
}

int msi_domain_update_msg(unsigned irq, const irq_cfg& cfg) {
    irq_desc* desc = irq_to_desc(irq);
    if (!irq_get_msi_desc(irq)) return -EINVAL;
    PciMsiChip::irq_write_msi_msg(&desc->irq_data, PciMsiChip::irq_compose_msi_msg(cfg));
    return 0;
}

int msi_domain_alloc_irqs(msi_desc* desc) {
    if (!msi_parent) return -ENODEV;
    if (WARN_ON(desc->nvec_used != 1)) return -EINVAL;  // x86 without remapping: one vector per device
    unsigned first = claim_irqs(desc->nvec_used, desc);
    if (!first) return -ENOSPC;
    desc->irq = first;
    if (int err = activate(first); err) {
        release_irq(first);
        desc->irq = 0;
        return err;
    }
    return 0;
}

void msi_domain_free_irqs(msi_desc* desc) {
    if (!desc->irq) return;
    for (unsigned i = 0; i < desc->nvec_used; i++) {
        if (WARN(desc_first_action(irq_to_desc(desc->irq + i)), "PCI-MSI: IRQ %u still has an action; not freed\n",
                 desc->irq + i))
            return;
    }
    for (unsigned i = 0; i < desc->nvec_used; i++) {
        if (msi_parent) msi_parent->deactivate(desc->irq + i);
        release_irq(desc->irq + i);
    }
    desc->irq = 0;
}
