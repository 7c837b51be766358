// Finding the Root System Description Pointer (ACPI 6.5 section 5.2.5): the copies a Multiboot2 loader
// hands over (specification 3.6.15/3.6.16), else the PC BIOS search of Linux's acpi_find_root_pointer
// (drivers/acpi/acpica/tbxfroot.c): the EBDA's first KiB, then 0xE0000-0xFFFFF, in 16-byte steps, taking
// the first structure whose signature and checksums (20 bytes, and 36 from revision 2) are right.
#define pr_fmt(fmt) "ACPI: " fmt
#include "drivers/acpi/acpi.h"
#include "drivers/acpi/actbl.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "lib/string.h"

using namespace acpi;

namespace {

enum class RsdpCheck { Ok, BadSignature, BadChecksum, BadExtendedChecksum, TooShort };

// Linux acpi_tb_validate_rsdp, plus the room check a copy of known size needs. `room`: bytes readable.
RsdpCheck validate(const uint8_t* p, size_t room) {
    if (room < rsdp::V1_SIZE) return RsdpCheck::TooShort;
    if (memcmp(p + rsdp::SIG, rsdp::SIGNATURE, 8) != 0) return RsdpCheck::BadSignature;
    if (checksum(p, rsdp::V1_SIZE) != 0) return RsdpCheck::BadChecksum;
    if (get8(p, rsdp::REVISION) >= 2) {
        if (room < rsdp::V2_SIZE) return RsdpCheck::TooShort;
        if (checksum(p, rsdp::V2_SIZE) != 0) return RsdpCheck::BadExtendedChecksum;
    }
    return RsdpCheck::Ok;
}

const char* check_name(RsdpCheck c) {
    switch (c) {
    case RsdpCheck::BadSignature:
        return "bad signature";
    case RsdpCheck::BadChecksum:
        return "checksum mismatch (first 20 bytes)";
    case RsdpCheck::BadExtendedChecksum:
        return "extended checksum mismatch (36 bytes)";
    case RsdpCheck::TooShort:
        return "truncated";
    default:
        return "ok";
    }
}

void fill(const uint8_t* p, uint64_t phys, const char* source, AcpiRsdp* out) {
    *out = AcpiRsdp{};
    out->phys = phys;
    out->revision = get8(p, rsdp::REVISION);
    out->rsdt = get32(p, rsdp::RSDT_ADDRESS);
    out->xsdt = out->revision >= 2 ? get64(p, rsdp::XSDT_ADDRESS) : 0;
    out->length = out->revision >= 2 ? get32(p, rsdp::LENGTH) : (uint32_t)rsdp::V1_SIZE;
    for (unsigned i = 0; i < 6; i++) {
        char c = (char)p[rsdp::OEM_ID + i];
        out->oem_id[i] = (c >= 0x20 && c < 0x7f) ? c : '?';  // ACPICA's acpi_tb_fix_string
    }
    out->source = source;
}

// Linux acpi_tb_scan_memory_for_rsdp: the first valid structure on a 16-byte boundary, or nullptr.
const uint8_t* scan(const uint8_t* start, size_t len) {
    for (size_t off = 0; off + rsdp::V1_SIZE <= len; off += rsdp::SCAN_STEP)
        if (validate(start + off, len - off) == RsdpCheck::Ok) return start + off;
    return nullptr;
}

bool try_hint(const AcpiRsdpHint& h, const char* source, AcpiRsdp* out) {
    if (!h.data || !h.len) return false;
    RsdpCheck c = validate(h.data, h.len);
    if (c != RsdpCheck::Ok) {
        pr_warn("RSDP copy in %s ignored: %s\n", source, check_name(c));
        return false;
    }
    fill(h.data, h.phys, source, out);
    return true;
}

bool scan_window(AcpiPhysMem& mem, uint64_t base, uint64_t size, const char* source, AcpiRsdp* out) {
    const uint8_t* window = mem.map(base, size);
    if (!window) return false;
    const uint8_t* found = scan(window, size);
    if (!found) return false;
    fill(found, base + (uint64_t)(found - window), source, out);
    return true;
}

}  // namespace

int acpi_find_rsdp(AcpiPhysMem& mem, const AcpiBootSources& src, AcpiRsdp* out) {
    if (try_hint(src.rsdp_new, "Multiboot2 tag 15", out)) return 0;
    if (try_hint(src.rsdp_old, "Multiboot2 tag 14", out)) return 0;

    // The EBDA segment from the BIOS data area; a value outside 0x400..0xA0000 is not an EBDA.
    if (const uint8_t* bda = mem.map(EBDA_PTR_LOCATION, 2)) {
        uint64_t ebda = (uint64_t)get16(bda, 0) << 4;
        if (ebda > EBDA_LOWEST && ebda < EBDA_END) {
            uint64_t size = EBDA_WINDOW_SIZE < EBDA_END - ebda ? EBDA_WINDOW_SIZE : EBDA_END - ebda;
            if (scan_window(mem, ebda, size, "EBDA", out)) return 0;
        }
    }
    if (scan_window(mem, HI_RSDP_WINDOW_BASE, HI_RSDP_WINDOW_SIZE, "BIOS area", out)) return 0;
    pr_err("A valid RSDP was not found (Multiboot2 tags, EBDA, 0xE0000-0xFFFFF)\n");
    return -ENODEV;
}
