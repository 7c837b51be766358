// The per-CPU area reached through the GS base (as Linux's per-CPU segment on x86_64): assembly can
// address the current CPU's fields with one `mov [gs:OFFSET]`, without knowing which CPU it runs on.
// boot64.asm points CPU 0's GS base at irqos_cpu_area[0]; SMP bring-up will do the same for each AP.
#pragma once
#include "kernel/types.h"
#include "kernel/percpu.h"

struct alignas(SMP_CACHE_BYTES) CpuArea {
    CpuArea* self;              // linear address of this area (read back through %gs:0)
    uint32_t cpu;               // smp_processor_id()
    uint32_t reserved;
    uint64_t irq_entry_tsc;     // rdtsc at common_interrupt entry (arch/x86/bench.h)
    uint64_t irq_exit_tsc;      // rdtsc just before iretq
    uint32_t exception_depth;   // nested CPU exceptions being reported (arch/x86/traps.cpp)
};

static_assert(offsetof(CpuArea, self) == 0);
static_assert(offsetof(CpuArea, cpu) == 8);
static_assert(offsetof(CpuArea, irq_entry_tsc) == 16);
static_assert(offsetof(CpuArea, irq_exit_tsc) == 24);

extern "C" CpuArea irqos_cpu_area[NR_CPUS];

// The current CPU's area. Any context; the result is only stable while the caller cannot migrate.
static inline CpuArea* this_cpu_area() {
    CpuArea* a;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(a));
    return a;
}

// Fill CPU `cpu`'s area and load its GS base. Boot (BSP) or AP start-up, interrupts off.
void cpu_local_init(unsigned cpu);
