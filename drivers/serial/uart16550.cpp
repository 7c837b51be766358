// 16550 UART driver (see uart16550.h): polled transmit with a bounded THRE wait, interrupt-driven
// receive into the tty, overrun accounting through LSR.OE. Bochs drops bytes written while THR is full
// and shows garbage without 8N1 in LCR (toolchain-facts.md), so both are never skipped.
#include "drivers/serial/uart16550.h"
#include "kernel/errno.h"
#include "kernel/irq/interrupt.h"
#include "kernel/printk.h"
#include "kernel/tty.h"

using namespace uart;

Uart16550::Uart16550(PortIo& io, uint16_t base) : io_(&io), base_(base) { raw_spin_lock_init(&tx_lock_); }

void Uart16550::init(unsigned baud) {
    unsigned divisor = (baud && baud <= UART_CLOCK_BAUD) ? UART_CLOCK_BAUD / baud : 1;
    SpinLockIrqSave guard(tx_lock_);
    // A byte still shifting out (the early console's last newline) is garbled when the divisor changes
    // and the FIFO is cleared under it: Bochs turns it into a NUL. Let the transmitter drain first.
    for (unsigned waited = 0; !(read_lsr() & LSR_TEMT); waited++) {
        if (waited >= THRE_TIMEOUT_US) {
            tx_timeouts_++;
            break;
        }
        io_->udelay(1);
    }
    io_->outb(base_ + IER, 0x00);   // no interrupts while reprogramming
    io_->outb(base_ + LCR, LCR_DLAB);
    io_->outb(base_ + DLL, (uint8_t)(divisor & 0xFF));
    io_->outb(base_ + DLM, (uint8_t)(divisor >> 8));
    io_->outb(base_ + LCR, LCR_WLEN8);
    io_->outb(base_ + FCR, FCR_FIFO_ENABLE | FCR_CLEAR_RCVR | FCR_CLEAR_XMIT | FCR_TRIGGER_1);
    io_->outb(base_ + MCR, MCR_DTR | MCR_RTS);
}

bool Uart16550::probe() {
    constexpr uint8_t pattern1 = 0x5A, pattern2 = 0xA5;
    SpinLockIrqSave guard(tx_lock_);
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

// TX lock held.
void Uart16550::put_raw(char c) {
    unsigned waited = 0;
    while (!(read_lsr() & LSR_THRE)) {
        if (++waited >= THRE_TIMEOUT_US) {
            tx_timeouts_++;   // reported by whoever reads the counter: printing here would recurse
            break;
        }
        io_->udelay(1);
    }
    io_->outb(base_ + THR, (uint8_t)c);
}

void Uart16550::putc(char c) { write(&c, 1); }

// "\n" goes out as "\r\n" (a terminal needs both).
void Uart16550::write(const char* s, size_t n) {
    SpinLockIrqSave guard(tx_lock_);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') put_raw('\r');
        put_raw(s[i]);
    }
}

// The RX path takes no lock: only one CPU runs a line's handler at a time, RBR is not touched by TX, and
// the LSR error bits TX may have read are merged through lsr_saved_.
bool Uart16550::rx_interrupt() {
    unsigned n = 0;
    while (n < RX_DRAIN_MAX && (read_lsr() & LSR_DR)) {
        char c = (char)io_->inb(base_ + RBR);
        tty_receive_char(c);
        n++;
    }
    __atomic_fetch_add(&rx_bytes_, n, __ATOMIC_RELAXED);
    uint8_t errors = __atomic_exchange_n(&lsr_saved_, 0, __ATOMIC_RELAXED);
    if (errors & LSR_OE) {
        unsigned long total = __atomic_add_fetch(&overruns_, 1, __ATOMIC_RELAXED);
        pr_warn_ratelimited("ttyS: 0x%x: receive overrun, %lu so far (bytes lost in the UART)\n", base_, total);
    }
    return n != 0;
}

namespace {
// Hard-IRQ context. Edge-triggered ISA line: the loop above drains the FIFO completely, or the UART's
// INTR would stay high and never make another edge.
irqreturn_t serial_interrupt(int, void* dev_id) {
    return static_cast<Uart16550*>(dev_id)->rx_interrupt() ? IRQ_HANDLED : IRQ_NONE;
}
}  // namespace

int Uart16550::request_rx_irq(unsigned irq) {
    int err = request_irq(irq, serial_interrupt, 0, "serial", this);
    if (err) {
        pr_err("ttyS: 0x%x: cannot request IRQ%u: %d\n", base_, irq, err);
        return err;
    }
    irq_ = irq;
    irq_requested_ = true;
    SpinLockIrqSave guard(tx_lock_);
    io_->inb(base_ + RBR);   // drop a stale byte so the first interrupt edge is not swallowed
    io_->outb(base_ + MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
    io_->outb(base_ + IER, IER_ERBFI);
    return 0;
}

void Uart16550::free_rx_irq() {
    if (!irq_requested_) return;
    {
        SpinLockIrqSave guard(tx_lock_);
        io_->outb(base_ + IER, 0x00);
        io_->outb(base_ + MCR, MCR_DTR | MCR_RTS);
    }
    free_irq(irq_, this);
    irq_requested_ = false;
}

namespace {
Uart16550* com1;
void ttyS0_write(const char* s, size_t n) {
    if (com1) com1->write(s, n);
}
console ttyS0_console = {"ttyS0", ttyS0_write, 0, nullptr};   // loglevel 0: take console_loglevel
}  // namespace

Uart16550* serial_console_port() { return com1; }

int serial_console_setup_port(Uart16550& port) {
    if (!port.probe()) {
        pr_info("ttyS0: no 16550 at 0x%x\n", port.base());
        return -ENODEV;
    }
    port.init(UART_CLOCK_BAUD);
    com1 = &port;
    register_console(&ttyS0_console);
    pr_info("ttyS0 at I/O 0x%x (irq = %u, base_baud = %u) is a 16550A\n", port.base(), COM1_IRQ, UART_CLOCK_BAUD);
    return port.request_rx_irq(COM1_IRQ);
}

// Boot. One COM1 per machine: the object lives in static storage for the kernel's lifetime.
int serial_console_setup(PortIo& io) {
    static Uart16550 port(io, COM1_BASE);
    return serial_console_setup_port(port);
}

void serial_console_shutdown() {
    unregister_console(&ttyS0_console);
    if (com1) com1->free_rx_irq();
    com1 = nullptr;
}
