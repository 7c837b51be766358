// The exact chip-call order of each flow handler and the bad-IRQ path (Linux kernel/irq/chip.c,
// handle.c). The fake chip and the handler write into one ordered log.
#include "kernel/irq/internals.h"
#include "kernel/preempt.h"
#include "kernel/printk.h"
#include "kernel/jiffies.h"
#include "tests/host/support/sim_cpu.h"
#include "tests/host/support/capture_console.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/line_test.h"
#include <memory>

namespace {
class IrqFlow : public LineTest {};

TEST_F(IrqFlow, EdgeAcksBeforeTheHandlerAndNeverMasks) {
    FakeChip& chip = make_chip();
    setup(chip, handle_edge_irq);
    host_env::fire_irq(IRQ);
    EXPECT_EQ(chip.log(), "ack 5, handler a");
    EXPECT_EQ(kstat_irqs(IRQ), 1u);
    EXPECT_EQ(kstat_irqs_cpu(IRQ, 0), 1u);
    EXPECT_EQ(desc->tot_count, 1u);
    EXPECT_TRUE(dev.saw_in_irq);
    EXPECT_TRUE(dev.saw_irqs_off);
    EXPECT_FALSE(irqd_has(&desc->irq_data, IRQD_IRQ_INPROGRESS));
}

TEST_F(IrqFlow, LevelFallsBackToMaskThenAck) {
    FakeChip& chip = make_chip();
    setup(chip, handle_level_irq);
    host_env::fire_irq(IRQ);
    EXPECT_EQ(chip.log(), "mask 5, ack 5, handler a, unmask 5");
}

TEST_F(IrqFlow, LevelUsesTheChipsMaskAck) {
    FakeChip& chip = make_chip(FakeChip::DEFAULT_OPS | IRQCHIP_OP_MASK_ACK);
    setup(chip, handle_level_irq);
    host_env::fire_irq(IRQ);
    EXPECT_EQ(chip.log(), "mask_ack 5, handler a, unmask 5");
}

TEST_F(IrqFlow, LevelStaysMaskedWhenTheHandlerDisablesTheLine) {
    FakeChip& chip = make_chip();
    dev.hook = [](TestDev*) { disable_irq_nosync(IRQ); };
    setup(chip, handle_level_irq);
    host_env::fire_irq(IRQ);
    EXPECT_EQ(chip.log(), "mask 5, ack 5, handler a");
    EXPECT_TRUE(irqd_has(&desc->irq_data, IRQD_IRQ_MASKED));
    dev.hook = nullptr;
    chip.clear();
    enable_irq(IRQ);
    EXPECT_EQ(chip.log(), "unmask 5");
}

TEST_F(IrqFlow, FasteoiRunsTheHandlerThenEoi) {
    FakeChip& chip = make_chip();
    setup(chip, handle_fasteoi_irq);
    host_env::fire_irq(IRQ);
    EXPECT_EQ(chip.log(), "handler a, eoi 5");
}

TEST_F(IrqFlow, FasteoiOnADisabledLineMasksAndEois) {
    FakeChip& chip = make_chip();
    setup(chip, handle_fasteoi_irq);
    disable_and_fire();
    EXPECT_EQ(chip.log(), "mask 5, eoi 5");
    EXPECT_TRUE(desc->istate & IRQS_PENDING);
    EXPECT_EQ(dev.calls, 0);
    EXPECT_EQ(kstat_irqs(IRQ), 0u) << "6.12 does not count an interrupt on a disabled line";
    enable_irq(IRQ);
}

TEST_F(IrqFlow, FasteoiEoiIfHandledSkipsTheEoiOnADisabledLine) {
    FakeChip& chip = make_chip(FakeChip::DEFAULT_OPS, IRQCHIP_EOI_IF_HANDLED);
    setup(chip, handle_fasteoi_irq);
    disable_and_fire();
    EXPECT_EQ(chip.log(), "mask 5");
    enable_irq(IRQ);
}

TEST_F(IrqFlow, SimpleTouchesNoChip) {
    FakeChip& chip = make_chip();
    setup(chip, handle_simple_irq);
    host_env::fire_irq(IRQ);
    EXPECT_EQ(chip.log(), "handler a");
    disable_and_fire();
    EXPECT_EQ(chip.log(), "handler a") << "disabled: only PENDING is recorded";
    EXPECT_TRUE(desc->istate & IRQS_PENDING);
    enable_irq(IRQ);
}

TEST_F(IrqFlow, PercpuAcksRunsAndEois) {
    FakeChip& chip = make_chip();
    setup(chip, handle_percpu_irq, IRQF_PERCPU);
    host_env::fire_irq(IRQ);
    EXPECT_EQ(chip.log(), "ack 5, handler a, eoi 5");
    EXPECT_EQ(desc->tot_count, 0u) << "per-CPU lines do not touch tot_count";
    {
        SimCpu::Scope cpu1(1);
        host_env::fire_irq(IRQ);
    }
    EXPECT_EQ(kstat_irqs_cpu(IRQ, 0), 1u);
    EXPECT_EQ(kstat_irqs_cpu(IRQ, 1), 1u);
}

TEST_F(IrqFlow, EdgeWithoutActionMasksAndAcks) {
    FakeChip& chip = make_chip();
    setup(chip, handle_edge_irq);
    free_irq(IRQ, &dev);
    chip.clear();
    host_env::fire_irq(IRQ);
    EXPECT_EQ(chip.log(), "ack 5") << "already masked by the shutdown: mask_ack only acks";
    EXPECT_TRUE(desc->istate & IRQS_PENDING);
}

unsigned acked_bad_irq;
void record_ack_bad_irq(unsigned irq) { acked_bad_irq = irq; }

class IrqBad : public IrqTest {};

TEST_F(IrqBad, UnwiredLineGoesToHandleBadIrq) {
    acked_bad_irq = 0;
    arch_ack_bad_irq = record_ack_bad_irq;
    host_env::fire_irq(33);
    std::string out = host_console::text();
    EXPECT_NE(out.find("irq 33, desc: "), std::string::npos) << out;
    EXPECT_NE(out.find(", depth: 1, count: 0, unhandled: 0\n"), std::string::npos) << out;
    EXPECT_NE(out.find("->handle_irq():  "), std::string::npos) << out;
    EXPECT_NE(out.find("handle_bad_irq"), std::string::npos) << "%pS names the flow: " << out;
    EXPECT_NE(out.find("->action(): 0000000000000000\n"), std::string::npos) << out;
    EXPECT_NE(out.find("unexpected IRQ trap at vector 21\n"), std::string::npos) << out;
    EXPECT_EQ(kstat_irqs(33), 1u);
    EXPECT_EQ(acked_bad_irq, 33u);
}

TEST_F(IrqBad, DescriptorPrintIsRateLimitedButCountingIsNot) {
    for (int i = 0; i < 8; i++) host_env::fire_irq(40);
    EXPECT_EQ(host_console::count("irq 40, desc: "), 5u) << "debug.h: 5 per 5 s";
    EXPECT_EQ(host_console::count("unexpected IRQ trap at vector 28\n"), 8u);
    EXPECT_EQ(kstat_irqs(40), 8u);
    host_env::set_jiffies(5 * HZ + 1);
    host_env::fire_irq(40);
    EXPECT_EQ(host_console::count("irq 40, desc: "), 6u) << "a new interval";
}

// Linux ___ratelimit: the first message of a new interval is preceded by "<func>: N callbacks
// suppressed" for the previous one (print_irq_desc: 5 per 5 s; ack_bad_irq: printk_ratelimit, 10).
TEST_F(IrqBad, RateLimitedMessagesReportWhatTheySuppressed) {
    for (int i = 0; i < 12; i++) host_env::fire_irq(40);
    EXPECT_EQ(host_console::count("callbacks suppressed"), 0u) << "said only when a new interval starts";
    host_env::set_jiffies(5 * HZ + 1);
    host_env::fire_irq(40);
    EXPECT_EQ(host_console::count("print_irq_desc: 7 callbacks suppressed\n"), 1u) << host_console::text();
    EXPECT_EQ(host_console::count("ack_bad_irq: 2 callbacks suppressed\n"), 1u) << host_console::text();
    host_env::set_jiffies(10 * HZ + 2);
    host_env::fire_irq(40);
    EXPECT_EQ(host_console::count("callbacks suppressed"), 2u) << "nothing was suppressed in between";
}

// Linux dummychip.c ack_bad: an interrupt acknowledged through no_irq_chip (a flow left on a line whose
// chip was taken away) describes the descriptor before the arch acknowledge.
TEST_F(IrqBad, NoIrqChipAckDescribesTheLine) {
    FakeChip chip;
    acked_bad_irq = 0;
    arch_ack_bad_irq = record_ack_bad_irq;
    wire_line(41, &chip, handle_edge_irq, "edge");
    ASSERT_EQ(irq_set_chip(41, nullptr), 0);
    host_console::clear();
    host_env::fire_irq(41);
    std::string out = host_console::text();
    EXPECT_NE(out.find("irq 41, desc: "), std::string::npos) << out;
    EXPECT_LT(out.find("irq 41, desc: "), out.find("unexpected IRQ trap at vector 29\n")) << out;
    EXPECT_EQ(acked_bad_irq, 41u);
    EXPECT_TRUE(irq_to_desc(41)->istate & IRQS_PENDING) << "the edge flow still records it";
    EXPECT_EQ(chip.log(), "") << "the old chip is not touched";
}

TEST_F(IrqBad, RequestOnNoIrqChipIsEnosysAndSettingAFlowWithoutChipWarns) {
    TestDev dev;
    EXPECT_EQ(request_irq(50, test_dev_handler, 0, "x", &dev), -ENOSYS);
    irq_set_handler(50, handle_edge_irq);
    EXPECT_EQ(warn_count, 1ul);
    EXPECT_EQ(irq_to_desc(50)->handle_irq, handle_bad_irq);
}

TEST_F(IrqBad, UninstallingTheFlowMasksAndDisables) {
    FakeChip chip;
    wire_line(7, &chip, handle_level_irq, "level");
    irq_desc* d = irq_to_desc(7);
    irqd_clear(&d->irq_data, IRQD_IRQ_MASKED);  // as if running
    irq_set_handler(7, nullptr);
    EXPECT_EQ(d->handle_irq, handle_bad_irq);
    EXPECT_EQ(chip.log(), "mask 7, ack 7");
    EXPECT_EQ(d->depth, 1u);
}

TEST_F(IrqBad, GenericHandleIrqRejectsOutOfRange) {
    EXPECT_EQ(generic_handle_irq(NR_IRQS), -EINVAL);
    EXPECT_EQ(generic_handle_irq(3), 0);
}
}  // namespace
