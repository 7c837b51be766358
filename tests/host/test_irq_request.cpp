// request_irq / free_irq: Linux's error checks in Linux's order, sharing rules and messages, the
// action chain, and freeing (kernel/irq/manage.c).
#include "kernel/irq/internals.h"
#include "kernel/preempt.h"
#include "kernel/printk.h"
#include "tests/host/support/capture_console.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/host_heap.h"
#include "tests/host/support/test_dev.h"

namespace {
constexpr unsigned IRQ = 5;

class IrqRequest : public IrqTest {
protected:
    FakeChip chip;
    TestDev a, b, c;
    irq_desc* desc = irq_to_desc(IRQ);
    void SetUp() override {
        IrqTest::SetUp();
        for (auto* d : {&a, &b, &c}) d->chip = &chip;
        a.tag = "a";
        b.tag = "b";
        c.tag = "c";
    }
    void wire(irq_flow_handler_t flow = handle_level_irq) { wire_line(IRQ, &chip, flow, "test"); }
    std::string console() const { return host_console::text(); }
};

TEST_F(IrqRequest, NotConnectedComesFirst) {
    // Even with every other check failing too (SHARED without dev_id, no handler).
    EXPECT_EQ(request_irq(IRQ_NOTCONNECTED, nullptr, IRQF_SHARED, "x", nullptr), -ENOTCONN);
}

TEST_F(IrqRequest, FlagChecksComeBeforeTheDescriptor) {
    EXPECT_EQ(request_irq(IRQ, test_dev_handler, IRQF_SHARED, "x", nullptr), -EINVAL);
    EXPECT_EQ(request_irq(IRQ, test_dev_handler, IRQF_SHARED | IRQF_NO_AUTOEN, "x", &a), -EINVAL);
    EXPECT_EQ(request_irq(IRQ, test_dev_handler, IRQF_COND_SUSPEND, "x", &a), -EINVAL);
    EXPECT_EQ(request_irq(NR_IRQS, test_dev_handler, 0, "x", &a), -EINVAL);
    EXPECT_EQ(host_heap::live(), 0) << "nothing allocated for rejected requests";
}

TEST_F(IrqRequest, NoRequestAndNullHandlerBeatNoChip) {
    // The line is unwired (no_irq_chip): -ENOSYS would come later than these -EINVALs.
    EXPECT_EQ(request_irq(IRQ, nullptr, 0, "x", &a), -EINVAL);
    irq_set_status_flags(IRQ, IRQ_NOREQUEST);
    EXPECT_EQ(request_irq(IRQ, test_dev_handler, 0, "x", &a), -EINVAL);
    irq_clear_status_flags(IRQ, IRQ_NOREQUEST);
    EXPECT_EQ(request_irq(IRQ, test_dev_handler, 0, "x", &a), -ENOSYS);
    EXPECT_EQ(host_heap::live(), 0) << "the action allocated before the -ENOSYS check is freed";
}

TEST_F(IrqRequest, AllocationFailureIsEnomemBeforeTheChipCheck) {
    host_heap::fail_next(1);
    EXPECT_EQ(request_irq(IRQ, test_dev_handler, 0, "x", &a), -ENOMEM);  // unwired: would be -ENOSYS
    wire();
    host_heap::fail_next(1);
    EXPECT_EQ(request_irq(IRQ, test_dev_handler, 0, "x", &a), -ENOMEM);
    EXPECT_EQ(desc->action, nullptr);
    EXPECT_EQ(desc->depth, 1u) << "a failed request leaves the line untouched";
    EXPECT_EQ(request_irq(IRQ, test_dev_handler, 0, "x", &a), 0);
    free_irq(IRQ, &a);
}

TEST_F(IrqRequest, SecondNonSharedRequestIsBusyWithLinuxMessage) {
    wire();
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, 0, "a", &a), 0);
    EXPECT_EQ(request_irq(IRQ, test_dev_handler, IRQF_SHARED, "b", &b), -EBUSY);
    EXPECT_NE(console().find("genirq: Flags mismatch irq 5. 00000080 (b) vs. 00000000 (a)\n"), std::string::npos)
        << console();
    free_irq(IRQ, &a);
    EXPECT_EQ(host_heap::live(), 0);
}

