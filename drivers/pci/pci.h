// The PCI bus: enumeration of every bus, device and function through a PciConfig, the BARs with their
// sizes, the INTx line and pin, and the table of functions the drivers walk. Modelled on Linux
// drivers/pci/probe.c (pci_scan_child_bus, pci_scan_slot, pci_scan_bridge, __pci_read_base) with the
// firmware's bus numbers and resource assignment kept as they are (Linux's "pci=noassign" view).
#pragma once
#include "drivers/pci/pci_config.h"

constexpr unsigned PCI_STD_NUM_BARS = 6;  // type 0 header; a bridge has 2
constexpr unsigned PCI_MAX_DEVICES = 64;  // functions kept in the table; more are reported and ignored

// Resource flags (Linux IORESOURCE_* and the PCI-specific bits, simplified to what a BAR can say).
enum : unsigned {
    PCI_BAR_IO = 1u << 0,        // I/O space
    PCI_BAR_MEM = 1u << 1,       // memory space
    PCI_BAR_MEM_64 = 1u << 2,    // a 64-bit memory BAR (it uses the next BAR slot for the high half)
    PCI_BAR_PREFETCH = 1u << 3,  // prefetchable memory
};

struct pci_bar {
    uint64_t start = 0;  // the address the firmware programmed (0: not assigned)
    uint64_t size = 0;   // 0: the BAR is not implemented
    unsigned flags = 0;  // PCI_BAR_*
};

struct pci_dev {
    uint8_t bus = 0;
    uint8_t devfn = 0;
    uint16_t vendor = 0;
    uint16_t device = 0;
    uint32_t class_code = 0;  // base class << 16 | subclass << 8 | programming interface
    uint8_t revision = 0;
    uint8_t hdr_type = 0;  // without the multi-function bit
    bool multifunction = false;
    uint8_t secondary_bus = 0;  // bridges only: the bus behind it, as the firmware numbered it
    pci_bar bar[PCI_STD_NUM_BARS];
    uint8_t interrupt_line = 0;  // PCI_INTERRUPT_LINE as the firmware wrote it (0xFF: unknown)
    uint8_t interrupt_pin = 0;   // 0 none, 1..4 = INTA..INTD
    unsigned irq = 0;            // Linux IRQ: its INTx (0: none), or its MSI while msi_enabled
    PciConfig* cfg = nullptr;    // the configuration space it was found in
    // MSI (drivers/pci/msi.h), as Linux's pci_dev keeps it.
    uint8_t msi_cap = 0;             // offset of the MSI capability (0: none)
    bool msi_enabled = false;        // pci_alloc_irq_vectors gave it MSI: `irq` is the MSI's IRQ
    bool no_64bit_msi = false;       // the capability takes 32-bit addresses only
    struct msi_desc* msi = nullptr;  // the descriptor while MSI is allocated
    raw_spinlock_t msi_lock;         // serialises the mask bits' read-modify-write
};

// Enumerate from bus 0, following PCI-to-PCI bridges to their secondary buses (each bus at most once),
// and fill the device table, replacing what an earlier call found. Sizing a BAR turns the function's
// I/O and memory decoding off for the moment (not on host bridges, as Linux's mmio_always_on); nothing
// may print or use the device meanwhile. Boot (or a test), process context, nothing else using PCI.
// Returns the number of functions found (0 with an empty bus).
unsigned pci_scan(PciConfig& cfg);
// Boot: probe mechanism #1 on `io`, scan, and print one line per function as Linux does
// ("pci 0000:00:04.0: [1234:11e8] type 00 class 0x00ff00"). Returns the count, or -ENODEV (no
// configuration mechanism: nothing printed but one line).
int pci_init(PortIo& io);

// The device table. Any context once pci_init() returned (the table does not change afterwards).
unsigned pci_dev_count();
pci_dev* pci_dev_at(unsigned index);  // nullptr past the end
// Linux pci_get_device: the next function after `from` (nullptr: the first) with this vendor and device
// (PCI_ANY_ID matches any), or nullptr. Unlike Linux, no reference is taken (devices never go away).
constexpr unsigned PCI_ANY_ID = ~0u;
pci_dev* pci_get_device(unsigned vendor, unsigned device, pci_dev* from);

// Configuration access of one function (Linux's pci_read_config_* / pci_write_config_* take an out
// parameter and return an error; here the value is returned, all ones for an absent function).
uint32_t pci_read_config_dword(const pci_dev* dev, uint16_t where);
uint16_t pci_read_config_word(const pci_dev* dev, uint16_t where);
uint8_t pci_read_config_byte(const pci_dev* dev, uint16_t where);
void pci_write_config_dword(const pci_dev* dev, uint16_t where, uint32_t value);
void pci_write_config_word(const pci_dev* dev, uint16_t where, uint16_t value);
// Linux pci_enable_device (the decoding part): turn on memory and/or I/O decoding for the BARs it has,
// then let the interrupt routing prepare the function's INTx line (pcibios_enable_irq).
void pci_enable_device(pci_dev* dev);
// Linux pci_set_master: let the function initiate memory writes (PCI_COMMAND_MASTER), which its DMA and
// every MSI (a memory write to 0xFEEx_xxxx) need. Process context.
void pci_set_master(pci_dev* dev);
// Linux's pcibios_enable_irq hook: set by the interrupt-mode choice (APIC mode: the line's IO-APIC pin
// made level, drivers/apic/io_apic_setup.h); NULL keeps the firmware's 8259 routing. Process context.
extern int (*pcibios_enable_irq)(pci_dev* dev);

// Names for humans: "00:04.0" into buf (at least 8 bytes); the class's short name ("Host bridge",
// "Unclassified device", ...); "INTA".."INTD" or "none".
const char* pci_dev_name(const pci_dev* dev, char* buf, size_t len);
const char* pci_class_name(uint32_t class_code);
const char* pci_pin_name(uint8_t pin);
