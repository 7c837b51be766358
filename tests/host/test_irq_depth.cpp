// disable_irq / enable_irq depth counting, the unbalanced-enable warning and the state a line is in
// after free_irq and a new request_irq (Linux kernel/irq/manage.c).
#include "kernel/irq/internals.h"
#include "kernel/printk.h"
#include "tests/host/support/capture_console.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/line_test.h"

namespace {
class IrqDepth : public LineTest {
protected:
    FakeChip& chip = make_chip();
    void SetUp() override {
        LineTest::SetUp();
        wire(chip, handle_edge_irq, "edge");
    }
};

TEST_F(IrqDepth, RequestStartsTheLineAtDepthZero) {
    EXPECT_EQ(desc->depth, 1u);
    EXPECT_TRUE(disabled());
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, 0, "a", &dev), 0);
    EXPECT_EQ(desc->depth, 0u);
    EXPECT_FALSE(disabled());
    EXPECT_FALSE(masked());
    EXPECT_EQ(chip.log(), "unmask 5");  // no startup/enable op: irq_startup unmasks
    free_irq(IRQ, &dev);
}

TEST_F(IrqDepth, NestedDisablesNeedAsManyEnables) {
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, 0, "a", &dev), 0);
    chip.clear();
    disable_irq(IRQ);
    disable_irq_nosync(IRQ);
    disable_irq(IRQ);
    EXPECT_EQ(desc->depth, 3u);
    EXPECT_TRUE(disabled());
    enable_irq(IRQ);
    enable_irq(IRQ);
    EXPECT_EQ(desc->depth, 1u);
    EXPECT_TRUE(disabled()) << "still one disable outstanding";
    enable_irq(IRQ);
    EXPECT_EQ(desc->depth, 0u);
    EXPECT_FALSE(disabled());
    EXPECT_EQ(warn_count, 0ul);
    EXPECT_EQ(chip.log(), "") << "lazy disable: the hardware was never touched";
    free_irq(IRQ, &dev);
}

TEST_F(IrqDepth, UnbalancedEnableWarnsAndKeepsDepthZero) {
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, 0, "a", &dev), 0);
    host_console::clear();
    enable_irq(IRQ);
    EXPECT_EQ(desc->depth, 0u);
    EXPECT_EQ(warn_count, 1ul);
    EXPECT_NE(host_console::text().find("Unbalanced enable for IRQ 5\n"), std::string::npos) << host_console::text();
    EXPECT_NE(host_console::text().find("WARNING: CPU: 0"), std::string::npos);
    // The line keeps working after the bogus call.
    host_env::fire_irq(IRQ);
    EXPECT_EQ(dev.calls, 1);
    free_irq(IRQ, &dev);
}

TEST_F(IrqDepth, EnableBeforeSetupWarns) {
    const unsigned unwired = 9;
    enable_irq(unwired);
    EXPECT_EQ(warn_count, 1ul);
    EXPECT_NE(host_console::text().find("enable_irq before setup/request_irq: irq 9\n"), std::string::npos);
    EXPECT_EQ(irq_to_desc(unwired)->depth, 1u) << "nothing was started";
}

// Linux __irq_startup: a wired line that nobody requested was never activated; enable_irq starts it
// all the same, but says so (WARN_ON_ONCE(!irqd_is_activated(d))).
TEST_F(IrqDepth, EnableOfAWiredLineNobodyRequestedStartsItWithAWarning) {
    EXPECT_FALSE(irqd_has(&desc->irq_data, IRQD_ACTIVATED));
    enable_irq(IRQ);
    EXPECT_EQ(warn_count, 1ul);
    EXPECT_NE(host_console::text().find("WARNING: CPU: 0 PID: 0 at "), std::string::npos) << host_console::text();
    EXPECT_NE(host_console::text().find(" __irq_startup\n"), std::string::npos) << host_console::text();
    EXPECT_EQ(desc->depth, 0u);
    EXPECT_FALSE(disabled());
    EXPECT_TRUE(irqd_has(&desc->irq_data, IRQD_IRQ_STARTED));
    EXPECT_EQ(chip.log(), "unmask 5");
    disable_irq(IRQ);  // back to the wired-but-unused state the fixture found
}

