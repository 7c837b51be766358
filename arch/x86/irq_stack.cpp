// The per-CPU hard-IRQ stacks (see irq_stack.h): static storage for every possible CPU, handed to each
// CPU as it boots.
#include "arch/x86/irq_stack.h"
#include "arch/x86/stacktrace.h"

namespace {
alignas(4096) uint8_t irq_stacks[NR_CPUS][IRQ_STACK_SIZE];
}  // namespace

DEFINE_PER_CPU(uintptr_t, hardirq_stack_ptr) = 0;
DEFINE_PER_CPU(bool, hardirq_stack_inuse) = false;

uintptr_t irq_stack_lo(unsigned cpu) { return reinterpret_cast<uintptr_t>(irq_stacks[cpu]); }
uintptr_t irq_stack_hi(unsigned cpu) { return irq_stack_lo(cpu) + IRQ_STACK_SIZE; }

void irq_stack_init(unsigned cpu) {
    register_kernel_stack(irq_stack_lo(cpu), irq_stack_hi(cpu));
    per_cpu(hardirq_stack_inuse, cpu) = false;
    per_cpu(hardirq_stack_ptr, cpu) = irq_stack_hi(cpu);
}
