// Host tests for drivers/acpi on byte-exact table images: the RSDP search order (Multiboot2 tag 15, tag
// 14, the EBDA, the BIOS area in 16-byte steps) and its checksums, the XSDT/RSDT walk with ACPICA's lines,
// a bad checksum, a truncated table or entry, the MADT's entries (overrides with every polarity and
// trigger, x2APIC entries, disabled and online-capable CPUs, NMIs, the LAPIC address override), the ISA
// IRQ <-> GSI mapping, and the `acpi` command.
#include "drivers/acpi/acpi.h"
#include "kernel/errno.h"
#include "kernel/shell/shell.h"

#include <gtest/gtest.h>
#include <cstdio>
#include <string>

#include "tests/host/support/acpi_image.h"
#include "tests/host/support/capture_console.h"
#include "tests/host/support/host_env.h"

namespace {

using namespace acpi_image;

constexpr uint64_t RSDP_AT = 0xF52A0, RSDT_AT = 0x7FE0000, XSDT_AT = 0x7FE0100, MADT_AT = 0x7FE1000,
                   FACP_AT = 0x7FE2000;

class Acpi : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        acpi_boot_reset();
        mem.place(0x400, Bytes(0x100, 0));  // BIOS data area: EBDA pointer 0 unless a test sets one
        mem.place(0xE0000, Bytes(0x20000, 0));
    }
    void TearDown() override { acpi_boot_reset(); }

    // A BIOS-area RSDP (revision 0) -> RSDT -> {FACP, MADT}.
    void bios_tables(const Bytes& madt_image) {
        put_rsdp(RSDP_AT, rsdp(0, RSDT_AT));
        mem.place(RSDT_AT, rsdt({FACP_AT, MADT_AT}));
        mem.place(FACP_AT, table("FACP", Bytes(80, 0)));
        mem.place(MADT_AT, madt_image);
    }
    void put_rsdp(uint64_t at, const Bytes& r) {
        Bytes& area = mem.at(0xE0000);
        std::copy(r.begin(), r.end(), area.begin() + (at - 0xE0000));
    }
    const MadtInfo* boot(const AcpiBootSources& src = {}) {
        host_console::clear();
        acpi_boot_init(mem, src);
        return acpi_madt();
    }
    bool logged(const std::string& s) { return host_console::text().find(s) != std::string::npos; }

    FakePhysMem mem;
};

TEST_F(Acpi, QemuMadtThroughTheBiosAreaRsdpAndRsdt) {
    bios_tables(qemu_madt());
    const MadtInfo* m = boot();
    ASSERT_NE(m, nullptr) << host_console::text();
    EXPECT_TRUE(logged("ACPI: RSDP 0x00000000000F52A0 000014 (v00 BOCHS ) from BIOS area\n")) << host_console::text();
    EXPECT_TRUE(logged("ACPI: RSDT 0x0000000007FE0000 00002C (v01 BOCHS  BXPC     00000001 BXPC 00000001)\n"))
        << host_console::text();
    EXPECT_TRUE(logged("ACPI: APIC 0x0000000007FE1000 000078 (v01 BOCHS  BXPC     00000001 BXPC 00000001)\n"));
    EXPECT_TRUE(logged("ACPI: LAPIC (acpi_id[0x00] lapic_id[0x00] enabled)\n"));
    EXPECT_TRUE(logged("ACPI: IOAPIC (id[0x00] address[0xfec00000] gsi_base[0])\n"));
    EXPECT_TRUE(logged("ACPI: INT_SRC_OVR (bus 0 bus_irq 0 global_irq 2 dfl dfl)\n"));
    EXPECT_TRUE(logged("ACPI: INT_SRC_OVR (bus 0 bus_irq 11 global_irq 11 high level)\n"));
    EXPECT_TRUE(logged("ACPI: LAPIC_NMI (acpi_id[0xff] dfl dfl lint[0x1])\n"));
    EXPECT_TRUE(logged("ACPI: Using ACPI (MADT) for SMP configuration information\n"));

    EXPECT_EQ(m->lapic_address, 0xfee00000u);
    EXPECT_TRUE(m->pcat_compat);
    ASSERT_EQ(m->nr_cpus, 1u);
    EXPECT_EQ(m->cpus[0].apic_id, 0u);
    EXPECT_TRUE(m->cpus[0].enabled);
    EXPECT_FALSE(m->cpus[0].x2apic);
    ASSERT_EQ(m->nr_ioapics, 1u);
    EXPECT_EQ(m->ioapics[0].address, 0xfec00000u);
    EXPECT_EQ(m->ioapics[0].gsi_base, 0u);
    ASSERT_EQ(m->nr_overrides, 5u);
    EXPECT_EQ(m->overrides[0].source_irq, 0);
    EXPECT_EQ(m->overrides[0].gsi, 2u);
    EXPECT_EQ(m->overrides[4].source_irq, 11);
    EXPECT_EQ(m->overrides[4].polarity, MadtPolarity::ActiveHigh);
    EXPECT_EQ(m->overrides[4].trigger, MadtTrigger::Level);
    ASSERT_EQ(m->nr_nmis, 1u);
    EXPECT_TRUE(m->nmis[0].local);
    EXPECT_EQ(m->nmis[0].acpi_processor_id, MADT_NMI_ALL_CPUS);
    EXPECT_EQ(m->nmis[0].lint, 1);
    ASSERT_EQ(acpi_table_count(), 2u);
    EXPECT_STREQ(acpi_table_at(0)->signature, "FACP");
    EXPECT_STREQ(acpi_table_at(1)->signature, "APIC");
}

