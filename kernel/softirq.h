// Softirqs (Linux include/linux/interrupt.h, kernel/softirq.c): ten statically numbered deferred-work
// vectors per CPU. An interrupt handler raises one (a bit in this CPU's pending word); the handlers of
// the raised ones run later on the same CPU, with interrupts on, in softirq context: on the way out of
// the outermost interrupt (irq_exit), when bottom halves are re-enabled (local_bh_enable), or in this
// CPU's ksoftirqd thread when they keep coming back.
#pragma once
#include "kernel/percpu.h"

// Linux's order; a lower number runs first in each pass.
enum {
    HI_SOFTIRQ = 0,
    TIMER_SOFTIRQ,
    NET_TX_SOFTIRQ,
    NET_RX_SOFTIRQ,
    BLOCK_SOFTIRQ,
    IRQ_POLL_SOFTIRQ,
    TASKLET_SOFTIRQ,
    SCHED_SOFTIRQ,
    HRTIMER_SOFTIRQ,
    RCU_SOFTIRQ,
    NR_SOFTIRQS
};

// Linux's names, as /proc/softirqs prints them.
extern const char* const softirq_to_name[NR_SOFTIRQS];

struct softirq_action {
    void (*action)() = nullptr;
};

// This CPU's raised-but-not-run softirqs, one bit per number (Linux irq_stat.__softirq_pending).
DECLARE_PER_CPU(unsigned, __softirq_pending);
static inline unsigned local_softirq_pending() { return this_cpu_read(__softirq_pending); }

// Install the handler of softirq `nr` (boot, before it is raised). A second registration of a number
// replaces nothing: it WARNs and is ignored.
void open_softirq(unsigned nr, void (*action)());
// Mark `nr` pending on this CPU. _irqoff: interrupts are off already (hard-IRQ context). raise_softirq
// saves and restores the interrupt flag itself. Outside interrupt context the raise also wakes this
// CPU's ksoftirqd, as Linux does, since no irq_exit is coming to run it.
void raise_softirq_irqoff(unsigned nr);
void raise_softirq(unsigned nr);
// Only set the bit (Linux __raise_softirq_irqoff): interrupts off, and the caller knows it will be run.
void __raise_softirq_irqoff(unsigned nr);
