// PCI configuration space as an object: the abstract accessor the enumeration and the drivers use, and
// the PC's configuration mechanism #1 behind it (ports 0xCF8 address / 0xCFC data, PCI Local Bus
// Specification 3.0 section 3.2.2.3.2; Linux arch/x86/pci/direct.c pci_conf1_read/pci_conf1_write).
// The host tests put a fake configuration space behind the same interface.
#pragma once
#include "kernel/io.h"
#include "kernel/spinlock.h"

// Register offsets of the configuration header (Linux include/uapi/linux/pci_regs.h names).
namespace pci_regs {
constexpr uint16_t PCI_VENDOR_ID = 0x00;
constexpr uint16_t PCI_DEVICE_ID = 0x02;
constexpr uint16_t PCI_COMMAND = 0x04;
constexpr uint16_t PCI_STATUS = 0x06;
constexpr uint16_t PCI_CLASS_REVISION = 0x08;  // revision in the low byte, class code above
constexpr uint16_t PCI_HEADER_TYPE = 0x0E;
constexpr uint16_t PCI_BASE_ADDRESS_0 = 0x10;
constexpr uint16_t PCI_PRIMARY_BUS = 0x18;  // type 1 header (PCI-to-PCI bridge)
constexpr uint16_t PCI_SECONDARY_BUS = 0x19;
constexpr uint16_t PCI_CB_CAPABILITY_LIST = 0x14;  // type 2 header (CardBus bridge)
constexpr uint16_t PCI_CAPABILITY_LIST = 0x34;     // type 0 and 1: the first capability's offset
constexpr uint16_t PCI_INTERRUPT_LINE = 0x3C;
constexpr uint16_t PCI_INTERRUPT_PIN = 0x3D;

constexpr uint16_t PCI_COMMAND_IO = 0x1;
constexpr uint16_t PCI_COMMAND_MEMORY = 0x2;
constexpr uint16_t PCI_COMMAND_MASTER = 0x4;
constexpr uint16_t PCI_COMMAND_DECODE_ENABLE = PCI_COMMAND_IO | PCI_COMMAND_MEMORY;
constexpr uint16_t PCI_COMMAND_INTX_DISABLE = 0x400;  // the function must not assert INTx
constexpr uint16_t PCI_STATUS_CAP_LIST = 0x10;        // a capability list starts at PCI_CAPABILITY_LIST

constexpr uint8_t PCI_HEADER_TYPE_MASK = 0x7F;
constexpr uint8_t PCI_HEADER_TYPE_NORMAL = 0;
constexpr uint8_t PCI_HEADER_TYPE_BRIDGE = 1;
constexpr uint8_t PCI_HEADER_TYPE_CARDBUS = 2;
constexpr uint8_t PCI_HEADER_TYPE_MFD = 0x80;  // multi-function device

constexpr uint32_t PCI_BASE_ADDRESS_SPACE_IO = 0x1;
constexpr uint32_t PCI_BASE_ADDRESS_MEM_TYPE_MASK = 0x6;
constexpr uint32_t PCI_BASE_ADDRESS_MEM_TYPE_64 = 0x4;
constexpr uint32_t PCI_BASE_ADDRESS_MEM_PREFETCH = 0x8;
constexpr uint32_t PCI_BASE_ADDRESS_MEM_MASK = ~0xFu;
constexpr uint32_t PCI_BASE_ADDRESS_IO_MASK = ~0x3u;

constexpr uint16_t PCI_VENDOR_ID_NONE = 0xFFFF;  // what an absent function answers
constexpr uint8_t PCI_INTERRUPT_LINE_UNKNOWN = 0xFF;
}  // namespace pci_regs

// devfn as Linux packs it: device in bits 7..3, function in bits 2..0.
constexpr uint8_t PCI_DEVFN(unsigned slot, unsigned fn) { return (uint8_t)(((slot & 0x1F) << 3) | (fn & 0x07)); }
constexpr unsigned PCI_SLOT(uint8_t devfn) { return (devfn >> 3) & 0x1F; }
constexpr unsigned PCI_FUNC(uint8_t devfn) { return devfn & 0x07; }

// One configuration space (Linux struct pci_raw_ops). `where` is the register offset (0..255); `size` is
// 1, 2 or 4 and `where` is naturally aligned for it. Reads of an absent function return all ones.
// Implementations serialise their own accesses; any context.
class PciConfig {
public:
    virtual uint32_t read(uint8_t bus, uint8_t devfn, uint16_t where, unsigned size) = 0;
    virtual void write(uint8_t bus, uint8_t devfn, uint16_t where, unsigned size, uint32_t value) = 0;

    uint32_t read32(uint8_t bus, uint8_t devfn, uint16_t where) { return read(bus, devfn, where, 4); }
    uint16_t read16(uint8_t bus, uint8_t devfn, uint16_t where) { return (uint16_t)read(bus, devfn, where, 2); }
    uint8_t read8(uint8_t bus, uint8_t devfn, uint16_t where) { return (uint8_t)read(bus, devfn, where, 1); }
    void write32(uint8_t bus, uint8_t devfn, uint16_t where, uint32_t v) { write(bus, devfn, where, 4, v); }
    void write16(uint8_t bus, uint8_t devfn, uint16_t where, uint16_t v) { write(bus, devfn, where, 2, v); }
    void write8(uint8_t bus, uint8_t devfn, uint16_t where, uint8_t v) { write(bus, devfn, where, 1, v); }

protected:
    ~PciConfig() = default;
};

// Configuration mechanism #1: the dword address (enable bit 31, bus, devfn, register) goes to 0xCF8,
// then the data is read or written at 0xCFC + (where & 3) with the access width asked for, so a 16-bit
// write touches only its two bytes (the status register's write-one-to-clear bits stay untouched).
// The address/data pair is not atomic: every access holds pci_config_lock with interrupts saved.
class PciConfType1 final : public PciConfig {
public:
    static constexpr uint16_t PCI_CONF1_ADDRESS = 0xCF8;
    static constexpr uint16_t PCI_CONF1_DATA = 0xCFC;

    explicit PciConfType1(PortIo& io) : io_(&io) {}
    // Is mechanism #1 there? Linux pci_check_type1: 0x80000000 written to 0xCF8 reads back. Boot.
    bool probe();
    uint32_t read(uint8_t bus, uint8_t devfn, uint16_t where, unsigned size) override;
    void write(uint8_t bus, uint8_t devfn, uint16_t where, unsigned size, uint32_t value) override;

private:
    static uint32_t address(uint8_t bus, uint8_t devfn, uint16_t where) {
        return 0x80000000u | ((uint32_t)bus << 16) | ((uint32_t)devfn << 8) | (where & 0xFC);
    }
    PortIo* io_;
    raw_spinlock_t lock_;  // Linux's pci_config_lock
};
