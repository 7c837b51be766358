// 16550 UART driver (see uart16550.h). Transmit: bytes wait in a buffer and the THRE interrupt moves
// them into the FIFO, at most FIFO_SIZE after each THRE (Linux serial8250_tx_chars), so nothing ever
// spins on a line that cannot take more; a polled path with bounded waits serves panics. Receive: the
// RX interrupt moves bytes into the tty while it has room and is switched off (throttled) when it has
// none, leaving the rest in the UART. Bochs drops bytes written beyond the FIFO and shows garbage without
// 8N1 in LCR (Bochs 2.7 models the PC16550D that faithfully), so neither is ever skipped.
#include "drivers/serial/uart16550.h"
#include "kernel/errno.h"
#include "kernel/irq/interrupt.h"
#include "kernel/jiffies.h"
#include "kernel/printk.h"
#include "kernel/tty.h"

using namespace uart;

Uart16550::Uart16550(PortIo& io, uint16_t base) : io_(&io), base_(base) { raw_spin_lock_init(&lock_); }

void Uart16550::init(unsigned baud) {
    unsigned divisor = (baud && baud <= UART_CLOCK_BAUD) ? UART_CLOCK_BAUD / baud : 1;
    SpinLockIrqSave guard(lock_);
    // A byte still shifting out (the early console's last newline) is garbled when the divisor changes
    // and the FIFO is cleared under it: Bochs turns it into a NUL. Let the transmitter drain first.
    for (unsigned waited = 0; !(read_lsr() & LSR_TEMT); waited++) {
        if (waited >= THRE_TIMEOUT_US) {
            tx_timeouts_++;
            break;
        }
        io_->udelay(1);
    }
    ier_ = 0;
    io_->outb(base_ + IER, 0x00);  // no interrupts while reprogramming
    io_->outb(base_ + LCR, LCR_DLAB);
    io_->outb(base_ + DLL, (uint8_t)(divisor & 0xFF));
    io_->outb(base_ + DLM, (uint8_t)(divisor >> 8));
    io_->outb(base_ + LCR, LCR_WLEN8);
    io_->outb(base_ + FCR, FCR_FIFO_ENABLE | FCR_CLEAR_RCVR | FCR_CLEAR_XMIT | FCR_TRIGGER_1);
    io_->outb(base_ + MCR, MCR_DTR | MCR_RTS);
    xmit_head_ = xmit_tail_ = 0;
    tx_stalled_ = rx_throttled_ = false;
}

bool Uart16550::probe() {
    constexpr uint8_t pattern1 = 0x5A, pattern2 = 0xA5;
    SpinLockIrqSave guard(lock_);
    io_->outb(base_ + SCR, pattern1);
    if (io_->inb(base_ + SCR) != pattern1) return false;
    io_->outb(base_ + SCR, pattern2);
    return io_->inb(base_ + SCR) == pattern2;
}

uint8_t Uart16550::read_lsr() {
    uint8_t lsr = io_->inb(base_ + LSR);
    if (lsr & LSR_ERRORS) __atomic_fetch_or(&lsr_saved_, (uint8_t)(lsr & LSR_ERRORS), __ATOMIC_RELAXED);
    return lsr;
}

void Uart16550::set_ier(uint8_t ier) {
    if (ier == ier_) return;
    ier_ = ier;
    io_->outb(base_ + IER, ier);
}

// Fill the FIFO from the buffer while THRE says it is empty, up to `budget` bytes. Port lock held.
unsigned Uart16550::tx_chars(unsigned budget) {
    unsigned moved = 0;
    while (xmit_count() && moved < budget) {
        if (!(read_lsr() & LSR_THRE)) break;  // the FIFO still holds bytes: the next THRE interrupt comes
        tx_stalled_ = false;
        for (unsigned k = 0; k < FIFO_SIZE && xmit_count(); k++, moved++)
            io_->outb(base_ + THR, (uint8_t)xmit_[xmit_tail_++ % XMIT_SIZE]);
    }
    tx_bytes_ += moved;
    return moved;
}

