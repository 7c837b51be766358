// Host tests for the interrupt-line shell commands (kernel/shell/irq_cmds.cpp): disable_irq,
// disable_irq_nosync, enable_irq, irq_set_status_flags and irq_clear_status_flags on a FakeChip line,
// the depth and state line each prints, Linux's warning on an unbalanced enable, bad numbers and lines
// without a chip (-EINVAL), refused and unknown flags, and the -f that the shell's own lines require.
#include "kernel/errno.h"
#include "kernel/irq/internals.h"
#include "kernel/shell/irq_cmds.h"
#include "kernel/shell/shell.h"

#include "tests/host/support/capture_console.h"
#include "tests/host/support/line_test.h"

#include <gtest/gtest.h>
#include <cstring>
#include <string>

namespace {

std::string g_out;
void capture(const char* s, size_t n) { g_out.append(s, n); }

class IrqCmds : public LineTest {
protected:
    void SetUp() override {
        LineTest::SetUp();
        previous_ = shell_set_output(capture);
        shell_init();
    }
    void TearDown() override {
        shell_set_output(previous_);
        LineTest::TearDown();
    }
    // Run one command line; its output in g_out, its result returned.
    int sh(const std::string& line) {
        g_out.clear();
        char buf[SHELL_LINE_MAX + 1];
        snprintf(buf, sizeof(buf), "%s", line.c_str());
        return shell_execute(buf);
    }
    // A lazy chip (no irq_disable) with the level flow, IRQ 5 requested.
    FakeChip& lazy_line(const char* name = "a") {
        FakeChip& chip = make_chip();
        wire(chip, handle_level_irq, "level");
        EXPECT_EQ(request_irq(IRQ, test_dev_handler, 0, name, &dev), 0);
        chip.clear();
        return chip;
    }
    shell_output_fn previous_ = nullptr;
};

TEST_F(IrqCmds, DisableAndEnablePrintDepthAndStateByName) {
    lazy_line();
    EXPECT_EQ(sh("disable_irq 5"), 0);
    EXPECT_EQ(g_out, "IRQ 5: depth 1, IRQD_IRQ_DISABLED [FAKE level]\n");
    EXPECT_EQ(sh("disable_irq_nosync 5"), 0);
    EXPECT_EQ(g_out, "IRQ 5: depth 2, IRQD_IRQ_DISABLED [FAKE level]\n");
    EXPECT_EQ(sh("enable_irq 5"), 0);
    EXPECT_EQ(g_out, "IRQ 5: depth 1, IRQD_IRQ_DISABLED [FAKE level]\n");
    EXPECT_EQ(sh("enable_irq 0x5"), 0);
    EXPECT_EQ(g_out, "IRQ 5: depth 0, enabled, unmasked [FAKE level]\n");
    EXPECT_EQ(desc->depth, 0u);
}

TEST_F(IrqCmds, LazyDisableThenAnInterruptShowsMaskedAndPending) {
    FakeChip& chip = lazy_line();
    irq_set_status_flags(IRQ, IRQ_LEVEL);
    EXPECT_EQ(sh("disable_irq 5"), 0);
    EXPECT_EQ(chip.log(), "") << "lazy: the chip is not touched";
    host_env::fire_irq(IRQ);
    EXPECT_EQ(dev.calls, 0);
    char line[IRQ_LINE_STATE_MAX];
    ASSERT_GT(irq_line_state(IRQ, line, sizeof(line)), 0);
    EXPECT_STREQ(line, "IRQ 5: depth 1, IRQD_IRQ_DISABLED IRQD_IRQ_MASKED IRQS_PENDING [FAKE level]");
    EXPECT_EQ(sh("enable_irq 5"), 0);
    EXPECT_EQ(g_out, "IRQ 5: depth 0, enabled, unmasked [FAKE level]\n") << "level: PENDING dropped, unmasked";
}

// An edge owed to the driver: enable_irq queues its software replay, which the state line shows until the
// resend tasklet has run it (at the next interrupt's exit here).
TEST_F(IrqCmds, EnableShowsAnEdgeReplayQueuedUntilTheTaskletRunsIt) {
    lazy_line();
    EXPECT_EQ(sh("disable_irq 5"), 0);
    host_env::fire_irq(IRQ);
    EXPECT_EQ(sh("enable_irq 5"), 0);
    EXPECT_EQ(g_out, "IRQ 5: depth 0, IRQS_REPLAY [FAKE level]\n");
    EXPECT_EQ(dev.calls, 0);
    host_env::empty_interrupt();
    EXPECT_EQ(dev.calls, 1);
    char line[IRQ_LINE_STATE_MAX];
    ASSERT_GT(irq_line_state(IRQ, line, sizeof(line)), 0);
    EXPECT_STREQ(line, "IRQ 5: depth 0, enabled, unmasked [FAKE level]");
}

TEST_F(IrqCmds, UnbalancedEnableShowsLinuxsWarningAndFails) {
    lazy_line();
    host_console::clear();
    EXPECT_EQ(sh("enable_irq 5"), -EINVAL);
    EXPECT_EQ(g_out,
              "IRQ 5: depth 0, enabled, unmasked [FAKE level]\n"
              "enable_irq: IRQ 5 was not disabled (depth 0): unbalanced, nothing changed: -EINVAL\n");
    EXPECT_EQ(host_console::count("Unbalanced enable for IRQ 5\n"), 1u);
    EXPECT_EQ(desc->depth, 0u);
}

TEST_F(IrqCmds, BadNumbersAndLinesWithoutAChipAreRefused) {
    lazy_line();
    EXPECT_EQ(sh("disable_irq 256"), -EINVAL);
    EXPECT_EQ(g_out, "disable_irq: invalid IRQ number '256' (0..255): -EINVAL\n");
    EXPECT_EQ(sh("enable_irq five"), -EINVAL);
    EXPECT_EQ(g_out, "enable_irq: invalid IRQ number 'five' (0..255): -EINVAL\n");
    host_console::clear();
    EXPECT_EQ(sh("enable_irq 20"), -EINVAL);
    EXPECT_EQ(g_out, "enable_irq: IRQ 20 has no interrupt chip (nothing is wired to it): -EINVAL\n");
    EXPECT_EQ(host_console::count("enable_irq before setup"), 0u) << "refused before the core is called";
    EXPECT_EQ(sh("disable_irq_nosync 20"), -EINVAL);
    EXPECT_EQ(irq_to_desc(20)->depth, 1u);
    EXPECT_EQ(sh("irq_set_status_flags 20 IRQ_DISABLE_UNLAZY"), -EINVAL);
    EXPECT_EQ(sh("disable_irq"), -EINVAL);
    EXPECT_EQ(g_out, "usage: disable_irq N [-f]  (-f: also the timer, keyboard or serial console line)\n");
    EXPECT_EQ(sh("disable_irq 5 -x"), -EINVAL);
    EXPECT_EQ(sh("enable_irq 5 6"), -EINVAL);
    EXPECT_EQ(g_out, "usage: enable_irq N\n");
    EXPECT_EQ(desc->depth, 0u) << "nothing was done";
}

TEST_F(IrqCmds, TheShellsOwnLinesNeedDashF) {
    lazy_line("timer");
    EXPECT_EQ(sh("disable_irq 5"), -EBUSY);
    EXPECT_NE(g_out.find("disable_irq: IRQ 5 is the timer: jiffies and `uptime` stop"), std::string::npos) << g_out;
    EXPECT_NE(g_out.find("Get it back with `enable_irq 5`."), std::string::npos) << g_out;
    EXPECT_NE(g_out.find("disable_irq: not done; add -f to disable it anyway: -EBUSY\n"), std::string::npos);
    EXPECT_EQ(desc->depth, 0u);
    EXPECT_EQ(sh("disable_irq_nosync 5 -f"), 0);
    EXPECT_NE(g_out.find("IRQ 5: depth 1, IRQD_IRQ_DISABLED [FAKE level]\n"), std::string::npos) << g_out;
    EXPECT_EQ(sh("enable_irq 5"), 0) << "enabling never needs -f";
    EXPECT_EQ(desc->depth, 0u);
}

TEST_F(IrqCmds, SerialConsoleAndKeyboardSayHowToGetBack) {
    lazy_line("serial");
    EXPECT_EQ(sh("disable_irq 5"), -EBUSY);
    EXPECT_NE(g_out.find("COM1, the serial console"), std::string::npos) << g_out;
    EXPECT_NE(g_out.find("Type `enable_irq 5` on the keyboard console"), std::string::npos) << g_out;
    free_irq(IRQ, &dev);
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, IRQF_SHARED, "i8042", &dev), 0);
    EXPECT_EQ(sh("disable_irq 5"), -EBUSY);
    EXPECT_NE(g_out.find("the keyboard: keys typed on the emulated keyboard wait"), std::string::npos) << g_out;
}

