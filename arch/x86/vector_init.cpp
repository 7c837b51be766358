// Boot wiring of the x86 vector domain (kernel/irq/vector_domain.h) to the hardware: the allocator with
// the ISA vectors on the boot CPU, the IRQ_MOVE_CLEANUP_VECTOR system vector, and the local APIC's IPI
// and IRR for the move cleanup (Linux arch/x86/kernel/apic/vector.c arch_early_irq_init and
// lapic_assign_system_vectors, the cleanup IPI of kernels before 6.6).
#include "arch/x86/vector_init.h"
#include "arch/x86/smp.h"
#include "arch/x86/sysvec.h"
#include "drivers/apic/local_apic.h"
#include "kernel/irq/vector_domain.h"
#include "kernel/printk.h"

namespace {
// Linux sysvec_irq_move_cleanup: EOI, then release this CPU's old vectors of finished moves.
void sysvec_irq_move_cleanup(TrapFrame*) {
    apic_eoi();
    vector_cleanup_this_cpu();
}

void send_ipi_to_cpu(unsigned cpu, unsigned vector) {
    LocalApic* apic = local_apic();
    uint32_t apicid = per_cpu_read(x86_cpu_to_apicid, cpu);
    if (apic && apicid != BAD_APICID) apic->send_ipi(apicid, vector);
}

bool lapic_irr_pending(unsigned vector) {
    LocalApic* apic = local_apic();
    return apic && apic->vector_requested(vector);
}
}  // namespace

void x86_vector_init() {
    if (int err = x86_vector_domain_init(true); err) pr_err("x86_vector_domain_init failed: %d\n", err);
    sysvec_install(IRQ_MOVE_CLEANUP_VECTOR, sysvec_irq_move_cleanup);
    vector_hooks h;
    h.send_ipi = send_ipi_to_cpu;
    h.irr_pending = lapic_irr_pending;
    vector_set_hooks(h);
}
