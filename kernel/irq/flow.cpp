// Flow handlers: how one interrupt on a line is acknowledged, run and finished at the controller
// (Linux kernel/irq/chip.c handle_simple_irq, handle_level_irq, handle_fasteoi_irq, handle_edge_irq,
// handle_percpu_irq). Each is called from generic_handle_irq in hard-IRQ context with interrupts off,
// takes desc->lock plainly (interrupts are already off, so without the preempt count: do_raw_spin_lock)
// and drops it only while the actions run.
#include "kernel/irq/handle_event.h"

// Linux irq_may_run. Another CPU already in the handler (INPROGRESS) means this interrupt must not run
// the actions concurrently; the one exception is a poll from misrouted_irq, which we may wait out.
bool irq_may_run(irq_desc* desc) {
    if (!irqd_has(&desc->irq_data, IRQD_IRQ_INPROGRESS)) return true;
    if (!irqs_has(desc, IRQS_POLL_INPROGRESS)) return false;
    return irq_wait_for_poll(desc);
}

// No controller work at all (demultiplexed or software-raised lines). A disabled line just records
// PENDING: nothing to mask.
void handle_simple_irq(irq_desc* desc) {
    do_raw_spin_lock(&desc->lock);
    if (irq_may_run(desc)) {
        irqs_clear(desc, IRQS_REPLAY | IRQS_WAITING);
        if (unlikely(!desc_first_action(desc) || irqd_has(&desc->irq_data, IRQD_IRQ_DISABLED))) {
            irqs_set(desc, IRQS_PENDING);
        } else {
            kstat_incr_irqs_this_cpu(desc);
            handle_irq_event(desc);
        }
    }
    do_raw_spin_unlock(&desc->lock);
}

// Level lines keep asserting until the device is serviced, so the line is masked and acked first and
// unmasked only after the actions ran, and only if nobody disabled it meanwhile (that includes the
// spurious detector). A level interrupt that finds the line disabled stays masked and PENDING; it is
// never replayed, because the hardware re-asserts it once unmasked.
void handle_level_irq(irq_desc* desc) {
    do_raw_spin_lock(&desc->lock);
    mask_ack_irq(desc);
    if (irq_may_run(desc)) {
        irqs_clear(desc, IRQS_REPLAY | IRQS_WAITING);
        if (unlikely(!desc_first_action(desc) || irqd_has(&desc->irq_data, IRQD_IRQ_DISABLED))) {
            irqs_set(desc, IRQS_PENDING);
        } else {
            kstat_incr_irqs_this_cpu(desc);
            handle_irq_event(desc);
            // Linux cond_unmask_irq: threads_oneshot keeps a ONESHOT line masked until its thread ran.
            // One read of the state word answers both questions (the lock is held: it cannot change).
            unsigned state = irqd_state(&desc->irq_data);
            if ((state & (IRQD_IRQ_DISABLED | IRQD_IRQ_MASKED)) == IRQD_IRQ_MASKED && !desc->threads_oneshot)
                unmask_irq(desc);
        }
    }
    do_raw_spin_unlock(&desc->lock);
}

// Fasteoi chips always provide irq_eoi in Linux; the check keeps the "never call an unlisted op" rule.
static inline void chip_eoi(IrqChip* chip, irq_data* d) {
    if (chip->has(IRQCHIP_OP_EOI)) chip->irq_eoi(d);
}

// Linux cond_unmask_eoi_irq: the EOI ends the interrupt at the controller; a ONESHOT line that did not
// wake a thread is unmasked as well.
static void cond_unmask_eoi_irq(IrqChip* chip, irq_desc* desc) {
    if (!irqs_has(desc, IRQS_ONESHOT)) {
        chip_eoi(chip, &desc->irq_data);
        return;
    }
    if (!irqd_has(&desc->irq_data, IRQD_IRQ_DISABLED) && irqd_has(&desc->irq_data, IRQD_IRQ_MASKED) &&
        !desc->threads_oneshot) {
        chip_eoi(chip, &desc->irq_data);
        unmask_irq(desc);
    } else if (!(chip->flags() & IRQCHIP_EOI_THREADED)) {
        chip_eoi(chip, &desc->irq_data);
    }
}

