// IO-APIC registration and routing (see io_apic_setup.h). Linux keeps ioapics[] with each one's GSI
// range (mp_register_ioapic), finds a GSI's IO-APIC and pin by range (mp_find_ioapic,
// mp_find_ioapic_pin), gives the ISA IRQs their MADT routes (mp_config_acpi_legacy_irqs) and PCI lines
// theirs from the _PRT (acpi_pci_irq_enable -> acpi_register_gsi). irqos reads no AML, so a PCI line's
// GSI is its interrupt-line register's IRQ through the ISA overrides.
#include "drivers/apic/io_apic_setup.h"
#include "drivers/apic/io_apic_domain.h"
#include "arch/x86/irq_vectors.h"
#include "drivers/pci/pci.h"
#include "kernel/errno.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/printk.h"

namespace {
constexpr unsigned NR_ISA_IRQS = 16;
IoApic* ioapics[MADT_MAX_IOAPICS];
uint32_t ioapic_addresses[MADT_MAX_IOAPICS];
unsigned nr_registered;
const MadtInfo* routing_madt;  // the MADT the ISA routes came from; PCI lines use its overrides too
}  // namespace

unsigned ioapic_default_dest;

int mp_register_ioapic(const MadtIoApic& entry, Mmio& mmio) {
    unsigned idx = nr_registered;
    if (idx == MADT_MAX_IOAPICS) {
        pr_warn("IOAPIC: more than %u IO-APICs, 0x%08x ignored\n", MADT_MAX_IOAPICS, entry.address);
        return -ENOSPC;
    }
    // A window with nothing behind it reads all ones (Linux bad_ioapic_register).
    mmio.writel(ioapic::IOREGSEL, ioapic::IOAPICVER);
    if (mmio.readl(ioapic::IOWIN) == 0xffffffffu) {
        pr_err("IOAPIC[%u]: no IO-APIC at 0x%08x (registers read all ones), ignored\n", idx, entry.address);
        return -ENODEV;
    }
    auto* chip = new IoApic(mmio, idx, entry.gsi_base);
    if (!chip) return -ENOMEM;
    for (unsigned i = 0; i < nr_registered; i++) {
        IoApic* o = ioapics[i];
        if (entry.gsi_base <= o->gsi_end() && o->gsi_base() <= chip->gsi_end()) {
            pr_err("ioapic: GSI range [%u-%u] for new IOAPIC conflicts with GSI[%u-%u]\n", chip->gsi_base(),
                   chip->gsi_end(), o->gsi_base(), o->gsi_end());
            delete chip;
            return -EINVAL;
        }
    }
    ioapics[idx] = chip;
    ioapic_addresses[idx] = entry.address;
    nr_registered = idx + 1;
    pr_info("IOAPIC[%u]: apic_id %u, version %u, address 0x%x, GSI %u-%u\n", idx, entry.id, chip->version(),
            entry.address, chip->gsi_base(), chip->gsi_end());
    unsigned reg_id = chip->apic_id();
    if (reg_id != (entry.id & 0xfu))
        pr_info("IOAPIC[%u]: its ID register says %u, the MADT %u\n", idx, reg_id, entry.id);
    chip->mask_all();
    // Linux mp_irqdomain_create: the IO-APIC's lines take their vectors from the vector domain.
    if (int err = mp_irqdomain_create(chip); err && err != -ENODEV)
        pr_err("IOAPIC[%u]: no irq domain (%d): its lines get fixed vectors on the boot CPU\n", idx, err);
    return 0;
}

unsigned nr_ioapics() { return nr_registered; }
IoApic* ioapic_at(unsigned index) { return index < nr_registered ? ioapics[index] : nullptr; }

IoApic* mp_find_ioapic(uint32_t gsi, unsigned* pin) {
    for (unsigned i = 0; i < nr_registered; i++) {
        if (!ioapics[i]->serves(gsi)) continue;
        if (pin) *pin = gsi - ioapics[i]->gsi_base();
        return ioapics[i];
    }
    return nullptr;
}

void io_apic_reset() {
    for (unsigned i = 0; i < nr_registered; i++) {
        mp_irqdomain_remove(ioapics[i]);
        delete ioapics[i];
    }
    nr_registered = 0;
    ioapic_default_dest = 0;
    routing_madt = nullptr;
}