TEST_F(Acpi, MultibootTag15ComesFirstThenTag14ThenTheBios) {
    bios_tables(qemu_madt());
    Bytes v2 = rsdp(2, RSDT_AT, XSDT_AT, "TAG15 "), v1 = rsdp(0, RSDT_AT, 0, "TAG14 ");
    mem.place(XSDT_AT, xsdt({MADT_AT}));
    AcpiBootSources src;
    src.rsdp_new = {v2.data(), 0x10000, v2.size()};
    src.rsdp_old = {v1.data(), 0x10040, v1.size()};
    ASSERT_NE(boot(src), nullptr);
    EXPECT_STREQ(acpi_rsdp()->source, "Multiboot2 tag 15");
    EXPECT_STREQ(acpi_rsdp()->oem_id, "TAG15 ");
    EXPECT_TRUE(logged("ACPI: RSDP 0x0000000000010000 000024 (v02 TAG15 ) from Multiboot2 tag 15\n"));
    EXPECT_TRUE(logged("ACPI: XSDT 0x0000000007FE0100")) << "revision 2 walks the XSDT";

    v2[8] ^= 1;  // first checksum broken: the copy is refused, tag 14 is next
    ASSERT_NE(boot(src), nullptr);
    EXPECT_TRUE(logged("ACPI: RSDP copy in Multiboot2 tag 15 ignored: checksum mismatch (first 20 bytes)\n"));
    EXPECT_STREQ(acpi_rsdp()->source, "Multiboot2 tag 14");

    v1[0] = 'X';  // tag 14 bad too: the BIOS area's RSDP
    ASSERT_NE(boot(src), nullptr);
    EXPECT_TRUE(logged("ACPI: RSDP copy in Multiboot2 tag 14 ignored: bad signature\n"));
    EXPECT_STREQ(acpi_rsdp()->source, "BIOS area");
    EXPECT_EQ(acpi_rsdp()->phys, RSDP_AT);
}

TEST_F(Acpi, ExtendedChecksumIsCheckedFromRevisionTwo) {
    bios_tables(qemu_madt());
    Bytes v2 = rsdp(2, RSDT_AT, XSDT_AT);
    v2[32] ^= 0x40;  // the 20-byte checksum still holds
    AcpiBootSources src;
    src.rsdp_new = {v2.data(), 0x10000, v2.size()};
    boot(src);
    EXPECT_TRUE(logged("ignored: extended checksum mismatch (36 bytes)")) << host_console::text();
    EXPECT_STREQ(acpi_rsdp()->source, "BIOS area");
    Bytes cut(v2.begin(), v2.begin() + 30);
    v2 = rsdp(2, RSDT_AT, XSDT_AT);
    src.rsdp_new = {v2.data(), 0x10000, 30};  // a tag too small for a revision 2 RSDP
    boot(src);
    EXPECT_TRUE(logged("RSDP copy in Multiboot2 tag 15 ignored: truncated")) << host_console::text();
}

