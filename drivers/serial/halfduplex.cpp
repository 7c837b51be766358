// The half-duplex bus driver on a 16550 in loopback mode (see halfduplex.h). The pattern is the one of
// Linux drivers for half-duplex lines (RS-485 and one-wire UARTs): receive interrupt off while sending,
// own echo drained, interrupt on again. The measurement around it is irqos's own.
#include "drivers/serial/halfduplex.h"
#include "kernel/bottom_half.h"
#include "drivers/pic/i8259.h"
#include "drivers/pic/legacy_pic.h"
#include "drivers/serial/com2.h"
#include "drivers/serial/uart16550.h"
#include "kernel/jiffies.h"
#include "kernel/printk.h"

using namespace uart;

namespace {
constexpr uint8_t MCR_LOOP = 0x10;  // PC16550D MCR bit 4: loopback (diagnostic) mode
constexpr uint8_t IIR_RLSI = 0x06;  // receiver line status (cleared by reading LSR)
constexpr uint8_t IIR_RDI = 0x04;   // received data available (cleared by reading RBR below the trigger)
constexpr uint8_t IIR_CTI = 0x0C;   // character timeout (cleared by reading RBR)

irqreturn_t halfduplex_interrupt(int, void* dev_id) { return static_cast<HalfDuplexBus*>(dev_id)->handle_irq(); }

// How long to let interrupts in after enable_irq. What the unmasked line delivers comes at once; a lost
// edge replayed in software comes from the resend tasklet, which enable_irq scheduled on this CPU. It
// would run at the next interrupt's exit or in ksoftirqd, a tick or more later on a busy host; the
// measurement runs it at once instead (enable_and_replay), and keeps one tick of margin.
unsigned late_settle_us() { return hdx::LATE_SETTLE_US + 1000000 / HZ; }

// enable_irq, then the softirqs it raised on this CPU (the resend tasklet): local_bh_enable runs what
// is pending, Linux's way of letting a deferred replay happen now rather than at the next interrupt.
void enable_and_replay(unsigned irq) {
    enable_irq(irq);
    local_bh_disable();
    local_bh_enable();
}

// A byte pattern that changes from byte to byte, so a stuck receiver shows.
uint8_t pattern(unsigned i) { return (uint8_t)(0x41 + (i % 26)); }

// The line's descriptor state that explains the late calls (read without the lock: for display only).
bool line_pending(unsigned irq) {
    irq_desc* desc = irq_to_desc(irq);
    return desc && (READ_ONCE(desc->istate) & IRQS_PENDING);
}
}  // namespace

const char* hdx_mode_name(hdx_mode m) {
    switch (m) {
    case hdx_mode::lazy:
        return "lazy";
    case hdx_mode::unlazy:
        return "unlazy";
    case hdx_mode::unlazy_ack:
        return "unlazy+ack";
    }
    return "?";
}

HalfDuplexBus::HalfDuplexBus(PortIo& io, uint16_t base, unsigned irq) : io_(&io), base_(base), irq_(irq) {}

