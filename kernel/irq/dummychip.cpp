// Null interrupt controllers (Linux kernel/irq/dummychip.c). no_irq_chip marks a line nobody wired:
// request_irq refuses it with -ENOSYS, and an interrupt arriving on it is acknowledged as a bad IRQ.
// dummy_irq_chip accepts every operation and does nothing, for lines without controller work.
#include "kernel/irq/internals.h"

namespace {

// Linux's no_irq_chip has startup/enable/disable/shutdown no-ops and an ack (ack_bad) that describes
// the line (print_irq_desc) and calls ack_bad_irq: something raised a line nobody configured, so say
// which and at least tell the arch to acknowledge it.
class NoIrqChip final : public IrqChip {
public:
    constexpr NoIrqChip()
        : IrqChip("none",
                  IRQCHIP_OP_ACK | IRQCHIP_OP_ENABLE | IRQCHIP_OP_DISABLE | IRQCHIP_OP_STARTUP | IRQCHIP_OP_SHUTDOWN) {}
    void irq_ack(irq_data* d) override {
        print_irq_desc(d->irq, irq_to_desc(d->irq));
        ack_bad_irq(d->irq);
    }
};

// Every operation present and empty, so the core's bookkeeping (MASKED etc.) still runs.
class DummyIrqChip final : public IrqChip {
public:
    constexpr DummyIrqChip()
        : IrqChip("dummy", IRQCHIP_OP_ACK | IRQCHIP_OP_MASK | IRQCHIP_OP_UNMASK | IRQCHIP_OP_ENABLE |
                               IRQCHIP_OP_DISABLE | IRQCHIP_OP_STARTUP | IRQCHIP_OP_SHUTDOWN) {}
};

NoIrqChip no_irq_chip_object;
DummyIrqChip dummy_irq_chip_object;

}  // namespace

IrqChip& no_irq_chip = no_irq_chip_object;
IrqChip& dummy_irq_chip = dummy_irq_chip_object;
