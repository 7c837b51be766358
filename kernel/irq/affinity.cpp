// Interrupt affinity (Linux kernel/irq/manage.c irq_set_affinity, irq_do_set_affinity,
// irq_can_set_affinity): the requested CPUs go down the chip hierarchy (the x86 vector domain moves the
// line to a vector on one of them, see kernel/irq/vector_domain.h); the requested mask is recorded, the
// effective one is what the vector domain assigned.
#include "kernel/irq/interrupt.h"
#include "kernel/irq/internals.h"

// Linux irq_can_set_affinity: a chip that can move the line, not a per-CPU line.
static bool irq_can_set_affinity(const irq_desc* desc) {
    const IrqChip* chip = desc->irq_data.chip;
    return chip && chip->has(IRQCHIP_OP_SET_AFFINITY) && !irqd_has(&desc->irq_data, IRQD_PER_CPU) &&
           !irq_settings_has(desc, IRQ_PER_CPU);
}

int irq_set_affinity(unsigned irq, const cpumask_t* mask) {
    irq_desc* desc = irq_to_desc(irq);
    if (!desc || !mask) return -EINVAL;
    SpinLockIrqSave guard(desc->lock);
    if (!irq_can_set_affinity(desc)) return -EINVAL;
    cpumask_t online;
    if (!cpumask_and(&online, mask, cpu_online_mask)) return -EINVAL;  // Linux irq_do_set_affinity
    int ret = desc->irq_data.chip->irq_set_affinity(&desc->irq_data, &online, false);
    switch (ret) {
    case IRQ_SET_MASK_OK:
    case IRQ_SET_MASK_OK_DONE:
        cpumask_copy(&desc->affinity, mask);
        [[fallthrough]];
    case IRQ_SET_MASK_OK_NOCOPY:
        return 0;
    default:
        return ret;
    }
}

int irq_get_affinity(unsigned irq, cpumask_t* requested, cpumask_t* effective) {
    irq_desc* desc = irq_to_desc(irq);
    if (!desc) return -EINVAL;
    SpinLockIrqSave guard(desc->lock);
    if (requested) cpumask_copy(requested, &desc->affinity);
    if (effective) cpumask_copy(effective, &desc->effective_affinity);
    return 0;
}