TEST_F(Acpi, EbdaIsSearchedBeforeTheBiosArea) {
    bios_tables(qemu_madt());
    mem.place(0x9FC00, Bytes(0x400, 0));
    Bytes r = rsdp(0, RSDT_AT, 0, "EBDA  ");
    std::copy(r.begin(), r.end(), mem.at(0x9FC00).begin() + 0x40);
    mem.at(0x400)[0x0E] = 0xC0;  // segment 0x9FC0
    mem.at(0x400)[0x0F] = 0x9F;
    ASSERT_NE(boot(), nullptr);
    EXPECT_STREQ(acpi_rsdp()->source, "EBDA");
    EXPECT_EQ(acpi_rsdp()->phys, 0x9FC40u);

    mem.at(0x400)[0x0F] = 0xA0;  // 0xA0000 and above is no EBDA: not searched
    mem.place(0xA0000, Bytes(0x400, 0));
    std::copy(r.begin(), r.end(), mem.at(0xA0000).begin());
    mem.at(0x400)[0x0E] = 0;
    ASSERT_NE(boot(), nullptr);
    EXPECT_STREQ(acpi_rsdp()->source, "BIOS area");
}

TEST_F(Acpi, TheScanLooksOnlyAtSixteenByteBoundaries) {
    bios_tables(qemu_madt());
    Bytes& area = mem.at(0xE0000);
    std::fill(area.begin(), area.end(), 0);
    put_rsdp(0xF52A8, rsdp(0, RSDT_AT));  // 8 bytes off a paragraph
    EXPECT_EQ(boot(), nullptr);
    EXPECT_TRUE(logged("ACPI: A valid RSDP was not found (Multiboot2 tags, EBDA, 0xE0000-0xFFFFF)\n"));
    EXPECT_TRUE(logged("ACPI: No usable MADT (no RSDP): interrupts stay on the 8259 PIC\n"));
    EXPECT_EQ(acpi_rsdp(), nullptr);
    put_rsdp(0xFFFE0, rsdp(0, RSDT_AT));  // the last paragraph a 20-byte RSDP fits in
    EXPECT_NE(boot(), nullptr);
    EXPECT_EQ(acpi_rsdp()->phys, 0xFFFE0u);
}

TEST_F(Acpi, AnInvalidXsdtFallsBackToTheRsdt) {
    bios_tables(qemu_madt());
    Bytes x = xsdt({MADT_AT});
    x[20] ^= 1;  // checksum wrong
    mem.place(XSDT_AT, x);
    put_rsdp(RSDP_AT, rsdp(2, RSDT_AT, XSDT_AT));
    ASSERT_NE(boot(), nullptr);
    EXPECT_TRUE(logged("Incorrect checksum in table [XSDT]"));
    EXPECT_TRUE(logged("ACPI: Using the RSDT instead of the invalid XSDT\n"));
    EXPECT_EQ(acpi_table_count(), 2u) << "the RSDT's two tables";
}

TEST_F(Acpi, MadtWithABadChecksumIsRejected) {
    Bytes m = qemu_madt();
    m[9] = uint8_t(m[9] + 3);
    uint8_t stored = m[9];
    bios_tables(m);
    EXPECT_EQ(boot(), nullptr);
    char line[128];
    snprintf(line, sizeof line,
             "ACPI BIOS Warning (bug): Incorrect checksum in table [APIC] - 0x%02X, should be 0x%02X\n", stored,
             uint8_t(stored - 3));
    EXPECT_TRUE(logged(line)) << host_console::text();
    EXPECT_TRUE(logged("ACPI: MADT at 0x0000000007fe1000 rejected: checksum mismatch\n"));
    EXPECT_TRUE(logged("ACPI: No usable MADT (checksum mismatch): interrupts stay on the 8259 PIC\n"));
    EXPECT_FALSE(acpi_table_at(1)->valid);
    EXPECT_FALSE(logged("INT_SRC_OVR")) << "a rejected table's entries are not read";
}

