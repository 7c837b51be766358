// The x86 side of the PCI-MSI domain (Linux arch/x86/kernel/apic/msi.c x86_create_pci_msi_domain and
// the dest_apicid of arch/x86/kernel/apic/vector.c): the domain is created above the x86 vector domain
// once CPU 0's local APIC is on, and a message names a CPU by its local APIC ID. Without a local APIC
// (PIC mode) there is no PCI-MSI domain and pci_alloc_irq_vectors offers INTx only, as in Linux.
#include "arch/x86/smp.h"
#include "drivers/apic/local_apic.h"
#include "kernel/irq/msi.h"
#include "kernel/irq/vector_domain.h"
#include "kernel/printk.h"

// Boot CPU, after apic_bsp_setup succeeded, interrupts off.
void x86_create_pci_msi_domain() {
    if (!local_apic()) return;
    if (int err = pci_msi_create_irq_domain(x86_vector_domain); err)
        pr_err("PCI-MSI: no irq domain (%d): MSI unavailable\n", err);
}

// Any context. A CPU whose APIC ID is not known yet is named by an ID no message can carry (the
// activation then refuses it with -EINVAL rather than sending the interrupt to the wrong CPU).
unsigned x86_msi_cpu_apicid(unsigned cpu) { return per_cpu_read(x86_cpu_to_apicid, cpu); }
