// In-kernel tests of drivers/acpi on the emulators' own firmware tables: QEMU's SeaBIOS and Bochs's BIOS
// both publish an RSDP, a valid MADT with the boot CPU, one IO-APIC serving GSI 0 upwards and the PIT's
// IRQ 0 routed to GSI 2, and every table the root table lists has a valid checksum.
#include "tests/kernel/ktest.h"
#include "drivers/acpi/acpi.h"

KTEST(acpi, the_firmware_madt_is_usable) {
    const MadtInfo* m = acpi_madt();
    KASSERT(m != nullptr);
    KEXPECT_TRUE(m->nr_cpus >= 1);
    KEXPECT_TRUE(m->cpus[0].enabled);
    KEXPECT_EQ(m->lapic_address, 0xfee00000ull);
    KASSERT(m->nr_ioapics >= 1);
    KEXPECT_EQ(m->ioapics[0].address, 0xfec00000u);
    KEXPECT_EQ(m->ioapics[0].gsi_base, 0u);
    KEXPECT_TRUE(m->pcat_compat);
}

KTEST(acpi, the_timer_irq_reaches_gsi_2) {
    const MadtInfo* m = acpi_madt();
    KASSERT(m != nullptr);
    KEXPECT_EQ(madt_isa_irq_to_gsi(m, 0, nullptr, nullptr), 2);
    KEXPECT_EQ(madt_gsi_to_isa_irq(m, 2), 0);
}

KTEST(acpi, every_listed_table_is_valid) {
    KASSERT(acpi_rsdp() != nullptr);
    KASSERT(acpi_table_count() >= 1);
    for (unsigned i = 0; i < acpi_table_count(); i++)
        if (!KEXPECT_TRUE(acpi_table_at(i)->valid))
            ktest_fail(__FILE__, __LINE__, "table %s", acpi_table_at(i)->signature);
}
