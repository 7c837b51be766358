// The out-of-line part of kernel/arch.h for x86_64: online CPUs, PAUSE and the last-resort halt (the
// interrupt flag is inline, arch/x86/include/asm/irqflags.h). Linux equivalents: asm/processor.h, smp.h.
#include "arch/x86/poweroff.h"
#include "kernel/arch.h"
#include "arch/x86/cpu.h"
#include "arch/x86/portio.h"

// CPUs brought up so far; SMP start-up raises it as each application processor reports in.
unsigned x86_online_cpus = 1;

namespace arch {

unsigned num_online_cpus() { return READ_ONCE(x86_online_cpus); }
void cpu_relax() { x86::pause(); }
uint64_t cycles() { return x86::rdtsc(); }
unsigned long cycles_khz() { return tsc_khz(); }

[[noreturn]] void halt() {
    if (fatal_ends_emulator_claim()) emulator_exit(false);
    for (;;) {
        x86::cli();
        x86::hlt();
    }
}

}  // namespace arch
