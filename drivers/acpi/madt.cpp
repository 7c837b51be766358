// The MADT (ACPI 6.5 section 5.2.12) into a MadtInfo, entry by entry in table order, with Linux's log
// line for each (drivers/acpi/tables.c acpi_table_print_madt_entry) and Linux's rules from
// arch/x86/kernel/acpi/boot.c (acpi_parse_lapic, acpi_parse_x2apic, acpi_parse_int_src_ovr,
// mp_override_legacy_irq). A structurally bad table is rejected whole, as Linux's "Invalid BIOS MADT".
#define pr_fmt(fmt) "ACPI: " fmt
#include "drivers/acpi/acpi.h"
#include "drivers/acpi/actbl.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "lib/string.h"

using namespace acpi;
using namespace acpi::madt;

namespace {

constexpr unsigned NR_ISA_IRQS = 16;
constexpr uint64_t DEFAULT_LAPIC_ADDRESS = 0xfee00000;  // Intel SDM vol. 3A 11.4.1
constexpr uint8_t INVALID_APIC_ID = 0xff;
constexpr uint32_t INVALID_X2APIC_ID = 0xffffffffu;
constexpr uint8_t LAPIC_NMI_ALL = 0xff;

const char* const polarity_names[] = {"dfl", "high", "res", "low"};
const char* const trigger_names[] = {"dfl", "edge", "res", "level"};

// The smallest length each entry type Linux reads must have (BAD_MADT_ENTRY); 2 for the rest.
size_t min_entry_size(uint8_t type) {
    switch (type) {
    case TYPE_LOCAL_APIC:
        return LAPIC_SIZE;
    case TYPE_IO_APIC:
        return IOAPIC_SIZE;
    case TYPE_INTERRUPT_OVERRIDE:
        return ISO_SIZE;
    case TYPE_NMI_SOURCE:
        return NMI_SRC_SIZE;
    case TYPE_LOCAL_APIC_NMI:
        return LAPIC_NMI_SIZE;
    case TYPE_LOCAL_APIC_OVERRIDE:
        return LAPIC_OVR_SIZE;
    case TYPE_LOCAL_X2APIC:
        return X2APIC_SIZE;
    case TYPE_LOCAL_X2APIC_NMI:
        return X2APIC_NMI_SIZE;
    default:
        return 2;
    }
}

MadtPolarity polarity_of(uint16_t flags) { return (MadtPolarity)(flags & INTI_POLARITY_MASK); }
MadtTrigger trigger_of(uint16_t flags) { return (MadtTrigger)((flags & INTI_TRIGGER_MASK) >> INTI_TRIGGER_SHIFT); }

struct Parser {
    MadtInfo* out;
    bool has_lapic_cpus;  // Local APIC entries list usable CPUs (then x2APIC IDs below 0xff are ignored)
    unsigned dropped_cpus = 0, dropped_ioapics = 0, dropped_overrides = 0, dropped_nmis = 0;

    void add_cpu(uint32_t uid, uint32_t apic_id, uint32_t flags, bool x2apic) {
        if (!(flags & (LAPIC_ENABLED | LAPIC_ONLINE_CAPABLE))) return;  // can never be onlined
        if (out->nr_cpus == MADT_MAX_CPUS) {
            dropped_cpus++;
            return;
        }
        out->cpus[out->nr_cpus++] = MadtCpu{uid, apic_id, (flags & LAPIC_ENABLED) != 0, x2apic};
    }
    void add_nmi(const MadtNmi& n) {
        if (out->nr_nmis == MADT_MAX_NMIS)
            dropped_nmis++;
        else
            out->nmis[out->nr_nmis++] = n;
    }

