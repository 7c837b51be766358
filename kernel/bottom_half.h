// Disabling bottom halves on this CPU (Linux include/linux/bottom_half.h, kernel/softirq.c): code that
// shares data with a softirq or tasklet of its own CPU keeps them out with local_bh_disable, which adds
// SOFTIRQ_DISABLE_OFFSET to the preempt count, so in_softirq() is true, irq_exit does not run softirqs
// and raise_softirq does not wake ksoftirqd. The last local_bh_enable runs what was raised meanwhile.
// Nests; also keeps preemption off, as on Linux.
#pragma once
#include "kernel/preempt.h"

// Any context but hard-IRQ (a hard interrupt never runs softirqs anyway).
static inline void local_bh_disable() { preempt_count_add(SOFTIRQ_DISABLE_OFFSET); }
// Linux __local_bh_enable_ip: drop `cnt` from the count; when that leaves no softirq or interrupt
// context, run the pending softirqs, then preempt if a reschedule is due. WARNs (once) if called from
// hard-IRQ context or with interrupts off (softirqs would run with them on). Not hard-IRQ context.
void __local_bh_enable_ip(unsigned cnt);
static inline void local_bh_enable() { __local_bh_enable_ip(SOFTIRQ_DISABLE_OFFSET); }
// Drop one local_bh_disable without running anything (Linux _local_bh_enable: the caller knows the
// pending ones will be run or does not want them here). Interrupts off; not hard-IRQ context (WARNs once).
void _local_bh_enable();
