// PCI enumeration (Linux drivers/pci/probe.c): depth-first from bus 0 through the bridges' secondary
// buses, every slot's function 0 and, on a multi-function device, functions 1-7; each BAR sized by
// writing all ones and reading back (decoding off meanwhile, as __pci_read_base does); the INTx line
// and pin from the header. The table is filled once at boot and read by the drivers and `lspci`.
#include "drivers/pci/pci.h"
#include "drivers/pci/capability.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "lib/vsprintf.h"

using namespace pci_regs;

namespace {

constexpr unsigned PCI_SLOTS = 32, PCI_FUNCS = 8, PCI_BUSES = 256;
constexpr unsigned PCI_BRIDGE_NUM_BARS = 2;
constexpr uint32_t PCI_CLASS_BRIDGE_HOST = 0x0600;  // class_code >> 8
constexpr unsigned NR_LEGACY_IRQS = 16;             // INTx reaches an 8259 line 1..15 (0: none)
constexpr uint64_t IO_SPACE_LIMIT = 0xFFFF;         // x86 port space

pci_dev devices[PCI_MAX_DEVICES];
unsigned nr_devices;
unsigned nr_ignored;  // functions found after the table was full

// Linux pci_size: the lowest address bit the device lets software set is the size (BARs are naturally
// aligned). 0 when nothing decodes, or when the answer cannot be a BAR.
uint64_t pci_size(uint64_t base, uint64_t maxbase, uint64_t mask) {
    uint64_t size = mask & maxbase;
    if (!size) return 0;
    size &= ~(size - 1);
    if (base == maxbase && ((base | (size - 1)) & mask) != mask) return 0;
    return size;
}

// One BAR at `pos`; returns how many BAR slots it used (2 for a 64-bit memory BAR). Decoding is off.
unsigned read_base(PciConfig& cfg, pci_dev* d, uint16_t pos, pci_bar* bar) {
    uint32_t l = cfg.read32(d->bus, d->devfn, pos);
    cfg.write32(d->bus, d->devfn, pos, ~0u);
    uint32_t sz = cfg.read32(d->bus, d->devfn, pos);
    cfg.write32(d->bus, d->devfn, pos, l);
    if (sz == ~0u) sz = 0;  // all ones: the function is not answering properly
    if (l == ~0u) l = 0;

    uint64_t l64, sz64, mask64;
    unsigned flags;
    if (l & PCI_BASE_ADDRESS_SPACE_IO) {
        flags = PCI_BAR_IO;
        l64 = l & PCI_BASE_ADDRESS_IO_MASK;
        sz64 = sz & PCI_BASE_ADDRESS_IO_MASK;
        mask64 = PCI_BASE_ADDRESS_IO_MASK & IO_SPACE_LIMIT;
    } else {
        flags = PCI_BAR_MEM;
        if ((l & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64) flags |= PCI_BAR_MEM_64;
        if (l & PCI_BASE_ADDRESS_MEM_PREFETCH) flags |= PCI_BAR_PREFETCH;
        l64 = l & PCI_BASE_ADDRESS_MEM_MASK;
        sz64 = sz & PCI_BASE_ADDRESS_MEM_MASK;
        mask64 = (uint32_t)PCI_BASE_ADDRESS_MEM_MASK;
    }
    if (flags & PCI_BAR_MEM_64) {
        uint16_t hi = (uint16_t)(pos + 4);
        uint32_t lh = cfg.read32(d->bus, d->devfn, hi);
        cfg.write32(d->bus, d->devfn, hi, ~0u);
        uint32_t szh = cfg.read32(d->bus, d->devfn, hi);
        cfg.write32(d->bus, d->devfn, hi, lh);
        l64 |= (uint64_t)lh << 32;
        sz64 |= (uint64_t)szh << 32;
        mask64 |= ~0ull << 32;
    }
    unsigned used = (flags & PCI_BAR_MEM_64) ? 2 : 1;
    uint64_t size = sz64 ? pci_size(l64, sz64, mask64) : 0;
    if (!size) {
        *bar = pci_bar{};
        return used;
    }
    bar->start = l64;
    bar->size = size;
    bar->flags = flags;
    return used;
}

// Linux pci_read_bases: decoding off for the sizing unless the function is a host bridge
// (mmio_always_on: turning a host bridge off would cut the CPU from memory). No printk in here: the
// console's own device may be the one that stopped decoding.
void read_bases(PciConfig& cfg, pci_dev* d, unsigned howmany) {
    bool always_on = (d->class_code >> 8) == PCI_CLASS_BRIDGE_HOST;
    uint16_t cmd = cfg.read16(d->bus, d->devfn, PCI_COMMAND);
    bool off = !always_on && (cmd & PCI_COMMAND_DECODE_ENABLE);
    if (off) cfg.write16(d->bus, d->devfn, PCI_COMMAND, (uint16_t)(cmd & ~PCI_COMMAND_DECODE_ENABLE));
    for (unsigned i = 0; i < howmany;) {
        unsigned used = read_base(cfg, d, (uint16_t)(PCI_BASE_ADDRESS_0 + 4 * i), &d->bar[i]);
        if (used == 2 && i + 1 < PCI_STD_NUM_BARS) d->bar[i + 1] = pci_bar{};  // the high half
        i += used;
    }
    if (off) cfg.write16(d->bus, d->devfn, PCI_COMMAND, cmd);
}

bool function_absent(uint32_t id) {
    uint16_t vendor = (uint16_t)id;
    return vendor == PCI_VENDOR_ID_NONE || vendor == 0;  // 0: some bridges answer so for empty slots
}

// Linux pci_setup_device: header, class, BARs, interrupt. Returns the new entry, nullptr when full.
pci_dev* setup_device(PciConfig& cfg, uint8_t bus, uint8_t devfn, uint32_t id, uint8_t hdr) {
    if (nr_devices == PCI_MAX_DEVICES) {
        nr_ignored++;
        return nullptr;
    }
    pci_dev* d = &devices[nr_devices++];
    *d = pci_dev{};
    d->cfg = &cfg;
    d->bus = bus;
    d->devfn = devfn;
    d->vendor = (uint16_t)id;
    d->device = (uint16_t)(id >> 16);
    uint32_t class_rev = cfg.read32(bus, devfn, PCI_CLASS_REVISION);
    d->revision = (uint8_t)class_rev;
    d->class_code = class_rev >> 8;
    d->hdr_type = hdr & PCI_HEADER_TYPE_MASK;
    d->multifunction = hdr & PCI_HEADER_TYPE_MFD;
    if (d->hdr_type == PCI_HEADER_TYPE_NORMAL)
        read_bases(cfg, d, PCI_STD_NUM_BARS);
    else if (d->hdr_type == PCI_HEADER_TYPE_BRIDGE) {
        read_bases(cfg, d, PCI_BRIDGE_NUM_BARS);
        d->secondary_bus = cfg.read8(bus, devfn, PCI_SECONDARY_BUS);
    }
    d->interrupt_pin = cfg.read8(bus, devfn, PCI_INTERRUPT_PIN);
    d->interrupt_line = cfg.read8(bus, devfn, PCI_INTERRUPT_LINE);
    // With the 8259 the firmware's routing is final: the line register names the IRQ (Linux's
    // pcibios_lookup_irq keeps it when no router table says otherwise). 0 and 0xFF mean none.
    if (d->interrupt_pin >= 1 && d->interrupt_pin <= 4 && d->interrupt_line > 0 && d->interrupt_line < NR_LEGACY_IRQS)
        d->irq = d->interrupt_line;
    pci_init_capabilities(d);
    return d;
}

void scan_bus(PciConfig& cfg, unsigned bus, uint8_t* visited);

// Linux pci_scan_slot: function 0 decides whether the slot is populated and whether functions 1-7
// exist (header type bit 7); an absent function answers vendor 0xFFFF.
void scan_slot(PciConfig& cfg, unsigned bus, unsigned slot) {
    unsigned nfn = 1;
    for (unsigned fn = 0; fn < nfn; fn++) {
        uint8_t devfn = PCI_DEVFN(slot, fn);
        uint32_t id = cfg.read32((uint8_t)bus, devfn, PCI_VENDOR_ID);
        if (function_absent(id)) {
            if (fn == 0) return;
            continue;
        }
        uint8_t hdr = cfg.read8((uint8_t)bus, devfn, PCI_HEADER_TYPE);
        if (fn == 0 && (hdr & PCI_HEADER_TYPE_MFD)) nfn = PCI_FUNCS;
        setup_device(cfg, (uint8_t)bus, devfn, id, hdr);
    }
}

// Linux pci_scan_child_bus: the slots first, then each bridge's secondary bus as the firmware numbered
// it. `visited` guards against a bridge pointing back at a bus already scanned (firmware bug or a fake).
void scan_bus(PciConfig& cfg, unsigned bus, uint8_t* visited) {
    visited[bus / 8] |= (uint8_t)(1u << (bus % 8));
    unsigned first = nr_devices;
    for (unsigned slot = 0; slot < PCI_SLOTS; slot++) scan_slot(cfg, bus, slot);
    unsigned last = nr_devices;
    for (unsigned i = first; i < last; i++) {
        const pci_dev& d = devices[i];
        if (d.hdr_type != PCI_HEADER_TYPE_BRIDGE) continue;
        unsigned sec = d.secondary_bus;
        if (sec == 0 || sec <= bus || (visited[sec / 8] & (1u << (sec % 8)))) continue;
        scan_bus(cfg, sec, visited);
    }
}

}  // namespace

unsigned pci_scan(PciConfig& cfg) {
    nr_devices = 0;
    nr_ignored = 0;
    uint8_t visited[PCI_BUSES / 8] = {};
    scan_bus(cfg, 0, visited);
    return nr_devices;
}

int pci_init(PortIo& io) {
    static PciConfType1 conf1(io);
    if (!conf1.probe()) {
        pr_info("PCI: no configuration mechanism #1 at 0xcf8; PCI devices not probed\n");
        return -ENODEV;
    }
    pr_info("PCI: Using configuration type 1 for base access\n");
    unsigned n = pci_scan(conf1);
    char name[8];
    for (unsigned i = 0; i < n; i++) {
        const pci_dev* d = &devices[i];
        pr_info("pci 0000:%s: [%04x:%04x] type %02x class 0x%06x\n", pci_dev_name(d, name, sizeof name), d->vendor,
                d->device, d->hdr_type, d->class_code);
    }
    if (nr_ignored) pr_warn("PCI: %u more functions not kept (table of %u)\n", nr_ignored, PCI_MAX_DEVICES);
    return (int)n;
}

unsigned pci_dev_count() { return nr_devices; }
pci_dev* pci_dev_at(unsigned index) { return index < nr_devices ? &devices[index] : nullptr; }

pci_dev* pci_get_device(unsigned vendor, unsigned device, pci_dev* from) {
    unsigned i = from ? (unsigned)(from - devices) + 1 : 0;
    for (; i < nr_devices; i++) {
        pci_dev* d = &devices[i];
        if ((vendor == PCI_ANY_ID || d->vendor == vendor) && (device == PCI_ANY_ID || d->device == device)) return d;
    }
    return nullptr;
}

uint32_t pci_read_config_dword(const pci_dev* d, uint16_t where) { return d->cfg->read32(d->bus, d->devfn, where); }
uint16_t pci_read_config_word(const pci_dev* d, uint16_t where) { return d->cfg->read16(d->bus, d->devfn, where); }
uint8_t pci_read_config_byte(const pci_dev* d, uint16_t where) { return d->cfg->read8(d->bus, d->devfn, where); }
void pci_write_config_dword(const pci_dev* d, uint16_t where, uint32_t v) {
    d->cfg->write32(d->bus, d->devfn, where, v);
}
void pci_write_config_word(const pci_dev* d, uint16_t where, uint16_t v) {
    d->cfg->write16(d->bus, d->devfn, where, v);
}

void pci_enable_device(pci_dev* d) {
    uint16_t want = 0;
    for (const pci_bar& b : d->bar) {
        if (b.flags & PCI_BAR_IO) want |= PCI_COMMAND_IO;
        if (b.flags & PCI_BAR_MEM) want |= PCI_COMMAND_MEMORY;
    }
    uint16_t cmd = pci_read_config_word(d, PCI_COMMAND);
    if ((cmd & want) != want) pci_write_config_word(d, PCI_COMMAND, (uint16_t)(cmd | want));
    if (pcibios_enable_irq && d->irq) pcibios_enable_irq(d);
}

int (*pcibios_enable_irq)(pci_dev* dev);

void pci_set_master(pci_dev* d) {
    uint16_t cmd = pci_read_config_word(d, PCI_COMMAND);
    if (!(cmd & PCI_COMMAND_MASTER)) pci_write_config_word(d, PCI_COMMAND, (uint16_t)(cmd | PCI_COMMAND_MASTER));
}

const char* pci_dev_name(const pci_dev* d, char* buf, size_t len) {
    snprintf(buf, len, "%02x:%02x.%u", d->bus, PCI_SLOT(d->devfn), PCI_FUNC(d->devfn));
    return buf;
}

const char* pci_pin_name(uint8_t pin) {
    static const char* const names[] = {"none", "INTA", "INTB", "INTC", "INTD"};
    return pin < ARRAY_SIZE(names) ? names[pin] : "invalid";
}

// Short names as pciutils prints them (class >> 8, then the base class alone).
const char* pci_class_name(uint32_t class_code) {
    struct Name {
        uint16_t cls;
        const char* name;
    };
    static const Name sub[] = {
        {0x0000, "Non-VGA unclassified device"},
        {0x0001, "VGA compatible unclassified device"},
        {0x0100, "SCSI storage controller"},
        {0x0101, "IDE interface"},
        {0x0106, "SATA controller"},
        {0x0108, "Non-Volatile memory controller"},
        {0x0200, "Ethernet controller"},
        {0x0300, "VGA compatible controller"},
        {0x0401, "Multimedia audio controller"},
        {0x0403, "Audio device"},
        {0x0600, "Host bridge"},
        {0x0601, "ISA bridge"},
        {0x0604, "PCI bridge"},
        {0x0680, "Bridge"},
        {0x0700, "Serial controller"},
        {0x0c03, "USB controller"},
        {0x0c05, "SMBus"},
        {0x00ff, "Unclassified device"},
    };
    static const char* const base[] = {"Unclassified device",
                                       "Mass storage controller",
                                       "Network controller",
                                       "Display controller",
                                       "Multimedia controller",
                                       "Memory controller",
                                       "Bridge",
                                       "Communication controller",
                                       "Generic system peripheral",
                                       "Input device controller",
                                       "Docking station",
                                       "Processor",
                                       "Serial bus controller"};
    uint16_t cls = (uint16_t)(class_code >> 8);
    for (const Name& n : sub)
        if (n.cls == cls) return n.name;
    unsigned b = cls >> 8;
    return b < ARRAY_SIZE(base) ? base[b] : "Unknown class";
}
