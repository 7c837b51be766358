// The arch side of external interrupts (Linux arch/x86/kernel/irq.c): do_IRQ, called by the vector
// entry (common_interrupt) for vectors >= 0x20, and the hook that acknowledges a vector nobody owns.
#pragma once
#include "arch/x86/trapframe.h"

// Hard-IRQ context, interrupts off, on the interrupted stack.
extern "C" void do_IRQ(TrapFrame* regs);

// Acknowledge an interrupt on a vector with no IRQ (Linux's do_IRQ does apic_eoi() there; the genirq
// side's ack_bad_irq/arch_ack_bad_irq is for a mapped IRQ with no handler). Interrupts off.
void ack_unhandled_vector(unsigned vector);
// The active interrupt controller mode installs its acknowledgement (the local APIC driver: EOI).
// Boot, before the controller is enabled. The default does nothing (see irq.cpp for why that is right
// with the 8259 pair).
void set_unhandled_vector_ack(void (*ack)(unsigned vector));
