// The machine's IO-APICs and what is routed through them (Linux arch/x86/kernel/apic/io_apic.c
// mp_register_ioapic, mp_find_ioapic, setup_IO_APIC; arch/x86/kernel/acpi/boot.c for the ISA overrides;
// drivers/acpi/pci_irq.c for PCI INTx): each IO-APIC the MADT lists becomes an IoApic chip with its GSI
// range, the ISA IRQs 0-15 keep their numbers on the pins their GSIs name (IRQ 0 -> GSI 2 on QEMU and
// Bochs) with the overrides' trigger and polarity, and a PCI function's INTx line is made level on its
// GSI's pin (the override's polarity, else PCI's active low).
#pragma once
#include "drivers/acpi/madt.h"
#include "drivers/apic/io_apic.h"

struct pci_dev;

// Register IO-APIC `entry` (the MADT's idx-th) on `mmio`: read its version and pin count, check its GSI
// range against those registered before, print Linux's line ("IOAPIC[0]: apic_id 0, version 32, address
// 0xfec00000, GSI 0-23") and mask every pin. Boot (or a host test), process context.
// 0, -ENODEV (the window reads as all ones: nothing there), -EINVAL (GSI range overlaps: reported),
// -ENOSPC (more than MADT_MAX_IOAPICS), -ENOMEM.
int mp_register_ioapic(const MadtIoApic& entry, Mmio& mmio);
unsigned nr_ioapics();
IoApic* ioapic_at(unsigned index);
// The IO-APIC serving `gsi` and the pin there (Linux mp_find_ioapic + mp_find_ioapic_pin); NULL if none.
// Any context once registration is over.
IoApic* mp_find_ioapic(uint32_t gsi, unsigned* pin);
// Forget every registered IO-APIC (host tests; frees the chips). The lines wired to them must be gone.
void io_apic_reset();

// The APIC ID the IO-APIC routes deliver to (physical destination mode): the boot CPU's. Set by the
// mode choice before any route is written.
extern unsigned ioapic_default_dest;

// Wire the ISA IRQs 0-15 to the IO-APIC pins their GSIs give (madt_isa_irq_to_gsi), through the
// IO-APIC's irq domain when it has one (ioapic_map_pin: the IRQ number kept, the vector from the vector
// domain, ISA_IRQ_VECTOR(irq) on CPU 0 at boot) or else flat with vector
// ISA_IRQ_VECTOR(irq), edge/active high unless an override says otherwise (a "dfl" field means the ISA
// default), masked until requested; IRQ 2 when IRQ 0 took GSI 2 stays unwired. A GSI no IO-APIC serves
// is reported ("Failed to find ioapic for gsi : %u") and skipped. `madt` is kept for the PCI lines' GSIs.
// Boot, before request_irq on 0-15.
// Returns the number of lines wired.
unsigned io_apic_setup_legacy_irqs(const MadtInfo* madt);

// PCI INTx in APIC mode (Linux acpi_pci_irq_enable, with the interrupt-line register standing in for the
// _PRT): the function's line keeps its IRQ number, its GSI comes from the MADT of the ISA routes, and the pin becomes
// level-triggered with the override's polarity, active low when the override leaves it to the bus.
// Prints "pci 0000:00:04.0: PCI INT A -> GSI 11 (level, high) -> IRQ 11". Process context, before the
// driver's request_irq. 0 (also when nothing changes), -ENODEV (no GSI or no IO-APIC for it), -EBUSY
// (the line is in use as an edge ISA line: reported, left alone).
int io_apic_pci_enable_irq(pci_dev* dev);
