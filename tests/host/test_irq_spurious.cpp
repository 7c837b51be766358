// note_interrupt: the unhandled-interrupt window at its exact boundaries, the HZ/10 reset, the
// "nobody cared" report, the tunables and boot flags, bogus return values and misrouted-IRQ recovery
// (Linux kernel/irq/spurious.c as of 6.12).
#include "kernel/irq/internals.h"
#include "kernel/cmdline.h"
#include "kernel/jiffies.h"
#include "kernel/printk.h"
#include "tests/host/support/capture_console.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/line_test.h"

namespace {
class IrqSpurious : public LineTest {
protected:
    FakeChip& chip = make_chip();
    void SetUp() override {
        LineTest::SetUp();
        wire(chip, handle_simple_irq, "simple", /*log_handler=*/false);  // 100,000 interrupts: no log
    }
    void request(unsigned long flags = 0) { ASSERT_EQ(request_irq(IRQ, test_dev_handler, flags, "a", &dev), 0); }
    void fire(unsigned n, irqreturn_t ret) {
        dev.ret = ret;
        for (unsigned i = 0; i < n; i++) host_env::fire_irq(IRQ);
    }
    bool spurious_disabled() const { return desc->istate & IRQS_SPURIOUS_DISABLED; }
};

TEST_F(IrqSpurious, DefaultsAreLinuxs) {
    EXPECT_EQ(spurious_window, 100000u);
    EXPECT_EQ(spurious_threshold, 99900u);
}

TEST_F(IrqSpurious, HandledInterruptsDoNotOpenAWindow) {
    request();
    fire(150000, IRQ_HANDLED);
    EXPECT_EQ(desc->irq_count, 0u) << "v5.13+: counting starts with the first unhandled one";
    EXPECT_EQ(desc->irqs_unhandled, 0u);
    free_irq(IRQ, &dev);
}

TEST_F(IrqSpurious, ExactlyThresholdUnhandledDoesNotTrip) {
    request();
    fire(99900, IRQ_NONE);
    fire(100, IRQ_HANDLED);  // the 100,000th interrupt of the window closes it
    EXPECT_FALSE(spurious_disabled());
    EXPECT_EQ(desc->depth, 0u);
    EXPECT_EQ(desc->irq_count, 0u) << "window closed";
    EXPECT_EQ(desc->irqs_unhandled, 0u) << "reset at the end of every window";
    EXPECT_EQ(host_console::count("nobody cared"), 0u);
    fire(1, IRQ_HANDLED);
    EXPECT_EQ(dev.calls, 100001);
    free_irq(IRQ, &dev);
}

TEST_F(IrqSpurious, OneMoreUnhandledTripsAtTheEndOfTheWindow) {
    request();
    fire(99901, IRQ_NONE);
    fire(98, IRQ_HANDLED);
    EXPECT_FALSE(spurious_disabled()) << "99,999 interrupts: the window is still open";
    EXPECT_EQ(desc->irq_count, 99999u);
    fire(1, IRQ_HANDLED);
    EXPECT_TRUE(spurious_disabled());
    EXPECT_EQ(desc->depth, 1u);
    EXPECT_TRUE(irqd_has(&desc->irq_data, IRQD_IRQ_DISABLED));
    std::string out = host_console::text();
    size_t cared = out.find("irq 5: nobody cared (try booting with the \"irqpoll\" option)\n");
    size_t trace = out.find("Call Trace:\n", cared);
    size_t handlers = out.find("handlers:\n", cared);
    size_t entry = out.find("] test_dev_handler\n", handlers);
    size_t disabling = out.find("Disabling IRQ #5\n", handlers);
    ASSERT_NE(cared, std::string::npos) << out;
    EXPECT_NE(trace, std::string::npos);
    ASSERT_NE(handlers, std::string::npos);
    EXPECT_NE(entry, std::string::npos) << out;
    EXPECT_NE(disabling, std::string::npos);
    EXPECT_LT(entry, disabling);
    char addr[64];
    std::snprintf(addr, sizeof addr, "[<%016lx>] test_dev_handler\n", (unsigned long)(uintptr_t)&test_dev_handler);
    EXPECT_NE(out.find(addr), std::string::npos) << "handler line is [<%p>] %ps: " << out;

    int before = dev.calls;
    fire(5, IRQ_NONE);
    EXPECT_EQ(dev.calls, before) << "the line is disabled now";
    free_irq(IRQ, &dev);
}

TEST_F(IrqSpurious, UnhandledCountRestartsAfterHzOverTen) {
    request();
    host_env::set_jiffies(1000);
    fire(1, IRQ_NONE);
    EXPECT_EQ(desc->irqs_unhandled, 1u);
    host_env::set_jiffies(1000 + HZ / 10);  // not after last + HZ/10
    fire(1, IRQ_NONE);
    EXPECT_EQ(desc->irqs_unhandled, 2u);
    EXPECT_EQ(desc->last_unhandled, 1000ul + HZ / 10);
    host_env::set_jiffies(1000 + 2 * (HZ / 10) + 1);  // one tick past last + HZ/10
    fire(1, IRQ_NONE);
    EXPECT_EQ(desc->irqs_unhandled, 1u);
    free_irq(IRQ, &dev);
}

TEST_F(IrqSpurious, SlowStormNeverTrips) {
    request();
    // 100,000 unhandled interrupts, each more than HZ/10 after the previous one.
    unsigned long j = 0;
    dev.ret = IRQ_NONE;
    for (unsigned i = 0; i < 100000; i++) {
        j += HZ / 10 + 1;
        host_env::set_jiffies(j);
        host_env::fire_irq(IRQ);
    }
    EXPECT_FALSE(spurious_disabled());
    free_irq(IRQ, &dev);
}

TEST_F(IrqSpurious, TunablesFromTheCommandLine) {
    EXPECT_EQ(parse_cmdline("spurious_window=10 spurious_threshold=5"), 0);
    EXPECT_EQ(spurious_window, 10u);
    EXPECT_EQ(spurious_threshold, 5u);
    EXPECT_NE(parse_cmdline("spurious_window=0"), 0) << "a zero window is rejected";
    EXPECT_EQ(spurious_window, 10u);
    request();
    fire(5, IRQ_NONE);
    fire(5, IRQ_HANDLED);
    EXPECT_FALSE(spurious_disabled()) << "5 of 10 is not more than 5";
    fire(6, IRQ_NONE);
    fire(3, IRQ_HANDLED);
    EXPECT_FALSE(spurious_disabled());
    fire(1, IRQ_HANDLED);
    EXPECT_TRUE(spurious_disabled()) << "6 of 10";
    EXPECT_EQ(host_console::count("Disabling IRQ #5\n"), 1u);
    free_irq(IRQ, &dev);
}

TEST_F(IrqSpurious, NoirqdebugSkipsAccounting) {
    EXPECT_EQ(parse_cmdline("noirqdebug"), 0);
    EXPECT_TRUE(noirqdebug);
    request();
    EXPECT_TRUE(irq_settings_no_debug(desc));
    fire(10, IRQ_NONE);
    EXPECT_EQ(desc->irqs_unhandled, 0u);
    EXPECT_EQ(desc->irq_count, 0u);
    free_irq(IRQ, &dev);
}

TEST_F(IrqSpurious, PercpuNoDebugSkipsAccounting) {
    wire_line(IRQ, &chip, handle_percpu_irq, "percpu");
    request(IRQF_PERCPU | IRQF_NO_DEBUG);
    fire(10, IRQ_NONE);
    EXPECT_EQ(desc->irqs_unhandled, 0u);
    free_irq(IRQ, &dev);
    EXPECT_TRUE(irq_settings_no_debug(desc)) << "Linux never clears the setting on free";
    // Without PERCPU the flag means nothing (another line: this one keeps its no-debug setting).
    wire_line(6, &chip, handle_simple_irq, "simple");
    ASSERT_EQ(request_irq(6, test_dev_handler, IRQF_NO_DEBUG, "b", &dev), 0);
    dev.ret = IRQ_NONE;
    host_env::fire_irq(6);
    EXPECT_EQ(irq_to_desc(6)->irqs_unhandled, 1u);
    free_irq(6, &dev);
}

TEST_F(IrqSpurious, BogusReturnValueIsReportedAtMostOneHundredTimes) {
    request();
    fire(101, static_cast<irqreturn_t>(0x10));
    EXPECT_EQ(host_console::count("irq event 5: bogus return value 10\n"), 100u);
    EXPECT_EQ(desc->irqs_unhandled, 0u) << "not counted as unhandled";
    EXPECT_EQ(desc->irq_count, 0u);
    EXPECT_NE(host_console::text().find("handlers:\n"), std::string::npos);
    free_irq(IRQ, &dev);
}

TEST_F(IrqSpurious, NewSharedActionReenablesASpuriousDisabledLine) {
    spurious_window = 10;
    spurious_threshold = 5;
    request(IRQF_SHARED);
    fire(10, IRQ_NONE);
    ASSERT_TRUE(spurious_disabled());
    TestDev other;
    ASSERT_EQ(request_irq(IRQ, test_other_handler, IRQF_SHARED, "b", &other), 0);
    EXPECT_FALSE(spurious_disabled());
    EXPECT_EQ(desc->depth, 0u);
    EXPECT_FALSE(irqd_has(&desc->irq_data, IRQD_IRQ_DISABLED));
    EXPECT_EQ(desc->irqs_unhandled, 0u);
    EXPECT_EQ(desc->irq_count, 0u);
    fire(1, IRQ_HANDLED);
    EXPECT_EQ(other.calls, 1);
    free_irq(IRQ, &dev);
    free_irq(IRQ, &other);
}

TEST_F(IrqSpurious, ReportListsEveryHandler) {
    spurious_window = 4;
    spurious_threshold = 3;
    request(IRQF_SHARED);
    TestDev other;
    other.ret = IRQ_NONE;
    ASSERT_EQ(request_irq(IRQ, test_other_handler, IRQF_SHARED, "b", &other), 0);
    fire(4, IRQ_NONE);
    ASSERT_TRUE(spurious_disabled());
    std::string out = host_console::text();
    size_t h = out.find("handlers:\n");
    size_t first = out.find("] test_dev_handler\n", h);
    size_t second = out.find("] test_other_handler\n", h);
    EXPECT_NE(first, std::string::npos) << out;
    EXPECT_NE(second, std::string::npos) << out;
    EXPECT_LT(first, second);
    free_irq(IRQ, &dev);
    free_irq(IRQ, &other);
}

TEST_F(IrqSpurious, IrqfixupFindsTheInterruptOnASharedLine) {
    EXPECT_EQ(parse_cmdline("irqfixup"), 0);
    EXPECT_EQ(irqfixup, 1);
    request();  // line 5: its device never claims anything
    FakeChip chip7;
    TestDev owner, nonshared;
    owner.tag = "owner";
    wire_line(7, &chip7, handle_simple_irq, "simple");
    wire_line(9, &chip7, handle_simple_irq, "simple");
    ASSERT_EQ(request_irq(7, test_other_handler, IRQF_SHARED, "owner", &owner), 0);
    ASSERT_EQ(request_irq(9, test_other_handler, 0, "nonshared", &nonshared), 0);
    fire(1, IRQ_NONE);
    EXPECT_EQ(owner.calls, 1) << "misrouted_irq polled the shared line";
    EXPECT_EQ(nonshared.calls, 0) << "non-shared lines are never polled";
    EXPECT_EQ(desc->irqs_unhandled, 0u) << "claimed elsewhere: irqs_unhandled -= 1";
    owner.ret = IRQ_NONE;
    fire(1, IRQ_NONE);
    EXPECT_EQ(owner.calls, 2);
    EXPECT_EQ(desc->irqs_unhandled, 1u);
    fire(1, IRQ_HANDLED);
    EXPECT_EQ(owner.calls, 2) << "irqfixup=1 polls only for unhandled interrupts";
    free_irq(7, &owner);
    free_irq(9, &nonshared);
    free_irq(IRQ, &dev);
}

TEST_F(IrqSpurious, IrqpollAlsoPollsOnTheTimerLine) {
    EXPECT_EQ(parse_cmdline("irqpoll"), 0);
    EXPECT_EQ(irqfixup, 2);
    FakeChip chip0;
    TestDev timer, shared;
    wire_line(0, &chip0, handle_simple_irq, "simple");
    wire_line(7, &chip0, handle_simple_irq, "simple");
    ASSERT_EQ(request_irq(0, test_dev_handler, IRQF_TIMER, "timer", &timer), 0);
    ASSERT_EQ(request_irq(7, test_other_handler, IRQF_SHARED, "shared", &shared), 0);
    host_env::fire_irq(0);  // handled, but IRQ 0 under irqpoll
    EXPECT_EQ(timer.calls, 1);
    EXPECT_EQ(shared.calls, 1);
    free_irq(0, &timer);
    free_irq(7, &shared);
}
}  // namespace
