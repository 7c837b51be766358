// ACPI table discovery at boot, as far as interrupt routing needs it (Linux drivers/acpi/tables.c,
// drivers/acpi/acpica/tbxfroot.c and tbutils.c, arch/x86/kernel/acpi/boot.c): find the RSDP (the copy
// GRUB hands over in Multiboot2 tags 15/14, else the BIOS areas), walk the XSDT or RSDT, check every
// table's checksum, and turn the MADT into a MadtInfo (drivers/acpi/madt.h). Every table is read through
// an AcpiPhysMem, so the host tests run the same code on byte images.
#pragma once
#include "drivers/acpi/madt.h"

// Physical memory as the ACPI code reads it: a pointer to `len` readable bytes at `phys`, or nullptr
// when that range cannot be read. The kernel's object reads the identity map (first 4 GiB); the host
// tests place table images at chosen physical addresses.
class AcpiPhysMem {
public:
    virtual const uint8_t* map(uint64_t phys, size_t len) = 0;

protected:
    ~AcpiPhysMem() = default;
};

// The kernel's view: everything below 4 GiB is identity-mapped (arch/x86/paging.h), where firmware puts
// its tables. Ranges at or above 4 GiB, or wrapping, give nullptr.
AcpiPhysMem& acpi_identity_mem();

// The RSDP copies a Multiboot2 loader passes (tags 14 "ACPI old RSDP", 15 "ACPI new RSDP"): where the
// copy lies (as a pointer and as the address printed) and how many bytes its tag holds. len 0: absent.
struct AcpiRsdpHint {
    const uint8_t* data = nullptr;
    uint64_t phys = 0;
    size_t len = 0;
};
struct AcpiBootSources {
    AcpiRsdpHint rsdp_new;  // Multiboot2 tag 15 (ACPI 2.0+ RSDP, 36 bytes)
    AcpiRsdpHint rsdp_old;  // Multiboot2 tag 14 (ACPI 1.0 RSDP, 20 bytes)
};

// A validated RSDP: its address, revision, root table addresses and where it was found.
struct AcpiRsdp {
    uint64_t phys = 0;
    uint8_t revision = 0;
    uint32_t length = 0;  // its Length field from revision 2 on, else 20
    uint32_t rsdt = 0;
    uint64_t xsdt = 0;  // 0 unless revision >= 2
    char oem_id[7] = {};
    const char* source = "";  // "Multiboot2 tag 15", "Multiboot2 tag 14", "EBDA", "BIOS area"
};

// Find and validate the RSDP: the Multiboot2 copies first (new, then old), then the EBDA's first KiB and
// 0xE0000-0xFFFFF in 16-byte steps (Linux acpi_find_root_pointer). A copy with a bad signature or checksum
// is reported and skipped. Boot (reads the BIOS data area at 0x40E: before page 0 is unmapped); host tests.
// 0, or -ENODEV when there is none ("ACPI: no RSDP found").
int acpi_find_rsdp(AcpiPhysMem& mem, const AcpiBootSources& src, AcpiRsdp* out);

// One table the root table lists, as the walk found it.
struct AcpiTableInfo {
    char signature[5];
    uint64_t phys;
    uint32_t length;  // from its header (0 when the header could not be read)
    uint8_t revision;
    char oem_id[7];
    char oem_table_id[9];
    bool valid;           // header readable, length sane, checksum 0
    const char* problem;  // why not valid: "unreadable", "invalid length", "truncated", "checksum mismatch"
};
constexpr unsigned ACPI_MAX_TABLES = 32;  // tables remembered; more are reported and ignored

// Walk the root table of `rsdp` (the XSDT when the revision is >= 2 and it is valid, else the RSDT),
// printing Linux's line per table ("ACPI: APIC 0x0000000007FE1A3B 000078 (v01 BOCHS  BXPC ...)") and
// reporting each bad one ("ACPI BIOS Warning (bug): Incorrect checksum in table [APIC] - 0x12, should
// be 0x34"). Fills `tables` (at most `max`) and returns how many, or -EINVAL if no root table is
// valid. Boot or process context; reads only.
int acpi_walk_tables(AcpiPhysMem& mem, const AcpiRsdp& rsdp, AcpiTableInfo* tables, unsigned max);

// Parse an MADT image of `len` bytes (the table's own length field must match or be smaller) into `out`,
// printing one Linux-style line per entry ("ACPI: LAPIC (acpi_id[0x00] lapic_id[0x00] enabled)",
// "ACPI: INT_SRC_OVR (bus 0 bus_irq 0 global_irq 2 dfl dfl)"). Linux's rules: CPUs with APIC ID 0xff
// (x2APIC 0xffffffff) or neither enabled nor online-capable are left out; an x2APIC entry below 0xff is
// left out when Local APIC entries list CPUs; a level IRQ 0 override is taken as edge; an override of a
// source IRQ >= 16 or of a GSI no IO-APIC serves is reported and ignored. Any context; pure.
// 0, or -EINVAL (too short, an entry shorter than its type or running past the end: reported), or
// -ENODEV ("No LAPIC entries present").
int acpi_parse_madt(const uint8_t* table, size_t len, MadtInfo* out);

// Boot: everything above, then keep the MADT for acpi_madt(). Prints why the MADT is unusable when it
// is (then acpi_madt() stays NULL and the kernel keeps the 8259 pair). Returns 0 or a negative errno.
int acpi_boot_init(AcpiPhysMem& mem, const AcpiBootSources& src);
// Forget what acpi_boot_init found (host tests; in-kernel tests must not call it).
void acpi_boot_reset();

// What acpi_boot_init found, for the `acpi` command: the RSDP (NULL if none) and the table list.
const AcpiRsdp* acpi_rsdp();
unsigned acpi_table_count();
const AcpiTableInfo* acpi_table_at(unsigned i);

// The two flag words' names as Linux prints them ("dfl", "high", "res", "low"; "dfl", "edge", "res",
// "level").
const char* acpi_polarity_name(MadtPolarity p);
const char* acpi_trigger_name(MadtTrigger t);

struct BootInfo;
// Boot, before page 0 is unmapped (the RSDP search reads the BIOS data area): acpi_boot_init on the
// identity map with the Multiboot2 RSDP copies of `boot`.
int acpi_boot_init(const BootInfo& boot);