// A requested line was activated: starting it again after a disable is silent.
TEST_F(IrqDepth, EnableOfARequestedLineIsSilent) {
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, 0, "a", &dev), 0);
    disable_irq(IRQ);
    enable_irq(IRQ);
    EXPECT_EQ(warn_count, 0ul);
    free_irq(IRQ, &dev);
}

// Linux looks these up with IRQ_GET_DESC_CHECK_GLOBAL: a per-CPU devid line is switched per CPU
// (enable_percpu_irq), and the global calls treat it as absent.
TEST_F(IrqDepth, GlobalCallsIgnorePerCpuDevidLines) {
    irq_set_status_flags(IRQ, IRQ_PER_CPU_DEVID);
    chip.clear();
    disable_irq_nosync(IRQ);
    EXPECT_EQ(desc->depth, 1u);
    EXPECT_FALSE(disable_hardirq(IRQ)) << "no such (global) line";
    EXPECT_EQ(desc->depth, 1u);
    enable_irq(IRQ);
    EXPECT_EQ(desc->depth, 1u) << "not started";
    EXPECT_TRUE(disabled());
    EXPECT_EQ(irq_set_irq_type(IRQ, IRQ_TYPE_EDGE_RISING), -EINVAL);
    EXPECT_EQ(chip.log(), "");
    EXPECT_EQ(warn_count, 0ul);
    irq_clear_status_flags(IRQ, IRQ_PER_CPU_DEVID);
    EXPECT_TRUE(disable_hardirq(IRQ)) << "an ordinary line again";
    EXPECT_EQ(desc->depth, 2u);
}

TEST_F(IrqDepth, DisableOnANonexistentLineIsIgnored) {
    disable_irq(NR_IRQS + 3);
    enable_irq(NR_IRQS + 3);
    EXPECT_EQ(warn_count, 0ul);
}

TEST_F(IrqDepth, FreeWhileDisabledThenRequestAgainStartsEnabled) {
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, 0, "a", &dev), 0);
    disable_irq(IRQ);
    disable_irq(IRQ);
    chip.clear();
    EXPECT_STREQ(static_cast<const char*>(free_irq(IRQ, &dev)), "a");
    // Linux 6.12 irq_shutdown: depth = 1 whatever it was; the chip has no shutdown op, so the line
    // (already logically disabled) is masked now.
    EXPECT_EQ(desc->depth, 1u);
    EXPECT_TRUE(disabled());
    EXPECT_TRUE(masked());
    EXPECT_EQ(chip.log(), "mask 5");
    chip.clear();
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, 0, "a", &dev), 0);
    EXPECT_EQ(desc->depth, 0u);
    EXPECT_FALSE(disabled());
    EXPECT_FALSE(masked());
    EXPECT_EQ(chip.log(), "unmask 5");
    host_env::fire_irq(IRQ);
    EXPECT_EQ(dev.calls, 1);
    enable_irq(IRQ);  // the two old disables are gone: this one is unbalanced
    EXPECT_EQ(warn_count, 1ul);
    free_irq(IRQ, &dev);
}

TEST_F(IrqDepth, NoAutoenLeavesTheLineOffUntilEnable) {
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, IRQF_NO_AUTOEN, "a", &dev), 0);
    EXPECT_EQ(desc->depth, 1u);
    EXPECT_TRUE(disabled());
    EXPECT_TRUE(masked());
    EXPECT_EQ(chip.log(), "");
    host_env::fire_irq(IRQ);
    EXPECT_EQ(dev.calls, 0);
    enable_irq(IRQ);
    EXPECT_EQ(desc->depth, 0u);
    EXPECT_FALSE(disabled());
    free_irq(IRQ, &dev);
}

TEST_F(IrqDepth, NoAutoenSettingWorksLikeTheFlag) {
    irq_set_status_flags(IRQ, IRQ_NOAUTOEN);
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, 0, "a", &dev), 0);
    EXPECT_EQ(desc->depth, 1u);
    enable_irq(IRQ);
    EXPECT_EQ(desc->depth, 0u);
    free_irq(IRQ, &dev);
}

TEST_F(IrqDepth, DisableHardirqReportsNoThreads) {
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, 0, "a", &dev), 0);
    EXPECT_TRUE(disable_hardirq(IRQ));
    EXPECT_EQ(desc->depth, 1u);
    EXPECT_FALSE(disable_hardirq(NR_IRQS));
    enable_irq(IRQ);
    free_irq(IRQ, &dev);
}
}  // namespace
