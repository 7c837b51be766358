// Hierarchical irq domains (Linux kernel/irq/irqdomain.c, CONFIG_IRQ_DOMAIN_HIERARCHY part, and the
// *_parent chip helpers of kernel/irq/chip.c). See kernel/irq/irqdomain.h.
#include "kernel/irq/irqdomain.h"
#include "kernel/irq/internals.h"
#include "kernel/printk.h"
#include "kernel/slab.h"

namespace {
// Serialises domain creation, allocation and free (Linux's irq_domain_mutex; a spinlock with
// interrupts saved here, held only around the bookkeeping, never across a kzalloc).
raw_spinlock_t domain_lock;

// Linux irq_domain_insert_irq / remove: the hwirq map entry of one level.
void revmap_set(irq_domain* d, unsigned long hwirq, irq_data* irqd) {
    if (hwirq < d->revmap_size) __atomic_store_n(&d->revmap[hwirq], irqd, __ATOMIC_RELEASE);
}

// The chain below the descriptor's irq_data: one kzalloc'd irq_data per parent level.
void free_parent_data(irq_desc* desc) {
    irq_data* p = desc->irq_data.parent_data;
    desc->irq_data.parent_data = nullptr;
    while (p) {
        irq_data* next = p->parent_data;
        kfree(p);
        p = next;
    }
}

int alloc_irq_data(irq_domain* d, unsigned virq, unsigned nr) {
    for (unsigned i = 0; i < nr; i++) {
        irq_desc* desc = irq_to_desc(virq + i);
        desc->irq_data.domain = d;
        irq_data* child = &desc->irq_data;
        for (irq_domain* parent = d->parent; parent; parent = parent->parent) {
            auto* p = static_cast<irq_data*>(kzalloc(sizeof(irq_data)));
            if (!p) {
                for (unsigned j = 0; j <= i; j++) free_parent_data(irq_to_desc(virq + j));
                return -ENOMEM;
            }
            *p = irq_data{};
            p->irq = virq + i;
            p->domain = parent;
            child->parent_data = p;
            child = p;
        }
    }
    return 0;
}

// Alloc ops from the given level down (each calls irq_domain_alloc_irqs_parent itself).
int domain_alloc(irq_domain* d, unsigned virq, unsigned nr, void* arg) {
    if (!d->ops || !d->ops->alloc) return -ENOSYS;
    return d->ops->alloc(d, virq, nr, arg);
}

void domain_free(irq_domain* d, unsigned virq, unsigned nr) {
    if (d->ops && d->ops->free) d->ops->free(d, virq, nr);
}

// Linux __irq_domain_activate_irq: parents first.
int activate_level(irq_data* irqd, bool reserve) {
    if (!irqd || !irqd->domain) return 0;
    int ret = activate_level(irqd->parent_data, reserve);
    if (ret) return ret;
    if (irqd->domain->ops && irqd->domain->ops->activate) {
        ret = irqd->domain->ops->activate(irqd->domain, irqd, reserve);
        if (ret && irqd->parent_data) {
            irq_data* p = irqd->parent_data;
            // undo the parents, the root last
            for (irq_data* q = p; q; q = q->parent_data)
                if (q->domain && q->domain->ops && q->domain->ops->deactivate) q->domain->ops->deactivate(q->domain, q);
        }
    }
    return ret;
}

void deactivate_level(irq_data* irqd) {
    if (!irqd || !irqd->domain) return;
    if (irqd->domain->ops && irqd->domain->ops->deactivate) irqd->domain->ops->deactivate(irqd->domain, irqd);
    deactivate_level(irqd->parent_data);
}
}  // namespace

irq_domain* irq_domain_create_hierarchy(irq_domain* parent, unsigned, unsigned size, const irq_domain_ops* ops,
                                        void* host_data, const char* name) {
    auto* d = static_cast<irq_domain*>(kzalloc(sizeof(irq_domain)));
    if (!d) return nullptr;
    *d = irq_domain{};
    if (size) {
        // An array of pointers, one per hwirq.
        d->revmap = static_cast<irq_data**>(kzalloc(size * sizeof(irq_data*)));  // NOLINT(bugprone-sizeof-expression)
        if (!d->revmap) {
            kfree(d);
            return nullptr;
        }
    }
    d->name = name;
    d->ops = ops;
    d->host_data = host_data;
    d->parent = parent;
    d->revmap_size = size;
    d->hwirq_max = size ? size : ~0ul;
    return d;
}