size_t Uart16550::queue(const char* s, size_t n, bool whole) {
    SpinLockIrqSave guard(lock_);
    // The THRE interrupt is on but has not come for a while although the transmitter is idle: the line
    // was disabled ("nobody cared") or its edge lost. Send on from here, so output never stops for good.
    if ((ier_ & IER_ETBEI) && time_after(jiffies, tx_armed_at_ + TX_STALL_JIFFIES) && (read_lsr() & LSR_TEMT)) {
        tx_rescues_++;
        set_ier(ier_ & ~IER_ETBEI);
        start_tx();
    }
    size_t room = XMIT_SIZE - xmit_count();
    if (whole) {
        size_t need = n;
        for (size_t i = 0; i < n; i++) need += s[i] == '\n';
        if (need > room) return 0;
    }
    size_t i = 0;
    for (; i < n; i++) {
        size_t need = s[i] == '\n' ? 2 : 1;  // a terminal needs "\r\n"
        if (need > room) break;
        if (s[i] == '\n') xmit_[xmit_head_++ % XMIT_SIZE] = '\r';
        xmit_[xmit_head_++ % XMIT_SIZE] = s[i];
        room -= need;
    }
    // Linux serial8250_start_tx. With the THRE interrupt already on, it sends the new bytes too.
    // Otherwise send what the FIFO takes now (with the interrupt off, so these writes raise no
    // interrupt) and turn the interrupt on for the rest.
    if (i && !(ier_ & IER_ETBEI)) start_tx();
    return i;
}

// Port lock held, THRE interrupt off. The interrupt goes on only while bytes remain, so every THRE
// interrupt finds THRE pending: the transmitter raises no interrupt that nobody handles.
void Uart16550::start_tx() {
    tx_chars(TX_BURST_MAX);
    if (xmit_count() && irq_requested_) {
        tx_armed_at_ = jiffies;
        set_ier(ier_ | IER_ETBEI);
    }
}

size_t Uart16550::write_room() {
    SpinLockIrqSave guard(lock_);
    return XMIT_SIZE - xmit_count();
}

void Uart16550::set_tx_wakeup(void (*fn)(void*), void* ctx) {
    SpinLockIrqSave guard(lock_);
    tx_wakeup_ = fn;
    tx_wakeup_ctx_ = ctx;
}

// Port lock held, or the panic path. After one timeout the line counts as stalled and bytes go out
// without waiting (like Linux after its 10 ms) until THRE shows again.
void Uart16550::put_polled(char c) {
    if (!tx_stalled_) {
        for (unsigned waited = 0; !(read_lsr() & LSR_THRE);) {
            if (++waited >= THRE_TIMEOUT_US) {
                tx_timeouts_++;  // reported by whoever reads the counter: printing here would recurse
                tx_stalled_ = true;
                break;
            }
            io_->udelay(1);
        }
    } else if (read_lsr() & LSR_THRE) {
        tx_stalled_ = false;
    }
    io_->outb(base_ + THR, (uint8_t)c);
}

void Uart16550::write_polled(const char* s, size_t n) {
    while (xmit_count())  // what was queued before goes first
        put_polled(xmit_[xmit_tail_++ % XMIT_SIZE]);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') put_polled('\r');
        put_polled(s[i]);
    }
    if (ier_ & IER_ETBEI) set_ier(ier_ & ~IER_ETBEI);
}

void Uart16550::putc(char c) { write(&c, 1); }

void Uart16550::write(const char* s, size_t n) {
    SpinLockIrqSave guard(lock_);
    write_polled(s, n);
}

void Uart16550::write_atomic(const char* s, size_t n) {
    unsigned long flags = arch::irq_save();
    bool locked = raw_spin_trylock(&lock_);  // held by the code that failed: write anyway
    write_polled(s, n);
    if (locked) raw_spin_unlock(&lock_);
    arch::irq_restore(flags);
}

