// The x86 vector domain (Linux arch/x86/kernel/apic/vector.c): the root irq domain. Each of its IRQs has
// an apic_chip_data with the vector and CPU it is delivered on; activation takes a vector from the
// per-CPU allocator (kernel/irq/matrix.h) on the line's affinity and maps it in that CPU's vector_irq
// table; its chip "APIC" acknowledges with the local APIC EOI (apic_ack_edge), retriggers by an IPI of
// the vector, and moves a line to other CPUs (irq_set_affinity). Portable, so that the host tests run
// it; arch/x86 do_IRQ reads the same vector_irq table.
//
// Usage (the IO-APIC and PCI-MSI domains sit on top):
//     x86_vector_domain_init(true);                  // boot CPU, before the other domains
//     irq_domain_create_hierarchy(x86_vector_domain, 0, n, &ops, data, "IO-APIC");
//     // in the child's chip, after irq_chip_set_affinity_parent / at activation:
//     const apic_chip_data* a = apic_chip_data_of(irqd->parent_data);  // a->vector, a->cpu
//     lapic_online();                                // on each AP as it comes up
//
// Moving a line (irq_set_affinity): the new vector is allocated on the target CPU and mapped there,
// the old one stays mapped, so an interrupt already on its way to the old vector is handled there,
// exactly once. The first interrupt on the new CPU (apic_ack_edge) asks the old CPU, with an
// IRQ_MOVE_CLEANUP_VECTOR IPI, to release the old vector; the old CPU does it unless the old vector is
// still requested in its local APIC's IRR, in which case that last interrupt is handled first and the
// release happens when it is acknowledged. (Linux 6.12 polls with a per-CPU timer instead of waiting
// for the late interrupt; the IPI and the acknowledgement need no timer and lose nothing.)
#pragma once
#include "kernel/irq/irqdomain.h"
#include "kernel/irq/matrix.h"

struct apic_chip_data {
    unsigned irq = 0;
    unsigned vector = 0;  // 0: none assigned
    unsigned cpu = 0;
    unsigned prev_vector = 0;  // the old vector of a move, until the old CPU released it
    unsigned prev_cpu = 0;
    bool move_in_progress = false;  // the new vector is live but no interrupt came on the new CPU yet
    bool cleanup_pending = false;   // on prev_cpu's cleanup list
    bool is_legacy = false;         // an ISA line keeping its ISA_IRQ_VECTOR on CPU 0
    apic_chip_data* cleanup_next = nullptr;
};

extern irq_domain* x86_vector_domain;
extern irq_matrix vector_matrix;

// Boot CPU, interrupts off, once (again in host tests, which first free what they allocated): the
// matrix over FIRST_EXTERNAL_VECTOR..FIRST_SYSTEM_VECTOR-1, the syscall vector a system bit, this CPU
// online, and with `legacy_isa` the ISA vectors preallocated for the 16 legacy lines (Linux
// lapic_assign_system_vectors). 0 or -ENOMEM.
int x86_vector_domain_init(bool legacy_isa);
// An AP coming up: its vectors join the allocator (Linux lapic_online). On that CPU, interrupts off.
void lapic_online();
// The vector data of an irq_data at the vector level, or NULL.
apic_chip_data* apic_chip_data_of(irq_data* d);

// The IRQ_MOVE_CLEANUP_VECTOR handler's work: release this CPU's old vectors of finished moves (those
// not requested in the IRR). Hard-IRQ context, interrupts off.
void vector_cleanup_this_cpu();

// Linux lock_vector_lock / unlock_vector_lock: the vector lock, for a child domain that updates this
// CPU's vector_irq table itself (the PCI-MSI affinity path marks a vector VECTOR_RETRIGGERED).
// Interrupts off; not nested in the domain's own ops.
void lock_vector_lock();
void unlock_vector_lock();
// Linux lapic_vector_set_in_irr: is `vector` requested in this CPU's local APIC IRR (the irr_pending
// hook below; false without it). Interrupts off.
bool lapic_vector_set_in_irr(unsigned vector);

// What the vector domain needs from the local APIC and SMP code, installed at boot by them; the
// defaults work without them: EOI through apic_eoi() (drivers/apic/local_apic.h), no IPI (a cleanup
// then waits for the old CPU's next interrupt on that vector or a later cleanup), IRR never pending.
struct vector_hooks {
    void (*send_ipi)(unsigned cpu, unsigned vector) = nullptr;  // fixed IPI to a CPU
    bool (*irr_pending)(unsigned vector) = nullptr;             // this CPU's local APIC IRR bit
};
void vector_set_hooks(const vector_hooks& h);