int HalfDuplexBus::open() {
    if (open_) return 0;
    constexpr uint8_t pattern1 = 0x5A, pattern2 = 0xA5;
    io_->outb(base_ + SCR, pattern1);
    bool present = io_->inb(base_ + SCR) == pattern1;
    io_->outb(base_ + SCR, pattern2);
    if (!present || io_->inb(base_ + SCR) != pattern2) {
        pr_err("halfduplex: no UART at 0x%x\n", base_);
        return -ENODEV;
    }
    found_mcr_ = io_->inb(base_ + MCR);
    found_lcr_ = io_->inb(base_ + LCR);
    // Quiet before the line is requested: no interrupt source, loopback on so nothing reaches a far end.
    io_->outb(base_ + IER, 0);
    io_->outb(base_ + MCR, MCR_LOOP);
    io_->outb(base_ + LCR, LCR_DLAB);
    io_->outb(base_ + DLL, 1);  // divisor 1: 115200 baud
    io_->outb(base_ + DLM, 0);
    io_->outb(base_ + LCR, LCR_WLEN8);
    io_->outb(base_ + FCR, FCR_FIFO_ENABLE | FCR_CLEAR_RCVR | FCR_CLEAR_XMIT | FCR_TRIGGER_1);
    for (unsigned k = 0; k < FIFO_SIZE && (io_->inb(base_ + LSR) & LSR_DR); k++) io_->inb(base_ + RBR);
    (void)io_->inb(base_ + IIR);
    (void)io_->inb(base_ + MSR);
    WRITE_ONCE(phase_, IDLE);
    int err = request_irq(irq_, halfduplex_interrupt, 0, "halfduplex", this);
    if (err) {
        pr_err("halfduplex: request_irq(%u) failed (%d)\n", irq_, err);
        io_->outb(base_ + MCR, found_mcr_);
        io_->outb(base_ + LCR, found_lcr_);
        return err;
    }
    open_ = true;
    // OUT2 gates the UART's INTR onto the ISA line on PC boards; in loopback it is looped back to DCD
    // instead, and what reaches the 8259 is the emulator's choice (docs/scenario-half-duplex.md).
    io_->outb(base_ + MCR, MCR_LOOP | MCR_OUT2 | MCR_DTR | MCR_RTS);
    (void)io_->inb(base_ + MSR);  // the loop changed the modem inputs: no stale delta
    io_->outb(base_ + IER, IER_ERBFI);
    return 0;
}

void HalfDuplexBus::close() {
    if (!open_) return;
    io_->outb(base_ + IER, 0);
    (void)free_irq(irq_, this);
    io_->outb(base_ + MCR, found_mcr_);
    io_->outb(base_ + LCR, found_lcr_);
    (void)io_->inb(base_ + MSR);
    open_ = false;
}

// Poll LSR until all of `bits` are set or `timeout_us` passed. Interrupts stay as the caller has them.
bool HalfDuplexBus::wait_lsr(uint8_t bits, unsigned timeout_us, uint8_t* lsr) {
    for (unsigned waited = 0;; waited++) {
        *lsr = io_->inb(base_ + LSR);
        if ((*lsr & bits) == bits) return true;
        if (waited >= timeout_us) return false;
        io_->udelay(1);
    }
}

int HalfDuplexBus::send_one(uint8_t byte, uint8_t* lsr) {
    io_->outb(base_ + THR, byte);
    if (!wait_lsr(LSR_TEMT, hdx::TEMT_TIMEOUT_US, lsr)) {
        pr_err("halfduplex: byte 0x%02x not sent within %u us (LSR 0x%02x)\n", byte, hdx::TEMT_TIMEOUT_US, *lsr);
        return -ETIMEDOUT;
    }
    return 0;
}

int HalfDuplexBus::probe_loopback(loopback_facts* f) {
    if (!open_) return -EINVAL;
    *f = loopback_facts{};
    uint8_t lsr;
    WRITE_ONCE(phase_, IDLE);
    for (int out2 = 1; out2 >= 0; out2--) {
        io_->outb(base_ + MCR, (uint8_t)(MCR_LOOP | MCR_DTR | MCR_RTS | (out2 ? MCR_OUT2 : 0)));
        (void)io_->inb(base_ + MSR);
        unsigned before = READ_ONCE(calls_);
        if (int err = send_one(0x55, &lsr); err) return err;
        io_->udelay(hdx::LATE_SETTLE_US);
        unsigned calls = READ_ONCE(calls_) - before;
        if (out2)
            f->calls_out2_on = calls;
        else
            f->calls_out2_off = calls;
        hdx_result scratch;
        drain(&scratch);
    }
    io_->outb(base_ + MCR, MCR_LOOP | MCR_OUT2 | MCR_DTR | MCR_RTS);
    (void)io_->inb(base_ + MSR);
    disable_irq(irq_);
    int err = send_one(0xAA, &lsr);
    if (!err && !wait_lsr(LSR_DR, hdx::ECHO_TIMEOUT_US, &lsr)) err = -ETIMEDOUT;
    f->irr_asserted = legacy_pic->irq_pending(irq_);
    uint8_t got = io_->inb(base_ + RBR);
    f->echo = !err && got == 0xAA;
    f->irr_after_read = legacy_pic->irq_pending(irq_);
    unsigned before = READ_ONCE(calls_);
    enable_and_replay(irq_);
    io_->udelay(late_settle_us());
    f->calls_after_enable = READ_ONCE(calls_) - before;
    if (err) pr_err("halfduplex: no echo within %u us (LSR 0x%02x)\n", hdx::ECHO_TIMEOUT_US, lsr);
    return err;
}

