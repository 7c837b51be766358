// Host tests for drivers/pci: enumeration against a fake configuration space (single- and
// multi-function devices, absent functions, bridges and their secondary buses), BAR sizing by the
// write-all-ones method (32-bit, 64-bit, prefetchable, I/O; the original value and the command register
// restored, decoding off meanwhile), interrupt line and pin, mechanism #1's port accesses, the ELCR's
// trigger per 8259 line, and the `lspci` output.
#include "drivers/pci/pci.h"
#include "drivers/pic/i8259.h"
#include "drivers/pic/legacy_pic.h"
#include "kernel/errno.h"
#include "kernel/shell/shell.h"

#include <gtest/gtest.h>
#include <cstdio>
#include <cstring>
#include <string>

#include "tests/host/support/fake_pci.h"
#include "tests/host/support/fake_portio.h"
#include "tests/host/support/host_env.h"

namespace {

using Bar = FakePciConfig::Bar;
using namespace pci_regs;

class Pci : public IrqTest {
protected:
    FakePciConfig cfg;
    pci_dev* at(uint8_t bus, unsigned slot, unsigned fn) {
        for (unsigned i = 0; i < pci_dev_count(); i++) {
            pci_dev* d = pci_dev_at(i);
            if (d->bus == bus && d->devfn == PCI_DEVFN(slot, fn)) return d;
        }
        return nullptr;
    }
};

TEST_F(Pci, EmptyBusHasNoDevices) {
    EXPECT_EQ(pci_scan(cfg), 0u);
    EXPECT_EQ(pci_dev_count(), 0u);
    EXPECT_EQ(pci_dev_at(0), nullptr);
    EXPECT_EQ(pci_get_device(PCI_ANY_ID, PCI_ANY_ID, nullptr), nullptr);
}

TEST_F(Pci, FindsEverySlotAndReadsIdentity) {
    cfg.add(0, 0, 0, 0x8086, 0x1237, 0x060000, 0, 0x02);
    cfg.add(0, 4, 0, 0x1234, 0x11e8, 0x00ff00, 0, 0x10);
    cfg.add(0, 31, 0, 0x1af4, 0x1000, 0x020000);
    ASSERT_EQ(pci_scan(cfg), 3u);
    pci_dev* edu = at(0, 4, 0);
    ASSERT_NE(edu, nullptr);
    EXPECT_EQ(edu->vendor, 0x1234);
    EXPECT_EQ(edu->device, 0x11e8);
    EXPECT_EQ(edu->class_code, 0x00ff00u);
    EXPECT_EQ(edu->revision, 0x10);
    EXPECT_EQ(edu->hdr_type, 0);
    EXPECT_FALSE(edu->multifunction);
    EXPECT_NE(at(0, 31, 0), nullptr) << "the last slot is scanned too";
    EXPECT_EQ(pci_dev_at(0)->devfn, PCI_DEVFN(0, 0)) << "table in scan order";
    EXPECT_EQ(pci_dev_at(2)->devfn, PCI_DEVFN(31, 0));
}

TEST_F(Pci, SingleFunctionDeviceIsNotAskedForFunctionsOneToSeven) {
    cfg.add(0, 3, 0, 0x8086, 0x100e, 0x020000);  // header type bit 7 clear
    cfg.add(0, 3, 1, 0x8086, 0x100e, 0x020000);  // some devices answer on every function number
    ASSERT_EQ(pci_scan(cfg), 1u);
    EXPECT_EQ(at(0, 3, 1), nullptr);
}

TEST_F(Pci, MultiFunctionDeviceSkipsAbsentFunctions) {
    cfg.add(0, 1, 0, 0x8086, 0x7000, 0x060100, PCI_HEADER_TYPE_MFD);  // PIIX3 ISA bridge
    cfg.add(0, 1, 1, 0x8086, 0x7010, 0x010180);
    cfg.add(0, 1, 3, 0x8086, 0x7113, 0x068000);  // function 2 is absent: vendor 0xFFFF
    cfg.add(0, 1, 7, 0x8086, 0x7020, 0x0c0300);
    ASSERT_EQ(pci_scan(cfg), 4u);
    EXPECT_TRUE(at(0, 1, 0)->multifunction);
    EXPECT_NE(at(0, 1, 1), nullptr);
    EXPECT_EQ(at(0, 1, 2), nullptr);
    EXPECT_NE(at(0, 1, 3), nullptr);
    EXPECT_NE(at(0, 1, 7), nullptr) << "function 7 is the last one scanned";
}

TEST_F(Pci, SlotWithoutFunctionZeroIsEmpty) {
    cfg.add(0, 5, 1, 0x1234, 0x5678, 0x020000);
    EXPECT_EQ(pci_scan(cfg), 0u);
}

TEST_F(Pci, BarsAreSizedByWritingAllOnes) {
    auto& f = cfg.add(0, 4, 0, 0x1234, 0x11e8, 0x00ff00);
    FakePciConfig::bar(f, 0, Bar::Mem32, 0xFEA00000, 1 << 20);
    FakePciConfig::bar(f, 1, Bar::Io, 0xC040, 32);
    FakePciConfig::bar(f, 2, Bar::Mem64, 0x8'0000'0000ull, 16 << 20, /*prefetch=*/true);
    FakePciConfig::bar(f, 4, Bar::Io, 0xC100, 256);
    f.w32(PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    uint8_t before[256];
    std::memcpy(before, f.regs, sizeof before);

    ASSERT_EQ(pci_scan(cfg), 1u);
    const pci_dev* d = pci_dev_at(0);
    EXPECT_EQ(d->bar[0].start, 0xFEA00000u);
    EXPECT_EQ(d->bar[0].size, 1u << 20);
    EXPECT_EQ(d->bar[0].flags, (unsigned)PCI_BAR_MEM);
    EXPECT_EQ(d->bar[1].start, 0xC040u);
    EXPECT_EQ(d->bar[1].size, 32u);
    EXPECT_EQ(d->bar[1].flags, (unsigned)PCI_BAR_IO);
    EXPECT_EQ(d->bar[2].start, 0x8'0000'0000ull) << "the high half comes from BAR3";
    EXPECT_EQ(d->bar[2].size, 16u << 20);
    EXPECT_EQ(d->bar[2].flags, (unsigned)(PCI_BAR_MEM | PCI_BAR_MEM_64 | PCI_BAR_PREFETCH));
    EXPECT_EQ(d->bar[3].size, 0u) << "BAR3 is BAR2's upper half, not a BAR of its own";
    EXPECT_EQ(d->bar[4].size, 256u);
    EXPECT_EQ(d->bar[5].size, 0u) << "unimplemented BAR reads 0 after all ones";
    EXPECT_EQ(d->bar[5].flags, 0u);

    EXPECT_EQ(std::memcmp(before, f.regs, sizeof before), 0) << "every BAR and the command register restored";
    ASSERT_EQ(cfg.sizing_commands.size(), 6u) << "BAR0, 1, 2 (+ its upper half), 4, 5 written with all ones";
    for (uint16_t cmd : cfg.sizing_commands)
        EXPECT_EQ(cmd & PCI_COMMAND_DECODE_ENABLE, 0) << "I/O and memory decoding off while sizing";
}

TEST_F(Pci, SixtyFourBitBarLargerThanFourGiB) {
    auto& f = cfg.add(0, 2, 0, 0x1b36, 0x0010, 0x010802);
    FakePciConfig::bar(f, 0, Bar::Mem64, 0x40'0000'0000ull, 8ull << 30, true);
    ASSERT_EQ(pci_scan(cfg), 1u);
    EXPECT_EQ(pci_dev_at(0)->bar[0].size, 8ull << 30) << "the size bit lies in the upper dword";
    EXPECT_EQ(pci_dev_at(0)->bar[0].start, 0x40'0000'0000ull);
}

TEST_F(Pci, HostBridgeKeepsDecodingWhileSized) {
    auto& f = cfg.add(0, 0, 0, 0x8086, 0x29c0, 0x060000);
    FakePciConfig::bar(f, 0, Bar::Mem32, 0xE0000000, 1 << 28);
    f.w32(PCI_COMMAND, PCI_COMMAND_MEMORY);
    ASSERT_EQ(pci_scan(cfg), 1u);
    ASSERT_FALSE(cfg.sizing_commands.empty());
    EXPECT_EQ(cfg.sizing_commands[0], PCI_COMMAND_MEMORY) << "Linux mmio_always_on for host bridges";
    EXPECT_EQ(pci_dev_at(0)->bar[0].size, 1u << 28);
}

TEST_F(Pci, BridgesLeadToTheirSecondaryBuses) {
    cfg.add(0, 0, 0, 0x8086, 0x1237, 0x060000);
    auto& br = cfg.add(0, 2, 0, 0x1b36, 0x0001, 0x060400, PCI_HEADER_TYPE_BRIDGE);
    FakePciConfig::bar(br, 0, Bar::Mem32, 0xFE000000, 4096);
    FakePciConfig::bar(br, 2, Bar::Mem32, 0x12345000, 4096);  // offset 0x18 is bus numbers on a bridge
    br.regs[PCI_PRIMARY_BUS] = 0;
    br.regs[PCI_SECONDARY_BUS] = 1;
    auto& inner = cfg.add(1, 3, 0, 0x1b36, 0x0001, 0x060400, PCI_HEADER_TYPE_BRIDGE);
    inner.regs[PCI_SECONDARY_BUS] = 2;
    cfg.add(2, 0, 0, 0x1234, 0x11e8, 0x00ff00);
    auto& loop = cfg.add(2, 1, 0, 0x1b36, 0x0001, 0x060400, PCI_HEADER_TYPE_BRIDGE);
    loop.regs[PCI_SECONDARY_BUS] = 1;            // a broken bridge pointing back: scanned once only
    cfg.add(7, 0, 0, 0xdead, 0xbeef, 0x020000);  // behind no bridge: not reachable

    ASSERT_EQ(pci_scan(cfg), 5u);
    EXPECT_EQ(at(0, 2, 0)->secondary_bus, 1);
    EXPECT_EQ(at(0, 2, 0)->bar[0].size, 4096u);
    EXPECT_EQ(at(0, 2, 0)->bar[2].size, 0u) << "a bridge has two BARs";
    EXPECT_NE(at(1, 3, 0), nullptr);
    EXPECT_NE(at(2, 0, 0), nullptr) << "two bridges deep";
    EXPECT_EQ(at(7, 0, 0), nullptr);
    EXPECT_EQ(pci_get_device(0x1234, 0x11e8, nullptr), at(2, 0, 0));
}

TEST_F(Pci, InterruptLineAndPin) {
    auto& a = cfg.add(0, 4, 0, 0x1234, 0x11e8, 0x00ff00);
    FakePciConfig::irq(a, 1, 11);
    auto& none = cfg.add(0, 5, 0, 0x1234, 0x11e8, 0x00ff00);
    FakePciConfig::irq(none, 2, 0xFF);  // pin B, nothing routed
    auto& nopin = cfg.add(0, 6, 0, 0x8086, 0x1237, 0x060000);
    FakePciConfig::irq(nopin, 0, 9);  // a line value without a pin means nothing
    ASSERT_EQ(pci_scan(cfg), 3u);
    EXPECT_EQ(at(0, 4, 0)->interrupt_pin, 1);
    EXPECT_EQ(at(0, 4, 0)->interrupt_line, 11);
    EXPECT_EQ(at(0, 4, 0)->irq, 11u);
    EXPECT_EQ(at(0, 5, 0)->interrupt_pin, 2);
    EXPECT_EQ(at(0, 5, 0)->irq, 0u);
    EXPECT_EQ(at(0, 6, 0)->irq, 0u);
    EXPECT_STREQ(pci_pin_name(1), "INTA");
    EXPECT_STREQ(pci_pin_name(4), "INTD");
    EXPECT_STREQ(pci_pin_name(0), "none");
}

TEST_F(Pci, GetDeviceWalksMatchesInOrder) {
    cfg.add(0, 0, 0, 0x8086, 0x1237, 0x060000);
    cfg.add(0, 4, 0, 0x1234, 0x11e8, 0x00ff00);
    cfg.add(0, 6, 0, 0x1234, 0x11e9, 0x00ff00);
    cfg.add(0, 8, 0, 0x1234, 0x11e8, 0x00ff00);
    ASSERT_EQ(pci_scan(cfg), 4u);
    pci_dev* first = pci_get_device(0x1234, 0x11e8, nullptr);
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(first->devfn, PCI_DEVFN(4, 0));
    pci_dev* second = pci_get_device(0x1234, 0x11e8, first);
    ASSERT_NE(second, nullptr);
    EXPECT_EQ(second->devfn, PCI_DEVFN(8, 0));
    EXPECT_EQ(pci_get_device(0x1234, 0x11e8, second), nullptr);
    EXPECT_EQ(pci_get_device(0x1234, PCI_ANY_ID, first)->device, 0x11e9);
    char name[8];
    EXPECT_STREQ(pci_dev_name(second, name, sizeof name), "00:08.0");
}

TEST_F(Pci, ConfigAccessAndEnableDevice) {
    auto& f = cfg.add(0, 4, 0, 0x1234, 0x11e8, 0x00ff00);
    FakePciConfig::bar(f, 0, Bar::Mem32, 0xFEA00000, 1 << 20);
    ASSERT_EQ(pci_scan(cfg), 1u);
    pci_dev* d = pci_dev_at(0);
    EXPECT_EQ(pci_read_config_dword(d, PCI_VENDOR_ID), 0x11e81234u);
    EXPECT_EQ(pci_read_config_word(d, PCI_DEVICE_ID), 0x11e8);
    EXPECT_EQ(pci_read_config_byte(d, PCI_CLASS_REVISION + 3), 0x00);
    pci_enable_device(d);
    EXPECT_EQ(pci_read_config_word(d, PCI_COMMAND), PCI_COMMAND_MEMORY) << "memory BAR only: no I/O decoding";
}

TEST_F(Pci, ClassNames) {
    EXPECT_STREQ(pci_class_name(0x060000), "Host bridge");
    EXPECT_STREQ(pci_class_name(0x00ff00), "Unclassified device");
    EXPECT_STREQ(pci_class_name(0x030000), "VGA compatible controller");
    EXPECT_STREQ(pci_class_name(0x028000), "Network controller") << "unknown subclass: the base class";
    EXPECT_STREQ(pci_class_name(0xff0000), "Unknown class");
}

// Mechanism #1 byte by byte: the address dword at 0xCF8, then the data access of the right width at
// 0xCFC + (where & 3).
class PciConf1 : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        io.allow_range(0xCF8, 0xCFF);
    }
    FakePortIo io;
    PciConfType1 conf{io};
};

