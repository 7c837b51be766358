// Storage of the per-CPU areas (arch/x86/cpu_local.h) and the arch.h queries that read them.
#include "arch/x86/cpu_local.h"
#include "arch/x86/cpu.h"

extern "C" {
CpuArea irqos_cpu_area[NR_CPUS];
}

// Boot (CPU 0 from kernel_main) or AP start-up, interrupts off. boot64.asm already pointed CPU 0's GS
// base here; loading it again keeps one code path for every CPU.
void cpu_local_init(unsigned cpu) {
    CpuArea* a = &irqos_cpu_area[cpu];
    a->self = a;
    a->cpu = cpu;
    x86::wrmsr(x86::MSR_GS_BASE, reinterpret_cast<uint64_t>(a));
}
