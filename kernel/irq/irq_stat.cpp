// The per-CPU x86 interrupt statistics (Linux arch/x86/kernel/irq.c DEFINE_PER_CPU_SHARED_ALIGNED
// irq_stat); see kernel/irq/irq_stat.h.
#include "kernel/irq/irq_stat.h"

// Cache-line aligned: each CPU writes only its own copy, which then never shares a line with another
// per-CPU variable that a different CPU reads often.
DEFINE_PER_CPU_ALIGNED(irq_cpustat_t, irq_stat) = {};

void irq_stat_reset() { for_each_possible_cpu(cpu) per_cpu(irq_stat, cpu) = irq_cpustat_t{}; }
