// TestDev handlers and line wiring for the genirq host tests (see test_dev.h).
#include "tests/host/support/test_dev.h"
#include "kernel/preempt.h"
#include "kernel/spinlock.h"

static irqreturn_t record(int, void* dev_id) {
    auto* dev = static_cast<TestDev*>(dev_id);
    dev->calls++;
    dev->saw_in_irq = in_irq();
    dev->saw_irqs_off = irqs_disabled();
    dev->saw_serving_softirq = in_serving_softirq();
    if (dev->chip) dev->chip->note("handler " + dev->tag);
    if (dev->hook) dev->hook(dev);
    return dev->ret;
}

irqreturn_t test_dev_handler(int irq, void* dev_id) { return record(irq, dev_id); }
irqreturn_t test_other_handler(int irq, void* dev_id) { return record(irq, dev_id); }

void wire_line(unsigned irq, FakeChip* chip, irq_flow_handler_t flow, const char* flow_name) {
    irq_set_chip_and_handler_name(irq, chip, flow, flow_name);
    irq_set_hwirq(irq, irq);
}
