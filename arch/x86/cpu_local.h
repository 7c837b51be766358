// Loading a CPU's GS base with its per-CPU offset (kernel/percpu.h), so that "%gs:var" reaches that
// CPU's copy of every per-CPU variable (Linux arch/x86/kernel/setup_percpu.c, load_percpu_segment).
#pragma once
#include "kernel/percpu.h"

// Boot (CPU 0, from boot64.asm right after setup_per_cpu_areas) or AP start-up, interrupts off.
extern "C" void cpu_local_init(unsigned cpu);
