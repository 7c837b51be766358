// One irq domain per IO-APIC beneath the x86 vector domain (Linux arch/x86/kernel/apic/io_apic.c
// mp_irqdomain_create, mp_irqdomain_alloc/activate/deactivate/free, mp_map_pin_to_irq): hwirq = pin,
// the vector and CPU come from the parent level (apic_chip_data_of(irqd->parent_data)) and the pin's
// entry is programmed with them; ISA IRQs 0-15 keep their numbers (their descriptors are reused, as
// Linux's legacy IRQs are with realloc) and so their ISA_IRQ_VECTOR on CPU 0 at boot.
#pragma once
#include "drivers/apic/io_apic.h"

// Create `chip`'s domain (its nr_pins() entries) under x86_vector_domain and keep it in chip->irqdomain.
// Boot or host tests, process context. 0, -ENODEV (no vector domain), -ENOMEM.
int mp_irqdomain_create(IoApic* chip);
// Remove it again (host tests; every pin must be unmapped first).
void mp_irqdomain_remove(IoApic* chip);

// Map `pin` of `chip` to an IRQ: `irq` >= 0 asks for that number (an ISA line below 16 reuses its
// descriptor), -1 for the first free one above the legacy lines. The entry is written masked with the
// parent's vector and CPU, the line gets the chip with handle_fasteoi_irq "fasteoi" (level, IRQ_LEVEL)
// or handle_edge_irq "edge". Process context, before request_irq. Returns the IRQ, -EINVAL (no domain,
// pin out of range), -EEXIST (pin or IRQ already mapped), -ENOSPC, -ENOMEM.
int ioapic_map_pin(IoApic* chip, unsigned pin, int irq, bool level, bool active_low);
// Undo ioapic_map_pin (no action left on the IRQ). Process context.
void ioapic_unmap_pin(IoApic* chip, unsigned pin);
// The IRQ `pin` is mapped to, or -1. Any context.
int ioapic_pin_irq(IoApic* chip, unsigned pin);

// The APIC ID an entry names for `cpu` (physical destination mode). The kernel's answer is
// x86_cpu_to_apicid (arch/x86/io_apic_dest.cpp); without it (host tests) CPU 0 is ioapic_default_dest
// and CPU n is APIC ID n. Any context.
unsigned ioapic_cpu_apicid(unsigned cpu);