TEST_F(IrqCmds, UnlazyFlagMakesTheNextDisableMaskAtOnce) {
    FakeChip& chip = lazy_line();
    EXPECT_EQ(sh("irq_set_status_flags 5 IRQ_DISABLE_UNLAZY"), 0);
    EXPECT_EQ(g_out, "IRQ 5: depth 0, enabled, unmasked [FAKE level, IRQ_DISABLE_UNLAZY]\n");
    EXPECT_EQ(sh("disable_irq 5"), 0);
    EXPECT_EQ(g_out, "IRQ 5: depth 1, IRQD_IRQ_DISABLED IRQD_IRQ_MASKED [FAKE level, IRQ_DISABLE_UNLAZY]\n");
    EXPECT_EQ(chip.log(), "mask 5");
    EXPECT_EQ(sh("enable_irq 5"), 0);
    EXPECT_EQ(sh("irq_clear_status_flags 5 IRQ_DISABLE_UNLAZY"), 0);
    EXPECT_EQ(g_out, "IRQ 5: depth 0, enabled, unmasked [FAKE level]\n");
    EXPECT_FALSE(irq_settings_disable_unlazy(desc));
}

TEST_F(IrqCmds, SeveralFlagsAtOnceAndRefusedOrUnknownFlags) {
    lazy_line();
    EXPECT_EQ(sh("irq_set_status_flags 5 IRQ_NOPROBE IRQ_DISABLE_UNLAZY"), 0);
    EXPECT_TRUE(irq_settings_has(desc, IRQ_NOPROBE));
    EXPECT_TRUE(irq_settings_disable_unlazy(desc));
    EXPECT_EQ(sh("irq_clear_status_flags 5 IRQ_DISABLE_UNLAZY IRQ_LEVEL"), -EINVAL);
    EXPECT_EQ(g_out,
              "irq_clear_status_flags: IRQ_LEVEL cannot be changed from the shell (the trigger is the chip's "
              "(ELCR, `pic lazy`); set by irq_set_irq_type): -EINVAL\n");
    EXPECT_TRUE(irq_settings_disable_unlazy(desc)) << "a refused word leaves every flag as it was";
    EXPECT_EQ(sh("irq_set_status_flags 5 IRQ_UNLAZY"), -EINVAL);
    EXPECT_EQ(g_out, "irq_set_status_flags: unknown flag 'IRQ_UNLAZY' (try IRQ_DISABLE_UNLAZY): -EINVAL\n");
    EXPECT_EQ(sh("irq_set_status_flags 5"), -EINVAL);
    EXPECT_EQ(g_out,
              "usage: irq_set_status_flags N FLAG...  (FLAG: IRQ_DISABLE_UNLAZY IRQ_NOPROBE IRQ_NOREQUEST "
              "IRQ_NOAUTOEN IRQ_NOTHREAD)\n");
}

TEST_F(IrqCmds, StateLineNamesSpuriousDisabledAndReplay) {
    lazy_line();
    irqs_set(desc, IRQS_SPURIOUS_DISABLED | IRQS_REPLAY);
    char line[IRQ_LINE_STATE_MAX];
    ASSERT_GT(irq_line_state(IRQ, line, sizeof(line)), 0);
    EXPECT_STREQ(line, "IRQ 5: depth 0, IRQS_REPLAY IRQS_SPURIOUS_DISABLED [FAKE level]");
    irqs_clear(desc, IRQS_SPURIOUS_DISABLED | IRQS_REPLAY);
    EXPECT_EQ(irq_line_state(NR_IRQS, line, sizeof(line)), -EINVAL);
}

}  // namespace
