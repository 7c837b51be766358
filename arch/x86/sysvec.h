// System vectors (Linux arch/x86/include/asm/idtentry.h DEFINE_IDTENTRY_SYSVEC and
// arch/x86/kernel/apic/apic.c spurious_interrupt): the vectors from FIRST_SYSTEM_VECTOR up belong to the
// local APIC and the SMP code, not to an IRQ. Their stubs (arch/x86/entry/vectors.asm) enter
// common_sysvec, which runs the handler installed for the vector between irq_enter() and irq_exit();
// do_IRQ never sees them. A system vector nobody installed is Linux's spurious_interrupt: counted in
// irq_stat.irq_spurious_count (SPU), reported, and acknowledged only if the local APIC has it in service.
//
// Usage (boot, before the source is enabled):
//     void sysvec_reschedule(TrapFrame*) { apic_eoi(); inc_irq_stat(irq_resched_count); ... }
//     sysvec_install(RESCHEDULE_VECTOR, sysvec_reschedule);
// The handler runs in hard-IRQ context with interrupts off and does its own EOI (as Linux's sysvec_*
// do); SPURIOUS_APIC_VECTOR is installed here (SPU++, never an EOI).
#pragma once
#include "arch/x86/irq_vectors.h"
#include "arch/x86/trapframe.h"

using sysvec_handler_t = void (*)(TrapFrame* regs);

constexpr unsigned NR_SYSTEM_VECTORS = NR_VECTORS - FIRST_SYSTEM_VECTOR;

// Install `handler` for `vector` (FIRST_SYSTEM_VECTOR <= vector < NR_VECTORS, else WARN and ignored).
// NULL uninstalls: the vector becomes spurious again (in-kernel tests restore what they installed that
// way). Any context; the entry reads the slot with one load, so installing while the vector may fire is
// safe. Replacing an installed handler by another is refused with a WARN (two owners of one vector).
void sysvec_install(unsigned vector, sysvec_handler_t handler);
// The installed handler, or NULL. Any context.
sysvec_handler_t sysvec_handler(unsigned vector);

// The entry (called by the system vector stubs): hard-IRQ context is entered here. Interrupts off.
extern "C" void common_sysvec(TrapFrame* regs);

// Linux's spurious_interrupt for a system vector with no handler: SPU++ on this CPU, then "Spurious
// interrupt (vector 0x%02x) on CPU#%d. Acked" if the local APIC had it in service (and got its EOI),
// else "... Not pending!". Hard-IRQ context, interrupts off.
void spurious_interrupt(unsigned vector);
// The local APIC driver installs the in-service check: return true when `vector`'s ISR bit is set on
// this CPU's LAPIC after sending the EOI. Boot; the default (no LAPIC: a system vector can only be an
// `int n`) answers false.
void sysvec_set_spurious_ack(bool (*isr_eoi)(unsigned vector));
