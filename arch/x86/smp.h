// The x86 side of SMP (Linux arch/x86/include/asm/smp.h, arch/x86/kernel/smpboot.c): which local APIC
// each CPU number stands for, and the start-up of the application processors.
#pragma once
#include "kernel/percpu.h"

// A CPU's local APIC ID (Linux's x86_cpu_to_apicid): the physical destination of its IPIs and of the
// IO-APIC and MSI messages aimed at it. BAD_APICID until the CPU is known. Written at boot (the boot CPU
// in its APIC set-up, each AP before it reports in); read anywhere as per_cpu(x86_cpu_to_apicid, cpu).
constexpr uint32_t BAD_APICID = 0xFFFFFFFFu;
DECLARE_PER_CPU(uint32_t, x86_cpu_to_apicid);
// The CPU number of a local APIC ID, or -1 (linear search over the possible CPUs). Any context.
int apicid_to_cpu(uint32_t apic_id);

// Start every other enabled CPU of the MADT (Linux smp_init: "smp: Bringing up secondary CPUs ...",
// "smp: Brought up 1 node, N CPUs"), in MADT order, up to maxcpus= and NR_CPUS; nothing with `nosmp`,
// without a MADT or in PIC mode. A CPU that does not call in within the timeout is reported
// ("smpboot: CPUn: APIC m did not respond") and left out. Boot CPU, process context, interrupts on or
// off, after the boot CPU's LAPIC timer runs (each AP starts its own tick from its calibration).
void smp_boot_cpus();

// The CPUs the MADT lists (enabled ones), as the `cpus` command shows them.
enum class SmpCpuState { Online, Offline, Failed };
struct SmpCpuInfo {
    uint32_t apic_id;
    int cpu;  // the CPU number, -1 when it has none (offline or failed)
    SmpCpuState state;
};
// The table and its length. Any context after smp_boot_cpus; read-only from then on.
unsigned smp_cpu_table(const SmpCpuInfo** table);
// TSC cycles from the INIT IPI to the AP being online (the start-up time). 0 for CPU 0.
uint64_t smp_startup_cycles(unsigned cpu);

// Install the reschedule and call-function IPI handlers and kernel/smp.h's senders (arch/x86/smp_ipi.cpp).
// Boot CPU, interrupts off, once the local APIC is in use (smp_boot_cpus calls it).
void smp_ipi_init();
