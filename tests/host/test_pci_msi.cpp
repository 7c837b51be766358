// Host tests for the PCI capability list and the MSI capability: the walk from the status register's
// bit 4 and the pointer at 0x34 (low pointer bits ignored, end below 0x40 or at ID 0xFF, the CardBus
// start at 0x14), a looping list reported once and stopped, the MSI layout of 32- and 64-bit
// capabilities with and without per-vector masking, the x86 message byte for byte, the message written
// into the capability, the enable bits of MSI and INTx, the mask bits, and `lspci`'s capability lines.
#include "drivers/pci/msi.h"
#include "kernel/errno.h"
#include "kernel/shell/shell.h"

#include <gtest/gtest.h>
#include <cstdio>
#include <string>

#include "tests/host/support/capture_console.h"
#include "tests/host/support/fake_pci.h"
#include "tests/host/support/host_env.h"

namespace {

using namespace pci_regs;
using Fn = FakePciConfig::Function;

class PciCap : public IrqTest {
protected:
    FakePciConfig cfg;
    Fn& edu() { return cfg.add(0, 4, 0, 0x1234, 0x11e8, 0x00ff00); }
    pci_dev* scan_one() {
        EXPECT_EQ(pci_scan(cfg), 1u);
        return pci_dev_at(0);
    }
    // QEMU's edu: one MSI capability at 0x40, 64-bit, one vector, no per-vector masking.
    static void qemu_edu_msi(Fn& f) {
        FakePciConfig::cap(f, 0x40, PCI_CAP_ID_MSI, 0x00, true);
        f.regs[0x42] = (uint8_t)PCI_MSI_FLAGS_64BIT;
    }
};

TEST_F(PciCap, ListIsWalkedFromThePointerAt0x34) {
    Fn& f = edu();
    FakePciConfig::cap(f, 0x40, PCI_CAP_ID_PM, 0x50, true);
    FakePciConfig::cap(f, 0x50, PCI_CAP_ID_MSI, 0x63);  // the low two bits of a pointer are reserved
    FakePciConfig::cap(f, 0x60, PCI_CAP_ID_VNDR, 0x00);
    pci_dev* d = scan_one();
    pci_cap_list list;
    ASSERT_EQ(pci_read_cap_list(cfg, 0, d->devfn, 0, &list), 3);
    EXPECT_EQ(list.pos[0], 0x40);
    EXPECT_EQ(list.id[0], PCI_CAP_ID_PM);
    EXPECT_EQ(list.pos[1], 0x50);
    EXPECT_EQ(list.pos[2], 0x60) << "0x63 & ~3";
    EXPECT_EQ(list.id[2], PCI_CAP_ID_VNDR);
    EXPECT_EQ(list.error, 0);
    EXPECT_EQ(pci_find_capability(d, PCI_CAP_ID_MSI), 0x50);
    EXPECT_EQ(pci_find_capability(d, PCI_CAP_ID_EXP), 0);
    EXPECT_EQ(d->msi_cap, 0x50) << "the scan found the MSI capability";
}

TEST_F(PciCap, FindNextContinuesAfterTheGivenCapability) {
    Fn& f = edu();
    FakePciConfig::cap(f, 0x40, PCI_CAP_ID_VNDR, 0x48, true);
    FakePciConfig::cap(f, 0x48, PCI_CAP_ID_PM, 0x50);
    FakePciConfig::cap(f, 0x50, PCI_CAP_ID_VNDR, 0x00);
    pci_dev* d = scan_one();
    EXPECT_EQ(pci_find_capability(d, PCI_CAP_ID_VNDR), 0x40);
    EXPECT_EQ(pci_find_next_capability(d, 0x40, PCI_CAP_ID_VNDR), 0x50);
    EXPECT_EQ(pci_find_next_capability(d, 0x50, PCI_CAP_ID_VNDR), 0);
}

TEST_F(PciCap, NoListWithoutTheStatusBit) {
    Fn& f = edu();
    FakePciConfig::cap(f, 0x40, PCI_CAP_ID_MSI, 0x00, true);
    f.regs[0x06] &= (uint8_t)~PCI_STATUS_CAP_LIST;
    pci_dev* d = scan_one();
    pci_cap_list list;
    EXPECT_EQ(pci_read_cap_list(cfg, 0, d->devfn, 0, &list), 0);
    EXPECT_EQ(d->msi_cap, 0) << "a pointer at 0x34 means nothing without PCI_STATUS_CAP_LIST";
}

TEST_F(PciCap, PointerIntoTheHeaderOrIdFFEndsTheList) {
    Fn& f = edu();
    FakePciConfig::cap(f, 0x40, PCI_CAP_ID_PM, 0x3C, true);  // into the standard header: the end
    pci_dev* d = scan_one();
    pci_cap_list list;
    EXPECT_EQ(pci_read_cap_list(cfg, 0, d->devfn, 0, &list), 1);
    FakePciConfig::cap(f, 0x40, PCI_CAP_ID_PM, 0x80);
    FakePciConfig::cap(f, 0x80, 0xFF, 0x90);  // an ID of 0xFF: the function stopped answering
    FakePciConfig::cap(f, 0x90, PCI_CAP_ID_MSI, 0x00);
    EXPECT_EQ(pci_read_cap_list(cfg, 0, d->devfn, 0, &list), 1);
    EXPECT_EQ(pci_find_capability(d, PCI_CAP_ID_MSI), 0);
}

TEST_F(PciCap, CardBusListStartsAt0x14) {
    Fn& f = cfg.add(0, 6, 0, 0x104c, 0xac50, 0x060700, PCI_HEADER_TYPE_CARDBUS);
    FakePciConfig::cap(f, 0x80, PCI_CAP_ID_PM, 0x00);
    f.regs[0x14] = 0x80;
    f.regs[0x34] = 0x90;  // not the CardBus pointer
    pci_cap_list list;
    ASSERT_EQ(pci_read_cap_list(cfg, 0, PCI_DEVFN(6, 0), PCI_HEADER_TYPE_CARDBUS, &list), 1);
    EXPECT_EQ(list.pos[0], 0x80);
}

TEST_F(PciCap, LoopingListIsReportedOnceAndStopped) {
    Fn& f = edu();
    FakePciConfig::cap(f, 0x40, PCI_CAP_ID_PM, 0x48, true);
    FakePciConfig::cap(f, 0x48, PCI_CAP_ID_VNDR, 0x41);  // back to 0x40 (low bits ignored)
    host_console::clear();
    pci_dev* d = scan_one();
    pci_cap_list list;
    EXPECT_EQ(pci_read_cap_list(cfg, 0, d->devfn, 0, &list), -ELOOP);
    EXPECT_EQ(list.count, 2u) << "the entries before the loop are kept";
    EXPECT_EQ(list.loop_to, 0x40);
    EXPECT_EQ(host_console::count("pci 0000:00:04.0: capability list loops back to [40] after [48], walk stopped\n"),
              1u)
        << host_console::text();
    EXPECT_EQ(pci_find_capability(d, PCI_CAP_ID_MSI), 0) << "a search for a missing capability ends";
    EXPECT_EQ(pci_find_capability(d, PCI_CAP_ID_VNDR), 0x48);
}

TEST_F(PciCap, CapabilityPointingAtItselfIsALoop) {
    Fn& f = edu();
    FakePciConfig::cap(f, 0xFC, PCI_CAP_ID_VNDR, 0xFC, true);
    pci_cap_list list;
    EXPECT_EQ(pci_read_cap_list(cfg, 0, PCI_DEVFN(4, 0), 0, &list), -ELOOP);
    EXPECT_EQ(list.count, 1u);
    EXPECT_EQ(list.loop_to, 0xFC);
}

TEST_F(PciCap, LongestPossibleListIsNotALoop) {
    Fn& f = edu();
    for (unsigned pos = 0x40; pos <= 0xFC; pos += 4)
        FakePciConfig::cap(f, (uint8_t)pos, PCI_CAP_ID_VNDR, (uint8_t)(pos == 0xFC ? 0 : pos + 4), pos == 0x40);
    pci_cap_list list;
    EXPECT_EQ(pci_read_cap_list(cfg, 0, PCI_DEVFN(4, 0), 0, &list), (int)PCI_FIND_CAP_TTL);
    EXPECT_EQ(list.error, 0);
}

TEST_F(PciCap, MsiLayoutFromMessageControl) {
    pci_msi_cap c64{0x40, PCI_MSI_FLAGS_64BIT};
    EXPECT_TRUE(c64.is_64());
    EXPECT_FALSE(c64.can_mask());
    EXPECT_EQ(c64.vec_count(), 1u);
    EXPECT_EQ(c64.data_pos(), 0x4C);
    EXPECT_EQ(c64.mask_pos(), 0x50);
    EXPECT_EQ(c64.pending_pos(), 0x54);
    pci_msi_cap c32{0x50, (uint16_t)(PCI_MSI_FLAGS_MASKBIT | 0x0A | 0x30 | PCI_MSI_FLAGS_ENABLE)};
    EXPECT_FALSE(c32.is_64());
    EXPECT_TRUE(c32.can_mask());
    EXPECT_TRUE(c32.enabled());
    EXPECT_EQ(c32.multi_cap(), 5u) << "Multiple Message Capable 101b: 32 vectors";
    EXPECT_EQ(c32.vec_count(), 32u);
    EXPECT_EQ(c32.multiple(), 3u) << "Multiple Message Enable 011b: 8 vectors";
    EXPECT_EQ(c32.data_pos(), 0x58);
    EXPECT_EQ(c32.mask_pos(), 0x5C);
    EXPECT_EQ(c32.pending_pos(), 0x60);
}

TEST_F(PciCap, InitTurnsOffMsiLeftOnAndNotes32BitOnly) {
    Fn& f = edu();
    FakePciConfig::cap(f, 0x40, PCI_CAP_ID_MSI, 0x00, true);
    f.regs[0x42] = PCI_MSI_FLAGS_ENABLE | 0x02;  // enabled by the firmware, 2 vectors, 32-bit
    pci_dev* d = scan_one();
    EXPECT_EQ(d->msi_cap, 0x40);
    EXPECT_EQ(f.regs[0x42], 0x02) << "only the enable bit cleared";
    EXPECT_TRUE(d->no_64bit_msi);
    EXPECT_EQ(pci_msi_vec_count(d), 2);
}

TEST_F(PciCap, VecCountWithoutMsiIsEinval) {
    edu();
    pci_dev* d = scan_one();
    EXPECT_EQ(d->msi_cap, 0);
    EXPECT_EQ(pci_msi_vec_count(d), -EINVAL);
}

TEST(X86MsiMsg, ComposedMessageByteForByte) {
    msi_msg m = x86_msi_compose_msg(0x21, 1);
    EXPECT_EQ(m.address_lo, 0xFEE01000u);
    EXPECT_EQ(m.address_hi, 0u);
    EXPECT_EQ(m.data, 0x00000021u) << "fixed delivery, edge, vector 0x21";
    EXPECT_EQ(x86_msi_compose_msg(0xEF, 0xFF).address_lo, 0xFEEFF000u);
    EXPECT_EQ(x86_msi_compose_msg(0xEF, 0xFF).data, 0xEFu);
    EXPECT_EQ(x86_msi_compose_msg(0x30, 0).address_lo, 0xFEE00000u);
}

TEST(X86MsiMsg, EveryFieldInItsBits) {
    EXPECT_EQ((x86_msi_addr_lo{0x12, true, false}.raw()), 0xFEE12008u) << "redirection hint: bit 3";
    EXPECT_EQ((x86_msi_addr_lo{0x12, false, true}.raw()), 0xFEE12004u) << "logical destination: bit 2";
    EXPECT_EQ((x86_msi_data{0x41, APIC_DELIVERY_MODE_NMI, false, false}.raw()), 0x0441u);
    EXPECT_EQ((x86_msi_data{0x41, APIC_DELIVERY_MODE_LOWESTPRIO, false, false}.raw()), 0x0141u);
    EXPECT_EQ((x86_msi_data{0x41, APIC_DELIVERY_MODE_EXTINT, true, true}.raw()), 0xC741u);
    x86_msi_addr_lo a = x86_msi_addr_lo::decode(0xFEE3400Cu);
    EXPECT_EQ(a.destid_0_7, 0x34);
    EXPECT_TRUE(a.redirect_hint);
    EXPECT_TRUE(a.dest_mode_logical);
    x86_msi_data d = x86_msi_data::decode(0x8422u);
    EXPECT_EQ(d.vector, 0x22);
    EXPECT_EQ(d.delivery_mode, APIC_DELIVERY_MODE_NMI);
    EXPECT_TRUE(d.is_level);
    EXPECT_FALSE(d.level_assert);
    EXPECT_TRUE(x86_msi_addr_lo::is_apic(0xFEE01000u));
    EXPECT_FALSE(x86_msi_addr_lo::is_apic(0xFED01000u));
}

class PciMsiCap : public PciCap {
protected:
    pci_dev* with_msi(uint16_t control, uint8_t pos = 0x40) {
        Fn& f = edu();
        FakePciConfig::cap(f, pos, PCI_CAP_ID_MSI, 0x00, true);
        f.regs[pos + 2] = (uint8_t)control;
        f.regs[pos + 3] = (uint8_t)(control >> 8);
        fn = &f;
        pci_dev* d = scan_one();
        d->irq = 11;
        return d;
    }
    uint32_t r32(unsigned where) { return fn->r32(where); }
    Fn* fn = nullptr;
};

TEST_F(PciMsiCap, MessageGoesIntoA64BitCapability) {
    pci_dev* d = with_msi(PCI_MSI_FLAGS_64BIT);
    fn->w32(0x4C, 0xBEEF0000);  // the upper half of the data dword is not the message's
    msi_desc desc;
    pci_msi_setup_desc(d, 1, &desc);
    EXPECT_TRUE(desc.msi_attrib.is_64);
    EXPECT_FALSE(desc.msi_attrib.can_mask);
    EXPECT_EQ(desc.msi_attrib.default_irq, 11u);
    cfg.writes.clear();
    msi_msg m = x86_msi_compose_msg(0x22, 3);
    m.address_hi = 0x1;  // a 64-bit capability takes the upper dword
    pci_write_msi_msg(&desc, m);
    EXPECT_EQ(r32(0x44), 0xFEE03000u);
    EXPECT_EQ(r32(0x48), 0x1u);
    EXPECT_EQ(r32(0x4C), 0xBEEF0022u) << "data is a 16-bit register";
    EXPECT_EQ(desc.msg, m);
    EXPECT_EQ(pci_read_msi_msg(&desc), m);
    for (auto& w : cfg.writes) EXPECT_NE(w.where, 0x50) << "no mask register on this capability";
}

TEST_F(PciMsiCap, MessageGoesIntoA32BitCapability) {
    pci_dev* d = with_msi(0x04);  // 4 vectors capable, 32-bit
    fn->w32(0x4C, 0x12345678);    // past a 32-bit capability's data
    msi_desc desc;
    pci_msi_setup_desc(d, 3, &desc);
    EXPECT_EQ(desc.msi_attrib.multiple, 2u) << "3 vectors round up to 4";
    pci_write_msi_msg(&desc, x86_msi_compose_msg(0x31, 0));
    EXPECT_EQ(r32(0x44), 0xFEE00000u);
    EXPECT_EQ(r32(0x48) & 0xFFFF, 0x31u);
    EXPECT_EQ(r32(0x4C), 0x12345678u) << "nothing written past the data register";
    EXPECT_EQ((fn->regs[0x42] & PCI_MSI_FLAGS_QSIZE) >> 4, 2) << "Multiple Message Enable written";
    EXPECT_EQ(fn->regs[0x42] & PCI_MSI_FLAGS_QMASK, 0x04) << "capable bits kept";
}

TEST_F(PciMsiCap, EnableBitAndIntxDisableBit) {
    pci_dev* d = with_msi(PCI_MSI_FLAGS_64BIT);
    fn->regs[0x04] = PCI_COMMAND_MEMORY;
    pci_msi_set_enable(d, true);
    EXPECT_EQ(fn->regs[0x42], PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_ENABLE);
    pci_intx(d, false);
    EXPECT_EQ(fn->r32(0x04) & 0xFFFF, PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
    cfg.writes.clear();
    pci_intx(d, false);
    EXPECT_TRUE(cfg.writes.empty()) << "no write when the bit is already as asked";
    pci_intx(d, true);
    EXPECT_EQ(fn->r32(0x04) & 0xFFFF, PCI_COMMAND_MEMORY);
    pci_msi_set_enable(d, false);
    EXPECT_EQ(fn->regs[0x42], PCI_MSI_FLAGS_64BIT);
}

TEST_F(PciMsiCap, MaskBitsWrittenOnlyWhenTheDeviceHasThem) {
    pci_dev* d = with_msi(PCI_MSI_FLAGS_MASKBIT | PCI_MSI_FLAGS_64BIT | 0x02);
    fn->w32(0x50, 0x2);  // the firmware left vector 1 masked
    msi_desc desc;
    pci_msi_setup_desc(d, 2, &desc);
    EXPECT_TRUE(desc.msi_attrib.can_mask);
    EXPECT_EQ(desc.mask_pos, 0x50);
    EXPECT_EQ(desc.msi_mask, 0x2u) << "the mask as found";
    EXPECT_EQ(msi_multi_mask(&desc), 0x3u);
    pci_msi_mask(&desc, 0x1);
    EXPECT_EQ(r32(0x50), 0x3u);
    pci_msi_unmask(&desc, 0x2);
    EXPECT_EQ(r32(0x50), 0x1u);

    msi_desc plain;
    plain.dev = d;
    plain.msi_attrib.can_mask = false;
    plain.mask_pos = 0x50;
    cfg.writes.clear();
    pci_msi_mask(&plain, 0x1);
    EXPECT_TRUE(cfg.writes.empty()) << "without PCI_MSI_FLAGS_MASKBIT there is nothing to write";
}

TEST(MsiMultiMask, EveryCapableVector) {
    msi_desc d;
    uint32_t want[] = {0x1, 0x3, 0xF, 0xFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF};
    for (uint8_t cap = 0; cap < 7; cap++) {
        d.msi_attrib.multi_cap = cap;
        EXPECT_EQ(msi_multi_mask(&d), want[cap]) << "multi_cap " << (int)cap;
    }
}

// lspci's capability lines.
std::string g_out;
void capture(const char* s, size_t n) { g_out.append(s, n); }

class LspciCaps : public PciCap {
protected:
    void SetUp() override {
        PciCap::SetUp();
        g_out.clear();
        previous_ = shell_set_output(capture);
    }
    void TearDown() override { shell_set_output(previous_); }
    int run(const char* line) {
        char buf[SHELL_LINE_MAX];
        snprintf(buf, sizeof buf, "%s", line);
        return shell_execute(buf);
    }
    shell_output_fn previous_ = nullptr;
};

TEST_F(LspciCaps, MsiCapabilityInPciutilsWords) {
    Fn& f = edu();
    qemu_edu_msi(f);
    pci_dev* d = scan_one();
    ASSERT_EQ(run("lspci"), 0);
    EXPECT_NE(g_out.find("\tCapabilities: [40] MSI: Enable- Count=1/1 Maskable- 64bit+\n"
                         "\t\tAddress: 0000000000000000  Data: 0000\n"),
              std::string::npos)
        << g_out;
    msi_desc desc;
    pci_msi_setup_desc(d, 1, &desc);
    pci_write_msi_msg(&desc, x86_msi_compose_msg(0x21, 1));
    pci_msi_set_enable(d, true);
    g_out.clear();
    ASSERT_EQ(run("lspci"), 0);
    EXPECT_NE(g_out.find("\tCapabilities: [40] MSI: Enable+ Count=1/1 Maskable- 64bit+\n"
                         "\t\tAddress: 00000000fee01000  Data: 0021\n"),
              std::string::npos)
        << g_out;
}

TEST_F(LspciCaps, MaskableThirtyTwoBitAndOtherCapabilities) {
    Fn& f = edu();
    FakePciConfig::cap(f, 0x40, PCI_CAP_ID_PM, 0x50, true);
    FakePciConfig::cap(f, 0x50, PCI_CAP_ID_MSI, 0x00);
    f.regs[0x52] = 0x04 | 0x10;  // 4 capable, 2 enabled, 32-bit
    f.regs[0x53] = PCI_MSI_FLAGS_MASKBIT >> 8;
    f.w32(0x5C, 0x2);
    scan_one();
    ASSERT_EQ(run("lspci"), 0);
    EXPECT_NE(g_out.find("\tCapabilities: [40] Power Management\n"
                         "\tCapabilities: [50] MSI: Enable- Count=2/4 Maskable+ 64bit-\n"
                         "\t\tAddress: 00000000  Data: 0000\n"
                         "\t\tMasking: 00000002  Pending: 00000000\n"),
              std::string::npos)
        << g_out;
}

TEST_F(LspciCaps, LoopIsShownWhereTheListWasCut) {
    Fn& f = edu();
    FakePciConfig::cap(f, 0x40, PCI_CAP_ID_VNDR, 0x40, true);
    scan_one();
    ASSERT_EQ(run("lspci"), 0);
    EXPECT_NE(g_out.find("\tCapabilities: [40] Vendor Specific Information\n"
                         "\tCapabilities: [40] next pointer loops back to [40], list cut here\n"),
              std::string::npos)
        << g_out;
}

}  // namespace
