// The shell's `acpi`: what the boot found of ACPI (the RSDP and where it came from, each table the root
// table lists with its checksum verdict) and the MADT as the kernel uses it (the local APIC address, the
// CPUs, the IO-APICs with their GSI bases, the ISA overrides and the NMI entries). Reads only what
// acpi_boot_init kept; touches no table.
#include "drivers/acpi/acpi.h"
#include "kernel/errno.h"
#include "kernel/shell/shell.h"

namespace {

void print_tables() {
    const AcpiRsdp* r = acpi_rsdp();
    if (!r) {
        shell_puts("RSDP: not found\n");
        return;
    }
    shell_printf("RSDP 0x%016llx rev %u OEM '%s' (from %s): RSDT 0x%08x", (unsigned long long)r->phys, r->revision,
                 r->oem_id, r->source, r->rsdt);
    if (r->revision >= 2) shell_printf(" XSDT 0x%016llx", (unsigned long long)r->xsdt);
    shell_puts("\n");
    for (unsigned i = 0; i < acpi_table_count(); i++) {
        const AcpiTableInfo* t = acpi_table_at(i);
        shell_printf("  %-4s 0x%016llx %6u bytes rev %u %-6s %-8s %s\n", t->signature, (unsigned long long)t->phys,
                     t->length, t->revision, t->oem_id, t->oem_table_id, t->valid ? "ok" : t->problem);
    }
}

void print_madt(const MadtInfo* m) {
    if (!m) {
        shell_puts("MADT: none usable (interrupts stay on the 8259 PIC)\n");
        return;
    }
    shell_printf("MADT: local APIC at 0x%llx, %s\n", (unsigned long long)m->lapic_address,
                 m->pcat_compat ? "PC-AT compatible (8259 pair present)" : "no 8259 pair");
    for (unsigned i = 0; i < m->nr_cpus; i++) {
        const MadtCpu& c = m->cpus[i];
        shell_printf("  CPU %u: %s ID %u, ACPI UID %u, %s\n", i, c.x2apic ? "x2APIC" : "APIC", c.apic_id,
                     c.acpi_processor_id, c.enabled ? "enabled" : "online-capable (disabled)");
    }
    for (unsigned i = 0; i < m->nr_ioapics; i++)
        shell_printf("  IO-APIC %u: ID %u at 0x%08x, GSI base %u\n", i, m->ioapics[i].id, m->ioapics[i].address,
                     m->ioapics[i].gsi_base);
    for (unsigned i = 0; i < m->nr_overrides; i++) {
        const MadtOverride& o = m->overrides[i];
        shell_printf("  override: bus %u IRQ %u -> GSI %u, polarity %s, trigger %s\n", o.bus, o.source_irq, o.gsi,
                     acpi_polarity_name(o.polarity), acpi_trigger_name(o.trigger));
    }
    for (unsigned i = 0; i < m->nr_nmis; i++) {
        const MadtNmi& n = m->nmis[i];
        if (!n.local)
            shell_printf("  NMI source: GSI %u", n.gsi);
        else if (n.acpi_processor_id == MADT_NMI_ALL_CPUS)
            shell_printf("  NMI: LINT%u of every CPU", n.lint);
        else
            shell_printf("  NMI: LINT%u of ACPI UID %u", n.lint, n.acpi_processor_id);
        shell_printf(", polarity %s, trigger %s\n", acpi_polarity_name(n.polarity), acpi_trigger_name(n.trigger));
    }
}

// Process context (the shell). 0, or -EINVAL for any argument.
int cmd_acpi(int argc, char**) {
    if (argc > 1) {
        shell_puts("usage: acpi  (the RSDP, the tables with their checksum verdict, and the MADT)\n");
        return -EINVAL;
    }
    print_tables();
    print_madt(acpi_madt());
    return 0;
}

}  // namespace

SHELL_COMMAND("acpi", "ACPI tables found at boot and the MADT: CPUs, IO-APICs, overrides, NMIs", cmd_acpi);
