// PCI message signalled interrupts, the configuration-space side (PCI Local Bus Specification 3.0
// section 6.8.1; Linux drivers/pci/msi/msi.c and api.c): the MSI capability's registers, reading its
// layout, writing a message into it, per-vector masking, and turning MSI and INTx on and off in Linux's
// order (INTx disabled before MSI is enabled, MSI disabled before INTx is enabled again).
#pragma once
#include "drivers/pci/capability.h"
#include "kernel/irq/msi.h"

namespace pci_regs {
constexpr uint16_t PCI_MSI_FLAGS = 0x02;  // Message Control
constexpr uint16_t PCI_MSI_FLAGS_ENABLE = 0x0001;
constexpr uint16_t PCI_MSI_FLAGS_QMASK = 0x000e;  // Multiple Message Capable: log2 of vectors, bits 3:1
constexpr uint16_t PCI_MSI_FLAGS_QSIZE = 0x0070;  // Multiple Message Enable: log2 of vectors, bits 6:4
constexpr uint16_t PCI_MSI_FLAGS_64BIT = 0x0080;
constexpr uint16_t PCI_MSI_FLAGS_MASKBIT = 0x0100;  // per-vector masking capable
constexpr uint16_t PCI_MSI_ADDRESS_LO = 0x04;
constexpr uint16_t PCI_MSI_ADDRESS_HI = 0x08;  // 64-bit capability only
constexpr uint16_t PCI_MSI_DATA_32 = 0x08;
constexpr uint16_t PCI_MSI_MASK_32 = 0x0c;
constexpr uint16_t PCI_MSI_PENDING_32 = 0x10;
constexpr uint16_t PCI_MSI_DATA_64 = 0x0c;
constexpr uint16_t PCI_MSI_MASK_64 = 0x10;
constexpr uint16_t PCI_MSI_PENDING_64 = 0x14;
}  // namespace pci_regs

// The MSI capability at `pos` as its Message Control word describes it.
struct pci_msi_cap {
    uint8_t pos = 0;
    uint16_t control = 0;

    constexpr bool enabled() const { return control & pci_regs::PCI_MSI_FLAGS_ENABLE; }
    constexpr bool is_64() const { return control & pci_regs::PCI_MSI_FLAGS_64BIT; }
    constexpr bool can_mask() const { return control & pci_regs::PCI_MSI_FLAGS_MASKBIT; }
    constexpr unsigned multi_cap() const { return (control & pci_regs::PCI_MSI_FLAGS_QMASK) >> 1; }
    constexpr unsigned multiple() const { return (control & pci_regs::PCI_MSI_FLAGS_QSIZE) >> 4; }
    // Linux pci_msi_vec_count: 1 << Multiple Message Capable (the encodings 6 and 7 are reserved).
    constexpr unsigned vec_count() const { return 1u << multi_cap(); }
    constexpr uint16_t address_hi_pos() const { return (uint16_t)(pos + pci_regs::PCI_MSI_ADDRESS_HI); }
    constexpr uint16_t data_pos() const {
        return (uint16_t)(pos + (is_64() ? pci_regs::PCI_MSI_DATA_64 : pci_regs::PCI_MSI_DATA_32));
    }
    constexpr uint16_t mask_pos() const {
        return (uint16_t)(pos + (is_64() ? pci_regs::PCI_MSI_MASK_64 : pci_regs::PCI_MSI_MASK_32));
    }
    constexpr uint16_t pending_pos() const {
        return (uint16_t)(pos + (is_64() ? pci_regs::PCI_MSI_PENDING_64 : pci_regs::PCI_MSI_PENDING_32));
    }
};

// Boot, from the scan (Linux pci_msi_init): find the MSI capability (dev->msi_cap), turn MSI off if the
// firmware left it on (a device must not send messages nobody set up), note a 32-bit-only address.
void pci_msi_init(pci_dev* dev);
// The capability's current layout; pos 0 when the device has none. Any context that may read
// configuration space.
pci_msi_cap pci_msi_read_cap(const pci_dev* dev);
// Linux pci_msi_vec_count: the vectors the device can send (1, 2, 4, ... 32), or -EINVAL without MSI.
int pci_msi_vec_count(const pci_dev* dev);

