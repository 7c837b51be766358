// The byte layouts of the ACPI tables irqos reads (ACPI 6.5 section 5.2: the RSDP 5.2.5.3, the common
// header 5.2.6, RSDT 5.2.7, XSDT 5.2.8, the MADT and its entries 5.2.12), as offsets read with
// little-endian loads that need no alignment (firmware tables and Multiboot2 copies are byte-packed).
// Linux's include/acpi/actbl*.h describe the same layouts as packed structs.
#pragma once
#include "kernel/types.h"

namespace acpi {

// Little-endian loads from a byte pointer, any alignment (x86 and every host the tests run on are
// little-endian; __builtin_memcpy keeps the access free of alignment assumptions).
static inline uint8_t get8(const uint8_t* p, size_t off) { return p[off]; }
static inline uint16_t get16(const uint8_t* p, size_t off) {
    uint16_t v;
    __builtin_memcpy(&v, p + off, sizeof v);
    return v;
}
static inline uint32_t get32(const uint8_t* p, size_t off) {
    uint32_t v;
    __builtin_memcpy(&v, p + off, sizeof v);
    return v;
}
static inline uint64_t get64(const uint8_t* p, size_t off) {
    uint64_t v;
    __builtin_memcpy(&v, p + off, sizeof v);
    return v;
}

// The 8-bit sum of `len` bytes; a valid ACPI structure sums to 0 (ACPI 5.2.5.3, 5.2.6).
static inline uint8_t checksum(const uint8_t* p, size_t len) {
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++) sum = (uint8_t)(sum + p[i]);
    return sum;
}

// RSDP (5.2.5.3). The first 20 bytes are ACPI 1.0's structure, covered by `checksum`; revision >= 2
// adds the length, the XSDT address and `extended checksum` over the whole (36-byte) structure.
namespace rsdp {
constexpr char SIGNATURE[] = "RSD PTR ";  // 8 bytes, no NUL in the table
constexpr size_t SIG = 0, CHECKSUM = 8, OEM_ID = 9, REVISION = 15, RSDT_ADDRESS = 16, LENGTH = 20, XSDT_ADDRESS = 24,
                 EXTENDED_CHECKSUM = 32;
constexpr size_t V1_SIZE = 20;    // ACPI_RSDP_CHECKSUM_LENGTH
constexpr size_t V2_SIZE = 36;    // ACPI_RSDP_XCHECKSUM_LENGTH
constexpr size_t SCAN_STEP = 16;  // the RSDP sits on a 16-byte boundary (5.2.5.1)
}  // namespace rsdp

// Where the RSDP is searched on a PC BIOS (5.2.5.1): the first KiB of the Extended BIOS Data Area,
// whose segment is the 16-bit word at 0x40E of the BIOS data area, then 0xE0000-0xFFFFF.
constexpr uint64_t EBDA_PTR_LOCATION = 0x40E;
constexpr uint64_t EBDA_WINDOW_SIZE = 1024;
constexpr uint64_t EBDA_LOWEST = 0x400, EBDA_END = 0xA0000;  // a sane EBDA lies between these
constexpr uint64_t HI_RSDP_WINDOW_BASE = 0xE0000;
constexpr uint64_t HI_RSDP_WINDOW_SIZE = 0x20000;

// The common description header (5.2.6), 36 bytes, at the start of every table but the RSDP and FACS.
namespace hdr {
constexpr size_t SIGNATURE = 0, LENGTH = 4, REVISION = 8, CHECKSUM = 9, OEM_ID = 10, OEM_TABLE_ID = 16,
                 OEM_REVISION = 24, CREATOR_ID = 28, CREATOR_REVISION = 32;
constexpr size_t SIZE = 36;
}  // namespace hdr

// Root tables: the header, then 32-bit (RSDT, 5.2.7) or 64-bit (XSDT, 5.2.8) physical addresses.
constexpr char SIG_RSDT[] = "RSDT";
constexpr char SIG_XSDT[] = "XSDT";
constexpr char SIG_MADT[] = "APIC";  // the MADT's signature

// MADT (5.2.12): the header, the local interrupt controller address, the flags, then entries of
// {u8 type, u8 length, ...}.
namespace madt {
constexpr size_t LAPIC_ADDRESS = 36, FLAGS = 40, ENTRIES = 44;
constexpr uint32_t PCAT_COMPAT = 1u << 0;  // flags: a dual 8259 setup is present

enum : uint8_t {  // entry types (table 5.21)
    TYPE_LOCAL_APIC = 0,
    TYPE_IO_APIC = 1,
    TYPE_INTERRUPT_OVERRIDE = 2,
    TYPE_NMI_SOURCE = 3,
    TYPE_LOCAL_APIC_NMI = 4,
    TYPE_LOCAL_APIC_OVERRIDE = 5,
    TYPE_IO_SAPIC = 6,
    TYPE_LOCAL_SAPIC = 7,
    TYPE_INTERRUPT_SOURCE = 8,
    TYPE_LOCAL_X2APIC = 9,
    TYPE_LOCAL_X2APIC_NMI = 10,
};
constexpr size_t TYPE = 0, LENGTH = 1;  // every entry

// Processor Local APIC (5.2.12.2), 8 bytes.
constexpr size_t LAPIC_SIZE = 8, LAPIC_UID = 2, LAPIC_ID = 3, LAPIC_FLAGS = 4;
constexpr uint32_t LAPIC_ENABLED = 1u << 0, LAPIC_ONLINE_CAPABLE = 1u << 1;  // table 5.23
// I/O APIC (5.2.12.3), 12 bytes.
constexpr size_t IOAPIC_SIZE = 12, IOAPIC_ID = 2, IOAPIC_ADDRESS = 4, IOAPIC_GSI_BASE = 8;
// Interrupt Source Override (5.2.12.5), 10 bytes.
constexpr size_t ISO_SIZE = 10, ISO_BUS = 2, ISO_SOURCE = 3, ISO_GSI = 4, ISO_FLAGS = 8;
// NMI Source (5.2.12.6), 8 bytes.
constexpr size_t NMI_SRC_SIZE = 8, NMI_SRC_FLAGS = 2, NMI_SRC_GSI = 4;
// Local APIC NMI (5.2.12.7), 6 bytes.
constexpr size_t LAPIC_NMI_SIZE = 6, LAPIC_NMI_UID = 2, LAPIC_NMI_FLAGS = 3, LAPIC_NMI_LINT = 5;
// Local APIC Address Override (5.2.12.8), 12 bytes.
constexpr size_t LAPIC_OVR_SIZE = 12, LAPIC_OVR_ADDRESS = 4;
// Processor Local x2APIC (5.2.12.12), 16 bytes.
constexpr size_t X2APIC_SIZE = 16, X2APIC_ID = 4, X2APIC_FLAGS = 8, X2APIC_UID = 12;
// Local x2APIC NMI (5.2.12.13), 12 bytes.
constexpr size_t X2APIC_NMI_SIZE = 12, X2APIC_NMI_FLAGS = 2, X2APIC_NMI_UID = 4, X2APIC_NMI_LINT = 8;

// MPS INTI flags (table 5.26): polarity bits 0-1, trigger mode bits 2-3.
constexpr uint16_t INTI_POLARITY_MASK = 0x3, INTI_TRIGGER_MASK = 0xc, INTI_TRIGGER_SHIFT = 2;
}  // namespace madt

}  // namespace acpi
