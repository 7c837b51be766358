// The PCI-MSI irq domain beneath the x86 vector domain and its "PCI-MSI" chip (Linux kernel/irq/msi.c
// msi_domain_alloc/activate/deactivate, drivers/pci/msi/irqdomain.c pci_msi_template and
// pci_msi_domain_calc_hwirq, arch/x86/kernel/apic/msi.c x86_init_dev_msi_info and msi_set_affinity).
// The chip masks through the device's per-vector mask bits when it has them (Linux's pci_msi_mask is a
// no-op otherwise), acknowledges and retriggers at the parent level, runs handle_edge_irq as "edge", is
// IRQCHIP_ONESHOT_SAFE, and moves a line by moving its vector and rewriting the message.
#include "kernel/irq/msi.h"
#include "arch/x86/vector.h"
#include "drivers/pci/msi.h"
#include "kernel/irq/internals.h"
#include "kernel/irq/vector_domain.h"
#include "kernel/printk.h"

namespace {

irq_domain* pci_msi_domain;

msi_desc* desc_of(irq_data* d) { return static_cast<msi_desc*>(d->chip_data); }
uint32_t vector_bit(irq_data* d) { return 1u << (d->irq - desc_of(d)->irq); }

// The parent's irq_compose_msi_msg (Linux x86_vector_msi_compose_msg -> __irq_msi_compose_msg): the
// x86 format of a vector and destination.
msi_msg compose(const irq_cfg& cfg) { return x86_msi_compose_msg((uint8_t)cfg.vector, (uint8_t)cfg.dest_apicid); }

// Linux irq_msi_update_msg / pci_msi_domain_write_msg.
void write_msg(irq_data* d, const irq_cfg& cfg) { pci_write_msi_msg(desc_of(d), compose(cfg)); }

// desc->lock held, interrupts off. Linux marks the vector only when this CPU does not use it
// (IS_ERR_OR_NULL): a message that lands on it then is counted and acknowledged by do_IRQ, not run.
void mark_stray_vector(unsigned cpu, unsigned vector) {
    int owner = vector_irq_get(cpu, vector);
    if (owner < 0) vector_irq_set(cpu, vector, VECTOR_RETRIGGERED);
}

// Linux msi_set_affinity (arch/x86/kernel/apic/msi.c). desc->lock held, interrupts off.
//
// The vector domain allocates the new vector and keeps the old one mapped on the old CPU until the
// first interrupt arrives on the new one, so a message already sent with the old address and data is
// handled. What remains is the message itself: its address (the APIC ID) and its data (the vector) are
// two configuration writes, and a device that cannot mask its MSI may send between them. With the
// address written first it would send the new CPU the old vector, which nothing is mapped to there:
//
//     CPU 0 (irq_set_affinity)            device                     CPU 1
//     address := CPU 1
//                                         sends {CPU 1, old vector}
//                                                                    vector_irq[old] is empty: lost
//     data := new vector
//
// Linux therefore changes one half at a time and lets the mixed message land on the CPU doing the
// move, which has interrupts off and can look at its own IRR afterwards. Linux runs this on the old CPU
// (a move is done by the next interrupt there, irq_move_irq); irqos moves from process context on any
// CPU, so the message is routed through this CPU in three steps, each changing one register:
//     1. address := this CPU (old vector)   -- skipped when this CPU is the old one
//     2. data    := new vector
//     3. address := new CPU                 -- skipped when this CPU is the new one
// A message sent between the steps reaches this CPU with the old or the new vector. Where this CPU has
// no IRQ on that vector it is marked VECTOR_RETRIGGERED first, so do_IRQ only counts it; a device
// handler that does own it sees one spurious call (Linux: handlers cope with those). Either way the IRQ
// itself is re-raised on its new vector (irq_chip_retrigger_hierarchy) when this CPU's IRR shows that
// such a message came; nothing is lost and a message is handled once.
int msi_set_affinity(irq_data* irqd, const cpumask_t* mask, bool force) {
    irq_data* parent = irqd->parent_data;
    const apic_chip_data* a = apic_chip_data_of(parent);
    if (!a) return -ENOSYS;
    irq_cfg old_cfg = irqd_cfg(irqd);
    unsigned old_cpu = a->cpu;
    int ret = irq_chip_set_affinity_parent(irqd, mask, force);
    if (ret < 0 || ret == IRQ_SET_MASK_OK_DONE) return ret;
    irq_cfg cfg = irqd_cfg(irqd);
    unsigned new_cpu = a->cpu;
    msi_desc* desc = desc_of(irqd);

    // Direct update: a device that can mask is masked while the message changes (Linux moves a
    // maskable MSI with the line masked, irq_move_masked_irq; a message raised meanwhile waits in its
    // pending bit), and a message that changes in one register only cannot be torn.
    if (desc->msi_attrib.can_mask || cfg.vector == old_cfg.vector || !old_cfg.vector ||
        !irqd_has(irqd, IRQD_IRQ_STARTED) || cfg.dest_apicid == old_cfg.dest_apicid) {
        bool mask_it = desc->msi_attrib.can_mask && !irqd_irq_masked(irqd);
        if (mask_it) pci_msi_mask(desc, vector_bit(irqd));
        write_msg(irqd, cfg);
        if (mask_it) pci_msi_unmask(desc, vector_bit(irqd));
        return ret;
    }

    unsigned this_cpu = smp_processor_id();
    irq_cfg here = {x86_msi_cpu_apicid(this_cpu), old_cfg.vector};
    lock_vector_lock();
    if (this_cpu != old_cpu) mark_stray_vector(this_cpu, old_cfg.vector);
    if (this_cpu != new_cpu) mark_stray_vector(this_cpu, cfg.vector);
    if (this_cpu != old_cpu) write_msg(irqd, here);
    here.vector = cfg.vector;
    write_msg(irqd, here);
    if (this_cpu != new_cpu) write_msg(irqd, cfg);
    // From here every message goes to the new vector on the new CPU. The vector lock is dropped before
    // the IRR is read because the retrigger takes it again; desc->lock still keeps the line's vectors.
    unlock_vector_lock();
    bool stray = (this_cpu != old_cpu && lapic_vector_set_in_irr(old_cfg.vector)) ||
                 (this_cpu != new_cpu && lapic_vector_set_in_irr(cfg.vector));
    if (stray) irq_chip_retrigger_hierarchy(irqd);
    return ret;
}

class PciMsiChip final : public IrqChip {
public:
    constexpr PciMsiChip()
        : IrqChip("PCI-MSI",
                  IRQCHIP_OP_ACK | IRQCHIP_OP_MASK | IRQCHIP_OP_UNMASK | IRQCHIP_OP_RETRIGGER | IRQCHIP_OP_SET_AFFINITY,
                  IRQCHIP_ONESHOT_SAFE) {}
    // x86_init_dev_msi_info: irq_chip_ack_parent, so the vector domain's apic_ack_edge (the local APIC
    // EOI, a finished move's cleanup) acknowledges, exactly as for an IO-APIC edge line.
    void irq_ack(irq_data* d) override { irq_chip_ack_parent(d); }
    // Linux pci_irq_mask_msi / pci_irq_unmask_msi.
    void irq_mask(irq_data* d) override { pci_msi_mask(desc_of(d), vector_bit(d)); }
    void irq_unmask(irq_data* d) override { pci_msi_unmask(desc_of(d), vector_bit(d)); }
    // x86_init_dev_msi_info: irq_chip_retrigger_hierarchy, an IPI of the vector to its CPU.
    int irq_retrigger(irq_data* d) override { return irq_chip_retrigger_hierarchy(d); }
    int irq_set_affinity(irq_data* d, const cpumask_t* dest, bool force) override {
        return msi_set_affinity(d, dest, force);
    }
};

constinit PciMsiChip pci_msi_chip_instance;

// Linux msi_domain_alloc + pci_msi_domain_set_desc: the vector level first, then this level's chip,
// hwirq and flow; `arg` is the msi_desc.
int msi_domain_alloc(irq_domain* d, unsigned virq, unsigned nr, void* arg) {
    auto* desc = static_cast<msi_desc*>(arg);
    if (!desc) return -EINVAL;
    int err = irq_domain_alloc_irqs_parent(d, virq, nr, arg);
    if (err) return err;
    for (unsigned i = 0; i < nr; i++)
        irq_domain_set_info(d, virq + i,
                            pci_msi_domain_calc_hwirq(desc->dev->bus, desc->dev->devfn, desc->msi_index + i),
                            &pci_msi_chip_instance, desc, handle_edge_irq, "edge");
    return 0;
}

void msi_domain_free(irq_domain* d, unsigned virq, unsigned nr) {
    for (unsigned i = 0; i < nr; i++)
        if (irq_data* irqd = irq_domain_get_irq_data(d, virq + i)) irq_domain_reset_irq_data(irqd);
    irq_domain_free_irqs_parent(d, virq, nr);
}

// Linux msi_domain_activate: the parent level was activated first, so its vector and CPU are final;
// compose the message from them and write it. An APIC ID above 0xFF cannot be named without interrupt
// remapping. desc->lock held.
int msi_domain_activate(irq_domain*, irq_data* irqd, bool) {
    irq_cfg cfg = irqd_cfg(irqd);
    if (!cfg.vector) return -EINVAL;
    if (cfg.dest_apicid > X86_MSI_MAX_DESTID) {
        pr_err("PCI-MSI: IRQ %u: APIC ID %u cannot be addressed by an MSI without interrupt remapping\n", irqd->irq,
               cfg.dest_apicid);
        return -EINVAL;
    }
    write_msg(irqd, cfg);
    return 0;
}

// Linux msi_domain_deactivate: a zero message, so the device's message names no vector any more.
void msi_domain_deactivate(irq_domain*, irq_data* irqd) { pci_write_msi_msg(desc_of(irqd), msi_msg{}); }

constexpr irq_domain_ops pci_msi_domain_ops = {
    .alloc = msi_domain_alloc,
    .free = msi_domain_free,
    .activate = msi_domain_activate,
    .deactivate = msi_domain_deactivate,
};

}  // namespace

