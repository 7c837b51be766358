// Depth-counted disable/enable of a line and waiting for its handlers (Linux kernel/irq/manage.c
// disable_irq_nosync, disable_irq, disable_hardirq, enable_irq, __enable_irq, __disable_irq,
// synchronize_irq, synchronize_hardirq). Nested disables need as many enables; the first disable
// turns the line off (lazily: see chipstate.cpp), the last enable starts it and replays a lost edge.
#include "kernel/irq/internals.h"
#include "kernel/preempt.h"
#include "kernel/printk.h"

// desc->lock held.
void __disable_irq(irq_desc* desc) {
    if (!desc->depth++) irq_disable(desc);
}

// desc->lock held. irq_startup (not irq_enable) on the last enable: a NO_AUTOEN line was never
// started, and it also replays a PENDING edge (check_irq_resend).
void __enable_irq(irq_desc* desc) {
    switch (desc->depth) {
    case 0:
    err_out:
        WARN(1, "Unbalanced enable for IRQ %d\n", (int)irq_desc_get_irq(desc));
        break;
    case 1:
        if (irqs_has(desc, IRQS_SUSPENDED)) goto err_out;
        irq_settings_set(desc, IRQ_NOPROBE);  // no autoprobing of a line in use
        irq_startup(desc, IRQ_RESEND);
        break;
    default:
        desc->depth--;
    }
}

// Linux irq_get_desc_buslock(..., IRQ_GET_DESC_CHECK_GLOBAL): the global depth calls ignore per-CPU
// devid lines (those are switched per CPU with enable_percpu_irq) as if the line did not exist.
static irq_desc* irq_to_global_desc(unsigned irq) {
    irq_desc* desc = irq_to_desc(irq);
    return desc && !irq_settings_is_per_cpu_devid(desc) ? desc : nullptr;
}

// Any context (also from the line's own handler); does not wait. Takes desc->lock irqsave.
// Returns false if the line exists.
static bool disable_irq_nosync_locked(unsigned irq) {
    irq_desc* desc = irq_to_global_desc(irq);
    if (!desc) return true;
    SpinLockIrqSave guard(desc->lock);
    __disable_irq(desc);
    return false;
}

void disable_irq_nosync(unsigned irq) { disable_irq_nosync_locked(irq); }

// Process context: waits for handlers running on other CPUs (deadlocks if called from the line's own
// handler, as in Linux).
void disable_irq(unsigned irq) {
    if (!disable_irq_nosync_locked(irq)) synchronize_irq(irq);
}

// Any context where spinning is allowed. Returns true when no handler runs any more (always, as
// irqos has no threads yet); false if the line does not exist.
bool disable_hardirq(unsigned irq) {
    if (!disable_irq_nosync_locked(irq)) return synchronize_hardirq(irq);
    return false;
}

// Any context. Takes desc->lock irqsave. A software replay of a lost edge that the enable queues runs
// later, from resend_tasklet on this CPU (kernel/irq/resend.cpp), as on Linux.
// Deviation: Linux warns "enable_irq before setup/request_irq" only for a NULL chip, which cannot
// happen (lines start on no_irq_chip); irqos also warns for no_irq_chip, which is the case it means.
void enable_irq(unsigned irq) {
    irq_desc* desc = irq_to_global_desc(irq);
    if (!desc) return;
    SpinLockIrqSave guard(desc->lock);
    IrqChip* chip = desc->irq_data.chip;
    if (WARN(!chip || chip == &no_irq_chip, "enable_irq before setup/request_irq: irq %u\n", irq)) return;
    __enable_irq(desc);
}

// Linux __synchronize_hardirq without the chip's IRQCHIP_STATE_ACTIVE query (no chip here has one).
// The unlocked spin is only a hint (no barriers); the locked recheck is the answer.
static void synchronize_hardirq_desc(irq_desc* desc) {
    bool inprogress;
    do {
        while (irqd_has(&desc->irq_data, IRQD_IRQ_INPROGRESS)) arch::cpu_relax();
        unsigned long flags;
        raw_spin_lock_irqsave(&desc->lock, flags);
        inprogress = irqd_has(&desc->irq_data, IRQD_IRQ_INPROGRESS);
        raw_spin_unlock_irqrestore(&desc->lock, flags);
    } while (inprogress);
}

// Any context that may spin; never from the line's own handler (it would wait for itself).
bool synchronize_hardirq(unsigned irq) {
    irq_desc* desc = irq_to_desc(irq);
    if (desc) synchronize_hardirq_desc(desc);
    return true;  // !threads_active: no irq threads yet
}

// Process context. Linux also sleeps until the line's threads are idle; there are none yet.
void synchronize_irq(unsigned irq) {
    irq_desc* desc = irq_to_desc(irq);
    if (desc) synchronize_hardirq_desc(desc);
}
