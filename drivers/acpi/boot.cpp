// ACPI at boot (Linux arch/x86/kernel/acpi/boot.c acpi_boot_table_init/acpi_process_madt): find the RSDP,
// walk the root table, pick the MADT and keep its parsed form for acpi_madt(). Whatever is missing or
// corrupt is said on the console and leaves acpi_madt() NULL, so the kernel keeps the 8259 pair.
#define pr_fmt(fmt) "ACPI: " fmt
#include "drivers/acpi/acpi.h"
#include "drivers/acpi/actbl.h"
#include "init/multiboot2.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "lib/string.h"

using namespace acpi;

namespace {

constexpr uint64_t IDENTITY_MAP_LIMIT = 4ull << 30;

class IdentityPhysMem final : public AcpiPhysMem {
public:
    const uint8_t* map(uint64_t phys, size_t len) override {
        if (phys >= IDENTITY_MAP_LIMIT || len > IDENTITY_MAP_LIMIT - phys) return nullptr;
        return reinterpret_cast<const uint8_t*>((uintptr_t)phys);
    }
};
IdentityPhysMem identity_mem;

// Written once at boot (or by a host test), read afterwards: no lock.
AcpiRsdp rsdp_found;
bool have_rsdp;
AcpiTableInfo tables[ACPI_MAX_TABLES];
unsigned nr_tables;
MadtInfo madt_info;
bool madt_valid;

void no_madt(const char* why) { pr_err("No usable MADT (%s): interrupts stay on the 8259 PIC\n", why); }

}  // namespace

AcpiPhysMem& acpi_identity_mem() { return identity_mem; }

void acpi_boot_reset() {
    have_rsdp = false;
    nr_tables = 0;
    madt_valid = false;
}

int acpi_boot_init(AcpiPhysMem& mem, const AcpiBootSources& src) {
    acpi_boot_reset();
    if (acpi_find_rsdp(mem, src, &rsdp_found) < 0) {
        no_madt("no RSDP");
        return -ENODEV;
    }
    have_rsdp = true;
    // ACPICA's acpi_tb_print_table_header line for the RSDP, and where it was found.
    pr_info("RSDP 0x%016llX %06X (v%02d %-6.6s) from %s\n", (unsigned long long)rsdp_found.phys, rsdp_found.length,
            rsdp_found.revision, rsdp_found.oem_id, rsdp_found.source);
    int n = acpi_walk_tables(mem, rsdp_found, tables, ACPI_MAX_TABLES);
    if (n < 0) {
        no_madt("no valid RSDT or XSDT");
        return n;
    }
    nr_tables = (unsigned)n;

    const AcpiTableInfo* madt = nullptr;
    const AcpiTableInfo* bad = nullptr;
    unsigned found = 0;
    for (unsigned i = 0; i < nr_tables; i++) {
        if (memcmp(tables[i].signature, SIG_MADT, 4) != 0) continue;
        if (!tables[i].valid) {
            if (!bad) bad = &tables[i];
            continue;
        }
        if (!found++) madt = &tables[i];
    }
    if (found > 1) pr_warn("BIOS bug: multiple APIC/MADT found, using 0\n");
    if (!madt) {
        if (bad) {
            pr_err("MADT at 0x%016llx rejected: %s\n", (unsigned long long)bad->phys, bad->problem);
            no_madt(bad->problem);
        } else {
            no_madt("no APIC table");
        }
        return -ENODEV;
    }
    int err = acpi_parse_madt(mem.map(madt->phys, madt->length), madt->length, &madt_info);
    if (err < 0) {
        no_madt(err == -ENODEV ? "no CPUs listed" : "malformed");
        return err;
    }
    madt_valid = true;
    pr_info("Using ACPI (MADT) for SMP configuration information\n");
    return 0;
}

const MadtInfo* acpi_madt() { return madt_valid ? &madt_info : nullptr; }
const AcpiRsdp* acpi_rsdp() { return have_rsdp ? &rsdp_found : nullptr; }
unsigned acpi_table_count() { return nr_tables; }
const AcpiTableInfo* acpi_table_at(unsigned i) { return i < nr_tables ? &tables[i] : nullptr; }

int acpi_boot_init(const BootInfo& boot) {
    AcpiBootSources src;
    src.rsdp_new = {boot.acpi_rsdp_new, (uintptr_t)boot.acpi_rsdp_new, boot.acpi_rsdp_new_len};
    src.rsdp_old = {boot.acpi_rsdp_old, (uintptr_t)boot.acpi_rsdp_old, boot.acpi_rsdp_old_len};
    return acpi_boot_init(identity_mem, src);
}
