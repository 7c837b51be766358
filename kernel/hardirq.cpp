// Entering and leaving hard-interrupt and NMI context: the HARDIRQ and NMI fields of preempt_count
// (Linux kernel/softirq.c irq_enter/irq_exit, include/linux/hardirq.h nmi_enter/nmi_exit).
// irq_exit is where pending softirqs run once the outermost interrupt ends (kernel/softirq.cpp).
#include "kernel/preempt.h"
#include "kernel/printk.h"
#include "kernel/softirq.h"
#include "kernel/spinlock.h"

DEFINE_PER_CPU(unsigned, __preempt_count) = PREEMPT_ENABLED;

// Interrupts off. Leaving the outermost interrupt (not inside a softirq, nor with bottom halves
// disabled, nor inside another interrupt), run the softirqs raised meanwhile (Linux __irq_exit_rcu:
// `if (!in_interrupt() && local_softirq_pending()) invoke_softirq();`). The two tests are swapped:
// nothing pending is the common case, and then it costs one gs-relative load and one branch.
void irq_exit() {
    if constexpr (debug_irqflags) WARN_ON_ONCE(!irqs_disabled());
    preempt_count_sub(HARDIRQ_OFFSET);
    if (unlikely(local_softirq_pending()) && !in_interrupt()) invoke_softirq();
}

// Any context, interrupts off; an NMI counts as a hard interrupt too (in_irq() is true inside one).
void nmi_enter() {
    BUG_ON(nmi_count() == NMI_MASK);  // the 4-bit nesting field would overflow
    preempt_count_add(NMI_OFFSET + HARDIRQ_OFFSET);
}

void nmi_exit() {
    BUG_ON(!in_nmi());
    preempt_count_sub(NMI_OFFSET + HARDIRQ_OFFSET);
}
