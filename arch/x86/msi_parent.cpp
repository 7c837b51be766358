// The boot CPU's vectors as the PCI-MSI domain's parent (kernel/irq/msi.h MsiParent; Linux's role for the
// x86 vector domain, arch/x86/kernel/apic/vector.c x86_vector_activate/apic_ack_irq), in its simplest
// form: every MSI goes to CPU 0, on the first device vector free in CPU 0's vector_irq table, and is
// acknowledged with an EOI at the local APIC. Installed once the local APIC is on; until then (and with
// no local APIC at all) there is no parent and no MSI, as Linux creates no MSI domain without an APIC.
#include "arch/x86/irq_vectors.h"
#include "arch/x86/smp.h"
#include "arch/x86/vector.h"
#include "drivers/apic/local_apic.h"
#include "kernel/errno.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/irq/msi.h"

namespace {

constexpr unsigned FIRST_MSI_VECTOR = ISA_IRQ_VECTOR(15) + 2;  // 0x41: above the ISA lines' 0x30-0x3F

class BootCpuVectors final : public MsiParent {
public:
    // Process context. The scan and the mapping are not atomic with another allocator on the same table;
    // every MSI allocation is made from process context on one CPU at a time (the shell, boot).
    int activate(unsigned irq, irq_cfg* cfg) override {
        for (unsigned v = FIRST_MSI_VECTOR; v < FIRST_SYSTEM_VECTOR; v++) {
            if (v == IA32_SYSCALL_VECTOR || vector_irq_get(0, v) != VECTOR_UNUSED) continue;
            vector_irq_set(0, v, int(irq));
            cfg->vector = v;
            cfg->dest_apicid = per_cpu_read(x86_cpu_to_apicid, 0);
            return 0;
        }
        return -ENOSPC;
    }
    void deactivate(unsigned irq) override {
        for (unsigned v = FIRST_MSI_VECTOR; v < FIRST_SYSTEM_VECTOR; v++)
            if (vector_irq_get(0, v) == int(irq)) vector_irq_set(0, v, VECTOR_UNUSED);
    }
    void ack(irq_data*) override { apic_eoi(); }
};

constinit BootCpuVectors boot_cpu_vectors;

}  // namespace

// Boot CPU, after apic_bsp_setup succeeded, interrupts off.
void x86_msi_parent_init() {
    if (local_apic()) pci_msi_set_parent(&boot_cpu_vectors);
}
