// A fake device for the genirq tests: its handler records "handler <tag>" into a FakeChip's call log
// (so chip calls and handler calls appear in one ordered list), counts calls and returns a chosen value.
#pragma once
#include "kernel/irq/interrupt.h"
#include "tests/host/support/fake_chip.h"
#include <atomic>
#include <string>

struct TestDev {
    FakeChip* chip = nullptr;  // where "handler <tag>" is recorded (may be null)
    std::string tag = "dev";
    irqreturn_t ret = IRQ_HANDLED;
    std::atomic<int> calls{0};
    bool saw_in_irq = false;           // in_irq() inside the handler
    bool saw_irqs_off = false;         // interrupts were off inside the handler
    bool saw_serving_softirq = false;  // in_serving_softirq() inside the handler (a software resend)
    void (*hook)(TestDev*) = nullptr;  // extra work inside the handler (e.g. disable_irq_nosync)
};

// The handler for every TestDev (a named global function, so %ps resolves to "test_dev_handler").
irqreturn_t test_dev_handler(int irq, void* dev_id);
// A second handler with another name, for the "handlers:" list of the spurious report.
irqreturn_t test_other_handler(int irq, void* dev_id);

// Wire `irq` to `chip` with flow `flow` (hwirq = irq), as a PIC driver would at boot.
void wire_line(unsigned irq, FakeChip* chip, irq_flow_handler_t flow, const char* flow_name);
