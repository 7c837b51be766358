// do_IRQ: from a vector to the genirq core (Linux arch/x86/kernel/irq.c, common_interrupt()). Looks up
// the current CPU's vector_irq table and runs that descriptor's flow handler between irq_enter() and
// irq_exit(); a vector with no descriptor is reported (rate-limited), counted and acknowledged. The
// vector_irq table itself belongs to the vector domain (kernel/irq/vector_domain.cpp).
#include "arch/x86/irq.h"
#include "arch/x86/vector.h"
#include "drivers/pic/legacy_pic.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/preempt.h"
#include "kernel/printk.h"

namespace {
// With the 8259 pair there is nothing to acknowledge: every vector it can raise (ISA_IRQ_VECTOR(0..15)) is mapped to
// an IRQ whose flow handler sends the EOI, so an unmapped vector came from software (`int n`) or a
// misprogrammed device, and an EOI to the PIC would end an unrelated in-service interrupt. Once the local
// APIC is in use its driver installs an EOI here (Linux's do_IRQ calls apic_eoi() on this path).
void ack_vector_nothing(unsigned) {}
void (*unhandled_vector_ack)(unsigned vector) = ack_vector_nothing;
}  // namespace

void set_unhandled_vector_ack(void (*ack)(unsigned vector)) { unhandled_vector_ack = ack ? ack : ack_vector_nothing; }

void ack_unhandled_vector(unsigned vector) { unhandled_vector_ack(vector); }

void do_IRQ(TrapFrame* regs) {
    unsigned vector = unsigned(regs->vector);
    irq_enter();
    irq_desc* desc = this_cpu_read(vector_irq.desc[vector]);
    if (likely(!vector_desc_is_marker(desc))) {
        // The 8259 invents IRQ7/IRQ15 when a request vanishes before the CPU's INTA: its in-service
        // register then shows nothing. Such an interrupt is counted (ERR) and reaches no handler, whether
        // or not a driver owns the line (Linux lets it run the flow; irqos follows the 8259A datasheet).
        // Only a line whose chip is an 8259 is checked (drivers/pic/legacy_pic.h).
        if (!legacy_pic_filter_spurious(desc)) generic_handle_irq_desc(desc);
    } else {
        // Linux 6.12 (call_irq_handler): a vector released while an interrupt was in flight is quietly
        // marked unused; only a vector that never had an owner is reported. Both are counted here.
        if (desc == nullptr)
            pr_emerg_ratelimited("No irq handler for %d.%u\n", int(smp_processor_id()), vector);
        else
            this_cpu_write(vector_irq.desc[vector], nullptr);
        this_cpu_inc(irq_unhandled_vector_count);
        ack_unhandled_vector(vector);
    }
    irq_exit();
}