TEST_F(Acpi, TruncatedMadtIsRejected) {
    Bytes m = qemu_madt();
    bios_tables(Bytes(m.begin(), m.begin() + 60));  // header says 0x78 bytes, 60 are there
    EXPECT_EQ(boot(), nullptr);
    EXPECT_TRUE(logged("ACPI: [APIC] at 0x0000000007fe1000: its 0x78 bytes cannot be read (truncated), ignored\n"))
        << host_console::text();
    EXPECT_TRUE(logged("No usable MADT (truncated)"));
}

TEST_F(Acpi, NoMadtAtAll) {
    bios_tables(qemu_madt());
    mem.place(RSDT_AT, rsdt({FACP_AT}));
    EXPECT_EQ(boot(), nullptr);
    EXPECT_TRUE(logged("ACPI: No usable MADT (no APIC table): interrupts stay on the 8259 PIC\n"));
}

// acpi_parse_madt on images with a fault in one entry: the whole table is refused.
class MadtParse : public IrqTest {
protected:
    int parse(const Bytes& t, size_t len = SIZE_MAX) {
        host_console::clear();
        return acpi_parse_madt(t.data(), len == SIZE_MAX ? t.size() : len, &m);
    }
    bool logged(const std::string& s) { return host_console::text().find(s) != std::string::npos; }
    MadtInfo m;
};

TEST_F(MadtParse, AnEntryRunningPastTheEndIsRefused) {
    Bytes t = madt(0xfee00000, 1, {lapic(0, 0, 1), ioapic(0, 0xfec00000, 0)});
    t[t.size() - 12 + 1] = 14;  // the IO-APIC entry claims 14 bytes, 12 are left
    refresh(t);
    EXPECT_EQ(parse(t), -EINVAL);
    EXPECT_TRUE(logged("ACPI: [APIC:0x01] entry at offset 52 (14 bytes) runs past the table's end (64 bytes)\n"))
        << host_console::text();
    EXPECT_TRUE(logged("ACPI: Invalid BIOS MADT\n"));
}

TEST_F(MadtParse, ShortAndZeroLengthEntriesAreRefused) {
    Bytes t = madt(0xfee00000, 1, {Bytes{0, 6, 0, 0, 1, 0}, lapic(1, 1, 1)});  // a Local APIC entry of 6 bytes
    EXPECT_EQ(parse(t), -EINVAL);
    EXPECT_TRUE(logged("ACPI: [APIC:0x00] entry at offset 44 too short: 6 bytes, needs 8\n")) << host_console::text();
    t = madt(0xfee00000, 1, {lapic(0, 0, 1), Bytes{2, 0, 0, 0}});
    EXPECT_EQ(parse(t), -EINVAL);
    EXPECT_TRUE(logged("ACPI: [APIC:0x02] Invalid zero length\n"));
    t = madt(0xfee00000, 1, {lapic(0, 0, 1), Bytes{2}});
    EXPECT_EQ(parse(t), -EINVAL);
    EXPECT_TRUE(logged("ACPI: [APIC] 1 stray bytes at offset 52: truncated entry\n")) << host_console::text();
}

TEST_F(MadtParse, ALengthFieldBeyondTheImageOrBelowTheHeaderIsRefused) {
    Bytes t = qemu_madt();
    EXPECT_EQ(parse(t, 43), -EINVAL);
    EXPECT_TRUE(logged("ACPI: [APIC] truncated: 43 bytes, the MADT has at least 44\n"));
    EXPECT_EQ(parse(t, t.size() - 1), -EINVAL);
    EXPECT_TRUE(logged("ACPI: [APIC] length field 120 does not fit the 119 bytes present (at least 44)\n"))
        << host_console::text();
    EXPECT_EQ(parse(t), 0);
}

