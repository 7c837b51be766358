// Choosing and wiring the legacy PIC (Linux arch/x86/kernel/i8259.c legacy_pic/null_legacy_pic and
// irqinit.c init_ISA_irqs): the null PIC by default, the 8259 pair once probed, IRQ 0-15 wired to it
// with handle_level_irq, and the cascade line IRQ2 requested so the slave's interrupts get through.
#include "drivers/pic/legacy_pic.h"
#include "drivers/pic/i8259.h"
#include "kernel/irq/interrupt.h"
#include "kernel/irq/irqdomain.h"
#include "kernel/printk.h"

namespace {

// Linux null_legacy_pic: no lines, every operation does nothing, nothing is ever spurious.
class NullLegacyPic final : public LegacyPic {
public:
    unsigned nr_legacy_irqs() const override { return 0; }
    IrqChip* chip() override { return &dummy_irq_chip; }
    void mask(unsigned) override {}
    void unmask(unsigned) override {}
    void mask_all() override {}
    void restore_mask() override {}
    void init(bool) override {}
    bool probe() override { return false; }
    bool irq_pending(unsigned) override { return false; }
    bool filter_spurious(unsigned) override { return false; }
};
NullLegacyPic null_pic;

// The legacy 8259 domain (Linux's i8259 irq domain, legacy mapping): IRQ 0-15 with hwirq = pin. Static,
// as the 8259 pair is: one per machine, never removed.
irq_data* i8259_revmap[16];
irq_domain i8259_domain_storage = {.name = "i8259", .hwirq_max = 16, .revmap_size = 16, .revmap = i8259_revmap};

// Linux's no_action: the cascade line never reaches a handler (the master's IR2 only forwards the
// slave), but requesting it starts (unmasks) the line and shows "cascade" in the interrupts view.
irqreturn_t no_action(int, void*) { return IRQ_NONE; }

}  // namespace

LegacyPic& null_legacy_pic = null_pic;
irq_domain* const i8259_domain = &i8259_domain_storage;
LegacyPic* legacy_pic = &null_pic;

int legacy_pic_setup_chip(Pic8259& pic) {
    if (!pic.probe()) {
        pr_info("Using NULL legacy PIC\n");
        legacy_pic = &null_pic;
        return -ENODEV;
    }
    pic.init(false);
    for (unsigned irq = 0; irq < pic.nr_legacy_irqs(); irq++) {
        irq_set_chip_and_handler_name(irq, &pic, handle_level_irq, "level");
        irq_set_chip_data(irq, &pic);
        irq_domain_associate(&i8259_domain_storage, irq, irq);
        irq_set_status_flags(irq, IRQ_LEVEL);
    }
    legacy_pic = &pic;
    int ret = request_irq(i8259::PIC_CASCADE_IR, no_action, IRQF_NO_THREAD, "cascade", nullptr);
    if (ret) pr_err("cascade: request_irq() failed (%d)\n", ret);  // Linux irqinit.c says the first part
    return ret;
}

int legacy_pic_irq_is_level(unsigned irq) {
    if (legacy_pic == &null_pic) return -ENODEV;
    if (irq >= legacy_pic->nr_legacy_irqs()) return -EINVAL;
    // Not the null PIC: then it is the Pic8259 that legacy_pic_setup_chip installed.
    return static_cast<Pic8259*>(legacy_pic)->elcr_is_level(irq) ? 1 : 0;
}

// Boot. One 8259 pair per machine: the object lives in static storage for the kernel's lifetime.
int legacy_pic_setup(PortIo& io) {
    static Pic8259 pic(io, PIC_VECTOR_BASE);
    return legacy_pic_setup_chip(pic);
}