unsigned HalfDuplexBus::drain(hdx_result* r) {
    unsigned n = 0;
    for (unsigned k = 0; k <= FIFO_SIZE; k++) {
        uint8_t lsr = io_->inb(base_ + LSR);
        if (lsr & LSR_OE) r->overruns++;
        if (!(lsr & LSR_DR)) break;
        (void)io_->inb(base_ + RBR);
        n++;
    }
    r->drained += n;
    return n;
}

// Read whatever clears the UART's interrupt sources: IIR (THRI), LSR (line status), MSR (modem status),
// RBR (data). Afterwards the UART asserts nothing.
void HalfDuplexBus::ack_device(hdx_result* r) {
    for (unsigned pass = 0; pass < hdx::PASS_LIMIT; pass++) {
        if (io_->inb(base_ + IIR) & IIR_NO_INT) break;
        (void)io_->inb(base_ + MSR);
        drain(r);
    }
}

irqreturn_t HalfDuplexBus::handle_irq() {
    unsigned phase = READ_ONCE(phase_);
    unsigned bytes = 0, overruns = 0;
    bool handled = false;
    WRITE_ONCE(calls_, calls_ + 1);
    for (unsigned pass = 0; pass < hdx::PASS_LIMIT; pass++) {
        uint8_t iir = io_->inb(base_ + IIR);
        if (iir & IIR_NO_INT) break;
        handled = true;
        switch (iir & IIR_ID) {
        case IIR_RLSI:
        case IIR_RDI:
        case IIR_CTI:
            for (unsigned k = 0; k <= FIFO_SIZE; k++) {
                uint8_t lsr = io_->inb(base_ + LSR);
                if (lsr & LSR_OE) overruns++;
                if (!(lsr & LSR_DR)) break;
                (void)io_->inb(base_ + RBR);
                bytes++;
            }
            break;
        case IIR_MSI:
            (void)io_->inb(base_ + MSR);
            break;
        default:  // THRI: reading IIR cleared it
            break;
        }
    }
    WRITE_ONCE(irq_overruns_, irq_overruns_ + overruns);
    if (phase == SENDING) WRITE_ONCE(early_calls_, early_calls_ + 1);
    if (phase == LATE) {
        WRITE_ONCE(late_calls_, late_calls_ + 1);
        if (bytes) WRITE_ONCE(late_with_data_, late_with_data_ + 1);
        WRITE_ONCE(late_bytes_, late_bytes_ + bytes);
    }
    return handled ? IRQ_HANDLED : IRQ_NONE;
}