TEST_F(MadtParse, OverridesWithEveryPolarityAndTrigger) {
    const char* pol[] = {"dfl", "high", "res", "low"};
    const char* trig[] = {"dfl", "edge", "res", "level"};
    std::vector<Bytes> e{lapic(0, 0, 1), ioapic(0, 0xfec00000, 0)};
    for (uint16_t flags = 0; flags < 16; flags++) e.push_back(override_entry(0, uint8_t(flags), 16 + flags, flags));
    ASSERT_EQ(parse(madt(0xfee00000, 1, e)), 0);
    ASSERT_EQ(m.nr_overrides, 16u);
    for (unsigned f = 0; f < 16; f++) {
        SCOPED_TRACE(f);
        const MadtOverride& o = m.overrides[f];
        EXPECT_EQ(o.source_irq, f);
        EXPECT_EQ(o.gsi, 16 + f);
        EXPECT_EQ((unsigned)o.polarity, f & 3);
        EXPECT_EQ((unsigned)o.trigger, f >> 2);  // source IRQ f carries flags f (IRQ 0: flags 0, not level)
        char line[96];
        snprintf(line, sizeof line, "ACPI: INT_SRC_OVR (bus 0 bus_irq %u global_irq %u %s %s)\n", f, 16 + f, pol[f & 3],
                 trig[f >> 2]);
        EXPECT_TRUE(logged(line)) << line;
    }
}

TEST_F(MadtParse, LevelIrq0IsTakenAsEdgeAndBadSourcesAreIgnored) {
    ASSERT_EQ(parse(madt(0xfee00000, 1,
                         {lapic(0, 0, 1), override_entry(0, 0, 2, 0xf), override_entry(0, 16, 16, 0),
                          override_entry(0, 9, 9, 0x3d)})),
              0);
    ASSERT_EQ(m.nr_overrides, 2u);
    EXPECT_EQ(m.overrides[0].trigger, MadtTrigger::Edge);
    EXPECT_EQ(m.overrides[0].polarity, MadtPolarity::ActiveLow);
    EXPECT_TRUE(logged("ACPI: IRQ0 override is level-triggered: taken as edge\n"));
    EXPECT_TRUE(logged("ACPI: Invalid bus_irq 16 for legacy override\n"));
    EXPECT_TRUE(logged("ACPI: INT_SRC_OVR unexpected reserved flags: 0x30\n"));
    EXPECT_EQ(m.overrides[1].source_irq, 9);
    EXPECT_EQ(m.overrides[1].trigger, MadtTrigger::Level);
}

TEST_F(MadtParse, DisabledCpusAreListedOnlyWhenOnlineCapable) {
    ASSERT_EQ(parse(madt(0xfee00000, 1, {lapic(0, 0, 1), lapic(1, 1, 0), lapic(2, 2, 2), lapic(3, 0xff, 1)})), 0);
    EXPECT_TRUE(logged("ACPI: LAPIC (acpi_id[0x01] lapic_id[0x01] disabled)\n"));
    ASSERT_EQ(m.nr_cpus, 2u) << "neither enabled nor online-capable: left out; APIC ID 0xff: invalid";
    EXPECT_EQ(m.cpus[0].apic_id, 0u);
    EXPECT_TRUE(m.cpus[0].enabled);
    EXPECT_EQ(m.cpus[1].apic_id, 2u);
    EXPECT_EQ(m.cpus[1].acpi_processor_id, 2u);
    EXPECT_FALSE(m.cpus[1].enabled);
}

