// The shell's `lspci`: every PCI function the boot scan found, in the spirit of pciutils' `lspci -v`
// (bus:dev.fn, class name and code, vendor:device, each BAR with its type, address and size, the INTx
// pin and the line it is routed to, with that line's trigger as the ELCR says or, in APIC mode, as its
// IO-APIC pin is programmed, and the capability list with the MSI capability's state in pciutils' words).
#include "drivers/apic/irq_mode.h"
#include "drivers/pci/msi.h"
#include "drivers/pci/pci.h"
#include "drivers/pic/legacy_pic.h"
#include "kernel/errno.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/shell/shell.h"

namespace {

// pciutils' size format: the largest unit that divides the size exactly.
void print_size(uint64_t size) {
    static const char units[] = {'\0', 'K', 'M', 'G', 'T'};
    unsigned u = 0;
    while (u + 1 < sizeof units && size >= 1024 && (size & 1023) == 0) {
        size >>= 10;
        u++;
    }
    if (units[u])
        shell_printf("[size=%llu%c]\n", (unsigned long long)size, units[u]);
    else
        shell_printf("[size=%llu]\n", (unsigned long long)size);
}

void print_bars(const pci_dev* d) {
    for (unsigned i = 0; i < PCI_STD_NUM_BARS; i++) {
        const pci_bar& b = d->bar[i];
        if (!b.size) continue;
        if (b.flags & PCI_BAR_IO)
            shell_printf("\tBAR%u: I/O ports at 0x%04llx ", i, (unsigned long long)b.start);
        else
            shell_printf("\tBAR%u: Memory at 0x%08llx (%s, %s) ", i, (unsigned long long)b.start,
                         (b.flags & PCI_BAR_MEM_64) ? "64-bit" : "32-bit",
                         (b.flags & PCI_BAR_PREFETCH) ? "prefetchable" : "non-prefetchable");
        print_size(b.size);
    }
}

void print_interrupt(const pci_dev* d) {
    if (!d->interrupt_pin) return;
    if (d->interrupt_pin > 4) {
        shell_printf("\tInterrupt: invalid pin %u\n", d->interrupt_pin);
        return;
    }
    char pin = (char)('A' + d->interrupt_pin - 1);
    // While MSI is on, dev->irq is the MSI's IRQ (as in Linux); the pin's routing is the INTx line's.
    unsigned irq = pci_dev_msi_enabled(d) ? d->msi->msi_attrib.default_irq : d->irq;
    if (!irq) {
        shell_printf("\tInterrupt: pin %c, not routed (line 0x%02x)\n", pin, d->interrupt_line);
        return;
    }
    int level = legacy_pic_irq_is_level(irq);
    if (level < 0 && irq_routing_is_ioapic()) {  // no 8259 pair: the line's IO-APIC pin says it
        irq_desc* desc = irq_to_desc(irq);
        if (desc && desc->irq_data.has_hwirq) {
            shell_printf("\tInterrupt: pin %c routed to IRQ %u, %s (%s pin %lu)\n", pin, irq,
                         irq_settings_is_level(desc) ? "level-triggered" : "edge-triggered",
                         desc->irq_data.chip->name(), desc->irq_data.hwirq);
            return;
        }
    }
    const char* trigger = level < 0 ? "trigger unknown (no 8259)" : level ? "level-triggered" : "edge-triggered";
    shell_printf("\tInterrupt: pin %c routed to IRQ %u, %s (ELCR)\n", pin, irq, trigger);
}

// pciutils' "Capabilities: [40] MSI: Enable+ Count=1/1 Maskable- 64bit+" and the message under it.
void print_msi(const pci_dev* d, uint8_t pos) {
    pci_msi_cap cap{pos, pci_read_config_word(d, (uint16_t)(pos + pci_regs::PCI_MSI_FLAGS))};
    shell_printf("MSI: Enable%c Count=%u/%u Maskable%c 64bit%c\n", cap.enabled() ? '+' : '-', 1u << cap.multiple(),
                 cap.vec_count(), cap.can_mask() ? '+' : '-', cap.is_64() ? '+' : '-');
    uint32_t lo = pci_read_config_dword(d, (uint16_t)(pos + pci_regs::PCI_MSI_ADDRESS_LO));
    uint32_t hi = cap.is_64() ? pci_read_config_dword(d, cap.address_hi_pos()) : 0;
    uint16_t data = pci_read_config_word(d, cap.data_pos());
    if (cap.is_64())
        shell_printf("\t\tAddress: %08x%08x  Data: %04x\n", hi, lo, data);
    else
        shell_printf("\t\tAddress: %08x  Data: %04x\n", lo, data);
    if (cap.can_mask())
        shell_printf("\t\tMasking: %08x  Pending: %08x\n", pci_read_config_dword(d, cap.mask_pos()),
                     pci_read_config_dword(d, cap.pending_pos()));
    if (cap.enabled() && pci_dev_msi_enabled(d)) shell_printf("\t\tIRQ %u (PCI-MSI), INTx disabled\n", d->msi->irq);
}

void print_capabilities(const pci_dev* d) {
    pci_cap_list list;
    pci_read_cap_list(*d->cfg, d->bus, d->devfn, d->hdr_type, &list);
    for (unsigned i = 0; i < list.count; i++) {
        shell_printf("\tCapabilities: [%02x] ", list.pos[i]);
        if (list.id[i] == pci_regs::PCI_CAP_ID_MSI)
            print_msi(d, list.pos[i]);
        else
            shell_printf("%s\n", pci_cap_name(list.id[i]));
    }
    if (list.error == -ELOOP)
        shell_printf("\tCapabilities: [%02x] next pointer loops back to [%02x], list cut here\n",
                     list.pos[list.count - 1], list.loop_to);
}

// Process context (the shell). 0, or -EINVAL for any argument.
int cmd_lspci(int argc, char**) {
    if (argc > 1) {
        shell_puts("usage: lspci  (every PCI function: class, vendor:device, BARs, interrupt)\n");
        return -EINVAL;
    }
    char name[8];
    for (unsigned i = 0; i < pci_dev_count(); i++) {
        const pci_dev* d = pci_dev_at(i);
        shell_printf("%s %s [%04x]: [%04x:%04x] (rev %02x)\n", pci_dev_name(d, name, sizeof name),
                     pci_class_name(d->class_code), d->class_code >> 8, d->vendor, d->device, d->revision);
        shell_printf("\tclass 0x%06x, header type %02x%s", d->class_code, d->hdr_type,
                     d->multifunction ? ", multi-function" : "");
        if (d->hdr_type == pci_regs::PCI_HEADER_TYPE_BRIDGE) shell_printf(", secondary bus %02x", d->secondary_bus);
        shell_puts("\n");
        print_bars(d);
        print_interrupt(d);
        print_capabilities(d);
    }
    if (!pci_dev_count()) shell_puts("no PCI devices\n");
    return 0;
}

}  // namespace

SHELL_COMMAND("lspci", "PCI functions: class, vendor:device, BARs, IRQ, pin and trigger", cmd_lspci);
