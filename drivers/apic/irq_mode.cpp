// The interrupt-routing choice at boot (see irq_mode.h). Linux decides in apic_intr_mode_select
// (arch/x86/kernel/apic/apic.c) and acpi_process_madt ("Skipping IOAPIC probe due to 'noapic' option."),
// masks the 8259 pair in APIC mode (init_8259A with every line masked) and clears the IO-APIC's pins in
// either mode (clear_IO_APIC); drivers/acpi/bus.c prints "Using IOAPIC|PIC for interrupt routing".
#define pr_fmt(fmt) "ACPI: " fmt
#include "drivers/apic/irq_mode.h"
#include "drivers/apic/io_apic_setup.h"
#include "drivers/apic/local_apic.h"
#include "drivers/pci/pci.h"
#include "drivers/pic/i8259.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/printk.h"

bool ioapic_is_disabled;

namespace {

IrqRouting routing = IrqRouting::Pic;

int noapic_setup(const char*) {
    ioapic_is_disabled = true;
    return 0;
}

// Register what the MADT lists; returns how many IO-APICs answered.
unsigned register_ioapics(const IrqModeEnv& env) {
    for (unsigned i = 0; i < env.madt->nr_ioapics; i++) {
        const MadtIoApic& io = env.madt->ioapics[i];
        if (Mmio* w = env.ioapic_window(i, io.address)) (void)mp_register_ioapic(io, *w);
    }
    return nr_ioapics();
}

// APIC mode's 8259 pair: initialised (so it is in a known state) with every line masked, and left out of
// the way: the null legacy PIC answers for it, and IRQ 2 is not requested as cascade.
void mask_8259(Pic8259* pic) {
    if (pic && pic->probe()) {
        pic->init(false);
        pic->mask_all();
    }
    legacy_pic = &null_legacy_pic;
}

}  // namespace

__setup_flag("noapic", noapic_setup);

IrqRouting irq_routing() { return READ_ONCE(routing); }

int irq_mode_setup(const IrqModeEnv& env) {
    routing = IrqRouting::Pic;
    bool want_apic = env.madt && env.madt->nr_ioapics > 0;
    if (want_apic && ioapic_is_disabled) {
        pr_info("Skipping IOAPIC probe due to 'noapic' option.\n");
        want_apic = false;
    }
    if (env.madt && !env.madt->nr_ioapics) pr_err("No IOAPIC entries present\n");
    ioapic_default_dest = env.boot_apic_id;

    if (want_apic && register_ioapics(env) > 0) {
        mask_8259(env.pic);
        unsigned wired = io_apic_setup_legacy_irqs(env.madt);
        pcibios_enable_irq = io_apic_pci_enable_irq;
        routing = IrqRouting::IoApic;
        pr_info("Using IOAPIC for interrupt routing (%u ISA lines)\n", wired);
        return 0;
    }
    // PIC mode: whatever IO-APIC there is stays fully masked (registered only when APIC mode was wanted).
    if (want_apic) pr_err("No IO-APIC answered: staying with the 8259 PIC\n");
    if (env.madt && ioapic_is_disabled)
        for (unsigned i = 0; i < env.madt->nr_ioapics; i++)
            if (Mmio* w = env.ioapic_window(i, env.madt->ioapics[i].address)) {
                IoApic chip(*w, i, env.madt->ioapics[i].gsi_base);
                chip.mask_all();
            }
    int err = env.pic ? legacy_pic_setup_chip(*env.pic) : -ENODEV;
    pr_info("Using PIC for interrupt routing\n");
    return err;
}

void irq_mode_reset() {
    routing = IrqRouting::Pic;
    ioapic_is_disabled = false;
    pcibios_enable_irq = nullptr;
    io_apic_reset();
}

namespace {
// The kernel's IO-APIC windows: one per IO-APIC, for the kernel's lifetime.
Mmio* kernel_ioapic_window(unsigned, uint32_t phys) { return new MmioWindow(phys); }
}  // namespace

int irq_mode_init(PortIo& io) {
    static Pic8259 pic(io, PIC_VECTOR_BASE);
    const MadtInfo* madt = acpi_madt();
    unsigned boot_apic_id = 0;
    if (madt && !ioapic_is_disabled && madt->nr_ioapics) {
        // The local APIC answers at the MADT's address even before it is set up (ID register, SDM 11.4.6).
        MmioWindow lapic_window((uintptr_t)madt->lapic_address);
        boot_apic_id = lapic_window.readl(lapic::APIC_ID) >> 24;
    }
    return irq_mode_setup(IrqModeEnv{&pic, madt, kernel_ioapic_window, boot_apic_id});
}