TEST_F(MadtParse, X2apicEntries) {
    // Only x2APIC entries: every valid ID counts, and the 32-bit IDs and UIDs are kept whole.
    ASSERT_EQ(parse(madt(0xfee00000, 0,
                         {x2apic(0, 1, 0), x2apic(0x100, 1, 0x12345), x2apic(0xffffffff, 1, 7),
                          x2apic_nmi(0x5, 0xffffffff, 1)})),
              0);
    EXPECT_TRUE(logged("ACPI: X2APIC (apic_id[0x100] uid[0x12345] enabled)\n")) << host_console::text();
    EXPECT_TRUE(logged("ACPI: X2APIC_NMI (uid[0xffffffff] high edge lint[0x1])\n"));
    ASSERT_EQ(m.nr_cpus, 2u);
    EXPECT_TRUE(m.cpus[0].x2apic);
    EXPECT_EQ(m.cpus[1].apic_id, 0x100u);
    EXPECT_EQ(m.cpus[1].acpi_processor_id, 0x12345u);
    EXPECT_FALSE(m.pcat_compat);
    ASSERT_EQ(m.nr_nmis, 1u);
    EXPECT_EQ(m.nmis[0].acpi_processor_id, MADT_NMI_ALL_CPUS);
    EXPECT_EQ(m.nmis[0].polarity, MadtPolarity::ActiveHigh);
    EXPECT_EQ(m.nmis[0].trigger, MadtTrigger::Edge);

    // Beside Local APIC entries, an x2APIC entry with an ID below 0xff is a duplicate (ACPI 6.5 5.2.12.12).
    ASSERT_EQ(parse(madt(0xfee00000, 0, {lapic(0, 0, 1), x2apic(0, 1, 0), x2apic(0x1ff, 1, 1)})), 0);
    ASSERT_EQ(m.nr_cpus, 2u);
    EXPECT_FALSE(m.cpus[0].x2apic);
    EXPECT_EQ(m.cpus[1].apic_id, 0x1ffu);
}

TEST_F(MadtParse, NmiSourcesLapicNmisAndTheAddressOverride) {
    ASSERT_EQ(parse(madt(0xfee00000, 1,
                         {lapic(0, 0, 1), nmi_source(0xf, 23), lapic_nmi(0, 0x5, 0), lapic_override(0x1fee00000ull)})),
              0);
    EXPECT_TRUE(logged("ACPI: NMI_SRC (low level global_irq 23)\n"));
    EXPECT_TRUE(logged("ACPI: LAPIC_NMI (acpi_id[0x00] high edge lint[0x0])\n"));
    EXPECT_TRUE(logged("ACPI: NMI not connected to LINT 1!\n"));
    EXPECT_TRUE(logged("ACPI: LAPIC_ADDR_OVR (address[0x1fee00000])\n"));
    EXPECT_EQ(m.lapic_address, 0x1fee00000ull);
    ASSERT_EQ(m.nr_nmis, 2u);
    EXPECT_FALSE(m.nmis[0].local);
    EXPECT_EQ(m.nmis[0].gsi, 23u);
    EXPECT_TRUE(m.nmis[1].local);
    EXPECT_EQ(m.nmis[1].acpi_processor_id, 0u);
    EXPECT_EQ(m.nmis[1].lint, 0);
}

TEST_F(MadtParse, NoCpusMeansNoMadtAndExtraCpusAreReported) {
    EXPECT_EQ(parse(madt(0xfee00000, 1, {ioapic(0, 0xfec00000, 0)})), -ENODEV);
    EXPECT_TRUE(logged("ACPI: No LAPIC entries present\n"));
    std::vector<Bytes> e;
    for (unsigned i = 0; i < MADT_MAX_CPUS + 2; i++) e.push_back(lapic(uint8_t(i), uint8_t(i), 1));
    e.push_back(Bytes{0x7f, 4, 0, 0});  // an entry type irqos does not know
    ASSERT_EQ(parse(madt(0xfee00000, 1, e)), 0);
    EXPECT_EQ(m.nr_cpus, MADT_MAX_CPUS);
    EXPECT_TRUE(logged("ACPI: [APIC] 2 CPU entries beyond the first 64 ignored\n"));
    EXPECT_TRUE(logged("ACPI: Found unsupported MADT entry (type = 0x7f)\n"));
}

