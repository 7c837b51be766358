// The root table walk (ACPI 6.5 sections 5.2.6-5.2.8; Linux drivers/acpi/acpica/tbutils.c
// acpi_tb_parse_root_table and tbprint.c): the XSDT when the RSDP's revision is 2 or more and the XSDT
// is valid, else the RSDT; each table listed there is checked (readable header, a length of at least the
// header, checksum 0) and printed in ACPICA's format.
#define pr_fmt(fmt) "ACPI: " fmt
#include "drivers/acpi/acpi.h"
#include "drivers/acpi/actbl.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "lib/string.h"

using namespace acpi;

namespace {

constexpr uint64_t LOWEST_TABLE_ADDRESS = 0x1000;  // page 0 holds the IVT and BDA, never a table
constexpr uint32_t MAX_TABLE_LENGTH = 16u << 20;   // sanity bound on a header's length field

// ACPICA's acpi_tb_fix_string: a header's text fields as printable characters, NUL-terminated.
void copy_name(char* dst, const uint8_t* src, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char c = (char)src[i];
        dst[i] = c == 0 ? ' ' : (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    dst[n] = '\0';
}

// The table at `phys` if its header is readable, its length sane and its checksum right; otherwise
// nullptr with the reason printed ("ACPI BIOS Warning (bug): Incorrect checksum in table [APIC] - ...").
// `info` is filled as far as the header could be read.
const uint8_t* check_table(AcpiPhysMem& mem, uint64_t phys, AcpiTableInfo* info) {
    *info = AcpiTableInfo{};
    info->phys = phys;
    memcpy(info->signature, "????", 5);
    const uint8_t* h = phys >= LOWEST_TABLE_ADDRESS ? mem.map(phys, hdr::SIZE) : nullptr;
    if (!h) {
        info->problem = "unreadable";
        pr_warn("Table at 0x%016llx cannot be read, ignored\n", (unsigned long long)phys);
        return nullptr;
    }
    copy_name(info->signature, h + hdr::SIGNATURE, 4);
    copy_name(info->oem_id, h + hdr::OEM_ID, 6);
    copy_name(info->oem_table_id, h + hdr::OEM_TABLE_ID, 8);
    info->length = get32(h, hdr::LENGTH);
    info->revision = get8(h, hdr::REVISION);
    if (info->length < hdr::SIZE || info->length > MAX_TABLE_LENGTH) {
        info->problem = "invalid length";
        pr_warn("[%s] at 0x%016llx has an invalid length 0x%x, ignored\n", info->signature, (unsigned long long)phys,
                info->length);
        return nullptr;
    }
    const uint8_t* t = mem.map(phys, info->length);
    if (!t) {
        info->problem = "truncated";
        pr_warn("[%s] at 0x%016llx: its 0x%x bytes cannot be read (truncated), ignored\n", info->signature,
                (unsigned long long)phys, info->length);
        return nullptr;
    }
    uint8_t sum = checksum(t, info->length);
    if (sum != 0) {
        uint8_t stored = get8(t, hdr::CHECKSUM);
        info->problem = "checksum mismatch";
        printk(KERN_WARNING "ACPI BIOS Warning (bug): Incorrect checksum in table [%s] - 0x%02X, should be 0x%02X\n",
               info->signature, stored, (uint8_t)(stored - sum));
        return nullptr;
    }
    info->valid = true;
    info->problem = "";
    return t;
}

// ACPICA's acpi_tb_print_table_header line for a standard table.
void print_table(const uint8_t* t, uint64_t phys) {
    char sig[5], oem[7], oem_table[9], creator[5];
    copy_name(sig, t + hdr::SIGNATURE, 4);
    copy_name(oem, t + hdr::OEM_ID, 6);
    copy_name(oem_table, t + hdr::OEM_TABLE_ID, 8);
    copy_name(creator, t + hdr::CREATOR_ID, 4);
    pr_info("%-4.4s 0x%016llX %06X (v%02d %-6.6s %-8.8s %08X %-4.4s %08X)\n", sig, (unsigned long long)phys,
            get32(t, hdr::LENGTH), get8(t, hdr::REVISION), oem, oem_table, get32(t, hdr::OEM_REVISION), creator,
            get32(t, hdr::CREATOR_REVISION));
}

// The root table of the given kind, checked; nullptr (reported) if unusable.
const uint8_t* root_table(AcpiPhysMem& mem, uint64_t phys, const char* sig, AcpiTableInfo* info) {
    const uint8_t* t = check_table(mem, phys, info);
    if (!t) return nullptr;
    if (memcmp(info->signature, sig, 4) != 0) {
        pr_warn("Root table at 0x%016llx has signature [%s], expected [%s]\n", (unsigned long long)phys,
                info->signature, sig);
        return nullptr;
    }
    return t;
}

}  // namespace

int acpi_walk_tables(AcpiPhysMem& mem, const AcpiRsdp& rsdp, AcpiTableInfo* tables, unsigned max) {
    AcpiTableInfo root_info;
    const uint8_t* root = nullptr;
    size_t entry_size = 8;
    uint64_t root_phys = 0;
    if (rsdp.revision >= 2 && rsdp.xsdt) {
        root_phys = rsdp.xsdt;
        root = root_table(mem, root_phys, SIG_XSDT, &root_info);
        if (!root) pr_warn("Using the RSDT instead of the invalid XSDT\n");
    }
    if (!root && rsdp.rsdt) {
        root_phys = rsdp.rsdt;
        entry_size = 4;
        root = root_table(mem, root_phys, SIG_RSDT, &root_info);
    }
    if (!root) {
        pr_err("No valid RSDT or XSDT: no ACPI tables\n");
        return -EINVAL;
    }
    print_table(root, root_phys);

    unsigned n = 0, ignored = 0;
    size_t entries = (root_info.length - hdr::SIZE) / entry_size;
    for (size_t i = 0; i < entries; i++) {
        size_t off = hdr::SIZE + i * entry_size;
        uint64_t phys = entry_size == 8 ? get64(root, off) : get32(root, off);
        if (!phys) continue;  // ACPICA skips null entries
        AcpiTableInfo info;
        const uint8_t* t = check_table(mem, phys, &info);
        if (t) print_table(t, phys);
        if (n < max)
            tables[n++] = info;
        else
            ignored++;
    }
    if (ignored) pr_warn("%u tables beyond the first %u ignored\n", ignored, max);
    return (int)n;
}
