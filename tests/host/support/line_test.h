// The fixture most core tests start from: IRQ 5 wired to a recording FakeChip with a chosen flow, a
// TestDev to request it with (its handler calls land in the chip's log, so one ordered list shows chip
// and handler calls), and the state questions the tests ask.
#pragma once
#include "kernel/irq/internals.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/test_dev.h"
#include <memory>

class LineTest : public IrqTest {
protected:
    static constexpr unsigned IRQ = 5;
    TestDev dev;
    irq_desc* desc = irq_to_desc(IRQ);

    // A chip owned by the fixture, so it outlives the test body (TearDown's free_irq still calls it).
    FakeChip& make_chip(unsigned ops = FakeChip::DEFAULT_OPS, unsigned flags = 0) {
        chip_ = std::make_unique<FakeChip>(ops, flags);
        return *chip_;
    }
    // Wire IRQ to `chip` as a PIC driver would at boot. log_handler=false keeps handler calls out of the
    // chip log (the spurious tests fire 100,000 interrupts).
    void wire(FakeChip& chip, irq_flow_handler_t flow, const char* flow_name = "test", bool log_handler = true) {
        dev.chip = log_handler ? &chip : nullptr;
        dev.tag = "a";
        wire_line(IRQ, &chip, flow, flow_name);
    }
    // wire + request_irq, then forget the start-up calls: the log shows only what the test does next.
    void setup(FakeChip& chip, irq_flow_handler_t flow, unsigned long flags = 0, const char* flow_name = "test") {
        wire(chip, flow, flow_name);
        ASSERT_EQ(request_irq(IRQ, test_dev_handler, flags, "a", &dev), 0);
        chip.clear();
    }
    // An interrupt that arrives after disable_irq: what the flow does with a disabled line.
    void disable_and_fire() {
        disable_irq(IRQ);
        host_env::fire_irq(IRQ);
    }
    bool disabled() const { return irqd_has(&desc->irq_data, IRQD_IRQ_DISABLED); }
    bool masked() const { return irqd_has(&desc->irq_data, IRQD_IRQ_MASKED); }
    // Free our action if the test left it on the line (a test that freed it itself gets no warning).
    void TearDown() override {
        for (irqaction* a = desc->action; a; a = a->next)
            if (a->dev_id == &dev) {
                free_irq(IRQ, &dev);
                break;
            }
    }

private:
    std::unique_ptr<FakeChip> chip_;
};