unsigned io_apic_setup_legacy_irqs(const MadtInfo* madt) {
    unsigned wired = 0;
    routing_madt = madt;
    for (unsigned irq = 0; irq < NR_ISA_IRQS; irq++) {
        MadtPolarity pol;
        MadtTrigger trig;
        int gsi = madt_isa_irq_to_gsi(madt, irq, &pol, &trig);
        if (gsi < 0) continue;  // its GSI went to another ISA IRQ (IRQ 2 once IRQ 0 uses GSI 2)
        unsigned pin;
        IoApic* chip = mp_find_ioapic((uint32_t)gsi, &pin);
        if (!chip) {
            pr_warn("Failed to find ioapic for gsi : %u\n", (unsigned)gsi);
            continue;
        }
        if (pol == MadtPolarity::Reserved || trig == MadtTrigger::Reserved)
            pr_warn("IOAPIC: IRQ %u has a reserved polarity or trigger in the MADT: ISA default used\n", irq);
        // ISA's defaults: edge, active high; only an explicit override changes them.
        bool level = trig == MadtTrigger::Level;
        bool active_low = pol == MadtPolarity::ActiveLow;
        // Under the vector domain the ISA line keeps its number and, at boot, ISA_IRQ_VECTOR(irq) on CPU 0
        // (Linux mp_map_pin_to_irq with the legacy IRQ reused); without one, that vector is written flat.
        int ret = chip->irqdomain
                      ? ioapic_map_pin(chip, pin, int(irq), level, active_low)
                      : chip->setup_pin(irq, pin, ISA_IRQ_VECTOR(irq), level, active_low, ioapic_default_dest);
        if (ret >= 0)
            wired++;
        else
            pr_err("IOAPIC[%u]: IRQ %u on pin %u not wired (%d)\n", chip->index(), irq, pin, ret);
    }
    return wired;
}

int io_apic_pci_enable_irq(pci_dev* dev) {
    if (!dev->irq || !dev->interrupt_pin) return 0;
    char name[8];
    pci_dev_name(dev, name, sizeof name);
    MadtPolarity pol;
    int gsi = madt_isa_irq_to_gsi(routing_madt, dev->irq, &pol, nullptr);
    unsigned pin;
    IoApic* chip = gsi < 0 ? nullptr : mp_find_ioapic((uint32_t)gsi, &pin);
    if (!chip) {
        pr_warn("pci 0000:%s: PCI INT %c: IRQ %u has no IO-APIC pin\n", name, 'A' + dev->interrupt_pin - 1, dev->irq);
        return -ENODEV;
    }
    bool active_low = pol != MadtPolarity::ActiveHigh;  // PCI INTx is active low unless the MADT says high
    irq_desc* desc = irq_to_desc(dev->irq);
    auto* p = static_cast<IoApicPin*>(desc->irq_data.chip_data);
    bool same =
        desc->irq_data.chip == chip && p && p->pin == pin && p->entry.level() && p->entry.active_low() == active_low;
    if (!same) {
        if (desc->action) {
            pr_warn("pci 0000:%s: IRQ %u is in use as an edge ISA line: not made level for PCI INT %c\n", name,
                    dev->irq, 'A' + dev->interrupt_pin - 1);
            return -EBUSY;
        }
        if (chip->irqdomain && ioapic_pin_irq(chip, pin) == int(dev->irq)) {
            chip->set_trigger(&desc->irq_data, true, active_low);  // the ISA line's pin, made PCI's level
        } else if (chip->irqdomain) {
            ioapic_unmap_pin(chip, pin);  // the pin served another IRQ with no action: it follows the device
            int ret = ioapic_map_pin(chip, pin, int(dev->irq), true, active_low);
            if (ret < 0) {
                pr_warn("pci 0000:%s: IRQ %u not mapped to IOAPIC[%u] pin %u (%d)\n", name, dev->irq, chip->index(),
                        pin, ret);
                return ret;
            }
        } else {
            chip->setup_pin(dev->irq, pin, ISA_IRQ_VECTOR(dev->irq), true, active_low, ioapic_default_dest);
        }
    }
    pr_info("pci 0000:%s: PCI INT %c -> GSI %d (level, %s) -> IRQ %u\n", name, 'A' + dev->interrupt_pin - 1, gsi,
            active_low ? "low" : "high", dev->irq);
    return 0;
}
