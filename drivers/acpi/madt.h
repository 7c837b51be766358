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

// MPS INTI flags (ACPI table 5.50): polarity in bits 0-1, trigger mode in bits 2-3.
enum class MadtPolarity : uint8_t { Conforming = 0, ActiveHigh = 1, Reserved = 2, ActiveLow = 3 };
enum class MadtTrigger : uint8_t { Conforming = 0, Edge = 1, Reserved = 2, Level = 3 };

struct MadtCpu {
    uint8_t acpi_processor_id;
    uint32_t apic_id;  // 8-bit for a Local APIC entry, 32-bit for a Local x2APIC entry
    bool enabled;      // flags bit 0; a disabled but online-capable CPU is listed with enabled = false
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
    bool local;                 // true: a Local APIC NMI entry (LINT pin), false: an NMI source GSI
    uint8_t acpi_processor_id;  // local only; 0xff = all processors
    uint8_t lint;               // local only: LINT0 or LINT1
    uint32_t gsi;               // source only
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

// The machine's MADT once acpi_init() accepted it; NULL when there is none or it was rejected (the kernel
// then stays with the 8259 pair). Any context after boot.
const MadtInfo* acpi_madt();
