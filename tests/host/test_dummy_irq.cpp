// The dummy_irq shell command (drivers/misc/dummy_irq.cpp, Linux's drivers/misc/dummy-irq.c): a shared
// handler that reports the first interrupt per line, claims none, and is freed again by `-f`.
#include "kernel/irq/internals.h"
#include "kernel/shell/shell.h"
#include "tests/host/support/capture_console.h"
#include "tests/host/support/line_test.h"
#include <cstring>

namespace {
class DummyIrq : public LineTest {
protected:
    std::string out;
    shell_output_fn previous = nullptr;
    static DummyIrq* self;
    static void capture(const char* s, size_t n) { self->out.append(s, n); }
    void SetUp() override {
        LineTest::SetUp();
        self = this;
        previous = shell_set_output(capture);
    }
    void TearDown() override {
        run("dummy_irq -f 5");
        shell_set_output(previous);
    }
    int run(const char* line) {
        char buf[SHELL_LINE_MAX];
        std::strncpy(buf, line, sizeof buf - 1);
        buf[sizeof buf - 1] = '\0';
        return shell_execute(buf);
    }
};
DummyIrq* DummyIrq::self;

TEST_F(DummyIrq, RequestsASharedActionThatClaimsNothingAndSaysSoOnce) {
    FakeChip& chip = make_chip();
    wire(chip, handle_level_irq);
    ASSERT_EQ(run("dummy_irq 5"), 0);
    EXPECT_EQ(out, "");
    ASSERT_NE(desc->action, nullptr);
    EXPECT_STREQ(desc->action->name, "dummy_irq");
    EXPECT_EQ(desc->action->flags & IRQF_SHARED, (unsigned long)IRQF_SHARED);
    host_console::clear();
    host_env::fire_irq(IRQ);
    host_env::fire_irq(IRQ);
    EXPECT_EQ(host_console::count("dummy-irq: interrupt occurred on IRQ 5"), 1u);
    EXPECT_EQ(desc->irqs_unhandled, 2u) << "IRQ_NONE both times";
}

TEST_F(DummyIrq, SharesWithAnotherSharedOwner) {
    FakeChip& chip = make_chip();
    setup(chip, handle_level_irq, IRQF_SHARED);
    ASSERT_EQ(run("dummy_irq 5"), 0);
    host_env::fire_irq(IRQ);
    EXPECT_EQ(dev.calls.load(), 1);
    EXPECT_EQ(desc->irqs_unhandled, 0u) << "the device claimed it";
    ASSERT_EQ(run("dummy_irq -f 5"), 0);
    ASSERT_NE(desc->action, nullptr);
    EXPECT_STREQ(desc->action->name, "a");
    EXPECT_EQ(desc->action->next, nullptr);
}

TEST_F(DummyIrq, ErrorsAreReported) {
    FakeChip& chip = make_chip();
    setup(chip, handle_level_irq, 0);  // an owner that does not share
    EXPECT_EQ(run("dummy_irq 5"), -EBUSY);
    EXPECT_NE(out.find("dummy_irq: IRQ 5: request failed (-16)"), std::string::npos) << out;
    out.clear();
    EXPECT_EQ(run("dummy_irq -f 5"), -ENOENT);
    EXPECT_EQ(run("dummy_irq 300"), -EINVAL);
    EXPECT_NE(out.find("invalid IRQ number '300'"), std::string::npos) << out;
    EXPECT_EQ(run("dummy_irq"), -EINVAL);
    EXPECT_EQ(run("dummy_irq -f"), -EINVAL);
}

TEST_F(DummyIrq, RequestingTwiceIsRefused) {
    FakeChip& chip = make_chip();
    wire(chip, handle_level_irq);
    ASSERT_EQ(run("dummy_irq 5"), 0);
    EXPECT_EQ(run("dummy_irq 5"), -EEXIST);
}
}  // namespace