    void local_apic(const uint8_t* e) {
        uint8_t uid = get8(e, LAPIC_UID), id = get8(e, LAPIC_ID);
        uint32_t flags = get32(e, LAPIC_FLAGS);
        pr_info("LAPIC (acpi_id[0x%02x] lapic_id[0x%02x] %s)\n", uid, id,
                (flags & LAPIC_ENABLED) ? "enabled" : "disabled");
        if (id != INVALID_APIC_ID) add_cpu(uid, id, flags, false);
    }
    void x2apic(const uint8_t* e) {
        uint32_t id = get32(e, X2APIC_ID), uid = get32(e, X2APIC_UID), flags = get32(e, X2APIC_FLAGS);
        pr_info("X2APIC (apic_id[0x%02x] uid[0x%02x] %s)\n", id, uid, (flags & LAPIC_ENABLED) ? "enabled" : "disabled");
        if (id == INVALID_X2APIC_ID) return;
        // ACPI 6.5 5.2.12.12: with valid Local APIC entries, x2APIC entries carry only IDs of 0xff and up.
        if (has_lapic_cpus && id < INVALID_APIC_ID) return;
        add_cpu(uid, id, flags, true);
    }
    void io_apic(const uint8_t* e) {
        MadtIoApic io{get8(e, IOAPIC_ID), get32(e, IOAPIC_ADDRESS), get32(e, IOAPIC_GSI_BASE)};
        pr_info("IOAPIC (id[0x%02x] address[0x%08x] gsi_base[%u])\n", io.id, io.address, io.gsi_base);
        if (!io.address) {
            pr_warn("Bogus (zero) I/O APIC address found, skipping!\n");
            return;
        }
        if (out->nr_ioapics == MADT_MAX_IOAPICS)
            dropped_ioapics++;
        else
            out->ioapics[out->nr_ioapics++] = io;
    }
    void override(const uint8_t* e) {
        uint8_t bus = get8(e, ISO_BUS), irq = get8(e, ISO_SOURCE);
        uint32_t gsi = get32(e, ISO_GSI);
        uint16_t flags = get16(e, ISO_FLAGS);
        pr_info("INT_SRC_OVR (bus %u bus_irq %u global_irq %u %s %s)\n", bus, irq, gsi,
                polarity_names[flags & INTI_POLARITY_MASK], trigger_names[(flags & INTI_TRIGGER_MASK) >> 2]);
        if (flags & ~(INTI_POLARITY_MASK | INTI_TRIGGER_MASK))
            pr_info("INT_SRC_OVR unexpected reserved flags: 0x%x\n", flags & ~(INTI_POLARITY_MASK | INTI_TRIGGER_MASK));
        if (irq >= NR_ISA_IRQS) {
            pr_warn("Invalid bus_irq %u for legacy override\n", irq);
            return;
        }
        MadtTrigger trig = trigger_of(flags);
        if (irq == 0 && trig == MadtTrigger::Level) {
            // Linux mp_override_legacy_irq: a level timer override is a firmware bug (the PIT is edge).
            pr_warn("IRQ0 override is level-triggered: taken as edge\n");
            trig = MadtTrigger::Edge;
        }
        if (out->nr_overrides == MADT_MAX_OVERRIDES)
            dropped_overrides++;
        else
            out->overrides[out->nr_overrides++] = MadtOverride{bus, irq, gsi, polarity_of(flags), trig};
    }
    void nmi_source(const uint8_t* e) {
        uint16_t flags = get16(e, NMI_SRC_FLAGS);
        uint32_t gsi = get32(e, NMI_SRC_GSI);
        pr_info("NMI_SRC (%s %s global_irq %u)\n", polarity_names[flags & INTI_POLARITY_MASK],
                trigger_names[(flags & INTI_TRIGGER_MASK) >> 2], gsi);
        add_nmi(MadtNmi{false, 0, 0, gsi, polarity_of(flags), trigger_of(flags)});
    }
    void local_nmi(uint32_t uid, uint16_t flags, uint8_t lint, bool x2) {
        pr_info("%s (%s[0x%02x] %s %s lint[0x%x])\n", x2 ? "X2APIC_NMI" : "LAPIC_NMI", x2 ? "uid" : "acpi_id", uid,
                polarity_names[flags & INTI_POLARITY_MASK], trigger_names[(flags & INTI_TRIGGER_MASK) >> 2], lint);
        if (lint != 1) pr_warn("NMI not connected to LINT 1!\n");
        if (!x2 && uid == LAPIC_NMI_ALL) uid = MADT_NMI_ALL_CPUS;
        add_nmi(MadtNmi{true, uid, lint, 0, polarity_of(flags), trigger_of(flags)});
    }
    void lapic_override(const uint8_t* e) {
        uint64_t addr = get64(e, LAPIC_OVR_ADDRESS);
        pr_info("LAPIC_ADDR_OVR (address[0x%llx])\n", (unsigned long long)addr);
        out->lapic_address = addr;
    }

    void entry(const uint8_t* e) {
        switch (get8(e, TYPE)) {
        case TYPE_LOCAL_APIC:
            return local_apic(e);
        case TYPE_LOCAL_X2APIC:
            return x2apic(e);
        case TYPE_IO_APIC:
            return io_apic(e);
        case TYPE_INTERRUPT_OVERRIDE:
            return override(e);
        case TYPE_NMI_SOURCE:
            return nmi_source(e);
        case TYPE_LOCAL_APIC_NMI:
            return local_nmi(get8(e, LAPIC_NMI_UID), get16(e, LAPIC_NMI_FLAGS), get8(e, LAPIC_NMI_LINT), false);
        case TYPE_LOCAL_X2APIC_NMI:
            return local_nmi(get32(e, X2APIC_NMI_UID), get16(e, X2APIC_NMI_FLAGS), get8(e, X2APIC_NMI_LINT), true);
        case TYPE_LOCAL_APIC_OVERRIDE:
            return lapic_override(e);
        default:
            pr_warn("Found unsupported MADT entry (type = 0x%x)\n", get8(e, TYPE));
        }
    }

