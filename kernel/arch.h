// The one small interface through which portable code (kernel/, lib/, drivers/) reaches CPU state.
// Two implementations: arch/x86/arch_cpu.cpp (the real CPU) and tests/host/support/arch_host.cpp
// (simulated CPUs for GoogleTest: a thread-local "current CPU", a per-CPU interrupt flag).
// Nothing in here may sleep; every function is callable with interrupts off and from interrupt context.
#pragma once
#include "kernel/types.h"

namespace arch {
// Interrupt flag of the current CPU. irq_save returns an opaque token for irq_restore.
unsigned long irq_save();
void irq_restore(unsigned long flags);
void irq_enable();
void irq_disable();
bool irqs_disabled();
bool irqs_disabled_flags(unsigned long flags);

unsigned num_online_cpus();    // CPUs 0 .. n-1 are online
void cpu_relax();              // spin-wait hint (PAUSE)

// Print "Call Trace:" and one line per frame (" [<addr>] symbol+0xoff/0xsize") through printk.
void dump_stack();
// Resolve a code address to a symbol. Returns false if unknown. *name stays valid forever.
bool lookup_symbol(uintptr_t addr, const char** name, uintptr_t* offset, uintptr_t* size);
// Last-resort stop: print nothing more, halt this CPU (kernel) / abort (host).
[[noreturn]] void halt();
}  // namespace arch
