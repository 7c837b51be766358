// Where the kernel keeps the per-CPU copies (a range the linker script reserves after .bss, sized for
// NR_CPUS copies of the per-CPU template) and the GS base load that makes a CPU use its copy.
#include "arch/x86/cpu_local.h"
#include "arch/x86/cpu.h"

extern "C" char __per_cpu_areas[], __per_cpu_areas_end[];

// Boot, before any per-CPU variable exists: nothing can be reported yet, so a linker script that reserved
// too little (it computes the same size) stops the CPU where a debugger shows why.
char* arch_per_cpu_areas(size_t bytes) {
    if (size_t(__per_cpu_areas_end - __per_cpu_areas) < bytes * NR_CPUS)
        for (;;) {
            x86::cli();
            x86::hlt();
        }
    return __per_cpu_areas;
}

extern "C" void cpu_local_init(unsigned cpu) { x86::wrmsr(x86::MSR_GS_BASE, __per_cpu_offset[cpu]); }
