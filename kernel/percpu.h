// Per-CPU variables: one cache-line-aligned slot per possible CPU, indexed by CPU number.
// Linux keeps a per-CPU area per CPU and a this_cpu_ptr(); an array of padded slots gives the same
// "no false sharing, no locking for the local slot" property with code a reader can follow.
#pragma once
#include "kernel/arch.h"

constexpr unsigned NR_CPUS = 8;
constexpr unsigned SMP_CACHE_BYTES = 64;

template <typename T>
class PerCpu {
public:
    T& operator[](unsigned cpu) { return slots_[cpu].value; }
    const T& operator[](unsigned cpu) const { return slots_[cpu].value; }
    // The current CPU's slot. Caller must not migrate (interrupts or preemption off) while using it.
    T& this_cpu() { return slots_[arch::smp_processor_id()].value; }

private:
    struct alignas(SMP_CACHE_BYTES) Slot { T value{}; };
    Slot slots_[NR_CPUS];
};

#define for_each_possible_cpu(cpu) for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
#define for_each_online_cpu(cpu) for (unsigned cpu = 0; cpu < arch::num_online_cpus(); cpu++)
