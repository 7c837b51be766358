// The boot CPU's vectors as the PCI-MSI domain's parent (kernel/irq/msi.h MsiParent; Linux's role for the
// x86 vector domain, arch/x86/kernel/apic/vector.c x86_vector_activate/apic_ack_irq), in its simplest
// form: every MSI goes to CPU 0, on a vector from the vector allocator (kernel/irq/vector_domain.h
// irq_vector_assign, which maps it in CPU 0's vector_irq table), and is acknowledged with an EOI at the
// local APIC. Installed once the local APIC is on; until then (and with
// no local APIC at all) there is no parent and no MSI, as Linux creates no MSI domain without an APIC.
#include "arch/x86/smp.h"
#include "drivers/apic/local_apic.h"
#include "kernel/errno.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/irq/msi.h"
#include "kernel/irq/vector_domain.h"

namespace {

class BootCpuVectors final : public MsiParent {
public:
    // Process context (the allocator takes the vector lock).
    int activate(unsigned irq, irq_cfg* cfg) override {
        if (irq >= NR_IRQS) return -EINVAL;
        unsigned cpu = 0, vector = 0;
        if (int err = irq_vector_assign(irq, cpumask_of(0), &cpu, &vector); err) return err;
        where_[irq] = {cpu, vector};
        cfg->vector = vector;
        cfg->dest_apicid = per_cpu_read(x86_cpu_to_apicid, cpu);
        return 0;
    }
    void deactivate(unsigned irq) override {
        if (irq >= NR_IRQS || !where_[irq].vector) return;
        irq_vector_release(where_[irq].cpu, where_[irq].vector);
        where_[irq] = {};
    }
    void ack(irq_data*) override { apic_eoi(); }

private:
    struct Where {
        unsigned cpu = 0, vector = 0;  // 0: none assigned
    };
    Where where_[NR_IRQS] = {};
};

constinit BootCpuVectors boot_cpu_vectors;

}  // namespace

// Boot CPU, after apic_bsp_setup succeeded, interrupts off.
void x86_msi_parent_init() {
    if (local_apic()) pci_msi_set_parent(&boot_cpu_vectors);
}
