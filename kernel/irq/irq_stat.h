// The per-CPU x86 interrupt statistics (Linux arch/x86/include/asm/hardirq.h irq_cpustat_t and irq_stat):
// NMIs, local APIC timer ticks, LAPIC spurious interrupts and the IPIs, each counted by the CPU that
// took it and shown per CPU in the interrupts view (NMI, LOC, SPU, RES, CAL rows). Kept in the portable
// core so that the view and the host tests read the same counters the arch code increments.
//
// Usage:  inc_irq_stat(irq_resched_count);        // in the handler, hard-IRQ context, interrupts off
//         irq_stat_read(irq_resched_count, cpu);  // any context: racy but tear-free, as /proc reads it
#pragma once
#include "kernel/percpu.h"

// Linux's field names; only the events irqos has are present.
struct irq_cpustat_t {
    unsigned __nmi_count;         // NMI: non-maskable interrupts
    unsigned apic_timer_irqs;     // LOC: local APIC timer interrupts
    unsigned irq_spurious_count;  // SPU: LAPIC spurious vector and system vectors nobody installed
    unsigned irq_resched_count;   // RES: reschedule IPIs
    unsigned irq_call_count;      // CAL: function call IPIs (single and many)
    unsigned irq_tlb_count;       // TLB: TLB shootdowns (none are sent yet; not shown)
};
DECLARE_PER_CPU(irq_cpustat_t, irq_stat);

// Count one event on this CPU (one gs-relative increment). Interrupts off, or a counter whose
// readers accept that a preempted increment lands on another CPU's slot.
#define inc_irq_stat(member) this_cpu_inc(irq_stat.member)
// Another CPU's count. Any context.
#define irq_stat_read(member, cpu) per_cpu_read(irq_stat.member, (cpu))

// Zero every CPU's counters. Boot (early_irq_init) or between host tests.
void irq_stat_reset();
