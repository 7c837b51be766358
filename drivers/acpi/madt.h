// What the kernel needs from ACPI's Multiple APIC Description Table (ACPI 6.5 section 5.2.12): the local
// APIC address, the CPUs, the IO-APICs with their GSI bases, the ISA interrupt source overrides and the
// NMI entries. drivers/acpi/ fills it once at boot from the firmware's tables (Linux
// arch/x86/kernel/acpi/boot.c reads the same entries); the APIC drivers and the SMP start-up read it.
#pragma once
#include "kernel/types.h"

constexpr unsigned MADT_MAX_CPUS = 64;  // entries kept; only NR_CPUS of them are started
constexpr unsigned MADT_MAX_IOAPICS = 8;
constexpr unsigned MADT_MAX_OVERRIDES = 16;
constexpr unsigned MADT_MAX_NMIS = 16;
constexpr uint32_t MADT_NMI_ALL_CPUS = 0xffffffffu;

// MPS INTI flags (ACPI table 5.50): polarity in bits 0-1, trigger mode in bits 2-3.
enum class MadtPolarity : uint8_t { Conforming = 0, ActiveHigh = 1, Reserved = 2, ActiveLow = 3 };
enum class MadtTrigger : uint8_t { Conforming = 0, Edge = 1, Reserved = 2, Level = 3 };

struct MadtCpu {
    uint32_t acpi_processor_id;  // the ACPI processor UID: 8-bit in a Local APIC entry, 32-bit for x2APIC
    uint32_t apic_id;            // 8-bit for a Local APIC entry, 32-bit for a Local x2APIC entry
    bool enabled;                // flags bit 0; a disabled but online-capable CPU is listed with enabled = false
    bool x2apic;                 // from a Local x2APIC entry
};

struct MadtIoApic {
    uint8_t id;
    uint32_t address;   // physical MMIO base
    uint32_t gsi_base;  // first GSI of pin 0
};

struct MadtOverride {
    uint8_t bus;         // 0 = ISA
    uint8_t source_irq;  // the ISA IRQ
    uint32_t gsi;
    MadtPolarity polarity;
    MadtTrigger trigger;
};

struct MadtNmi {
    bool local;                  // true: a Local APIC NMI entry (LINT pin), false: an NMI source GSI
    uint32_t acpi_processor_id;  // local only; MADT_NMI_ALL_CPUS = all processors (0xff in a Local APIC NMI
                                 // entry, 0xffffffff in a Local x2APIC NMI entry, both stored as the latter)
    uint8_t lint;                // local only: LINT0 or LINT1
    uint32_t gsi;                // source only
    MadtPolarity polarity;
    MadtTrigger trigger;
};

struct MadtInfo {
    uint64_t lapic_address;  // from the table header, or the Local APIC Address Override entry
    bool pcat_compat;        // flags bit 0: an 8259 pair is present and must be masked in APIC mode
    unsigned nr_cpus;
    MadtCpu cpus[MADT_MAX_CPUS];
    unsigned nr_ioapics;
    MadtIoApic ioapics[MADT_MAX_IOAPICS];
    unsigned nr_overrides;
    MadtOverride overrides[MADT_MAX_OVERRIDES];
    unsigned nr_nmis;
    MadtNmi nmis[MADT_MAX_NMIS];
};

// The GSI ISA IRQ `irq` reaches: its interrupt source override, else the identity (Linux
// acpi_isa_irq_to_gsi); -1 for irq >= 16 or when another IRQ's override took the identity GSI (IRQ 2 once
// IRQ 0 goes to GSI 2). The override's polarity and trigger go to *pol and *trig when non-NULL
// (Conforming when there is none: the ISA default, edge and active high). `madt` may be NULL (identity).
// Any context.
int madt_isa_irq_to_gsi(const MadtInfo* madt, unsigned irq, MadtPolarity* pol, MadtTrigger* trig);
// The ISA IRQ whose line a GSI carries: the IRQ an override sends there, else the GSI itself when it is
// below 16 and no override takes that IRQ elsewhere (Linux's isa_irq_to_gsi table read backwards); -1
// when no ISA IRQ reaches it (e.g. GSI 0 once IRQ 0 is routed to GSI 2). Any context.
int madt_gsi_to_isa_irq(const MadtInfo* madt, uint32_t gsi);

// The machine's MADT once acpi_boot_init() (drivers/acpi/acpi.h) accepted it; NULL when there is none
// or it was rejected (the kernel then stays with the 8259 pair). Any context after boot.
const MadtInfo* acpi_madt();
