// Irq domains (Linux include/linux/irqdomain.h, kernel/irq/irqdomain.c, hierarchy part): a domain
// translates its controller's numbers (hwirq) to Linux IRQ numbers and allocates them; domains stack
// (PCI-MSI or IO-APIC above the x86 vector domain), and each IRQ then has one irq_data per level, linked
// by parent_data, so a chip can hand work to the level below (irq_chip_ack_parent & co).
//
// Usage (a child domain's alloc op, as the IO-APIC and PCI-MSI domains do):
//     int my_alloc(irq_domain* d, unsigned virq, unsigned nr, void* arg) {
//         int err = irq_domain_alloc_irqs_parent(d, virq, nr, arg);   // the vector level first
//         if (err) return err;
//         irq_domain_set_info(d, virq, hwirq, &my_chip, cookie, handle_edge_irq, "edge");
//         return 0;
//     }
//     irq_domain* dom = irq_domain_create_hierarchy(x86_vector_domain, 0, 24, &my_ops, cookie, "IO-APIC");
//     int irq = irq_domain_alloc_irqs(dom, 1, &arg);     // descriptor + every level; -ENOSPC, -ENOMEM
//     irq_domain_activate_irq(irq_get_irq_data(irq), false);   // request_irq does this at startup
//     unsigned same = irq_find_mapping(dom, hwirq);
//     irq_domain_free_irqs(irq, 1);
// Context: creation, allocation and free take the domain mutex-equivalent (a spinlock with interrupts
// saved) and may allocate (kzalloc): process context. The chip helpers run where chip callbacks run.
#pragma once
#include "kernel/irq/irqdesc.h"

struct irq_domain;

// What a domain's translate op reads (Linux struct irq_fwspec, without the firmware node).
struct irq_fwspec {
    unsigned param_count = 0;
    unsigned param[4] = {};
};

// Linux struct irq_domain_ops, hierarchy subset. Each op is optional except alloc for a domain that
// allocates. Called with no descriptor lock held except activate/deactivate (desc->lock held,
// interrupts off, from irq_startup/irq_shutdown, or from irq_domain_activate_irq's caller).
struct irq_domain_ops {
    int (*alloc)(irq_domain* d, unsigned virq, unsigned nr_irqs, void* arg) = nullptr;
    void (*free)(irq_domain* d, unsigned virq, unsigned nr_irqs) = nullptr;
    int (*activate)(irq_domain* d, irq_data* irqd, bool reserve) = nullptr;
    void (*deactivate)(irq_domain* d, irq_data* irqd) = nullptr;
    int (*translate)(irq_domain* d, const irq_fwspec* fwspec, unsigned long* hwirq, unsigned* type) = nullptr;
};

struct irq_domain {
    const char* name = nullptr;
    const irq_domain_ops* ops = nullptr;
    void* host_data = nullptr;
    irq_domain* parent = nullptr;
    unsigned long hwirq_max = 0;
    unsigned revmap_size = 0;     // hwirq < revmap_size are found through revmap
    irq_data** revmap = nullptr;  // hwirq -> the domain's irq_data of that IRQ (Linux's linear revmap)
    unsigned mapcount = 0;
};

// A domain with a linear hwirq map of `size` entries under `parent` (NULL: a root domain). NULL when
// out of memory. `flags` is kept for Linux's signature (no flag is used). Process context.
irq_domain* irq_domain_create_hierarchy(irq_domain* parent, unsigned flags, unsigned size, const irq_domain_ops* ops,
                                        void* host_data, const char* name);
static inline irq_domain* irq_domain_create_linear(unsigned size, const irq_domain_ops* ops, void* host_data,
                                                   const char* name) {
    return irq_domain_create_hierarchy(nullptr, 0, size, ops, host_data, name);
}
// Remove a domain with no mapping left (WARN and nothing done otherwise). Process context.
void irq_domain_remove(irq_domain* d);

