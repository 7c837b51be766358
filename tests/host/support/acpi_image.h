// ACPI table images for the host tests: a fake physical memory holding byte regions at chosen addresses
// (AcpiPhysMem), and builders that write tables byte by byte in the ACPI 6.5 layouts (RSDP 5.2.5.3, the
// header 5.2.6, RSDT/XSDT, the MADT and its entries 5.2.12) with correct checksums, which a test then
// corrupts or cuts as it needs.
#pragma once
#include "drivers/acpi/acpi.h"

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

using Bytes = std::vector<uint8_t>;

class FakePhysMem final : public AcpiPhysMem {
public:
    void place(uint64_t phys, const Bytes& b) { regions_[phys] = b; }
    void remove(uint64_t phys) { regions_.erase(phys); }
    Bytes& at(uint64_t phys) { return regions_.at(phys); }
    const uint8_t* map(uint64_t phys, size_t len) override {
        auto it = regions_.upper_bound(phys);
        if (it == regions_.begin()) return nullptr;
        --it;
        uint64_t off = phys - it->first;
        if (off > it->second.size() || len > it->second.size() - off) return nullptr;
        return it->second.data() + off;
    }

private:
    std::map<uint64_t, Bytes> regions_;
};

namespace acpi_image {

// Stores that fail the test binary loudly (std::out_of_range) instead of writing past a too-small image.
inline void put(Bytes& b, size_t off, const void* v, size_t n) {
    (void)b.at(off + n - 1);
    std::memcpy(&b[off], v, n);
}
inline void put32(Bytes& b, size_t off, uint32_t v) { put(b, off, &v, 4); }
inline void put64(Bytes& b, size_t off, uint64_t v) { put(b, off, &v, 8); }
inline void append16(Bytes& b, uint16_t v) { b.insert(b.end(), {uint8_t(v), uint8_t(v >> 8)}); }
inline void append32(Bytes& b, uint32_t v) {
    for (int i = 0; i < 4; i++) b.push_back(uint8_t(v >> (8 * i)));
}
inline void append64(Bytes& b, uint64_t v) {
    for (int i = 0; i < 8; i++) b.push_back(uint8_t(v >> (8 * i)));
}
inline uint8_t sum(const Bytes& b, size_t from, size_t len) {
    uint8_t s = 0;
    for (size_t i = from; i < from + len; i++) s = uint8_t(s + b[i]);
    return s;
}

// Set the checksum byte at `at` so that the first `len` bytes sum to zero.
inline void fix_checksum(Bytes& b, size_t at, size_t len) {
    b[at] = 0;
    b[at] = uint8_t(0x100 - sum(b, 0, len));
}

// An RSDP of revision `rev` (0: the 20-byte ACPI 1.0 form, 2: 36 bytes), both checksums right.
inline Bytes rsdp(uint8_t rev, uint32_t rsdt, uint64_t xsdt = 0, const char* oem = "BOCHS ") {
    Bytes b(rev >= 2 ? 36 : 20, 0);
    std::memcpy(b.data(), "RSD PTR ", 8);
    std::memcpy(&b[9], oem, 6);
    b[15] = rev;
    put32(b, 16, rsdt);
    if (rev >= 2) {
        put32(b, 20, 36);
        put64(b, 24, xsdt);
    }
    fix_checksum(b, 8, 20);
    if (rev >= 2) fix_checksum(b, 32, 36);
    return b;
}

// A table: the 36-byte header with `sig`, then `body`; length and checksum filled in.
inline Bytes table(const char* sig, const Bytes& body, uint8_t rev = 1, const char* oem = "BOCHS ",
                   const char* oem_table = "BXPC    ") {
    Bytes b(36, 0);
    std::memcpy(b.data(), sig, 4);
    b[8] = rev;
    std::memcpy(&b[10], oem, 6);
    std::memcpy(&b[16], oem_table, 8);
    put32(b, 24, 1);
    std::memcpy(&b[28], "BXPC", 4);
    put32(b, 32, 1);
    b.insert(b.end(), body.begin(), body.end());
    put32(b, 4, uint32_t(b.size()));
    fix_checksum(b, 9, b.size());
    return b;
}
// Recompute a table's checksum after a test edited it.
inline void refresh(Bytes& t) { fix_checksum(t, 9, t.size()); }

inline Bytes rsdt(const std::vector<uint32_t>& entries) {
    Bytes body;
    for (uint32_t e : entries) append32(body, e);
    return table("RSDT", body);
}
inline Bytes xsdt(const std::vector<uint64_t>& entries) {
    Bytes body;
    for (uint64_t e : entries) append64(body, e);
    return table("XSDT", body);
}

// MADT entries (5.2.12.2-5.2.12.13) and the table around them.
inline Bytes lapic(uint8_t uid, uint8_t id, uint32_t flags) {
    Bytes e{0, 8, uid, id};
    append32(e, flags);
    return e;
}
inline Bytes ioapic(uint8_t id, uint32_t addr, uint32_t gsi_base) {
    Bytes e{1, 12, id, 0};
    append32(e, addr);
    append32(e, gsi_base);
    return e;
}
inline Bytes override_entry(uint8_t bus, uint8_t irq, uint32_t gsi, uint16_t flags) {
    Bytes e{2, 10, bus, irq};
    append32(e, gsi);
    append16(e, flags);
    return e;
}
inline Bytes nmi_source(uint16_t flags, uint32_t gsi) {
    Bytes e{3, 8};
    append16(e, flags);
    append32(e, gsi);
    return e;
}
inline Bytes lapic_nmi(uint8_t uid, uint16_t flags, uint8_t lint) {
    Bytes e{4, 6, uid};
    append16(e, flags);
    e.push_back(lint);
    return e;
}
inline Bytes lapic_override(uint64_t addr) {
    Bytes e{5, 12, 0, 0};
    append64(e, addr);
    return e;
}
inline Bytes x2apic(uint32_t id, uint32_t flags, uint32_t uid) {
    Bytes e{9, 16, 0, 0};
    append32(e, id);
    append32(e, flags);
    append32(e, uid);
    return e;
}
inline Bytes x2apic_nmi(uint16_t flags, uint32_t uid, uint8_t lint) {
    Bytes e{10, 12};
    append16(e, flags);
    append32(e, uid);
    e.insert(e.end(), {lint, 0, 0, 0});
    return e;
}
inline Bytes madt(uint32_t lapic_addr, uint32_t flags, const std::vector<Bytes>& entries) {
    Bytes body;
    append32(body, lapic_addr);
    append32(body, flags);
    for (const Bytes& e : entries) body.insert(body.end(), e.begin(), e.end());
    return table("APIC", body);
}

// QEMU 7.2's MADT for `-M pc` with one CPU (hw/i386/acpi-common.c): the LAPIC, the IO-APIC at
// 0xfec00000, IRQ 0 -> GSI 2 (flags 0), IRQ 5/9/10/11 level active-high (flags 0xd), LINT1 NMI.
inline Bytes qemu_madt(unsigned cpus = 1) {
    std::vector<Bytes> e;
    for (unsigned i = 0; i < cpus; i++) e.push_back(lapic(uint8_t(i), uint8_t(i), 1));
    e.push_back(ioapic(0, 0xfec00000, 0));
    e.push_back(override_entry(0, 0, 2, 0));
    for (uint8_t irq : {5, 9, 10, 11}) e.push_back(override_entry(0, irq, irq, 0xd));
    e.push_back(lapic_nmi(0xff, 0, 1));
    return madt(0xfee00000, 1, e);
}

}  // namespace acpi_image
