// The MSI descriptor: what the kernel knows about one device's message signalled interrupts (Linux
// include/linux/msi.h struct msi_desc with its PCI part, struct pci_msi_desc): the Linux IRQ it was
// given, the capability's layout (64-bit address, per-vector masking, multiple message capable and
// enabled), the mask bits last written and the message last written.
#pragma once
#include "kernel/irq/msi_msg.h"

struct pci_dev;

struct msi_desc {
    unsigned irq = 0;        // the first Linux IRQ (0: none allocated yet)
    unsigned nvec_used = 0;  // vectors allocated: irq .. irq + nvec_used - 1
    pci_dev* dev = nullptr;
    uint16_t msi_index = 0;  // which of the device's MSI sources (0 for plain MSI)
    msi_msg msg;             // the message last written to the device
    struct {
        bool is_64 = false;        // 64-bit address: the data register is at +0x0C, mask at +0x10
        bool can_mask = false;     // per-vector mask bits (PCI_MSI_FLAGS_MASKBIT)
        uint8_t multi_cap = 0;     // log2 of the vectors the device can send (Multiple Message Capable)
        uint8_t multiple = 0;      // log2 of the vectors enabled (Multiple Message Enable)
        unsigned default_irq = 0;  // the INTx IRQ to go back to when MSI is turned off
    } msi_attrib;
    uint16_t mask_pos = 0;  // configuration offset of the mask bits
    uint32_t msi_mask = 0;  // the mask bits as last written (only with can_mask)
};
