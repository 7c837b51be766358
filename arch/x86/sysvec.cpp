// The system vector table and its entry (Linux arch/x86/kernel/idt.c apic_idts and the
// DEFINE_IDTENTRY_SYSVEC wrappers; apic.c spurious_interrupt and sysvec_spurious_apic_interrupt).
// See arch/x86/sysvec.h.
#include "arch/x86/sysvec.h"
#include "kernel/irq/irq_stat.h"
#include "kernel/preempt.h"
#include "kernel/printk.h"

namespace {
bool no_lapic_isr_eoi(unsigned) { return false; }
bool (*spurious_isr_eoi)(unsigned vector) = no_lapic_isr_eoi;

// Linux sysvec_spurious_apic_interrupt: the LAPIC raises vector 0xFF when the interrupt it was about to
// deliver went away (SDM vol. 3A 11.9). Nothing is in service, so there must be no EOI.
void sysvec_spurious_apic_interrupt(TrapFrame*) {
    inc_irq_stat(irq_spurious_count);
    pr_info("Spurious APIC interrupt (vector 0xFF) on CPU#%d, should never happen.\n", int(smp_processor_id()));
}

// One slot per system vector, shared by all CPUs like the IDT. The spurious vector's handler is there
// from the start: the LAPIC may raise it as soon as it is software-enabled.
constexpr unsigned slot(unsigned vector) { return vector - FIRST_SYSTEM_VECTOR; }
struct SysvecTable {
    sysvec_handler_t h[NR_SYSTEM_VECTORS];
};
constexpr SysvecTable initial_table() {
    SysvecTable t{};
    t.h[slot(SPURIOUS_APIC_VECTOR)] = sysvec_spurious_apic_interrupt;
    return t;
}
SysvecTable sysvec_table = initial_table();

bool is_system_vector(unsigned vector) { return vector >= FIRST_SYSTEM_VECTOR && vector < NR_VECTORS; }
}  // namespace

void sysvec_install(unsigned vector, sysvec_handler_t handler) {
    if (WARN_ON(!is_system_vector(vector))) return;
    sysvec_handler_t old = READ_ONCE(sysvec_table.h[slot(vector)]);
    if (WARN_ON(handler && old && old != handler)) return;
    WRITE_ONCE(sysvec_table.h[slot(vector)], handler);
}

sysvec_handler_t sysvec_handler(unsigned vector) {
    return is_system_vector(vector) ? READ_ONCE(sysvec_table.h[slot(vector)]) : nullptr;
}

void sysvec_set_spurious_ack(bool (*isr_eoi)(unsigned vector)) {
    spurious_isr_eoi = isr_eoi ? isr_eoi : no_lapic_isr_eoi;
}

void spurious_interrupt(unsigned vector) {
    inc_irq_stat(irq_spurious_count);
    if (spurious_isr_eoi(vector))
        pr_info("Spurious interrupt (vector 0x%02x) on CPU#%d. Acked\n", vector, int(smp_processor_id()));
    else
        pr_info("Spurious interrupt (vector 0x%02x) on CPU#%d. Not pending!\n", vector, int(smp_processor_id()));
}

void common_sysvec(TrapFrame* regs) {
    unsigned vector = unsigned(regs->vector);
    irq_enter();
    sysvec_handler_t h = READ_ONCE(sysvec_table.h[slot(vector)]);
    if (likely(h != nullptr))
        h(regs);
    else
        spurious_interrupt(vector);
    irq_exit();
}
