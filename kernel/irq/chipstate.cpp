// The line's two on/off states and the chip calls that move between them (Linux kernel/irq/chip.c
// irq_startup/irq_shutdown/irq_enable/__irq_disable; mask_irq, unmask_irq and mask_ack_irq are inline in
// internals.h, being on every interrupt's path).
// IRQD_IRQ_DISABLED is the logical state (disable_irq depth > 0 or shut down); IRQD_IRQ_MASKED is what
// the hardware does right now. They differ under lazy disable: a disabled line stays unmasked until an
// interrupt actually arrives, and the flow then masks it and remembers it as PENDING.
// All functions here: desc->lock held, interrupts off, never sleep.
#include "kernel/irq/internals.h"
#include "kernel/printk.h"

// Clear the logical disable and open the hardware: the chip's enable if it has one, else unmask.
void irq_enable(irq_desc* desc) {
    irq_data* d = &desc->irq_data;
    if (!irqd_has(d, IRQD_IRQ_DISABLED)) {
        unmask_irq(desc);
        return;
    }
    irqd_clear(d, IRQD_IRQ_DISABLED);
    if (d->chip->has(IRQCHIP_OP_ENABLE)) {
        d->chip->irq_enable(d);
        irqd_clear(d, IRQD_IRQ_MASKED);
    } else {
        unmask_irq(desc);
    }
}

// Linux __irq_disable: a chip with its own disable always shuts the line at once. Otherwise the line
// is only marked disabled (lazy) unless `mask` asks for the hardware to be masked too.
static void irq_disable_masking(irq_desc* desc, bool mask) {
    irq_data* d = &desc->irq_data;
    if (irqd_has(d, IRQD_IRQ_DISABLED)) {
        if (mask) mask_irq(desc);
        return;
    }
    irqd_set(d, IRQD_IRQ_DISABLED);
    if (d->chip->has(IRQCHIP_OP_DISABLE)) {
        d->chip->irq_disable(d);
        irqd_set(d, IRQD_IRQ_MASKED);
    } else if (mask) {
        mask_irq(desc);
    }
}

// Lazy unless the line asked for IRQ_DISABLE_UNLAZY (devices that keep asserting while "disabled"
// and would otherwise cost one extra interrupt, or hardware where the extra one is harmful).
void irq_disable(irq_desc* desc) { irq_disable_masking(desc, irq_settings_disable_unlazy(desc)); }

// Linux __irq_startup: the chip's startup (or enable) the first time. A line that was never activated
// (no request_irq ran on it: an enable_irq on a line nobody requested) is started all the same, with
// Linux's warning.
static int __irq_startup(irq_desc* desc) {
    irq_data* d = &desc->irq_data;
    int ret = 0;
    WARN_ON_ONCE(!irqd_has(d, IRQD_ACTIVATED));
    if (d->chip->has(IRQCHIP_OP_STARTUP)) {
        ret = (int)d->chip->irq_startup(d);
        irqd_clear(d, IRQD_IRQ_DISABLED | IRQD_IRQ_MASKED);
    } else {
        irq_enable(desc);
    }
    irqd_set(d, IRQD_IRQ_STARTED);
    return ret;
}

// Linux irq_startup without managed affinity: depth 0, __irq_startup the first time, a plain enable if
// it was already started; then replay a pending edge if `resend`.
int irq_startup(irq_desc* desc, bool resend) {
    int ret = 0;
    desc->depth = 0;
    if (irqd_has(&desc->irq_data, IRQD_IRQ_STARTED))
        irq_enable(desc);
    else
        ret = __irq_startup(desc);
    if (resend) check_irq_resend(desc, false);
    return ret;
}

// The last action went away. Linux 6.12 sets depth = 1 here (v6.16, 788019eb559f, makes it depth++ so
// a disable_irq held across free/request stays balanced); irqos follows 6.12: a new request_irq always
// finds an enabled line again, whatever disable_irq calls were outstanding.
void irq_shutdown(irq_desc* desc) {
    irq_data* d = &desc->irq_data;
    if (!irqd_has(d, IRQD_IRQ_STARTED)) return;
    clear_irq_resend(desc);
    desc->depth = 1;
    if (d->chip->has(IRQCHIP_OP_SHUTDOWN)) {
        d->chip->irq_shutdown(d);
        irqd_set(d, IRQD_IRQ_DISABLED | IRQD_IRQ_MASKED);
    } else {
        irq_disable_masking(desc, true);
    }
    irqd_clear(d, IRQD_IRQ_STARTED);
}
