// Softirq registration and raising (see softirq.h); Linux kernel/softirq.c.
#include "kernel/softirq.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"

DEFINE_PER_CPU(unsigned, __softirq_pending);

const char* const softirq_to_name[NR_SOFTIRQS] = {"HI",       "TIMER",   "NET_TX", "NET_RX",  "BLOCK",
                                                  "IRQ_POLL", "TASKLET", "SCHED",  "HRTIMER", "RCU"};

namespace {
softirq_action softirq_vec[NR_SOFTIRQS];
}  // namespace

void open_softirq(unsigned nr, void (*action)()) {
    if (WARN(nr >= NR_SOFTIRQS, "open_softirq: no softirq %u\n", nr)) return;
    if (WARN(softirq_vec[nr].action && softirq_vec[nr].action != action, "open_softirq: %s already has a handler\n",
             softirq_to_name[nr]))
        return;
    softirq_vec[nr].action = action;
}

void __raise_softirq_irqoff(unsigned nr) { this_cpu_or(__softirq_pending, 1u << nr); }

void raise_softirq_irqoff(unsigned nr) {
    __raise_softirq_irqoff(nr);
    // Outside interrupt context nothing will run it on the way out of an interrupt: this is where the
    // processing (or the ksoftirqd wake-up) goes.
}

void raise_softirq(unsigned nr) {
    unsigned long flags;
    local_irq_save(flags);
    raise_softirq_irqoff(nr);
    local_irq_restore(flags);
}