IrqChip& pci_msi_chip = pci_msi_chip_instance;

irq_cfg irqd_cfg(irq_data* irqd) {
    while (irqd && irqd->parent_data) irqd = irqd->parent_data;
    const apic_chip_data* a = apic_chip_data_of(irqd);
    if (!a || !a->vector) return {};
    return {x86_msi_cpu_apicid(a->cpu), a->vector};
}

int pci_msi_create_irq_domain(irq_domain* parent) {
    if (!parent) return -ENODEV;
    if (pci_msi_domain) return -EEXIST;
    // No linear map: the hwirq (bus, devfn, index) is never looked up, only shown.
    irq_domain* d = irq_domain_create_hierarchy(parent, 0, 0, &pci_msi_domain_ops, nullptr, "PCI-MSI");
    if (!d) return -ENOMEM;
    WRITE_ONCE(pci_msi_domain, d);
    return 0;
}

void pci_msi_remove_irq_domain() {
    irq_domain* d = pci_msi_domain;
    if (!d || WARN(d->mapcount, "PCI-MSI domain removed with %u IRQs\n", d->mapcount)) return;
    WRITE_ONCE(pci_msi_domain, nullptr);
    irq_domain_remove(d);
}

irq_domain* pci_msi_get_domain() { return READ_ONCE(pci_msi_domain); }