TEST_F(PciConf1, AddressAndDataPorts) {
    io.set_in(0xCFC, 0x11e81234);
    EXPECT_EQ(conf.read32(1, PCI_DEVFN(2, 3), 0x00), 0x11e81234u);
    io.set_in(0xCFD, 0x01);
    EXPECT_EQ(conf.read8(0, PCI_DEVFN(4, 0), PCI_INTERRUPT_PIN), 1);
    conf.write16(0, PCI_DEVFN(4, 0), PCI_COMMAND, 0x0002);
    conf.write8(0, PCI_DEVFN(4, 0), PCI_INTERRUPT_LINE + 2, 0x00);  // 0x3E
    using Op = FakePortIo::Op;
    std::vector<FakePortIo::Access> expect = {
        {Op::OutL, 0xCF8, 0x80000000u | (1u << 16) | (0x13u << 8) | 0x00},
        {Op::InL, 0xCFC, 0x11e81234},
        {Op::OutL, 0xCF8, 0x80000000u | (0x20u << 8) | 0x3C},
        {Op::In, 0xCFD, 0x01},
        {Op::OutL, 0xCF8, 0x80000000u | (0x20u << 8) | 0x04},
        {Op::OutW, 0xCFC, 0x0002},
        {Op::OutL, 0xCF8, 0x80000000u | (0x20u << 8) | 0x3C},
        {Op::Out, 0xCFE, 0x00},
    };
    EXPECT_EQ(io.log(), expect);
}

