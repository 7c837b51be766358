// The kernel implementation of kernel/arch.h for x86_64: the interrupt flag (Intel SDM vol. 1 3.4.3,
// CLI/STI/PUSHF), PAUSE, and the last-resort halt.
// Linux equivalents: arch/x86/include/asm/irqflags.h, smp.h.
#include "arch/x86/poweroff.h"
#include "kernel/arch.h"
#include "arch/x86/cpu.h"

// CPUs brought up so far; SMP start-up (a later issue) raises it as each AP reports in.
unsigned x86_online_cpus = 1;

namespace arch {

unsigned long irq_save() {
    unsigned long flags = x86::read_rflags();
    x86::cli();
    return flags;
}

// Like Linux's arch_local_irq_restore: only ever re-enables; irq_save already disabled.
void irq_restore(unsigned long flags) {
    if (flags & x86::RFLAGS_IF)
        x86::sti();
}

void irq_enable() { x86::sti(); }
void irq_disable() { x86::cli(); }
bool irqs_disabled() { return !(x86::read_rflags() & x86::RFLAGS_IF); }
bool irqs_disabled_flags(unsigned long flags) { return !(flags & x86::RFLAGS_IF); }

unsigned num_online_cpus() { return READ_ONCE(x86_online_cpus); }
void cpu_relax() { x86::pause(); }

[[noreturn]] void halt() {
    if (fatal_ends_emulator_claim())
        emulator_exit(false);
    for (;;) {
        x86::cli();
        x86::hlt();
    }
}

}  // namespace arch
