// Which controller delivers the device interrupts, chosen at boot (Linux apic_intr_mode_select and
// x86's "noapic"): the IO-APIC when the MADT is usable and lists one, unless the command line says
// `noapic`; the 8259 pair otherwise. The controller not chosen is masked: in APIC mode the 8259 pair is
// initialised, fully masked and replaced by the null legacy PIC (no cascade line); in PIC mode every
// IO-APIC pin is masked. Linux's line says which: "ACPI: Using IOAPIC for interrupt routing" or
// "ACPI: Using PIC for interrupt routing".
#pragma once
#include "drivers/acpi/madt.h"
#include "kernel/io.h"
#include "kernel/mmio.h"

class Pic8259;

enum class IrqRouting { Pic, IoApic };

// Linux's ioapic_is_disabled: set by the `noapic` flag. Read at boot.
extern bool ioapic_is_disabled;
// The choice made (Pic until irq_mode_setup ran). Any context.
IrqRouting irq_routing();
static inline bool irq_routing_is_ioapic() { return irq_routing() == IrqRouting::IoApic; }

// What the choice needs, so host tests can hand in fakes: the 8259 pair's chip object (PIC mode wires
// it; APIC mode initialises and masks it), the MADT (NULL: none), a window onto IO-APIC `index` at
// `phys`, and the boot CPU's APIC ID (the routes' destination).
struct IrqModeEnv {
    Pic8259* pic;
    const MadtInfo* madt;
    Mmio* (*ioapic_window)(unsigned index, uint32_t phys);
    unsigned boot_apic_id;
};

// Boot, interrupts off, after early_irq_init and before any request_irq on lines 0-15: choose, set up the
// chosen controller (PIC: legacy_pic_setup_chip; APIC: the IO-APICs registered, ISA IRQs 0-15 wired to
// their pins, pcibios_enable_irq routing PCI INTx), mask the other, print the choice. Returns 0 or the
// 8259 set-up's error (-ENODEV: no 8259 in PIC mode).
int irq_mode_setup(const IrqModeEnv& env);
// The kernel's call: the 8259 pair on `io`, acpi_madt(), identity-mapped IO-APIC windows, the boot CPU's
// APIC ID read from the local APIC the MADT names.
int irq_mode_init(PortIo& io);
// Back to nothing chosen (host tests): PIC routing recorded, IO-APICs forgotten, the PCI hook cleared.
void irq_mode_reset();
