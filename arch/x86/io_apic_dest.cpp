// The IO-APIC entries' destination for a CPU (drivers/apic/io_apic_domain.h): its local APIC ID, as
// Linux's irq_cfg.dest_apicid comes from x86_cpu_to_apicid. Before CPU 0's local APIC set-up recorded
// its ID, CPU 0 is the boot APIC ID the IO-APIC set-up read (ioapic_default_dest).
#include "arch/x86/smp.h"
#include "drivers/apic/io_apic_domain.h"
#include "drivers/apic/io_apic_setup.h"

// Any context.
unsigned ioapic_cpu_apicid(unsigned cpu) {
    uint32_t id = per_cpu_read(x86_cpu_to_apicid, cpu);
    if (id == BAD_APICID) return cpu == 0 ? ioapic_default_dest : 0;
    return id;
}
