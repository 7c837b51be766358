// Configuration mechanism #1 on ports 0xCF8/0xCFC (Linux arch/x86/pci/direct.c): one address write,
// then one data access of the asked width at 0xCFC + (where & 3), under pci_config_lock.
#include "drivers/pci/pci_config.h"

bool PciConfType1::probe() {
    SpinLockIrqSave guard(lock_);
    uint32_t saved = io_->inl(PCI_CONF1_ADDRESS);
    io_->outl(PCI_CONF1_ADDRESS, 0x80000000u);
    bool present = io_->inl(PCI_CONF1_ADDRESS) == 0x80000000u;
    io_->outl(PCI_CONF1_ADDRESS, saved);
    return present;
}

uint32_t PciConfType1::read(uint8_t bus, uint8_t devfn, uint16_t where, unsigned size) {
    if (where > 0xFF || (size != 1 && size != 2 && size != 4) || (where & (size - 1))) return ~0u;
    SpinLockIrqSave guard(lock_);
    io_->outl(PCI_CONF1_ADDRESS, address(bus, devfn, where));
    uint16_t port = (uint16_t)(PCI_CONF1_DATA + (where & 3));
    switch (size) {
    case 1:
        return io_->inb(port);
    case 2:
        return io_->inw(port);
    default:
        return io_->inl(port);
    }
}

void PciConfType1::write(uint8_t bus, uint8_t devfn, uint16_t where, unsigned size, uint32_t value) {
    if (where > 0xFF || (size != 1 && size != 2 && size != 4) || (where & (size - 1))) return;
    SpinLockIrqSave guard(lock_);
    io_->outl(PCI_CONF1_ADDRESS, address(bus, devfn, where));
    uint16_t port = (uint16_t)(PCI_CONF1_DATA + (where & 3));
    switch (size) {
    case 1:
        io_->outb(port, (uint8_t)value);
        break;
    case 2:
        io_->outw(port, (uint16_t)value);
        break;
    default:
        io_->outl(port, value);
        break;
    }
}
