// Host tests for drivers/keyboard: the scancode set 1 decoder (shift, ctrl, caps lock, break codes,
// prefixes), the controller initialisation protocol, the IRQ1 handler (IRQ_NONE without data, every
// scancode counted, characters reaching the tty) and the 0xD2 injector.
#include "drivers/keyboard/i8042.h"
#include "kernel/errno.h"
#include "kernel/irq/interrupt.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/tty.h"

#include <gtest/gtest.h>
#include <initializer_list>
#include <string>
#include <vector>

#include "tests/host/support/capture_console.h"
#include "tests/host/support/fake_chip.h"
#include "tests/host/support/fake_portio.h"
#include "tests/host/support/host_env.h"

namespace {

using V = std::vector<FakePortIo::Access>;

std::string decode(KeyboardDecoder& k, std::initializer_list<int> codes) {
    std::string s;
    for (int c : codes) {
        char out[4];
        unsigned n = k.feed((uint8_t)c, out);
        EXPECT_LE(n, 4u);
        s.append(out, n);
    }
    return s;
}

TEST(KeyboardDecoder, PlainKeysAndBreakCodesIgnored) {
    KeyboardDecoder k;
    EXPECT_EQ(decode(k, {0x1E, 0x9E, 0x30, 0xB0, 0x02, 0x82, 0x39, 0xB9}), "ab1 ");
    EXPECT_EQ(decode(k, {0x9E, 0xB0}), "") << "break codes alone produce nothing";
    EXPECT_EQ(decode(k, {0x1C, 0x0E, 0x0F, 0x01}), "\r\x7f\t\x1b");
}

TEST(KeyboardDecoder, ShiftBothSidesAndRelease) {
    KeyboardDecoder k;
    EXPECT_EQ(decode(k, {0x2A, 0x1E, 0x02, 0x0C, 0xAA, 0x1E}), "A!_a");
    EXPECT_EQ(decode(k, {0x36, 0x35, 0x28, 0xB6, 0x35}), "?\"/");
}

TEST(KeyboardDecoder, CtrlMakesControlCharacters) {
    KeyboardDecoder k;
    EXPECT_EQ(decode(k, {0x1D, 0x2E, 0x16, 0x9D, 0x2E}), std::string("\x03\x15") + "c");
    EXPECT_EQ(decode(k, {0xE0, 0x1D, 0x2E, 0xE0, 0x9D, 0x2E}), std::string("\x03") + "c") << "right Ctrl";
}

TEST(KeyboardDecoder, CapsLockTogglesLettersOnly) {
    KeyboardDecoder k;
    EXPECT_EQ(decode(k, {0x3A, 0xBA, 0x1E, 0x02}), "A1");
    EXPECT_EQ(decode(k, {0x2A, 0x1E, 0x02, 0xAA}), "a!") << "shift undoes caps for letters";
    EXPECT_EQ(decode(k, {0x3A, 0xBA, 0x1E}), "a") << "second press turns it off";
}

TEST(KeyboardDecoder, ExtendedKeysAndPrefixes) {
    KeyboardDecoder k;
    EXPECT_EQ(decode(k, {0xE0, 0x48, 0xE0, 0xC8}), "\x1b[A");
    EXPECT_EQ(decode(k, {0xE0, 0x4B, 0xE0, 0x4D, 0xE0, 0x50}), "\x1b[D\x1b[C\x1b[B");
    EXPECT_EQ(decode(k, {0xE0, 0x53}), "\x1b[3~");
    EXPECT_EQ(decode(k, {0xE0, 0x1C, 0xE0, 0x35}), "\r/") << "keypad Enter and /";
    EXPECT_EQ(decode(k, {0xE0, 0x2A, 0x1E}), "a") << "a fake shift is not a shift";
    EXPECT_EQ(decode(k, {0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5, 0x1E}), "a") << "Pause swallowed, nothing stuck";
    EXPECT_FALSE(k.lctrl);
}

class I8042 : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        tty_reset();
        io.allow({0x60, 0x64});
        irq_set_chip_and_handler_name(1, &chip, handle_level_irq, "FAKE");
    }
    void TearDown() override {
        i8042_shutdown();
        tty_reset();
    }
    // Script the status/data reads of a successful init whose controller reports CTR `ctr` and has
    // one stale byte to flush.
    void script_init(uint8_t ctr) {
        io.queue_in(0x64, {0x1C,          // present
                           0x00, 0x00,    // ready for 0xAD, 0xA7
                           0x01, 0x00,    // flush: one byte waiting, then empty
                           0x00, 0x01});  // ready for 0x20, then the CTR is there
        io.queue_in(0x60, {0x9C, ctr});
        io.set_in(0x64, 0x00);  // afterwards: always ready, nothing waiting
    }
    FakePortIo io;
    FakeChip chip;
};