TEST_F(IrqRequest, TriggerMismatchIsBusy) {
    wire();
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, IRQF_SHARED | IRQF_TRIGGER_RISING, "a", &a), 0);
    EXPECT_EQ(chip.log(), "set_type 5 1, unmask 5");
    EXPECT_EQ(request_irq(IRQ, test_dev_handler, IRQF_SHARED | IRQF_TRIGGER_FALLING, "b", &b), -EBUSY);
    EXPECT_NE(console().find("genirq: Flags mismatch irq 5. 00000082 (b) vs. 00000081 (a)\n"), std::string::npos)
        << console();
    // No trigger given: the newcomer takes the line's, and matches.
    EXPECT_EQ(request_irq(IRQ, test_dev_handler, IRQF_SHARED, "c", &c), 0);
    free_irq(IRQ, &a);
    free_irq(IRQ, &c);
}

TEST_F(IrqRequest, UntypedLineAdoptsTheSecondRequestersTrigger) {
    wire();
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, IRQF_SHARED, "a", &a), 0);
    EXPECT_FALSE(irqd_trigger_type_was_set(&desc->irq_data));
    EXPECT_EQ(request_irq(IRQ, test_dev_handler, IRQF_SHARED | IRQF_TRIGGER_HIGH, "b", &b), 0);
    EXPECT_EQ(irqd_get_trigger_type(&desc->irq_data), (unsigned)IRQ_TYPE_LEVEL_HIGH);
    EXPECT_EQ(request_irq(IRQ, test_dev_handler, IRQF_SHARED | IRQF_TRIGGER_LOW, "c", &c), -EBUSY);
    free_irq(IRQ, &a);
    free_irq(IRQ, &b);
}

TEST_F(IrqRequest, ProbeSharedMismatchIsSilent) {
    wire();
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, 0, "a", &a), 0);
    host_console::clear();
    EXPECT_EQ(request_irq(IRQ, test_dev_handler, IRQF_SHARED | IRQF_PROBE_SHARED, "b", &b), -EBUSY);
    EXPECT_EQ(console().find("Flags mismatch"), std::string::npos) << console();
    free_irq(IRQ, &a);
}

TEST_F(IrqRequest, OneshotAndPercpuMustMatch) {
    wire();
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, IRQF_SHARED, "a", &a), 0);
    EXPECT_EQ(request_irq(IRQ, test_dev_handler, IRQF_SHARED | IRQF_ONESHOT, "b", &b), -EBUSY);
    EXPECT_EQ(request_irq(IRQ, test_dev_handler, IRQF_SHARED | IRQF_PERCPU, "b", &b), -EBUSY);
    free_irq(IRQ, &a);
}

TEST_F(IrqRequest, SharedActionsRunInRequestOrderAndResultsCombine) {
    wire(handle_level_irq);
    a.ret = IRQ_NONE;
    b.ret = IRQ_HANDLED;
    c.ret = IRQ_NONE;
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, IRQF_SHARED, "a", &a), 0);
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, IRQF_SHARED, "b", &b), 0);
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, IRQF_SHARED, "c", &c), 0);
    chip.clear();
    host_env::fire_irq(IRQ);
    EXPECT_EQ(chip.log(), "mask 5, ack 5, handler a, handler b, handler c, unmask 5");
    EXPECT_EQ(desc->irqs_unhandled, 0u) << "one HANDLED makes the interrupt handled";
    b.ret = IRQ_NONE;
    host_env::fire_irq(IRQ);
    EXPECT_EQ(desc->irqs_unhandled, 1u) << "all NONE: unhandled";
    EXPECT_EQ(kstat_irqs(IRQ), 2u);
    free_irq(IRQ, &a);
    free_irq(IRQ, &b);
    free_irq(IRQ, &c);
}

TEST_F(IrqRequest, FreeingOneSharerKeepsTheOthers) {
    wire(handle_level_irq);
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, IRQF_SHARED, "a", &a), 0);
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, IRQF_SHARED, "b", &b), 0);
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, IRQF_SHARED, "c", &c), 0);
    chip.clear();
    EXPECT_STREQ(static_cast<const char*>(free_irq(IRQ, &b)), "b");
    EXPECT_EQ(chip.log(), "") << "the line stays up for the other sharers";
    EXPECT_EQ(desc->depth, 0u);
    host_env::fire_irq(IRQ);
    EXPECT_EQ(chip.log(), "mask 5, ack 5, handler a, handler c, unmask 5");
    EXPECT_EQ(b.calls, 0);
    free_irq(IRQ, &a);
    chip.clear();
    free_irq(IRQ, &c);
    EXPECT_EQ(chip.log(), "mask 5") << "the last one shuts the line down";
    EXPECT_EQ(desc->action, nullptr);
    EXPECT_EQ(host_heap::live(), 0);
}

