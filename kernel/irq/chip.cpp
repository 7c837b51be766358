// Wiring a line to its controller and flow (Linux kernel/irq/chip.c irq_set_chip, __irq_set_handler,
// irq_set_chip_data, irq_modify_status; manage.c __irq_set_trigger / irq_set_irq_type).
// Every entry point takes desc->lock with interrupts saved, so it works before and after interrupts
// are on; none sleeps.
// __irq_set_trigger below is Linux manage.c code, whose pr_*() messages carry "genirq: ".
#define pr_fmt(fmt) "genirq: " fmt
#include "kernel/irq/internals.h"
#include "kernel/printk.h"

// Any context. A NULL chip means "none": the line goes back to no_irq_chip. -EINVAL: no such irq.
int irq_set_chip(unsigned irq, IrqChip* chip) {
    irq_desc* desc = irq_to_desc(irq);
    if (!desc) return -EINVAL;
    SpinLockIrqSave guard(desc->lock);
    desc->irq_data.chip = chip ? chip : &no_irq_chip;
    return 0;
}

// Linux __irq_do_set_handler (not chained). Installing handle_bad_irq (or NULL) uninstalls the flow:
// the line is masked and acked at its chip, marked disabled and given depth 1 again. Installing a real
// flow on a line that still has no_irq_chip is a wiring bug (WARN) and is refused.
static void irq_do_set_handler(irq_desc* desc, irq_flow_handler_t handle, const char* name) {
    if (!handle) {
        handle = handle_bad_irq;
    } else if (WARN_ON(desc->irq_data.chip == &no_irq_chip)) {
        return;
    }
    if (handle == handle_bad_irq) {
        if (desc->irq_data.chip != &no_irq_chip) mask_ack_irq(desc);
        irqd_set(&desc->irq_data, IRQD_IRQ_DISABLED);
        desc->depth = 1;
    }
    desc->handle_irq = handle;
    desc->name = name;
}

// Any context; takes desc->lock.
void irq_set_handler(unsigned irq, irq_flow_handler_t handle) {
    irq_desc* desc = irq_to_desc(irq);
    if (!desc) return;
    SpinLockIrqSave guard(desc->lock);
    irq_do_set_handler(desc, handle, nullptr);
}

// Any context; takes desc->lock (twice: chip, then flow, as Linux does).
void irq_set_chip_and_handler_name(unsigned irq, IrqChip* chip, irq_flow_handler_t handle, const char* name) {
    irq_set_chip(irq, chip);
    irq_desc* desc = irq_to_desc(irq);
    if (!desc) return;
    SpinLockIrqSave guard(desc->lock);
    irq_do_set_handler(desc, handle, name);
}

// Any context; -EINVAL for no such irq.
int irq_set_chip_data(unsigned irq, void* data) {
    irq_desc* desc = irq_to_desc(irq);
    if (!desc) return -EINVAL;
    SpinLockIrqSave guard(desc->lock);
    desc->irq_data.chip_data = data;
    return 0;
}

// Any context. irqos has no irq domains: the chip's pin number is set directly and shown in the view.
void irq_set_hwirq(unsigned irq, unsigned long hwirq) {
    irq_desc* desc = irq_to_desc(irq);
    if (!desc) return;
    SpinLockIrqSave guard(desc->lock);
    desc->irq_data.hwirq = hwirq;
    desc->irq_data.has_hwirq = true;
}

// desc->lock held. Ask the chip for a trigger mode and, if it accepts, record it in the IRQD trigger
// bits, the IRQ_TYPE settings and the LEVEL flags (which decide whether a pending interrupt is replayed).
// A chip without set_type keeps its fixed mode and the call succeeds (Linux: pr_debug, return 0).
// Unlike Linux 6.12 (which only sets IRQD_DEFAULT_TRIGGER_SET through irq domains), an accepted type
// counts as configured, so a later sharer with another trigger is refused, as sharing requires.
int __irq_set_trigger(irq_desc* desc, unsigned type) {
    IrqChip* chip = desc->irq_data.chip;
    unsigned irq = irq_desc_get_irq(desc);
    if (!chip || !chip->has(IRQCHIP_OP_SET_TYPE)) {
        pr_debug("No set_type function for IRQ %d (%s)\n", irq, chip && chip->name() ? chip->name() : "unknown");
        return 0;
    }
    type &= IRQ_TYPE_SENSE_MASK;
    int ret = chip->irq_set_type(&desc->irq_data, type);
    switch (ret) {
    case IRQ_SET_MASK_OK:
    case IRQ_SET_MASK_OK_DONE:
        irqd_set_trigger_type(&desc->irq_data, type);
        [[fallthrough]];
    case IRQ_SET_MASK_OK_NOCOPY: {
        unsigned t = irqd_get_trigger_type(&desc->irq_data);
        irq_settings_clr(desc, unsigned{IRQ_TYPE_SENSE_MASK} | IRQ_LEVEL);
        irq_settings_set(desc, t);
        irqd_clear(&desc->irq_data, IRQD_LEVEL);
        if (t & IRQ_TYPE_LEVEL_MASK) {
            irq_settings_set(desc, IRQ_LEVEL);
            irqd_set(&desc->irq_data, IRQD_LEVEL);
        }
        ret = 0;
        break;
    }
    default:
        // Linux appends " (%pS)" with chip->irq_set_type; a C++ virtual override has no plain code
        // address to print, so the text stops before it.
        pr_err("Setting trigger mode %u for irq %u failed\n", type, irq);
    }
    return ret;
}

// Any context; takes desc->lock. Returns the chip's error, or -EINVAL for no such irq or a per-CPU
// devid line (Linux looks it up with IRQ_GET_DESC_CHECK_GLOBAL).
int irq_set_irq_type(unsigned irq, unsigned type) {
    irq_desc* desc = irq_to_desc(irq);
    if (!desc || irq_settings_is_per_cpu_devid(desc)) return -EINVAL;
    SpinLockIrqSave guard(desc->lock);
    return __irq_set_trigger(desc, type);
}

// Any context; takes desc->lock. Changes the IRQ_* settings (only the driver-modifiable ones) and
// mirrors PER_CPU, LEVEL and the trigger type into the IRQD state as Linux does.
void irq_modify_status(unsigned irq, unsigned clr, unsigned set) {
    irq_desc* desc = irq_to_desc(irq);
    if (!desc) return;
    SpinLockIrqSave guard(desc->lock);
    // Setting NOAUTOEN on a line already running has no effect until it is freed: a driver bug.
    WARN_ON_ONCE(!desc->depth && (set & IRQ_NOAUTOEN));
    irq_settings_clr(desc, clr & IRQ_SETTINGS_MODIFY_MASK);
    irq_settings_set(desc, set & IRQ_SETTINGS_MODIFY_MASK);

    unsigned trigger = irqd_get_trigger_type(&desc->irq_data);
    irqd_clear(&desc->irq_data, IRQD_PER_CPU | IRQD_TRIGGER_MASK | IRQD_LEVEL);
    if (irq_settings_is_per_cpu(desc)) irqd_set(&desc->irq_data, IRQD_PER_CPU);
    if (irq_settings_is_level(desc)) irqd_set(&desc->irq_data, IRQD_LEVEL);
    unsigned t = irq_settings_get(desc) & IRQ_TYPE_SENSE_MASK;
    if (t != IRQ_TYPE_NONE) trigger = t;
    irqd_set(&desc->irq_data, trigger);
}