TEST_F(PciConf1, MisalignedAccessIsRefused) {
    EXPECT_EQ(conf.read32(0, 0, 0x02), ~0u);
    EXPECT_EQ(conf.read16(0, 0, 0x03), 0xFFFF);
    conf.write32(0, 0, 0x101, 0);
    EXPECT_TRUE(io.log().empty()) << "no port touched";
}

TEST_F(PciConf1, ProbeSeesTheAddressRegisterKeepItsValue) {
    io.queue_in(0xCF8, {0x0, 0x80000000u});
    EXPECT_TRUE(conf.probe());
    io.queue_in(0xCF8, {0xFFFFFFFFu, 0xFFFFFFFFu});  // nothing there: the bus floats
    EXPECT_FALSE(conf.probe());
}

// The ELCR: ports 0x4D0 (IRQ 0-7) and 0x4D1 (IRQ 8-15), one bit per line, 1 = level. IRQ 0, 1, 2, 8
// and 13 are wired edge on the PC whatever the register says.
class Elcr : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        io.allow({0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1});
    }
    void TearDown() override { legacy_pic = &null_legacy_pic; }
    void setup(uint8_t elcr1, uint8_t elcr2) {
        io.queue_in(0x21, {0xFB});  // the probe reads back what it wrote
        io.queue_in(0x4D0, {elcr1});
        io.queue_in(0x4D1, {elcr2});
        ASSERT_EQ(legacy_pic_setup_chip(pic), 0);
    }
    FakePortIo io;
    Pic8259 pic{io};
};

