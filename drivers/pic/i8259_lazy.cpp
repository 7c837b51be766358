// "XT-PIC-lazy": the 8259 pair seen through a second IrqChip that has no irq_disable, so that the genirq
// core's lazy disable (Linux kernel/irq/chip.c __irq_disable, which Linux shows on its IO-APIC chip) can
// be watched on the 8259's lines. Every callback forwards to the line's Pic8259 (its chip_data); the
// default "XT-PIC" chip and its interrupt path are untouched.
// Switching a line rewires chip, flow and IRQ_LEVEL under the descriptor lock, as Linux's chip drivers do
// with irq_set_chip_handler_name_locked when a line's trigger changes, hence the core's internals.
// Limits: the flow is chosen from the ELCR when the line is switched (a later irq_set_irq_type changes the
// ELCR but not the flow: switch again); handle_edge_irq reads the chip before taking the lock, so a switch
// must not race an interrupt on another CPU. In PIC mode the 8259 interrupts the boot CPU only, where the
// shell and the scenarios run, and the switch holds the lock with interrupts off there.
#include "drivers/pic/i8259.h"
#include "kernel/irq/internals.h"

namespace {

// No IRQCHIP_OP_DISABLE (that is the point) and no ENABLE (enable = unmask, the core's default). ACK is
// there for handle_edge_irq, which acknowledges before the handler without masking.
constexpr unsigned LAZY_OPS = IRQCHIP_OP_ACK | IRQCHIP_OP_MASK | IRQCHIP_OP_UNMASK | IRQCHIP_OP_MASK_ACK |
                              IRQCHIP_OP_SET_TYPE | IRQCHIP_OP_SPURIOUS;

// Callbacks: desc->lock held, interrupts off, as for every IrqChip; each takes the 8259's chip lock.
class Pic8259LazyChip final : public IrqChip {
public:
    constexpr Pic8259LazyChip() : IrqChip("XT-PIC-lazy", LAZY_OPS) {}
    void irq_ack(irq_data* d) override { pic(d)->eoi_irq((unsigned)d->hwirq); }
    void irq_mask(irq_data* d) override { pic(d)->irq_mask(d); }
    void irq_unmask(irq_data* d) override { pic(d)->irq_unmask(d); }
    void irq_mask_ack(irq_data* d) override { pic(d)->irq_mask_ack(d); }
    int irq_set_type(irq_data* d, unsigned type) override { return pic(d)->irq_set_type(d, type); }
    bool irq_spurious(irq_data* d) override { return pic(d)->irq_spurious(d); }

private:
    static Pic8259* pic(irq_data* d) { return static_cast<Pic8259*>(d->chip_data); }
};

constinit Pic8259LazyChip lazy_chip;

// The 8259 behind `irq` if it is one of its device lines (not the cascade), else nullptr.
Pic8259* legacy_8259_line(unsigned irq) {
    if (irq >= legacy_pic->nr_legacy_irqs() || irq == i8259::PIC_CASCADE_IR) return nullptr;
    return static_cast<Pic8259*>(legacy_pic->chip());
}

}  // namespace

IrqChip* i8259_lazy_chip() { return &lazy_chip; }

bool i8259_is_lazy(unsigned irq) {
    irq_desc* desc = irq_to_desc(irq);
    return desc && desc->irq_data.chip == &lazy_chip;
}

int i8259_set_lazy(unsigned irq, bool lazy) {
    Pic8259* pic = legacy_8259_line(irq);
    if (!pic) return -EINVAL;
    irq_desc* desc = irq_to_desc(irq);
    irq_data* d = &desc->irq_data;
    IrqChip* xt_pic = pic;
    IrqChip* want = lazy ? static_cast<IrqChip*>(&lazy_chip) : xt_pic;
    bool edge = lazy && !pic->elcr_is_level(irq);

    SpinLockIrqSave guard(desc->lock);
    if (d->chip != xt_pic && d->chip != &lazy_chip) return -EINVAL;  // rewired by someone else
    if (d->chip == want) return 0;
    if (!lazy) {
        // XT-PIC's level flow drops PENDING on enable_irq (check_irq_resend: level line), so an edge owed
        // to the driver would be lost without a word.
        if (irqs_has(desc, IRQS_PENDING | IRQS_REPLAY)) return -EBUSY;
        // XT-PIC masks a disabled line at once; a lazily disabled one that saw no interrupt is still open.
        if (irqd_has(d, IRQD_IRQ_DISABLED) && !irqd_has(d, IRQD_IRQ_MASKED)) {
            pic->irq_mask(d);
            irqd_set(d, IRQD_IRQ_MASKED);
        }
    }
    d->chip = want;
    desc->handle_irq = edge ? handle_edge_irq : handle_level_irq;
    desc->name = edge ? "edge" : "level";
    if (edge) {
        irq_settings_clr(desc, IRQ_LEVEL);
        irqd_clear(d, IRQD_LEVEL);
    } else {
        irq_settings_set(desc, IRQ_LEVEL);
        irqd_set(d, IRQD_LEVEL);
    }
    return 0;
}
