// The shell's `lspci`: every PCI function the boot scan found, in the spirit of pciutils' `lspci -v`
// (bus:dev.fn, class name and code, vendor:device, each BAR with its type, address and size, the INTx
// pin and the 8259 line it is routed to, with that line's trigger as the ELCR says).
#include "drivers/pci/pci.h"
#include "drivers/pic/legacy_pic.h"
#include "kernel/errno.h"
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
    if (!d->irq) {
        shell_printf("\tInterrupt: pin %c, not routed (line 0x%02x)\n", pin, d->interrupt_line);
        return;
    }
    int level = legacy_pic_irq_is_level(d->irq);
    const char* trigger = level < 0 ? "trigger unknown (no 8259)" : level ? "level-triggered" : "edge-triggered";
    shell_printf("\tInterrupt: pin %c routed to IRQ %u, %s (ELCR)\n", pin, d->irq, trigger);
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
    }
    if (!pci_dev_count()) shell_puts("no PCI devices\n");
    return 0;
}

}  // namespace

SHELL_COMMAND("lspci", "PCI functions: class, vendor:device, BARs, IRQ, pin and trigger", cmd_lspci);
