// Making the per-CPU copies (Linux mm/percpu.c setup_per_cpu_areas, reduced to its first chunk): each
// possible CPU gets a copy of the per-CPU template, its offset goes into __per_cpu_offset, and each copy
// learns its own CPU number and offset (cpu_number, this_cpu_off). Where the copies live is the
// architecture's choice (arch_per_cpu_areas): a range reserved by the kernel's linker script, heap memory
// on the host.
#include "kernel/percpu.h"

unsigned long __per_cpu_offset[NR_CPUS];
DEFINE_PER_CPU(unsigned, cpu_number) = 0;
DEFINE_PER_CPU(unsigned long, this_cpu_off) = 0;

// Room for NR_CPUS copies of `bytes` each, aligned to a page. Called once per setup_per_cpu_areas.
char* arch_per_cpu_areas(size_t bytes);

namespace {
// A byte loop rather than memcpy: on the host the template may hold a sanitizer's padding between
// variables, which is not an error to copy.
__attribute__((no_sanitize("address"))) void copy_template(char* dst, const char* src, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = src[i];
}
}  // namespace

// Boot, one CPU, interrupts off, before any per-CPU variable is used (the host: between tests).
void setup_per_cpu_areas() {
    size_t bytes = (per_cpu_area_size() + SMP_CACHE_BYTES - 1) & ~size_t(SMP_CACHE_BYTES - 1);
    char* base = arch_per_cpu_areas(bytes);
    for_each_possible_cpu(cpu) {
        char* area = base + cpu * bytes;
        copy_template(area, __start_irqos_percpu, per_cpu_area_size());
        unsigned long offset = reinterpret_cast<uintptr_t>(area) - reinterpret_cast<uintptr_t>(__start_irqos_percpu);
        __per_cpu_offset[cpu] = offset;
        per_cpu(cpu_number, cpu) = cpu;
        per_cpu(this_cpu_off, cpu) = offset;
    }
}