// The RX path reads RBR only while the tty has room. When it has none, tty_room_or_throttle() has called
// throttle() (ERBFI off): the bytes stay in the UART, which stops taking more from the other end.
void Uart16550::rx_chars() {
    unsigned n = 0;
    while (n < RX_DRAIN_MAX && !READ_ONCE(rx_throttled_) && (read_lsr() & LSR_DR)) {
        if (!tty_room_or_throttle()) break;
        tty_receive_char((char)io_->inb(base_ + RBR));
        n++;
    }
    __atomic_fetch_add(&rx_bytes_, n, __ATOMIC_RELAXED);
    uint8_t errors = __atomic_exchange_n(&lsr_saved_, 0, __ATOMIC_RELAXED);
    if (errors & LSR_OE) {
        unsigned long total = __atomic_add_fetch(&overruns_, 1, __ATOMIC_RELAXED);
        pr_warn_ratelimited("ttyS: 0x%x: receive overrun, %lu so far (bytes lost in the UART)\n", base_, total);
    }
}

void Uart16550::throttle() {
    SpinLockIrqSave guard(lock_);
    rx_throttled_ = true;
    set_ier(ier_ & ~IER_ERBFI);
}

void Uart16550::unthrottle() {
    SpinLockIrqSave guard(lock_);
    rx_throttled_ = false;
    if (irq_requested_) set_ier(ier_ | IER_ERBFI);  // with bytes waiting, the UART interrupts at once
}

// Receive in the IIR loop; transmit once at the end. A THRE interrupt first switches the THRE interrupt
// off, so refilling the FIFO cannot raise the line again while this handler runs (on the edge-triggered
// ISA line that would latch one more interrupt, to find nothing pending); start_tx turns it back on only
// if bytes remain, and that edge is a real THRE interrupt.
bool Uart16550::handle_irq() {
    bool pending = false, thre = false;
    unsigned pass = 0;
    for (; pass < PASS_LIMIT; pass++) {
        uint8_t iir = io_->inb(base_ + IIR);
        if (iir & IIR_NO_INT) break;
        pending = true;
        if ((iir & IIR_ID) == IIR_MSI) io_->inb(base_ + MSR);  // never enabled; clear it if it shows
        if ((iir & IIR_ID) == IIR_THRI) {
            raw_spin_lock(&lock_);
            set_ier(ier_ & ~IER_ETBEI);
            raw_spin_unlock(&lock_);
            thre = true;
        }
        rx_chars();
    }
    if (pass == PASS_LIMIT) {
        // Still pending and INTR still high: on the edge-triggered ISA line no new edge would come. Let it
        // fall and rise again (IER off and back on), so the interrupt repeats once this one is done.
        raw_spin_lock(&lock_);
        io_->outb(base_ + IER, 0x00);
        io_->outb(base_ + IER, ier_);
        raw_spin_unlock(&lock_);
    }
    unsigned moved = 0;
    if (thre) {
        raw_spin_lock(&lock_);
        size_t before = xmit_count();
        start_tx();
        moved = (unsigned)(before - xmit_count());
        raw_spin_unlock(&lock_);
    }
    if (moved && tx_wakeup_) tx_wakeup_(tx_wakeup_ctx_);
    return pending;
}

namespace {
// Hard-IRQ context.
irqreturn_t serial_interrupt(int, void* dev_id) {
    return static_cast<Uart16550*>(dev_id)->handle_irq() ? IRQ_HANDLED : IRQ_NONE;
}
}  // namespace

int Uart16550::startup(unsigned irq) {
    int err = request_irq(irq, serial_interrupt, 0, "serial", this);
    if (err) {
        pr_err("ttyS: 0x%x: cannot request IRQ%u: %d\n", base_, irq, err);
        return err;
    }
    irq_ = irq;
    SpinLockIrqSave guard(lock_);
    irq_requested_ = true;
    io_->outb(base_ + MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
    // Interrupts on; with a byte already waiting (or bytes queued) the line rises now, a fresh edge.
    set_ier((uint8_t)(IER_ERBFI | (xmit_count() ? IER_ETBEI : 0)));
    return 0;
}

void Uart16550::shutdown() {
    if (!irq_requested_) return;
    {
        SpinLockIrqSave guard(lock_);
        irq_requested_ = false;
        set_ier(0x00);
        io_->outb(base_ + MCR, MCR_DTR | MCR_RTS);
    }
    free_irq(irq_, this);
}
