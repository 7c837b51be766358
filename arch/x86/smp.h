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