// Allocate `nr_irqs` consecutive IRQ descriptors (from `irq_base` if >= 0, else the first free above
// the legacy lines) and the irq_data of every level from `d` down to the root, then call each level's
// alloc op (which calls its parent's first). Returns the first IRQ, or -ENOSPC (no descriptors),
// -ENOMEM, -EEXIST (irq_base taken), or the alloc op's error; nothing is left allocated on error.
// `realloc` (Linux's flag, with irq_base >= 0): the descriptors exist already (the ISA lines 0-15, which
// keep their numbers under the IO-APIC domain) and are used as they are; -EEXIST if one of them belongs
// to a domain.
int __irq_domain_alloc_irqs(irq_domain* d, int irq_base, unsigned nr_irqs, void* arg, bool realloc = false);
static inline int irq_domain_alloc_irqs(irq_domain* d, unsigned nr_irqs, void* arg) {
    return __irq_domain_alloc_irqs(d, -1, nr_irqs, arg);
}
// Free what irq_domain_alloc_irqs gave (every level's free op, the parent levels' irq_data, the
// descriptors). The IRQs must be deactivated and have no action. Process context.
void irq_domain_free_irqs(unsigned virq, unsigned nr_irqs);
// For alloc/free ops: do the same one level down. -EINVAL when `d` has no parent.
int irq_domain_alloc_irqs_parent(irq_domain* d, unsigned virq, unsigned nr_irqs, void* arg);
void irq_domain_free_irqs_parent(irq_domain* d, unsigned virq, unsigned nr_irqs);
// For alloc ops: fill this level's irq_data (hwirq, chip, chip_data) and enter it in the hwirq map;
// irq_domain_set_info also sets the flow handler and its name on the descriptor. -ENOENT when virq has
// no irq_data at this level.
int irq_domain_set_hwirq_and_chip(irq_domain* d, unsigned virq, unsigned long hwirq, IrqChip* chip, void* chip_data);
void irq_domain_set_info(irq_domain* d, unsigned virq, unsigned long hwirq, IrqChip* chip, void* chip_data,
                         irq_flow_handler_t handler, const char* handler_name);
// Linux irq_domain_associate for a descriptor that exists already (the legacy lines): enter `virq` in
// the domain's map as `hwirq` and make the domain the line's outermost one. -EINVAL out of range.
int irq_domain_associate(irq_domain* d, unsigned virq, unsigned long hwirq);
// For free ops: forget this level's hwirq and chip.
void irq_domain_reset_irq_data(irq_data* irqd);
// The irq_data of `virq` at `d`'s level, or NULL. Any context.
irq_data* irq_domain_get_irq_data(irq_domain* d, unsigned virq);
// The IRQ that `d` maps `hwirq` to, 0 when none (Linux's convention; IRQ 0 itself is never mapped
// through a domain here). Any context, racy against a concurrent free as in Linux's RCU-free reader.
unsigned irq_find_mapping(irq_domain* d, unsigned long hwirq);
// The domain's translate op; -EINVAL without one.
int irq_domain_translate(irq_domain* d, const irq_fwspec* fwspec, unsigned long* hwirq, unsigned* type);

// Activate every level, the root first (the vector domain assigns the vector here); on a failure the
// levels already activated are deactivated again. Deactivate in the reverse order. The descriptor lock
// held, interrupts off (request_irq does it from irq_startup). Idempotent (IRQD_ACTIVATED).
int irq_domain_activate_irq(irq_data* irqd, bool reserve);
void irq_domain_deactivate_irq(irq_data* irqd);

// Chip helpers for a child chip that passes an operation to its parent level (Linux kernel/irq/chip.c).
// Called as chip callbacks are: desc->lock held, interrupts off. The ack is inline: every edge and MSI
// interrupt passes through it.
static inline void irq_chip_ack_parent(irq_data* d) {
    d = d->parent_data;
    if (d && d->chip->has(IRQCHIP_OP_ACK)) d->chip->irq_ack(d);
}
void irq_chip_eoi_parent(irq_data* d);
void irq_chip_mask_parent(irq_data* d);
void irq_chip_unmask_parent(irq_data* d);
int irq_chip_retrigger_hierarchy(irq_data* d);  // the first level whose chip can retrigger; 0 when none
int irq_chip_set_affinity_parent(irq_data* d, const cpumask_t* dest, bool force);  // -ENOSYS without one
