// The IO-APIC irq domains (see io_apic_domain.h). Linux mp_irqdomain_alloc programs the entry from the
// parent's irq_cfg (mp_setup_entry) and mp_irqdomain_activate writes it (ioapic_configure_entry); the
// affinity path (IoApic::irq_set_affinity) rewrites it after the parent moved the vector.
#include "drivers/apic/io_apic_domain.h"
#include "drivers/apic/io_apic_setup.h"
#include "kernel/errno.h"
#include "kernel/irq/irqdomain.h"
#include "kernel/irq/vector_domain.h"

namespace {

struct ioapic_alloc_info {
    unsigned pin;
    bool level;
    bool active_low;
};

IoApic* chip_of(irq_domain* d) { return static_cast<IoApic*>(d->host_data); }

// Linux mp_irqdomain_alloc: the vector level first, then this level's chip, flow and masked entry.
int mp_irqdomain_alloc(irq_domain* d, unsigned virq, unsigned nr, void* arg) {
    auto* info = static_cast<const ioapic_alloc_info*>(arg);
    IoApic* chip = chip_of(d);
    if (!info || nr != 1 || info->pin >= chip->nr_pins()) return -EINVAL;
    int err = irq_domain_alloc_irqs_parent(d, virq, nr, arg);
    if (err) return err;
    irq_data* irqd = irq_domain_get_irq_data(d, virq);
    const apic_chip_data* a = apic_chip_data_of(irqd->parent_data);
    unsigned vector = a ? a->vector : 0;
    unsigned dest = ioapic_cpu_apicid(a ? a->cpu : 0);
    IoApicPin* p = chip->configure_pin(info->pin, vector, info->level, info->active_low, dest);
    irq_domain_set_info(d, virq, info->pin, chip, p, info->level ? handle_fasteoi_irq : handle_edge_irq,
                        info->level ? "fasteoi" : "edge");
    if (info->level)
        irq_set_status_flags(virq, IRQ_LEVEL);
    else
        irq_clear_status_flags(virq, IRQ_LEVEL);
    return 0;
}

void mp_irqdomain_free(irq_domain* d, unsigned virq, unsigned nr) {
    for (unsigned i = 0; i < nr; i++) {
        irq_data* irqd = irq_domain_get_irq_data(d, virq + i);
        if (!irqd) continue;
        if (irqd->has_hwirq) chip_of(d)->clear_pin(unsigned(irqd->hwirq));
        irq_domain_reset_irq_data(irqd);
    }
    irq_domain_free_irqs_parent(d, virq, nr);
}

// Linux mp_irqdomain_activate: the parent was activated first, so its vector and CPU are final.
int mp_irqdomain_activate(irq_domain* d, irq_data* irqd, bool) {
    const apic_chip_data* a = apic_chip_data_of(irqd->parent_data);
    if (!a || !a->vector) return -EINVAL;
    chip_of(d)->set_route(irqd, a->vector, ioapic_cpu_apicid(a->cpu));
    return 0;
}

constexpr irq_domain_ops mp_ioapic_irqdomain_ops = {
    .alloc = mp_irqdomain_alloc,
    .free = mp_irqdomain_free,
    .activate = mp_irqdomain_activate,
};

}  // namespace

int mp_irqdomain_create(IoApic* chip) {
    if (!x86_vector_domain) return -ENODEV;
    chip->irqdomain =
        irq_domain_create_hierarchy(x86_vector_domain, 0, chip->nr_pins(), &mp_ioapic_irqdomain_ops, chip, "IO-APIC");
    return chip->irqdomain ? 0 : -ENOMEM;
}

void mp_irqdomain_remove(IoApic* chip) {
    if (!chip->irqdomain) return;
    for (unsigned pin = 0; pin < chip->nr_pins(); pin++) ioapic_unmap_pin(chip, pin);
    irq_domain_remove(chip->irqdomain);
    chip->irqdomain = nullptr;
}

int ioapic_pin_irq(IoApic* chip, unsigned pin) {
    irq_domain* d = chip->irqdomain;
    if (!d || pin >= d->revmap_size) return -1;
    irq_data* irqd = __atomic_load_n(&d->revmap[pin], __ATOMIC_ACQUIRE);
    return irqd ? int(irqd->irq) : -1;  // IRQ 0 is a valid answer here, unlike irq_find_mapping's
}

int ioapic_map_pin(IoApic* chip, unsigned pin, int irq, bool level, bool active_low) {
    if (!chip->irqdomain || pin >= chip->nr_pins()) return -EINVAL;
    if (ioapic_pin_irq(chip, pin) >= 0) return -EEXIST;
    ioapic_alloc_info info{pin, level, active_low};
    bool legacy = irq >= 0 && unsigned(irq) < NR_IRQS_LEGACY;
    return __irq_domain_alloc_irqs(chip->irqdomain, irq, 1, &info, legacy);
}

void ioapic_unmap_pin(IoApic* chip, unsigned pin) {
    int irq = ioapic_pin_irq(chip, pin);
    if (irq >= 0) irq_domain_free_irqs(unsigned(irq), 1);
}

[[gnu::weak]] unsigned ioapic_cpu_apicid(unsigned cpu) { return cpu == 0 ? ioapic_default_dest : cpu; }