TEST_F(I8042, InitProtocolAndCommandByte) {
    script_init(0x45);  // KBDINT | SYS | XLATE, a typical firmware value
    ASSERT_EQ(i8042_init(io), 0);
    // CTR 0x45 -> interrupts off, aux/kbd disabled, translate: 0x74; then KBDINT on, kbd enabled: 0x65.
    EXPECT_EQ(io.outs(), (V{OUT(0x64, 0xAD), OUT(0x64, 0xA7), OUT(0x64, 0x20), OUT(0x64, 0x60), OUT(0x60, 0x74),
                            OUT(0x64, 0x60), OUT(0x60, 0x65), OUT(0x64, 0xAE)}));
    EXPECT_EQ(io.queued(0x60), 0u) << "the stale byte was flushed and the CTR read";
    irqaction* a = irq_to_desc(1)->action;
    ASSERT_NE(a, nullptr);
    EXPECT_STREQ(a->name, "i8042");
    EXPECT_EQ(a->flags & IRQF_SHARED, IRQF_SHARED) << "Linux's i8042 requests IRQ1 shared";
    EXPECT_EQ(host_console::count("serio: i8042 KBD port at 0x60,0x64 irq 1\n"), 1u);
}

TEST_F(I8042, MissingControllerIsReportedNotFatal) {
    io.queue_in(0x64, {0xFF});
    EXPECT_EQ(i8042_init(io), -ENODEV);
    EXPECT_EQ(io.log().size(), 1u);
    EXPECT_EQ(host_console::count("i8042: No controller found\n"), 1u);
    EXPECT_EQ(irq_to_desc(1)->action, nullptr);
    EXPECT_EQ(i8042_inject_scancode(0x1E), -ENODEV);
}

TEST_F(I8042, ControllerThatNeverTakesACommandTimesOut) {
    io.queue_in(0x64, {0x1C});
    io.set_in(0x64, 0x02);  // input buffer stays full
    EXPECT_EQ(i8042_init(io), -ETIMEDOUT);
    EXPECT_EQ(io.count(FakePortIo::Op::Udelay, 0), 10000u) << "bounded wait: 10000 x 50 us like Linux";
    EXPECT_TRUE(io.outs().empty());
}

TEST_F(I8042, FailureToEnableThePortReleasesIrq1) {
    script_init(0x45);
    io.queue_in(0x64, {0x00, 0x00});  // the first CTR write goes through ...
    io.set_in(0x64, 0x02);            // ... then the input buffer stays full
    EXPECT_EQ(i8042_init(io), -ETIMEDOUT);
    EXPECT_EQ(host_console::count("i8042: Can't enable the keyboard port\n"), 1u);
    EXPECT_EQ(irq_to_desc(1)->action, nullptr) << "a driver that gave up must not keep IRQ1";
}

TEST_F(I8042, InterruptDecodesCountsAndFeedsTheTty) {
    script_init(0x45);
    ASSERT_EQ(i8042_init(io), 0);
    unsigned long before = i8042_scancode_count();
    io.clear_log();
    // 'h' make/break, 'i' make/break, shift-less Enter make.
    for (uint8_t sc : {0x23, 0xA3, 0x17, 0x97, 0x1C}) {
        io.queue_in(0x64, {0x01});
        io.queue_in(0x60, {sc});
        host_env::fire_irq(1);
    }
    EXPECT_EQ(host_env::drain_tty(), "hi\r");
    EXPECT_EQ(i8042_scancode_count(), before + 5) << "break codes count too";
    EXPECT_EQ(kstat_irqs(1), 5u);
    EXPECT_EQ(irq_to_desc(1)->irqs_unhandled, 0u);
}

TEST_F(I8042, InterruptWithoutDataIsNotOurs) {
    script_init(0x45);
    ASSERT_EQ(i8042_init(io), 0);
    unsigned long before = i8042_scancode_count();
    io.clear_log();
    host_env::fire_irq(1);  // status sticky 0x00: nothing waiting
    EXPECT_EQ(io.count(FakePortIo::Op::In, 0x60), 0u) << "the data port must not be read";
    EXPECT_EQ(irq_to_desc(1)->irqs_unhandled, 1u) << "IRQ_NONE reaches note_interrupt";
    EXPECT_EQ(i8042_scancode_count(), before);
}

TEST_F(I8042, AuxBytesAreReadButNotDecoded) {
    script_init(0x45);
    ASSERT_EQ(i8042_init(io), 0);
    io.queue_in(0x64, {0x21});
    io.queue_in(0x60, {0x1E});
    host_env::fire_irq(1);
    EXPECT_EQ(host_env::drain_tty(), "");
    EXPECT_EQ(io.queued(0x60), 0u);
    EXPECT_EQ(irq_to_desc(1)->irqs_unhandled, 0u);
}

TEST_F(I8042, InjectUsesControllerCommandD2) {
    script_init(0x45);
    ASSERT_EQ(i8042_init(io), 0);
    io.clear_log();
    io.queue_in(0x64, {0x02, 0x00});  // busy once before the command
    EXPECT_EQ(i8042_inject_scancode(0x1E), 0);
    EXPECT_EQ(io.outs(), (V{OUT(0x64, 0xD2), OUT(0x60, 0x1E)}));
    EXPECT_EQ(io.count(FakePortIo::Op::Udelay, 0), 1u);
}

}  // namespace
