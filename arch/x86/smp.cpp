// The CPU number <-> local APIC ID map (Linux's x86_cpu_to_apicid per-CPU variable, set in
// arch/x86/kernel/smpboot.c and apic.c as each CPU is found).
#include "arch/x86/smp.h"

DEFINE_PER_CPU(uint32_t, x86_cpu_to_apicid) = BAD_APICID;

int apicid_to_cpu(uint32_t apic_id) {
    for_each_possible_cpu(cpu) if (per_cpu_read(x86_cpu_to_apicid, cpu) == apic_id) return int(cpu);
    return -1;
}
