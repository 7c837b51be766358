// PCI capability lists (PCI Local Bus Specification 3.0, section 6.7): a chain of structures in
// configuration space, each starting with its ID and the offset of the next one, found through the
// status register's bit 4 and the pointer at 0x34. Modelled on Linux drivers/pci/pci.c
// (__pci_bus_find_cap_start, __pci_find_next_cap_ttl, pci_find_capability) with one difference: a
// list that points back into itself is recognised as a loop and reported, not just cut by a TTL.
#pragma once
#include "drivers/pci/pci.h"

namespace pci_regs {
constexpr uint8_t PCI_CAP_LIST_ID = 0;    // capability ID
constexpr uint8_t PCI_CAP_LIST_NEXT = 1;  // offset of the next capability (0: end of list)
constexpr uint8_t PCI_CAP_FLAGS = 2;      // capability-defined flags (16 bits)
constexpr uint8_t PCI_CAP_ID_PM = 0x01;
constexpr uint8_t PCI_CAP_ID_AGP = 0x02;
constexpr uint8_t PCI_CAP_ID_VPD = 0x03;
constexpr uint8_t PCI_CAP_ID_SLOTID = 0x04;
constexpr uint8_t PCI_CAP_ID_MSI = 0x05;
constexpr uint8_t PCI_CAP_ID_CHSWP = 0x06;
constexpr uint8_t PCI_CAP_ID_PCIX = 0x07;
constexpr uint8_t PCI_CAP_ID_HT = 0x08;
constexpr uint8_t PCI_CAP_ID_VNDR = 0x09;
constexpr uint8_t PCI_CAP_ID_DBG = 0x0A;
constexpr uint8_t PCI_CAP_ID_SSVID = 0x0D;
constexpr uint8_t PCI_CAP_ID_EXP = 0x10;
constexpr uint8_t PCI_CAP_ID_MSIX = 0x11;
constexpr uint8_t PCI_CAP_ID_SATA = 0x12;
constexpr uint8_t PCI_CAP_ID_AF = 0x13;
constexpr uint8_t PCI_CAP_ID_EA = 0x14;
constexpr uint8_t PCI_CAP_LIST_FIRST = 0x40;  // capabilities live above the standard header
}  // namespace pci_regs

// Dword positions a capability can start at (0x40..0xFC): also the most entries a list can have
// (Linux PCI_FIND_CAP_TTL).
constexpr unsigned PCI_FIND_CAP_TTL = 48;

// One function's capability list as read from configuration space.
struct pci_cap_list {
    unsigned count = 0;
    uint8_t pos[PCI_FIND_CAP_TTL] = {};
    uint8_t id[PCI_FIND_CAP_TTL] = {};
    // -ELOOP: the next pointer of the last entry (pos[count - 1]) leads back to `loop_to`, an entry
    // already read; the walk stopped there. 0 otherwise.
    int error = 0;
    uint8_t loop_to = 0;
};

// Read the capability list of bus/devfn (header type `hdr_type` without the multi-function bit):
// nothing when the status register's PCI_STATUS_CAP_LIST is clear; the walk ends at a pointer below
// 0x40 or an ID of 0xFF (an absent function). Returns the number of entries, or -ELOOP (the entries
// before the loop are still in `out`). Never prints. Any context that may read configuration space.
int pci_read_cap_list(PciConfig& cfg, uint8_t bus, uint8_t devfn, uint8_t hdr_type, pci_cap_list* out);

// Linux pci_find_capability: the offset of the first capability `cap`, or 0. A looping list is walked
// up to the loop. Process context (any context that may read configuration space).
uint8_t pci_find_capability(const pci_dev* dev, uint8_t cap);
// Linux pci_find_next_capability: the next capability `cap` after the one at `pos`, or 0.
uint8_t pci_find_next_capability(const pci_dev* dev, uint8_t pos, uint8_t cap);

// Boot, from the scan (Linux pci_init_capabilities): read the list once, report a loop ("pci
// 0000:00:04.0: capability list loops back to [40] after [48], walk stopped") and set up what the
// kernel uses (the MSI capability, drivers/pci/msi.h pci_msi_init).
void pci_init_capabilities(pci_dev* dev);

// The capability's name as pciutils' lspci prints it ("MSI", "Power Management", "Vendor Specific").
const char* pci_cap_name(uint8_t id);
