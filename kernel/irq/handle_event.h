// The event loop every flow handler runs (Linux kernel/irq/handle.c handle_irq_event and
// __handle_irq_event_percpu), inline in the flows so that an interrupt reaches its handlers through one
// call frame: set INPROGRESS, drop the lock, call each action, decide whether note_interrupt has
// anything to count, take the lock back.
#pragma once
#include "kernel/irq/internals.h"
#include "kernel/printk.h"

// Hard-IRQ context (kernel/irq/handle.cpp): the once-per-action warning for IRQ_WAKE_THREAD without a thread.
void warn_no_thread(unsigned irq, irqaction* action);

// Hard-IRQ context, interrupts off, desc->lock NOT held: the actions run unlocked so a handler may
// call disable_irq_nosync/enable_irq on its own line. Every action is called, in request order, and
// the results are ORed: a shared line is "handled" if any device claimed it.
[[gnu::always_inline]] static inline irqreturn_t __handle_irq_event_percpu(irq_desc* desc) {
    unsigned irq = irq_desc_get_irq(desc);
    unsigned retval = IRQ_NONE;
    for_each_action_of_desc(desc, action) {
        irqreturn_t res = action->handler((int)irq, action->dev_id);
        if (WARN_ONCE(!irqs_disabled(), "irq %u handler %pS enabled interrupts\n", irq, (void*)action->handler))
            arch::irq_disable();
        if (unlikely(res == IRQ_WAKE_THREAD) && !action->thread_fn) warn_no_thread(irq, action);
        retval |= res;
    }
    // note_interrupt has nothing to count for a handled interrupt on a line with no unhandled ones in
    // its window, unless irqfixup/irqpoll want to poll: that common case is decided here, inline.
    if (!irq_settings_no_debug(desc) &&
        !(likely(retval == IRQ_HANDLED) && !racy_read(desc->irqs_unhandled) && !irqfixup))
        note_interrupt(desc, (irqreturn_t)retval);
    return (irqreturn_t)retval;
}

// desc->lock held on entry and exit, interrupts off. Clears PENDING (this run services it) and marks
// the line INPROGRESS for the duration, which is what synchronize_irq and other CPUs' flows watch.
[[gnu::always_inline]] static inline irqreturn_t handle_irq_event(irq_desc* desc) {
    irqs_clear(desc, IRQS_PENDING);
    irqd_set(&desc->irq_data, IRQD_IRQ_INPROGRESS);
    do_raw_spin_unlock(&desc->lock);
    irqreturn_t ret = __handle_irq_event_percpu(desc);
    do_raw_spin_lock(&desc->lock);
    irqd_clear(&desc->irq_data, IRQD_IRQ_INPROGRESS);
    return ret;
}