int HalfDuplexBus::transmit(unsigned n, hdx_mode mode, hdx_result* out) {
    if (!open_ || n == 0 || n > hdx::N_MAX) return -EINVAL;
    hdx_result r;
    int err = 0;
    if (mode == hdx_mode::lazy)
        irq_clear_status_flags(irq_, IRQ_DISABLE_UNLAZY);
    else
        irq_set_status_flags(irq_, IRQ_DISABLE_UNLAZY);
    WRITE_ONCE(early_calls_, 0u);
    WRITE_ONCE(late_calls_, 0u);
    WRITE_ONCE(late_with_data_, 0u);
    WRITE_ONCE(late_bytes_, 0u);
    WRITE_ONCE(irq_overruns_, 0u);

    WRITE_ONCE(phase_, SENDING);
    disable_irq_nosync(irq_);
    for (unsigned i = 0; i < n && !err; i++) {
        uint8_t lsr;
        io_->outb(base_ + THR, pattern(i));
        r.sent++;
        // The next byte only after this one has left (TEMT) and its echo is in: one edge per byte, the
        // same count on every run.
        if (!wait_lsr(LSR_TEMT, hdx::TEMT_TIMEOUT_US, &lsr)) {
            pr_err("halfduplex: byte %u of %u not sent within %u us (LSR 0x%02x)\n", i + 1, n, hdx::TEMT_TIMEOUT_US,
                   lsr);
            err = -ETIMEDOUT;
        } else if (!wait_lsr(LSR_DR, hdx::ECHO_TIMEOUT_US, &lsr)) {
            pr_err("halfduplex: no echo of byte %u of %u within %u us (LSR 0x%02x): is loopback on?\n", i + 1, n,
                   hdx::ECHO_TIMEOUT_US, lsr);
            err = -ETIMEDOUT;
        }
        drain(&r);
    }
    r.irr_before = legacy_pic->irq_pending(irq_);
    if (mode == hdx_mode::unlazy_ack) ack_device(&r);
    // The 8259A has no command that clears a request bit (an IRR bit goes only by an INTA cycle, or on
    // models that follow the input level, when the device drops its line): nothing more to do there.
    r.irr_after = legacy_pic->irq_pending(irq_);
    r.pending = line_pending(irq_);
    WRITE_ONCE(phase_, LATE);
    enable_and_replay(irq_);
    io_->udelay(late_settle_us());
    WRITE_ONCE(phase_, IDLE);
    irq_clear_status_flags(irq_, IRQ_DISABLE_UNLAZY);

    r.early_calls = READ_ONCE(early_calls_);
    r.late_calls = READ_ONCE(late_calls_);
    r.late_with_data = READ_ONCE(late_with_data_);
    r.late_bytes = READ_ONCE(late_bytes_);
    r.overruns += READ_ONCE(irq_overruns_);
    if (out) *out = r;
    if (err) return err;
    if (r.early_calls) {
        pr_err("halfduplex: the handler ran %u time(s) while IRQ %u was disabled\n", r.early_calls, irq_);
        return -EIO;
    }
    if (!hdx_accounted(r)) {
        pr_err("halfduplex: %u bytes sent, but %u drained + %u found late + %u overruns = %u\n", r.sent, r.drained,
               r.late_bytes, r.overruns, r.drained + r.late_bytes + r.overruns);
        return -EIO;
    }
    return 0;
}

HalfDuplexBus* halfduplex_com2() {
    static HalfDuplexBus* bus = nullptr;
    PortIo* io = com2_port_io();
    if (!bus && io) {
        static HalfDuplexBus the_bus(*io, com2::BASE, com2::IRQ);
        bus = &the_bus;
    }
    return bus;
}

int halfduplex_run_table(HalfDuplexBus& bus, hdx_table* t) {
    *t = hdx_table{};
    // Linux's XT-PIC first (disable_irq masks at once), then the same 8259 without irq_disable.
    constexpr bool lazy_chip[2] = {false, true};
    bool was_lazy = i8259_is_lazy(bus.irq());
    int err = 0;
    for (unsigned c = 0; c < 2 && !err; c++) {
        err = i8259_set_lazy(bus.irq(), lazy_chip[c]);
        if (err) {
            pr_err("halfduplex: i8259_set_lazy(%u, %d) failed (%d)\n", bus.irq(), lazy_chip[c], err);
            break;
        }
        err = bus.open();
        if (err) break;
        t->chip[c] = irq_desc_get_chip(irq_to_desc(bus.irq()))->name();
        t->nr_chips = c + 1;
        for (unsigned m = 0; m < HDX_NR_MODES && !err; m++)
            for (unsigned j = 0; j < hdx::NR_NS && !err; j++)
                err = bus.transmit(hdx::NS[j], (hdx_mode)m, &t->cell[c][m][j]);
        bus.close();
    }
    if (int e = i8259_set_lazy(bus.irq(), was_lazy); e && !err) err = e;
    return err;
}
