// Replaying an edge interrupt that was swallowed while its line was (lazily) disabled
// (Linux kernel/irq/resend.c check_irq_resend with CONFIG_HARDIRQS_SW_RESEND, as on x86).
// An edge is latched and acked once; if the flow consumed it as PENDING, nothing will signal it
// again, so enable_irq asks the chip to retrigger it or queues it here and schedules resend_tasklet,
// which runs the queued lines' flow handlers in softirq context on the CPU that scheduled it: at that
// CPU's next irq_exit or local_bh_enable, or in its ksoftirqd.
#include "kernel/irq/internals.h"
#include "kernel/preempt.h"
#include "kernel/tasklet.h"

int irq_resend_head = IRQ_RESEND_NONE;

namespace {

// Linux keeps an hlist through irq_desc.resend_node; irqos keeps the links here, indexed by IRQ
// number, so the descriptor layout stays the contract's. LIFO like hlist_add_head.
raw_spinlock_t irq_resend_lock;
int resend_next[NR_IRQS];
bool resend_queued[NR_IRQS];

// irq_resend_lock held.
void resend_unlink(unsigned irq) {
    if (!resend_queued[irq]) return;
    for (int* p = &irq_resend_head; *p != IRQ_RESEND_NONE; p = &resend_next[*p]) {
        if (*p == (int)irq) {
            __atomic_store_n(p, resend_next[irq], __ATOMIC_RELAXED);  // p may be irq_resend_head (peeked unlocked)
            break;
        }
    }
    resend_queued[irq] = false;
}

// Linux resend_irqs: TASKLET_SOFTIRQ context, so the replayed flow sees in_interrupt() true and an
// interrupt arriving meanwhile does not run the queue again. Each flow runs with interrupts off, as
// from an interrupt (raw_spin_lock_irq, and the unlock inside the loop leaves them off).
void resend_irqs(tasklet_struct*) {
    raw_spin_lock_irq(&irq_resend_lock);
    while (irq_resend_head != IRQ_RESEND_NONE) {
        unsigned irq = (unsigned)irq_resend_head;
        resend_unlink(irq);
        raw_spin_unlock(&irq_resend_lock);
        irq_desc* desc = irq_to_desc(irq);
        desc->handle_irq(desc);
        raw_spin_lock(&irq_resend_lock);
    }
    raw_spin_unlock_irq(&irq_resend_lock);
}

DECLARE_TASKLET(resend_tasklet, resend_irqs);

// desc->lock held. Linux irq_sw_resend (no nested-thread parents in irqos): queue it (once) and schedule
// the tasklet on this CPU.
int irq_sw_resend(irq_desc* desc) {
    unsigned irq = irq_desc_get_irq(desc);
    raw_spin_lock(&irq_resend_lock);
    if (!resend_queued[irq]) {
        resend_next[irq] = irq_resend_head;
        __atomic_store_n(&irq_resend_head, (int)irq, __ATOMIC_RELAXED);
        resend_queued[irq] = true;
    }
    raw_spin_unlock(&irq_resend_lock);
    tasklet_schedule(&resend_tasklet);
    return 0;
}

// The chip's retrigger (x86: a self-IPI on the vector); 0 means it cannot, so resend in software.
int try_retrigger(irq_desc* desc) {
    IrqChip* chip = desc->irq_data.chip;
    return chip->has(IRQCHIP_OP_RETRIGGER) ? chip->irq_retrigger(&desc->irq_data) : 0;
}

}  // namespace

// Boot, or between host tests: an empty queue and a resend_tasklet that is neither queued nor running
// (the per-CPU tasklet lists are emptied by softirq_init).
void irq_resend_reset() {
    raw_spin_lock_init(&irq_resend_lock);
    irq_resend_head = IRQ_RESEND_NONE;
    for (unsigned i = 0; i < NR_IRQS; i++) {
        resend_next[i] = IRQ_RESEND_NONE;
        resend_queued[i] = false;
    }
    tasklet_setup(&resend_tasklet, resend_irqs);
}

// desc->lock held, interrupts off. Returns 0 when nothing was pending or the replay was arranged
// (then REPLAY is set until the flow runs), -EINVAL for level lines (the hardware re-asserts, so
// PENDING is just dropped), -EBUSY if a replay is already under way.
int check_irq_resend(irq_desc* desc, bool inject) {
    if (irq_settings_is_level(desc)) {
        irqs_clear(desc, IRQS_PENDING);
        return -EINVAL;
    }
    if (irqs_has(desc, IRQS_REPLAY)) return -EBUSY;
    if (!irqs_has(desc, IRQS_PENDING) && !inject) return 0;
    irqs_clear(desc, IRQS_PENDING);
    int err = 0;
    if (!try_retrigger(desc)) err = irq_sw_resend(desc);
    if (!err) irqs_set(desc, IRQS_REPLAY);
    return err;
}

// desc->lock held.
void clear_irq_resend(irq_desc* desc) {
    raw_spin_lock(&irq_resend_lock);
    resend_unlink(irq_desc_get_irq(desc));
    raw_spin_unlock(&irq_resend_lock);
}