msi_desc* irq_get_msi_desc(unsigned irq) {
    irq_desc* desc = irq_to_desc(irq);
    if (!desc || desc->irq_data.chip != &pci_msi_chip_instance) return nullptr;
    return desc_of(&desc->irq_data);
}

int msi_domain_alloc_irqs(msi_desc* desc) {
    irq_domain* d = pci_msi_get_domain();
    if (!d) return -ENODEV;
    if (WARN_ON(desc->nvec_used != 1)) return -EINVAL;  // x86 without remapping: one vector per device
    // Linux x86 hands out dynamic IRQs above the IO-APICs' GSIs (arch_dynirq_lower_bound): take the
    // descriptors from MSI_FIRST_IRQ here and let the domain fill them (its realloc path).
    int first = irq_alloc_descs(-1, MSI_FIRST_IRQ, desc->nvec_used);
    if (first < 0) return first;
    int virq = __irq_domain_alloc_irqs(d, first, desc->nvec_used, desc, /*realloc=*/true);
    if (virq < 0) {
        irq_free_descs((unsigned)first, desc->nvec_used);
        return virq;
    }
    desc->irq = (unsigned)virq;
    // MSI_FLAG_ACTIVATE_EARLY: the vector and the message now, before MSI is enabled.
    for (unsigned i = 0; i < desc->nvec_used; i++) {
        irq_desc* idesc = irq_to_desc(desc->irq + i);
        int err;
        {
            SpinLockIrqSave guard(idesc->lock);
            err = irq_domain_activate_irq(&idesc->irq_data, false);
        }
        if (err) {
            msi_domain_free_irqs(desc);
            return err;
        }
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
        irq_desc* idesc = irq_to_desc(desc->irq + i);
        SpinLockIrqSave guard(idesc->lock);
        irq_domain_deactivate_irq(&idesc->irq_data);
    }
    irq_domain_free_irqs(desc->irq, desc->nvec_used);
    desc->irq = 0;
}