TEST_F(IrqRequest, FreeWithUnknownDevIdWarnsAndReturnsNull) {
    wire();
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, IRQF_SHARED, "a", &a), 0);
    EXPECT_EQ(free_irq(IRQ, &b), nullptr);
    EXPECT_EQ(warn_count, 1ul);
    EXPECT_NE(console().find("Trying to free already-free IRQ 5\n"), std::string::npos) << console();
    EXPECT_NE(desc->action, nullptr);
    free_irq(IRQ, &a);
    EXPECT_EQ(free_irq(IRQ, &a), nullptr) << "a second free of the same action";
    EXPECT_EQ(warn_count, 2ul);
}

TEST_F(IrqRequest, FreeFromInterruptContextWarns) {
    wire();
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, 0, "a", &a), 0);
    arch::irq_disable();  // hard-IRQ context, as do_IRQ would run it
    irq_enter();
    EXPECT_STREQ(static_cast<const char*>(free_irq(IRQ, &a)), "a");
    irq_exit();
    arch::irq_enable();
    EXPECT_EQ(warn_count, 1ul);
    EXPECT_NE(console().find("Trying to free IRQ 5 from IRQ context!\n"), std::string::npos) << console();
}

TEST_F(IrqRequest, NonSharedRequestMayUseNullDevId) {
    wire();
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, 0, "a", nullptr), 0);
    EXPECT_STREQ(static_cast<const char*>(free_irq(IRQ, nullptr)), "a");
}

TEST_F(IrqRequest, SetTypeFailureFailsTheRequest) {
    wire();
    chip.set_type_result = -EINVAL;
    EXPECT_EQ(request_irq(IRQ, test_dev_handler, IRQF_TRIGGER_RISING, "a", &a), -EINVAL);
    EXPECT_NE(console().find("genirq: Setting trigger mode 1 for irq 5 failed"), std::string::npos) << console();
    EXPECT_EQ(desc->action, nullptr);
    EXPECT_EQ(host_heap::live(), 0);
}

// Linux __setup_irq: a nested-thread line runs its handlers from the parent's thread, so a request
// without a thread function is refused (after the no_irq_chip check, before anything is changed).
TEST_F(IrqRequest, NestedThreadLineRefusesARequestWithoutThreadFunction) {
    EXPECT_EQ(request_irq(IRQ, test_dev_handler, 0, "a", &a), -ENOSYS) << "no chip yet: -ENOSYS first";
    wire();
    irq_set_status_flags(IRQ, IRQ_NESTED_THREAD);
    EXPECT_EQ(request_irq(IRQ, test_dev_handler, 0, "a", &a), -EINVAL);
    EXPECT_EQ(desc->action, nullptr);
    EXPECT_EQ(desc->depth, 1u) << "the line was not started";
    EXPECT_EQ(host_heap::live(), 0);
    irq_clear_status_flags(IRQ, IRQ_NESTED_THREAD);
    ASSERT_EQ(request_irq(IRQ, test_dev_handler, 0, "a", &a), 0);
    free_irq(IRQ, &a);
}

TEST_F(IrqRequest, LevelTriggerSetsTheLevelFlags) {
    wire();
    ASSERT_EQ(irq_set_irq_type(IRQ, IRQ_TYPE_LEVEL_LOW), 0);
    EXPECT_TRUE(irq_settings_is_level(desc));
    EXPECT_TRUE(irqd_has(&desc->irq_data, IRQD_LEVEL));
    ASSERT_EQ(irq_set_irq_type(IRQ, IRQ_TYPE_EDGE_RISING), 0);
    EXPECT_FALSE(irq_settings_is_level(desc));
    EXPECT_FALSE(irqd_has(&desc->irq_data, IRQD_LEVEL));
}
}  // namespace
