// The one small interface through which portable code (kernel/, lib/, drivers/) reaches CPU state.
// Two implementations: arch/x86 (the real CPU; the interrupt-flag operations are inline, one or two
// instructions each, in arch/x86/include/asm/irqflags.h) and tests/host/support/arch_host.cpp (simulated
// CPUs for GoogleTest: a thread-local "current CPU", a per-CPU interrupt flag).
// Nothing in here may sleep; every function is callable with interrupts off and from interrupt context.
#pragma once
#include "kernel/types.h"

// Interrupt flag of the current CPU, in namespace arch: irq_save (returns an opaque token for
// irq_restore), irq_restore, irq_enable, irq_disable, irqs_disabled, irqs_disabled_flags.
#include <asm/irqflags.h>

namespace arch {

unsigned num_online_cpus();  // CPUs 0 .. n-1 are online
void cpu_relax();            // spin-wait hint (PAUSE)
// A free-running cycle counter (x86: the TSC, which counts instructions under QEMU -icount shift=0;
// host: nanoseconds) and its rate in kHz (x86: calibrated against the PIT at boot).
uint64_t cycles();
unsigned long cycles_khz();

// Print "Call Trace:" and one line per frame (" [<addr>] symbol+0xoff/0xsize") through printk.
void dump_stack();
// Resolve a code address to a symbol. Returns false if unknown. *name stays valid forever.
bool lookup_symbol(uintptr_t addr, const char** name, uintptr_t* offset, uintptr_t* size);
// Last-resort stop: print nothing more, halt this CPU (kernel) / abort (host).
[[noreturn]] void halt();
}  // namespace arch
