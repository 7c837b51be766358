// The MSI capability in configuration space (Linux drivers/pci/msi/msi.c): its layout read from Message
// Control, the message written as __pci_write_msi_msg does (Multiple Message Enable, address, data, a
// read to flush), mask bits kept in the descriptor and written whole, and the enable bits of MSI and
// INTx. Which order they are switched in is the caller's (drivers/pci/msi_api.cpp), as in Linux.
#include "drivers/pci/msi.h"
#include "kernel/errno.h"

using namespace pci_regs;

void pci_msi_init(pci_dev* dev) {
    dev->msi_cap = pci_find_capability(dev, PCI_CAP_ID_MSI);
    if (!dev->msi_cap) return;
    uint16_t ctrl = pci_read_config_word(dev, (uint16_t)(dev->msi_cap + PCI_MSI_FLAGS));
    if (ctrl & PCI_MSI_FLAGS_ENABLE)
        pci_write_config_word(dev, (uint16_t)(dev->msi_cap + PCI_MSI_FLAGS), (uint16_t)(ctrl & ~PCI_MSI_FLAGS_ENABLE));
    dev->no_64bit_msi = !(ctrl & PCI_MSI_FLAGS_64BIT);
}

pci_msi_cap pci_msi_read_cap(const pci_dev* dev) {
    if (!dev->msi_cap) return {};
    return {dev->msi_cap, pci_read_config_word(dev, (uint16_t)(dev->msi_cap + PCI_MSI_FLAGS))};
}

int pci_msi_vec_count(const pci_dev* dev) {
    if (!dev->msi_cap) return -EINVAL;
    return (int)pci_msi_read_cap(dev).vec_count();
}

void pci_msi_set_enable(pci_dev* dev, bool enable) {
    uint16_t where = (uint16_t)(dev->msi_cap + PCI_MSI_FLAGS);
    uint16_t control = pci_read_config_word(dev, where);
    control &= (uint16_t)~PCI_MSI_FLAGS_ENABLE;
    if (enable) control |= PCI_MSI_FLAGS_ENABLE;
    pci_write_config_word(dev, where, control);
}

void pci_intx(pci_dev* dev, bool enable) {
    uint16_t cmd = pci_read_config_word(dev, PCI_COMMAND);
    uint16_t want = enable ? (uint16_t)(cmd & ~PCI_COMMAND_INTX_DISABLE) : (uint16_t)(cmd | PCI_COMMAND_INTX_DISABLE);
    if (want != cmd) pci_write_config_word(dev, PCI_COMMAND, want);
}

void pci_msi_setup_desc(pci_dev* dev, unsigned nvec, msi_desc* desc) {
    pci_msi_cap cap = pci_msi_read_cap(dev);
    *desc = msi_desc{};
    desc->dev = dev;
    desc->nvec_used = nvec;
    desc->msi_attrib.is_64 = cap.is_64();
    desc->msi_attrib.can_mask = cap.can_mask();
    desc->msi_attrib.multi_cap = (uint8_t)cap.multi_cap();
    uint8_t log2 = 0;  // Linux ilog2(__roundup_pow_of_two(nvec))
    while ((1u << log2) < nvec) log2++;
    desc->msi_attrib.multiple = log2;
    desc->msi_attrib.default_irq = dev->irq;
    desc->mask_pos = cap.mask_pos();
    if (desc->msi_attrib.can_mask) desc->msi_mask = pci_read_config_dword(dev, desc->mask_pos);
}

uint32_t msi_multi_mask(const msi_desc* desc) {
    if (desc->msi_attrib.multi_cap >= 5) return 0xFFFFFFFFu;  // no shift by the type's width
    return (1u << (1u << desc->msi_attrib.multi_cap)) - 1;
}

void pci_msi_update_mask(msi_desc* desc, uint32_t clear, uint32_t set) {
    if (!desc->msi_attrib.can_mask) return;
    pci_dev* dev = desc->dev;
    SpinLockIrqSave guard(dev->msi_lock);
    desc->msi_mask &= ~clear;
    desc->msi_mask |= set;
    pci_write_config_dword(dev, desc->mask_pos, desc->msi_mask);
}

void pci_write_msi_msg(msi_desc* desc, const msi_msg& msg) {
    pci_dev* dev = desc->dev;
    uint16_t flags = (uint16_t)(dev->msi_cap + PCI_MSI_FLAGS);
    uint16_t msgctl = pci_read_config_word(dev, flags);
    msgctl &= (uint16_t)~PCI_MSI_FLAGS_QSIZE;
    msgctl |= (uint16_t)((desc->msi_attrib.multiple << 4) & PCI_MSI_FLAGS_QSIZE);
    pci_write_config_word(dev, flags, msgctl);
    pci_write_config_dword(dev, (uint16_t)(dev->msi_cap + PCI_MSI_ADDRESS_LO), msg.address_lo);
    if (desc->msi_attrib.is_64) {
        pci_write_config_dword(dev, (uint16_t)(dev->msi_cap + PCI_MSI_ADDRESS_HI), msg.address_hi);
        pci_write_config_word(dev, (uint16_t)(dev->msi_cap + PCI_MSI_DATA_64), (uint16_t)msg.data);
    } else {
        pci_write_config_word(dev, (uint16_t)(dev->msi_cap + PCI_MSI_DATA_32), (uint16_t)msg.data);
    }
    (void)pci_read_config_word(dev, flags);  // the writes have reached the device
    desc->msg = msg;
}

msi_msg pci_read_msi_msg(const msi_desc* desc) {
    const pci_dev* dev = desc->dev;
    msi_msg msg;
    msg.address_lo = pci_read_config_dword(dev, (uint16_t)(dev->msi_cap + PCI_MSI_ADDRESS_LO));
    if (desc->msi_attrib.is_64) {
        msg.address_hi = pci_read_config_dword(dev, (uint16_t)(dev->msi_cap + PCI_MSI_ADDRESS_HI));
        msg.data = pci_read_config_word(dev, (uint16_t)(dev->msi_cap + PCI_MSI_DATA_64));
    } else {
        msg.data = pci_read_config_word(dev, (uint16_t)(dev->msi_cap + PCI_MSI_DATA_32));
    }
    return msg;
}
