// Walking a function's capability list (Linux drivers/pci/pci.c __pci_find_next_cap_ttl): start at
// the pointer the header type names, follow the next pointers with their two low bits ignored, stop
// below 0x40 or at ID 0xFF. Each dword position is visited at most once: a pointer back to one already
// visited is a loop, reported instead of walked 48 times as Linux's TTL would.
#include "drivers/pci/capability.h"
#include "drivers/pci/msi.h"
#include "kernel/errno.h"
#include "kernel/printk.h"

using namespace pci_regs;

namespace {

// Linux __pci_bus_find_cap_start: where the first pointer is, or 0 without a list.
uint8_t cap_start(PciConfig& cfg, uint8_t bus, uint8_t devfn, uint8_t hdr_type) {
    if (!(cfg.read16(bus, devfn, PCI_STATUS) & PCI_STATUS_CAP_LIST)) return 0;
    switch (hdr_type) {
    case PCI_HEADER_TYPE_NORMAL:
    case PCI_HEADER_TYPE_BRIDGE:
        return PCI_CAPABILITY_LIST;
    case PCI_HEADER_TYPE_CARDBUS:
        return PCI_CB_CAPABILITY_LIST;
    default:
        return 0;
    }
}

// The list as the kernel's own copy; a device's list does not change while it is bound.
int read_list(const pci_dev* dev, pci_cap_list* out) {
    return pci_read_cap_list(*dev->cfg, dev->bus, dev->devfn, dev->hdr_type, out);
}

}  // namespace

int pci_read_cap_list(PciConfig& cfg, uint8_t bus, uint8_t devfn, uint8_t hdr_type, pci_cap_list* out) {
    *out = pci_cap_list{};
    uint8_t where = cap_start(cfg, bus, devfn, hdr_type);
    if (!where) return 0;
    uint64_t visited = 0;  // bit pos / 4 for every dword position read
    uint8_t pos = cfg.read8(bus, devfn, where);
    while (pos >= PCI_CAP_LIST_FIRST) {
        pos &= (uint8_t)~3u;
        if (visited & (1ull << (pos / 4))) {
            out->error = -ELOOP;
            out->loop_to = pos;
            return -ELOOP;
        }
        visited |= 1ull << (pos / 4);
        uint16_t ent = cfg.read16(bus, devfn, pos);
        uint8_t id = (uint8_t)ent;
        if (id == 0xFF) break;
        out->pos[out->count] = pos;
        out->id[out->count] = id;
        out->count++;
        pos = (uint8_t)(ent >> 8);
    }
    return (int)out->count;
}

uint8_t pci_find_next_capability(const pci_dev* dev, uint8_t pos, uint8_t cap) {
    pci_cap_list list;
    read_list(dev, &list);
    unsigned i = 0;
    if (pos) {
        while (i < list.count && list.pos[i] != pos) i++;
        i++;  // the one after `pos` (past the end when `pos` is not in the list)
    }
    for (; i < list.count; i++)
        if (list.id[i] == cap) return list.pos[i];
    return 0;
}

uint8_t pci_find_capability(const pci_dev* dev, uint8_t cap) { return pci_find_next_capability(dev, 0, cap); }

void pci_init_capabilities(pci_dev* dev) {
    pci_cap_list list;
    if (read_list(dev, &list) == -ELOOP) {
        char name[8];
        pr_warn("pci 0000:%s: capability list loops back to [%02x] after [%02x], walk stopped\n",
                pci_dev_name(dev, name, sizeof name), list.loop_to, list.pos[list.count - 1]);
    }
    pci_msi_init(dev);
}

const char* pci_cap_name(uint8_t id) {
    switch (id) {
    case PCI_CAP_ID_PM:
        return "Power Management";
    case PCI_CAP_ID_AGP:
        return "AGP";
    case PCI_CAP_ID_VPD:
        return "Vital Product Data";
    case PCI_CAP_ID_SLOTID:
        return "Slot ID";
    case PCI_CAP_ID_MSI:
        return "MSI";
    case PCI_CAP_ID_CHSWP:
        return "CompactPCI hot-swap";
    case PCI_CAP_ID_PCIX:
        return "PCI-X";
    case PCI_CAP_ID_HT:
        return "HyperTransport";
    case PCI_CAP_ID_VNDR:
        return "Vendor Specific Information";
    case PCI_CAP_ID_DBG:
        return "Debug port";
    case PCI_CAP_ID_SSVID:
        return "Subsystem";
    case PCI_CAP_ID_EXP:
        return "Express";
    case PCI_CAP_ID_MSIX:
        return "MSI-X";
    case PCI_CAP_ID_SATA:
        return "SATA HBA";
    case PCI_CAP_ID_AF:
        return "PCI Advanced Features";
    case PCI_CAP_ID_EA:
        return "Enhanced Allocation";
    default:
        return "Unknown";
    }
}