void irq_domain_remove(irq_domain* d) {
    if (!d) return;
    if (WARN(d->mapcount, "irq domain %s removed with %u mappings\n", d->name, d->mapcount)) return;
    kfree(d->revmap);
    kfree(d);
}

int __irq_domain_alloc_irqs(irq_domain* d, int irq_base, unsigned nr_irqs, void* arg, bool realloc) {
    if (!d || !nr_irqs) return -EINVAL;
    int virq;
    if (realloc && irq_base >= 0) {
        virq = irq_base;
        for (unsigned i = 0; i < nr_irqs; i++) {
            irq_desc* desc = irq_to_desc(unsigned(virq) + i);
            if (!desc || !irq_desc_is_allocated(unsigned(virq) + i)) return -EINVAL;
            if (desc->irq_data.parent_data || desc->action) return -EEXIST;
        }
    } else {
        virq = irq_alloc_descs(irq_base, irq_base >= 0 ? unsigned(irq_base) : NR_IRQS_LEGACY, nr_irqs);
        if (virq < 0) return virq;
    }
    auto undo_descs = [&] {
        if (!realloc)
            irq_free_descs(unsigned(virq), nr_irqs);
        else
            for (unsigned i = 0; i < nr_irqs; i++) irq_to_desc(unsigned(virq) + i)->irq_data.domain = nullptr;
    };
    int ret = alloc_irq_data(d, unsigned(virq), nr_irqs);
    if (ret) {
        undo_descs();
        return ret;
    }
    ret = domain_alloc(d, unsigned(virq), nr_irqs, arg);
    if (ret) {
        for (unsigned i = 0; i < nr_irqs; i++) free_parent_data(irq_to_desc(unsigned(virq) + i));
        undo_descs();
        return ret;
    }
    return virq;
}

void irq_domain_free_irqs(unsigned virq, unsigned nr_irqs) {
    irq_desc* desc = irq_to_desc(virq);
    if (WARN(!desc || !desc->irq_data.domain, "NULL pointer, cannot free irq\n")) return;
    for (unsigned i = 0; i < nr_irqs; i++) {
        irq_desc* di = irq_to_desc(virq + i);
        WARN_ON(di && di->action);
    }
    domain_free(desc->irq_data.domain, virq, nr_irqs);
    for (unsigned i = 0; i < nr_irqs; i++) {
        irq_desc* di = irq_to_desc(virq + i);
        if (!di) continue;
        free_parent_data(di);
        di->irq_data.domain = nullptr;
    }
    irq_free_descs(virq, nr_irqs);
}

int irq_domain_alloc_irqs_parent(irq_domain* d, unsigned virq, unsigned nr_irqs, void* arg) {
    if (!d->parent) return -EINVAL;
    return domain_alloc(d->parent, virq, nr_irqs, arg);
}

void irq_domain_free_irqs_parent(irq_domain* d, unsigned virq, unsigned nr_irqs) {
    if (d->parent) domain_free(d->parent, virq, nr_irqs);
}

irq_data* irq_domain_get_irq_data(irq_domain* d, unsigned virq) {
    irq_desc* desc = irq_to_desc(virq);
    if (!desc) return nullptr;
    for (irq_data* irqd = &desc->irq_data; irqd; irqd = irqd->parent_data)
        if (irqd->domain == d) return irqd;
    return nullptr;
}

int irq_domain_set_hwirq_and_chip(irq_domain* d, unsigned virq, unsigned long hwirq, IrqChip* chip, void* chip_data) {
    irq_data* irqd = irq_domain_get_irq_data(d, virq);
    if (!irqd) return -ENOENT;
    unsigned long flags;
    raw_spin_lock_irqsave(&domain_lock, flags);
    if (!irqd->has_hwirq) d->mapcount++;
    irqd->hwirq = hwirq;
    irqd->has_hwirq = true;
    irqd->chip = chip ? chip : &no_irq_chip;
    irqd->chip_data = chip_data;
    revmap_set(d, hwirq, irqd);
    raw_spin_unlock_irqrestore(&domain_lock, flags);
    return 0;
}

