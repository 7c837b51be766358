// Per-CPU variables, Linux's model (include/linux/percpu-defs.h, arch/x86/include/asm/percpu.h).
// DEFINE_PER_CPU puts a variable into the per-CPU section. That section is only a template: at boot each
// CPU gets its own copy of it (setup_per_cpu_areas), and __per_cpu_offset[cpu] is the distance from the
// template to that copy. The current CPU reaches its copy through its GS base, which holds its offset:
// this_cpu_read/write/add/inc compile to one gs-relative instruction (asm/percpu.h, arch/x86/include/ on
// the kernel, tests/host/support/include/ on the host, where simulated CPUs are threads). Another CPU's copy
// is per_cpu(var, cpu). The template itself is never used after boot: always go through these accessors.
//
// Rules: a per-CPU variable is constant-initialised (constinit), because the copies are made from the
// template before any constructor runs; and the current CPU only stays the current CPU while the caller
// cannot migrate (interrupts or preemption off), as in Linux.
#pragma once
#include "kernel/types.h"
#include "kernel/arch.h"

constexpr unsigned NR_CPUS = 8;
constexpr unsigned SMP_CACHE_BYTES = 64;

// The section's name is a C identifier, so both linkers provide __start_/__stop_ symbols for it.
#define PER_CPU_SECTION "irqos_percpu"
#define DEFINE_PER_CPU(type, name) __attribute__((section(PER_CPU_SECTION))) constinit __typeof__(type) name
#define DEFINE_PER_CPU_ALIGNED(type, name) \
    __attribute__((section(PER_CPU_SECTION), aligned(SMP_CACHE_BYTES))) constinit __typeof__(type) name
#define DECLARE_PER_CPU(type, name) extern __typeof__(type) name

extern "C" char __start_irqos_percpu[], __stop_irqos_percpu[];
// Distance from the template to each CPU's copy; set once by setup_per_cpu_areas.
extern unsigned long __per_cpu_offset[NR_CPUS];

// Another CPU's copy of a per-CPU object (`ptr` is the template address, as &var or a pointer into it).
template <typename T>
static inline T* per_cpu_ptr(T* ptr, unsigned cpu) {
    return reinterpret_cast<T*>(reinterpret_cast<uintptr_t>(ptr) + __per_cpu_offset[cpu]);
}
#define per_cpu(var, cpu) (*per_cpu_ptr(&(var), (cpu)))
// Reading a counter that another CPU may be changing: tear-free (one word), racy by design, as the
// Linux /proc views read them; a relaxed atomic load so ThreadSanitizer knows it is meant.
template <typename T>
static inline T per_cpu_read(const T& var, unsigned cpu) {
    T v;
    __atomic_load(per_cpu_ptr(&var, cpu), &v, __ATOMIC_RELAXED);
    return v;
}

// The current CPU's number and per-CPU offset (Linux's cpu_number and this_cpu_off), set per copy.
extern unsigned cpu_number;
extern unsigned long this_cpu_off;

// Copy the template once per possible CPU and record the offsets (boot, before anything else uses a
// per-CPU variable; the host build calls it again to reset every CPU's state between tests).
extern "C" void setup_per_cpu_areas();
// Bytes of one CPU's copy.
static inline size_t per_cpu_area_size() { return size_t(__stop_irqos_percpu - __start_irqos_percpu); }

#include <asm/percpu.h>  // this_cpu_ptr, this_cpu_read, this_cpu_write, this_cpu_add, this_cpu_sub

template <typename T>
static inline void this_cpu_inc(T& var) {
    this_cpu_add(var, 1);
}
template <typename T>
static inline void this_cpu_dec(T& var) {
    this_cpu_sub(var, 1);
}

// Linux's smp_processor_id(): one gs-relative load.
static inline unsigned smp_processor_id() { return this_cpu_read(cpu_number); }

#define for_each_possible_cpu(cpu) for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
#define for_each_online_cpu(cpu) for (unsigned cpu = 0; cpu < arch::num_online_cpus(); cpu++)
