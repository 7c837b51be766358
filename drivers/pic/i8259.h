// The PC/AT 8259A master/slave pair as an IrqChip named "XT-PIC", modelled on Linux
// arch/x86/kernel/i8259.c: a cached 16-bit mask, mask_ack = mask + specific EOI (slave, then the
// master's cascade line), disable = mask (not lazy), ELCR-aware trigger types, and spurious IRQ7/IRQ15
// detection through the in-service register.
#pragma once
#include "arch/x86/irq_vectors.h"
#include "drivers/pic/i8259_regs.h"
#include "drivers/pic/legacy_pic.h"
#include "kernel/spinlock.h"

// The pair is remapped to ISA_IRQ_VECTOR(0)..(15), 0x30-0x3F, where Linux puts the ISA lines (the vector
// layout lives in arch/x86/irq_vectors.h). The base is a constructor parameter so tests can vary it.
constexpr uint8_t PIC_VECTOR_BASE = ISA_IRQ_VECTOR(0);

class Pic8259 final : public IrqChip, public LegacyPic {
public:
    // Binds the chip to its ports; touches no hardware until init()/probe(). vector_base must be a
    // multiple of 8; the slave gets vector_base + 8.
    explicit Pic8259(PortIo& io, uint8_t vector_base = PIC_VECTOR_BASE);

    // IrqChip. Called by the core with the descriptor lock held and interrupts off; each also takes
    // the chip lock (without saving the interrupt flag, which is off), because the cached mask and the
    // OCW3 read-select are shared by all 16 lines.
    void irq_mask(irq_data* d) override;
    void irq_unmask(irq_data* d) override;
    void irq_disable(irq_data* d) override { irq_mask(d); }  // not lazy, as Linux's XT-PIC
    void irq_enable(irq_data* d) override { irq_unmask(d); }
    void irq_mask_ack(irq_data* d) override;
    // IRQ_TYPE_EDGE_RISING or IRQ_TYPE_LEVEL_LOW/HIGH (the ELCR knows no polarity; ISA level lines are
    // active low); -EINVAL for falling/both edges and for level on IRQ 0, 1, 2, 8, 13.
    int irq_set_type(irq_data* d, unsigned type) override;

    // LegacyPic. Any context unless noted; each takes the chip lock with interrupts saved.
    unsigned nr_legacy_irqs() const override { return i8259::PIC_NR_IRQS; }
    IrqChip* chip() override { return this; }
    void mask(unsigned irq) override;
    void unmask(unsigned irq) override;
    void mask_all() override;      // IMR 0xFF on both chips; the cache keeps the drivers' wishes
    void restore_mask() override;  // write the cached masks back
    // Boot: the ICW1-ICW4 sequence, 100 us settle, then the cached masks. auto_eoi: the chips end
    // each interrupt themselves, and mask_ack becomes a plain mask.
    void init(bool auto_eoi) override;
    bool probe() override;
    bool irq_pending(unsigned irq) override;
    bool filter_spurious(unsigned irq) override;
    // IrqChip: the same check for the line being dispatched (legacy_pic_filter_spurious asks it only
    // for IRQ7 and IRQ15 on an 8259 chip).
    bool irq_spurious(irq_data* d) override { return filter_spurious(unsigned(d->hwirq)); }

    // ELCR: is the pin level-triggered? Read from the hardware at init, kept up to date by set_type.
    bool elcr_is_level(unsigned irq) const { return (elcr_ >> irq) & 1; }
    uint16_t cached_mask() const { return cached_mask_; }
    uint8_t vector_base() const { return vector_base_; }
    bool auto_eoi() const { return auto_eoi_; }

    // The acknowledge of the lazy chip's edge flow: the specific EOI alone, no mask (nothing in AEOI
    // mode). Interrupts off (a flow handler, desc->lock held); takes the chip lock.
    void eoi_irq(unsigned irq);
    // Both chips' registers, read from the hardware under the chip lock (any context): IRR and ISR
    // through OCW3 (the IRR read-select restored afterwards), IMR from the data ports, the ELCR.
    // Index 0 is the master (IRQ 0-7), 1 the slave (IRQ 8-15).
    struct Registers {
        uint8_t irr[2], isr[2], imr[2], elcr[2];
    };
    Registers read_registers();

private:
    bool irq_in_service(unsigned irq);                               // ISR bit via OCW3 (chip lock held)
    [[gnu::always_inline]] inline void write_imr_for(unsigned irq);  // the half of the cache holding `irq`
    void write_imrs(uint16_t mask);                                  // both halves, master first
    [[gnu::always_inline]] inline void send_eoi(unsigned irq);       // specific EOI: slave, then the master
    void ack_spurious(unsigned irq);                                 // count/log it; IRQ15: the master's cascade EOI
    [[gnu::noinline]] bool check_spurious(unsigned irq);             // the ISR read behind filter_spurious
    [[gnu::noinline]] void mask_ack_unusual(unsigned irq);           // AEOI or an already masked line
    inline void mask_locked(unsigned irq);                           // cache + IMR (chip lock held)
    inline void unmask_locked(unsigned irq);

    PortIo* io_;
    uint8_t vector_base_;
    bool auto_eoi_ = false;
    uint16_t cached_mask_ = 0xFFFF;  // all masked until a line is started (Linux cached_irq_mask)
    uint16_t elcr_ = 0;
    uint16_t spurious_reported_ = 0;  // "log once per IRQ"
    raw_spinlock_t lock_;             // Linux's i8259A_lock
};

// The lazy-disable variant of the 8259 (drivers/pic/i8259_lazy.cpp). Linux's XT-PIC chip has an
// irq_disable callback, so disable_irq masks the 8259 line at once: no lazy disable, no IRQS_PENDING,
// the request waits in the IRR. "XT-PIC-lazy" is the same 8259 without irq_disable (as Linux's IO-APIC
// chip): disable_irq only marks the line disabled; the next interrupt finds it disabled, sets
// IRQS_PENDING and masks; enable_irq replays it (level: the hardware re-asserts; edge: software
// resend). On the lazy chip an ELCR-edge line gets handle_edge_irq without IRQ_LEVEL, an ELCR-level
// line handle_level_irq with IRQ_LEVEL; switching back gives Linux's wiring (XT-PIC, handle_level_irq,
// IRQ_LEVEL).
// Process context; takes the descriptor lock. 0, or -EINVAL (not a legacy 8259 line, the cascade IRQ 2,
// no 8259, or the line was wired to another chip), or -EBUSY when going back to XT-PIC while the line
// owes its driver an interrupt (IRQS_PENDING or IRQS_REPLAY: XT-PIC's level flow would drop it;
// enable_irq first).
int i8259_set_lazy(unsigned irq, bool lazy);
bool i8259_is_lazy(unsigned irq);
// The lazy chip object (the same for every line; it finds its Pic8259 through the line's chip_data).
IrqChip* i8259_lazy_chip();