TEST_F(MadtParse, IsaIrqsAndGsis) {
    Bytes t = qemu_madt();
    ASSERT_EQ(parse(t), 0);
    MadtPolarity p;
    MadtTrigger tr;
    EXPECT_EQ(madt_isa_irq_to_gsi(&m, 0, &p, &tr), 2);
    EXPECT_EQ(p, MadtPolarity::Conforming);
    EXPECT_EQ(madt_isa_irq_to_gsi(&m, 2, nullptr, nullptr), -1) << "GSI 2 belongs to IRQ 0";
    EXPECT_EQ(madt_isa_irq_to_gsi(&m, 11, &p, &tr), 11);
    EXPECT_EQ(p, MadtPolarity::ActiveHigh);
    EXPECT_EQ(tr, MadtTrigger::Level);
    EXPECT_EQ(madt_isa_irq_to_gsi(&m, 1, &p, &tr), 1);
    EXPECT_EQ(tr, MadtTrigger::Conforming);
    EXPECT_EQ(madt_isa_irq_to_gsi(&m, 16, nullptr, nullptr), -1);
    EXPECT_EQ(madt_gsi_to_isa_irq(&m, 2), 0);
    EXPECT_EQ(madt_gsi_to_isa_irq(&m, 0), -1) << "pin 0 carries no ISA IRQ once IRQ 0 moved to GSI 2";
    EXPECT_EQ(madt_gsi_to_isa_irq(&m, 9), 9);
    EXPECT_EQ(madt_gsi_to_isa_irq(&m, 16), -1);
    EXPECT_EQ(madt_isa_irq_to_gsi(nullptr, 2, nullptr, nullptr), 2) << "no MADT: identity";
}

// The `acpi` command on what the boot found.
std::string g_out;
void capture(const char* s, size_t n) { g_out.append(s, n); }

TEST_F(Acpi, TheAcpiCommandListsTablesAndTheMadt) {
    Bytes bad = table("SSDT", Bytes(8, 1));
    bad[9] ^= 0x10;
    mem.place(0x7FE3000, bad);
    bios_tables(qemu_madt());
    mem.place(RSDT_AT, rsdt({FACP_AT, MADT_AT, 0x7FE3000}));
    ASSERT_NE(boot(), nullptr);
    g_out.clear();
    shell_output_fn prev = shell_set_output(capture);
    char line[] = "acpi";
    EXPECT_EQ(shell_execute(line), 0);
    char bad_args[] = "acpi x";
    EXPECT_EQ(shell_execute(bad_args), -EINVAL);
    shell_set_output(prev);
    EXPECT_EQ(g_out,
              "RSDP 0x00000000000f52a0 rev 0 OEM 'BOCHS ' (from BIOS area): RSDT 0x07fe0000\n"
              "  FACP 0x0000000007fe2000    116 bytes rev 1 BOCHS  BXPC     ok\n"
              "  APIC 0x0000000007fe1000    120 bytes rev 1 BOCHS  BXPC     ok\n"
              "  SSDT 0x0000000007fe3000     44 bytes rev 1 BOCHS  BXPC     checksum mismatch\n"
              "MADT: local APIC at 0xfee00000, PC-AT compatible (8259 pair present)\n"
              "  CPU 0: APIC ID 0, ACPI UID 0, enabled\n"
              "  IO-APIC 0: ID 0 at 0xfec00000, GSI base 0\n"
              "  override: bus 0 IRQ 0 -> GSI 2, polarity dfl, trigger dfl\n"
              "  override: bus 0 IRQ 5 -> GSI 5, polarity high, trigger level\n"
              "  override: bus 0 IRQ 9 -> GSI 9, polarity high, trigger level\n"
              "  override: bus 0 IRQ 10 -> GSI 10, polarity high, trigger level\n"
              "  override: bus 0 IRQ 11 -> GSI 11, polarity high, trigger level\n"
              "  NMI: LINT1 of every CPU, polarity dfl, trigger dfl\n"
              "usage: acpi  (the RSDP, the tables with their checksum verdict, and the MADT)\n");
}

TEST_F(Acpi, TheAcpiCommandWithoutAnything) {
    g_out.clear();
    shell_output_fn prev = shell_set_output(capture);
    char line[] = "acpi";
    EXPECT_EQ(shell_execute(line), 0);
    shell_set_output(prev);
    EXPECT_EQ(g_out, "RSDP: not found\nMADT: none usable (interrupts stay on the 8259 PIC)\n");
}

}  // namespace
