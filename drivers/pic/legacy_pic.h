// The legacy PIC seam (Linux arch/x86/include/asm/i8259.h struct legacy_pic): the 8259 pair when the
// machine runs in PIC mode, a null object once the IO-APIC takes over, chosen at run time, not by #ifdef.
#pragma once
#include "kernel/io.h"
#include "kernel/irq/irqdesc.h"

class LegacyPic {
public:
    virtual unsigned nr_legacy_irqs() const = 0;  // 16 for the 8259 pair, 0 for the null PIC
    virtual IrqChip* chip() = 0;
    virtual void mask(unsigned irq) = 0;
    virtual void unmask(unsigned irq) = 0;
    virtual void mask_all() = 0;
    virtual void restore_mask() = 0;
    virtual void init(bool auto_eoi) = 0;
    // Detect the hardware by writing and reading back the mask register. False: nothing there.
    virtual bool probe() = 0;
    // Is a request latched for `irq` (the IRR bit)? Used by probing and tests.
    virtual bool irq_pending(unsigned irq) = 0;
    // For the vector entry: true if `irq` arrived as a spurious interrupt, which has then been counted
    // (irq_err_count) and acknowledged as the hardware requires; the caller must not dispatch it.
    virtual bool filter_spurious(unsigned irq) = 0;

protected:
    ~LegacyPic() = default;
};

// The active legacy PIC: null_legacy_pic until legacy_pic_setup() has found and set up the 8259 pair.
extern LegacyPic* legacy_pic;
extern LegacyPic& null_legacy_pic;
// The legacy 8259 irq domain: IRQ 0-15, hwirq = pin (irq_find_mapping(i8259_domain, pin)).
struct irq_domain;
extern irq_domain* const i8259_domain;
static inline unsigned nr_legacy_irqs() { return legacy_pic->nr_legacy_irqs(); }

// The vector entry's spurious filter (arch/x86 do_IRQ calls it with the line's descriptor, interrupts
// off, before the flow handler; true => skip the dispatch). The filter belongs to the line's chip: only
// a chip with IRQCHIP_OP_SPURIOUS (the two 8259 chips, XT-PIC and XT-PIC-lazy) is asked, so in APIC mode
// IRQ 7 on an IO-APIC pin never consults the 8259. Only IRQ7 and IRQ15 can be the 8259's spurious
// answer, so every other line is let through inline, with no call and no look at the chip.
static inline bool legacy_pic_filter_spurious(irq_desc* desc) {
    unsigned irq = irq_desc_get_irq(desc);
    if (likely(((irq + 1) & 7) != 0 || irq >= NR_IRQS_LEGACY)) return false;  // (irq & 7) != 7, one step less
    IrqChip* chip = desc->irq_data.chip;
    return chip->has(IRQCHIP_OP_SPURIOUS) && chip->irq_spurious(&desc->irq_data);
}

// Boot, interrupts off, before any request_irq on lines 0-15: probe and initialise the 8259 pair at
// vectors ISA_IRQ_VECTOR(0..15), wire IRQ 0-15 to it (handle_level_irq, IRQ_LEVEL, hwirq = pin) and request IRQ2 as
// "cascade". Returns 0, or -ENODEV if no 8259 answers (legacy_pic stays the null PIC).
[[nodiscard]] int legacy_pic_setup(PortIo& io);

// The trigger the ELCR (ports 0x4D0/0x4D1, read at boot) gives 8259 line `irq`: 1 level, 0 edge; -EINVAL
// for irq >= 16, -ENODEV when no 8259 pair is in use. Any context.
int legacy_pic_irq_is_level(unsigned irq);

class Pic8259;
// The same for an existing chip object (host tests pass their own, each with its fake PortIo).
[[nodiscard]] int legacy_pic_setup_chip(Pic8259& pic);