TEST_F(Elcr, BitsMapToLines) {
    setup(0x20, 0x0C);  // IRQ 5, 10, 11
    for (unsigned irq = 0; irq < 16; irq++)
        EXPECT_EQ(legacy_pic_irq_is_level(irq), (irq == 5 || irq == 10 || irq == 11) ? 1 : 0) << "IRQ " << irq;
}

TEST_F(Elcr, ReservedLinesAreAlwaysEdge) {
    setup(0xFF, 0xFF);
    for (unsigned irq = 0; irq < 16; irq++) {
        bool edge_only = irq == 0 || irq == 1 || irq == 2 || irq == 8 || irq == 13;
        EXPECT_EQ(legacy_pic_irq_is_level(irq), edge_only ? 0 : 1) << "IRQ " << irq;
    }
}

TEST_F(Elcr, OutOfRangeAndNoPic) {
    setup(0x00, 0x08);
    EXPECT_EQ(legacy_pic_irq_is_level(11), 1);
    EXPECT_EQ(legacy_pic_irq_is_level(16), -EINVAL);
    legacy_pic = &null_legacy_pic;
    EXPECT_EQ(legacy_pic_irq_is_level(11), -ENODEV);
}

// lspci on a fake bus with the 8259 set up: one block per function, BARs and interrupt with trigger.
std::string g_out;
void capture(const char* s, size_t n) { g_out.append(s, n); }

