// Hooks for `make bench` (tests/kernel bench, D): common_interrupt (arch/x86/entry/vectors.asm) stores
// rdtsc at vector entry and just before iretq into the current CPU's area; a handler compares them with
// its own rdtsc() (arch/x86/cpu.h) at its first and last instruction. Under QEMU -icount the deltas are
// instruction counts.
#pragma once
#include "arch/x86/cpu_local.h"
#include "arch/x86/cpu.h"

// Reads like a PerCpu<uint64_t>: irq_entry_tsc[cpu], irq_entry_tsc.this_cpu(). Written by the assembly of
// the CPU that owns the slot; read it with interrupts off (or after the interrupt of interest returned).
class PerCpuTscStamp {
public:
    explicit constexpr PerCpuTscStamp(uint64_t CpuArea::*field) : field_(field) {}
    uint64_t operator[](unsigned cpu) const { return READ_ONCE(irqos_cpu_area[cpu].*field_); }
    uint64_t this_cpu() const { return READ_ONCE(this_cpu_area()->*field_); }
private:
    uint64_t CpuArea::*field_;
};

inline constexpr PerCpuTscStamp irq_entry_tsc{&CpuArea::irq_entry_tsc};
inline constexpr PerCpuTscStamp irq_exit_tsc{&CpuArea::irq_exit_tsc};