// Linux pci_msi_set_enable: the enable bit of Message Control, the other bits kept.
void pci_msi_set_enable(pci_dev* dev, bool enable);
// Linux pci_intx: clear (enable) or set (disable) PCI_COMMAND_INTX_DISABLE; no write when unchanged.
void pci_intx(pci_dev* dev, bool enable);

// Linux msi_setup_msi_desc: fill `desc` for `nvec` vectors from the capability (layout, the mask bits
// as they are now, the INTx IRQ to return to). dev->msi_cap must be set. Process context.
void pci_msi_setup_desc(pci_dev* dev, unsigned nvec, msi_desc* desc);
// Linux pci_msi_update_mask: mask bits `set` on and `clear` off and write them, when the device has
// per-vector masking (otherwise nothing: such a device cannot be masked at all). Any context; takes
// the device's msi lock with interrupts saved.
void pci_msi_update_mask(msi_desc* desc, uint32_t clear, uint32_t set);
static inline void pci_msi_mask(msi_desc* desc, uint32_t mask) { pci_msi_update_mask(desc, 0, mask); }
static inline void pci_msi_unmask(msi_desc* desc, uint32_t mask) { pci_msi_update_mask(desc, mask, 0); }
// Linux msi_multi_mask: the mask bits of every vector the device is capable of.
uint32_t msi_multi_mask(const msi_desc* desc);

// Linux __pci_write_msi_msg: Multiple Message Enable, the address (both dwords on a 64-bit capability)
// and the data, then a read back so the writes reached the device; the message is kept in desc->msg.
// Any context (configuration accesses take their own lock).
void pci_write_msi_msg(msi_desc* desc, const msi_msg& msg);
// Linux __pci_read_msi_msg: the message the capability holds now.
msi_msg pci_read_msi_msg(const msi_desc* desc);

// ---- The driver API (Linux drivers/pci/msi/api.c, include/linux/pci.h).
enum : unsigned {
    PCI_IRQ_INTX = 1u << 0,  // the function's INTx line
    PCI_IRQ_MSI = 1u << 1,
    PCI_IRQ_MSIX = 1u << 2,  // not implemented: no MSI-X capability is used
    PCI_IRQ_ALL_TYPES = PCI_IRQ_INTX | PCI_IRQ_MSI | PCI_IRQ_MSIX,
};
constexpr unsigned PCI_MSI_MAX_DEVICES = 16;  // functions with MSI allocated at once

// Linux pci_alloc_irq_vectors: MSI first if `flags` allows it, else (or when MSI fails) INTx if allowed
// and min_vecs is 1 and the function has a line. Returns the number of vectors (>= min_vecs), or: -EINVAL
// (MSI not supported here: no local APIC, PIC mode; no MSI capability; MSI already enabled (WARN);
// min_vecs 0), -ERANGE (max_vecs < min_vecs), -ENOSPC (fewer vectors than min_vecs possible, also what
// remains when neither type is allowed or works). On x86 without interrupt remapping, as in Linux, MSI
// gives one vector per function. MSI on: INTx disabled (PCI_COMMAND_INTX_DISABLE) before MSI is enabled,
// dev->irq the MSI's IRQ. Process context.
int pci_alloc_irq_vectors(pci_dev* dev, unsigned min_vecs, unsigned max_vecs, unsigned flags);
// Linux pci_irq_vector: the Linux IRQ of vector `nr`: with MSI on its IRQ, else dev->irq for nr 0;
// -EINVAL for a vector that does not exist. Any context.
int pci_irq_vector(const pci_dev* dev, unsigned nr);
// Linux pci_free_irq_vectors: MSI off (disabled before INTx is enabled again, the mask bits cleared as
// found at reset), its IRQs freed, dev->irq back to the INTx line. Every free_irq must have been done
// (an action left on an MSI IRQ: WARN, nothing freed). Nothing to do without MSI. Process context.
void pci_free_irq_vectors(pci_dev* dev);
// Linux pci_dev_msi_enabled.
static inline bool pci_dev_msi_enabled(const pci_dev* dev) { return dev->msi_enabled; }