void irq_domain_set_info(irq_domain* d, unsigned virq, unsigned long hwirq, IrqChip* chip, void* chip_data,
                         irq_flow_handler_t handler, const char* handler_name) {
    if (irq_domain_set_hwirq_and_chip(d, virq, hwirq, chip, chip_data)) return;
    irq_desc* desc = irq_to_desc(virq);
    SpinLockIrqSave guard(desc->lock);
    desc->handle_irq = handler ? handler : handle_bad_irq;
    desc->name = handler_name;
}

int irq_domain_associate(irq_domain* d, unsigned virq, unsigned long hwirq) {
    irq_desc* desc = irq_to_desc(virq);
    if (!d || !desc || hwirq >= d->hwirq_max) return -EINVAL;
    irq_data* irqd = &desc->irq_data;
    unsigned long flags;
    raw_spin_lock_irqsave(&domain_lock, flags);
    if (irqd->domain != d || !irqd->has_hwirq) d->mapcount++;
    irqd->domain = d;
    irqd->hwirq = hwirq;
    irqd->has_hwirq = true;
    revmap_set(d, hwirq, irqd);
    raw_spin_unlock_irqrestore(&domain_lock, flags);
    return 0;
}

void irq_domain_reset_irq_data(irq_data* irqd) {
    irq_domain* d = irqd->domain;
    unsigned long flags;
    raw_spin_lock_irqsave(&domain_lock, flags);
    if (d && irqd->has_hwirq) {
        if (irqd->hwirq < d->revmap_size && d->revmap[irqd->hwirq] == irqd) revmap_set(d, irqd->hwirq, nullptr);
        d->mapcount--;
    }
    irqd->hwirq = 0;
    irqd->has_hwirq = false;
    irqd->chip = &no_irq_chip;
    irqd->chip_data = nullptr;
    raw_spin_unlock_irqrestore(&domain_lock, flags);
}

unsigned irq_find_mapping(irq_domain* d, unsigned long hwirq) {
    if (!d || hwirq >= d->revmap_size) return 0;
    irq_data* irqd = __atomic_load_n(&d->revmap[hwirq], __ATOMIC_ACQUIRE);
    return irqd ? irqd->irq : 0;
}

int irq_domain_translate(irq_domain* d, const irq_fwspec* fwspec, unsigned long* hwirq, unsigned* type) {
    if (!d->ops || !d->ops->translate) return -EINVAL;
    return d->ops->translate(d, fwspec, hwirq, type);
}

int irq_domain_activate_irq(irq_data* irqd, bool reserve) {
    if (irqd_has(irqd, IRQD_ACTIVATED)) return 0;
    int ret = activate_level(irqd, reserve);
    if (!ret) irqd_set(irqd, IRQD_ACTIVATED);
    return ret;
}

void irq_domain_deactivate_irq(irq_data* irqd) {
    if (!irqd_has(irqd, IRQD_ACTIVATED)) return;
    deactivate_level(irqd);
    irqd_clear(irqd, IRQD_ACTIVATED);
}

void irq_chip_eoi_parent(irq_data* d) {
    d = d->parent_data;
    if (d && d->chip->has(IRQCHIP_OP_EOI)) d->chip->irq_eoi(d);
}

void irq_chip_mask_parent(irq_data* d) {
    d = d->parent_data;
    if (d && d->chip->has(IRQCHIP_OP_MASK)) d->chip->irq_mask(d);
}

void irq_chip_unmask_parent(irq_data* d) {
    d = d->parent_data;
    if (d && d->chip->has(IRQCHIP_OP_UNMASK)) d->chip->irq_unmask(d);
}

int irq_chip_retrigger_hierarchy(irq_data* d) {
    for (d = d->parent_data; d; d = d->parent_data)
        if (d->chip && d->chip->has(IRQCHIP_OP_RETRIGGER)) return d->chip->irq_retrigger(d);
    return 0;
}

int irq_chip_set_affinity_parent(irq_data* d, const cpumask_t* dest, bool force) {
    d = d->parent_data;
    if (d && d->chip->has(IRQCHIP_OP_SET_AFFINITY)) return d->chip->irq_set_affinity(d, dest, force);
    return -ENOSYS;
}
