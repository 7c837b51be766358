// Boot set-up of the x86 vector domain (see arch/x86/vector_init.cpp).
#pragma once

// Boot CPU, interrupts off, after early_irq_init and before any domain or vector is allocated: the vector
// allocator with the ISA vectors preallocated on CPU 0, the vector domain, the move-cleanup system
// vector and the local APIC hooks (used only once the local APIC is on). APs call lapic_online().
void x86_vector_init();