class Lspci : public Elcr {
protected:
    void SetUp() override {
        Elcr::SetUp();
        g_out.clear();
        previous_ = shell_set_output(capture);
    }
    void TearDown() override {
        shell_set_output(previous_);
        Elcr::TearDown();
    }
    int run(const char* line) {
        char buf[SHELL_LINE_MAX];
        snprintf(buf, sizeof buf, "%s", line);
        return shell_execute(buf);
    }
    FakePciConfig cfg;
    shell_output_fn previous_ = nullptr;
};

TEST_F(Lspci, ShowsClassBarsIrqAndTrigger) {
    setup(0x00, 0x08);  // IRQ 11 level
    cfg.add(0, 0, 0, 0x8086, 0x1237, 0x060000, 0, 0x02);
    auto& edu = cfg.add(0, 4, 0, 0x1234, 0x11e8, 0x00ff00, 0, 0x10);
    FakePciConfig::bar(edu, 0, Bar::Mem32, 0xFEA00000, 1 << 20);
    FakePciConfig::irq(edu, 1, 11);
    auto& nic = cfg.add(0, 3, 0, 0x8086, 0x100e, 0x020000);
    FakePciConfig::bar(nic, 1, Bar::Io, 0xC000, 64);
    FakePciConfig::irq(nic, 1, 10);  // IRQ 10 edge in this ELCR
    ASSERT_EQ(pci_scan(cfg), 3u);
    EXPECT_EQ(run("lspci"), 0);
    EXPECT_NE(g_out.find("00:00.0 Host bridge [0600]: [8086:1237] (rev 02)\n"), std::string::npos) << g_out;
    EXPECT_NE(g_out.find("00:04.0 Unclassified device [00ff]: [1234:11e8] (rev 10)\n"
                         "\tclass 0x00ff00, header type 00\n"
                         "\tBAR0: Memory at 0xfea00000 (32-bit, non-prefetchable) [size=1M]\n"
                         "\tInterrupt: pin A routed to IRQ 11, level-triggered (ELCR)\n"),
              std::string::npos)
        << g_out;
    EXPECT_NE(g_out.find("\tBAR1: I/O ports at 0xc000 [size=64]\n"
                         "\tInterrupt: pin A routed to IRQ 10, edge-triggered (ELCR)\n"),
              std::string::npos)
        << g_out;
    EXPECT_EQ(run("lspci -v"), -EINVAL);
    EXPECT_NE(g_out.find("usage: lspci"), std::string::npos);
}

}  // namespace