    void report_dropped() {
        if (dropped_cpus) pr_warn("[APIC] %u CPU entries beyond the first %u ignored\n", dropped_cpus, MADT_MAX_CPUS);
        if (dropped_ioapics)
            pr_warn("[APIC] %u IOAPIC entries beyond the first %u ignored\n", dropped_ioapics, MADT_MAX_IOAPICS);
        if (dropped_overrides)
            pr_warn("[APIC] %u INT_SRC_OVR entries beyond the first %u ignored\n", dropped_overrides,
                    MADT_MAX_OVERRIDES);
        if (dropped_nmis) pr_warn("[APIC] %u NMI entries beyond the first %u ignored\n", dropped_nmis, MADT_MAX_NMIS);
    }
};

// Every entry fits the table and is at least as long as its type needs (Linux acpi_parse_entries_array
// and BAD_MADT_ENTRY). Also notes whether usable Local APIC entries exist. Prints the first fault.
bool entries_sound(const uint8_t* t, size_t end, bool* has_lapic_cpus) {
    *has_lapic_cpus = false;
    for (size_t off = ENTRIES; off < end;) {
        if (end - off < 2) {
            pr_err("[APIC] %zu stray bytes at offset %zu: truncated entry\n", end - off, off);
            return false;
        }
        const uint8_t* e = t + off;
        uint8_t type = get8(e, TYPE), len = get8(e, LENGTH);
        if (len < 2) {
            pr_err("[APIC:0x%02x] Invalid zero length\n", type);
            return false;
        }
        if (len > end - off) {
            pr_err("[APIC:0x%02x] entry at offset %zu (%u bytes) runs past the table's end (%zu bytes)\n", type, off,
                   len, end);
            return false;
        }
        if (len < min_entry_size(type)) {
            pr_err("[APIC:0x%02x] entry at offset %zu too short: %u bytes, needs %zu\n", type, off, len,
                   min_entry_size(type));
            return false;
        }
        if (type == TYPE_LOCAL_APIC && get8(e, LAPIC_ID) != INVALID_APIC_ID &&
            (get32(e, LAPIC_FLAGS) & (LAPIC_ENABLED | LAPIC_ONLINE_CAPABLE)))
            *has_lapic_cpus = true;
        off += len;
    }
    return true;
}

}  // namespace

const char* acpi_polarity_name(MadtPolarity p) { return polarity_names[(unsigned)p & 3]; }
const char* acpi_trigger_name(MadtTrigger t) { return trigger_names[(unsigned)t & 3]; }

int acpi_parse_madt(const uint8_t* t, size_t len, MadtInfo* out) {
    memset(out, 0, sizeof *out);
    if (len < ENTRIES) {
        pr_err("[APIC] truncated: %zu bytes, the MADT has at least %zu\n", len, ENTRIES);
        return -EINVAL;
    }
    uint32_t tlen = get32(t, hdr::LENGTH);
    if (tlen < ENTRIES || tlen > len) {
        pr_err("[APIC] length field %u does not fit the %zu bytes present (at least %zu)\n", tlen, len, ENTRIES);
        return -EINVAL;
    }
    Parser p{out, false};
    if (!entries_sound(t, tlen, &p.has_lapic_cpus)) {
        pr_err("Invalid BIOS MADT\n");
        return -EINVAL;
    }
    out->lapic_address = get32(t, LAPIC_ADDRESS);
    out->pcat_compat = (get32(t, FLAGS) & PCAT_COMPAT) != 0;
    pr_info("Local APIC address 0x%08x\n", get32(t, LAPIC_ADDRESS));
    for (size_t off = ENTRIES; off < tlen; off += get8(t + off, LENGTH)) p.entry(t + off);
    p.report_dropped();
    if (!out->lapic_address) {
        pr_warn("Local APIC address 0 in the MADT: using 0x%llx\n", (unsigned long long)DEFAULT_LAPIC_ADDRESS);
        out->lapic_address = DEFAULT_LAPIC_ADDRESS;
    }
    if (!out->nr_cpus) {
        pr_err("No LAPIC entries present\n");
        return -ENODEV;
    }
    return 0;
}

int madt_isa_irq_to_gsi(const MadtInfo* madt, unsigned irq, MadtPolarity* pol, MadtTrigger* trig) {
    if (pol) *pol = MadtPolarity::Conforming;
    if (trig) *trig = MadtTrigger::Conforming;
    if (irq >= NR_ISA_IRQS) return -1;
    int gsi = (int)irq;
    bool overridden = false, identity_taken = false;
    for (unsigned i = 0; madt && i < madt->nr_overrides; i++) {
        const MadtOverride& o = madt->overrides[i];
        if (o.source_irq == irq) {  // the last override of a source IRQ wins, as in Linux's isa_irq_to_gsi[]
            overridden = true;
            gsi = (int)o.gsi;
            if (pol) *pol = o.polarity;
            if (trig) *trig = o.trigger;
        } else if (o.gsi == irq) {
            identity_taken = true;
        }
    }
    // Linux mp_override_legacy_irq: an override onto GSI g < 16 removes ISA IRQ g's identity mapping.
    if (!overridden && identity_taken) return -1;
    return gsi;
}

int madt_gsi_to_isa_irq(const MadtInfo* madt, uint32_t gsi) {
    for (unsigned irq = 0; irq < NR_ISA_IRQS; irq++)
        if (madt_isa_irq_to_gsi(madt, irq, nullptr, nullptr) == (int)gsi) return (int)irq;
    return -1;
}