// Controllers that need only an EOI after the handler (IO-APIC level lines, the LAPIC): no ack, no
// mask in the common path. A disabled line is masked (and still EOIed) so it cannot storm.
void handle_fasteoi_irq(irq_desc* desc) {
    IrqChip* chip = desc->irq_data.chip;
    do_raw_spin_lock(&desc->lock);
    if (!irq_may_run(desc)) {
        // Affinity change race: the next interrupt arrived on another CPU before this one finished.
        if (irqd_has(&desc->irq_data, IRQD_RESEND_WHEN_IN_PROGRESS)) irqs_set(desc, IRQS_PENDING);
        goto out_eoi;
    }
    irqs_clear(desc, IRQS_REPLAY | IRQS_WAITING);
    if (unlikely(!desc_first_action(desc) || irqd_has(&desc->irq_data, IRQD_IRQ_DISABLED))) {
        irqs_set(desc, IRQS_PENDING);
        mask_irq(desc);
        goto out_eoi;
    }
    kstat_incr_irqs_this_cpu(desc);
    if (irqs_has(desc, IRQS_ONESHOT)) mask_irq(desc);
    handle_irq_event(desc);
    cond_unmask_eoi_irq(chip, desc);
    if (unlikely(irqs_has(desc, IRQS_PENDING))) check_irq_resend(desc, false);
    do_raw_spin_unlock(&desc->lock);
    return;
out_eoi:
    if (!(chip->flags() & IRQCHIP_EOI_IF_HANDLED)) chip_eoi(chip, &desc->irq_data);
    do_raw_spin_unlock(&desc->lock);
}

// Edge lines latch one event, so the ack comes first (the next edge can then be latched while the
// handler runs) and the line is never masked in the normal path. An edge that arrives while the line
// is disabled, has no action, or is being handled on another CPU is recorded as PENDING and the line
// is masked and acked: the running CPU loops to handle it, or enable_irq replays it.
//
//   CPU0                              CPU1
//   handle_edge_irq: ack, INPROGRESS
//   actions run (lock dropped)        edge arrives: PENDING, mask_ack
//   sees PENDING: unmask, run again
void handle_edge_irq(irq_desc* desc) {
    IrqChip* chip = desc->irq_data.chip;
    do_raw_spin_lock(&desc->lock);
    irqs_clear(desc, IRQS_REPLAY | IRQS_WAITING);
    // The common case in one look at the state: nobody in the handler, the line enabled, an action.
    if (unlikely((irqd_state(&desc->irq_data) & (IRQD_IRQ_INPROGRESS | IRQD_IRQ_DISABLED)) ||
                 !desc_first_action(desc))) {
        if (!irq_may_run(desc) || irqd_has(&desc->irq_data, IRQD_IRQ_DISABLED) || !desc_first_action(desc)) {
            irqs_set(desc, IRQS_PENDING);
            mask_ack_irq(desc);
            do_raw_spin_unlock(&desc->lock);
            return;
        }
    }
    kstat_incr_irqs_this_cpu(desc);
    if (likely(chip->has(IRQCHIP_OP_ACK))) chip->irq_ack(&desc->irq_data);  // every edge chip has one
    do {
        if (unlikely(!desc_first_action(desc))) {  // freed while we ran the previous round
            mask_irq(desc);
            break;
        }
        if (unlikely(irqs_has(desc, IRQS_PENDING))) {
            if (!irqd_has(&desc->irq_data, IRQD_IRQ_DISABLED) && irqd_has(&desc->irq_data, IRQD_IRQ_MASKED))
                unmask_irq(desc);
        }
        handle_irq_event(desc);
    } while (irqs_has(desc, IRQS_PENDING) && !irqd_has(&desc->irq_data, IRQD_IRQ_DISABLED));
    do_raw_spin_unlock(&desc->lock);
}

// Per-CPU lines (local timer, IPIs): every CPU raises the same descriptor for its own device, so
// several CPUs may run it at once. They are deliberately not serialised: no lock, no INPROGRESS, and
// tot_count (a plain shared counter) is not touched, as in Linux; only this CPU's kstat slot is.
void handle_percpu_irq(irq_desc* desc) {
    IrqChip* chip = desc->irq_data.chip;
    this_cpu_inc(*desc->kstat_irqs);
    if (chip->has(IRQCHIP_OP_ACK)) chip->irq_ack(&desc->irq_data);
    handle_irq_event_percpu(desc);
    chip_eoi(chip, &desc->irq_data);
}
