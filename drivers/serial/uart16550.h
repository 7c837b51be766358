// The NS16550A UART (COM1): interrupt-driven transmit from a buffer and receive into the tty (Linux
// drivers/tty/serial/8250/8250_port.c, written anew), plus a polled path for panics. Register names and
// bits from the National Semiconductor PC16550D datasheet, "Register Summary" and "FIFO Interrupt Mode".
// drivers/serial/serial_console.cpp makes it the printk console "ttyS0" and a terminal of the tty.
#pragma once
#include "kernel/io.h"
#include "kernel/spinlock.h"

namespace uart {
// Register offsets from the base port (DLAB = LCR bit 7 selects DLL/DLM at offsets 0/1).
constexpr uint16_t RBR = 0, THR = 0, DLL = 0;  // receive buffer / transmit holding / divisor low
constexpr uint16_t IER = 1, DLM = 1;           // interrupt enable / divisor high
constexpr uint16_t IIR = 2, FCR = 2;           // interrupt identification (read) / FIFO control (write)
constexpr uint16_t LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;

constexpr uint8_t IER_ERBFI = 0x01;   // received data available interrupt
constexpr uint8_t IER_ETBEI = 0x02;   // transmitter holding register empty interrupt
constexpr uint8_t IIR_NO_INT = 0x01;  // bit 0 set: no interrupt pending
constexpr uint8_t IIR_ID = 0x0E;      // the pending interrupt's identity
constexpr uint8_t IIR_MSI = 0x00;     // modem status changed (cleared by reading MSR)
constexpr uint8_t IIR_THRI = 0x02;    // transmitter holding register empty (cleared by reading IIR)
constexpr uint8_t FCR_FIFO_ENABLE = 0x01, FCR_CLEAR_RCVR = 0x02, FCR_CLEAR_XMIT = 0x04;
constexpr uint8_t FCR_TRIGGER_1 = 0x00;  // RX interrupt at 1 byte: typing latency beats throughput here
constexpr uint8_t LCR_WLEN8 = 0x03;      // 8 data bits, 1 stop bit, no parity (8N1)
constexpr uint8_t LCR_DLAB = 0x80;
constexpr uint8_t MCR_DTR = 0x01, MCR_RTS = 0x02;
constexpr uint8_t MCR_OUT2 = 0x08;  // gates the UART's INTR pin onto the ISA IRQ line on PC boards
constexpr uint8_t LSR_DR = 0x01, LSR_OE = 0x02, LSR_PE = 0x04, LSR_FE = 0x08, LSR_BI = 0x10;
constexpr uint8_t LSR_THRE = 0x20;  // transmit holding register (FIFO mode: the whole FIFO) empty
constexpr uint8_t LSR_TEMT = 0x40;  // transmitter empty: THR and the shift register both idle
constexpr uint8_t LSR_ERRORS = LSR_OE | LSR_PE | LSR_FE | LSR_BI;  // cleared by reading LSR

constexpr unsigned UART_CLOCK_BAUD = 115200;   // 1.8432 MHz / 16: divisor = 115200 / baud
constexpr unsigned FIFO_SIZE = 16;             // 16550A transmit FIFO: bytes that may follow one THRE
constexpr size_t XMIT_SIZE = 4096;             // transmit buffer (Linux UART_XMIT_SIZE, one page)
constexpr unsigned THRE_TIMEOUT_US = 10000;    // polled path: Linux wait_for_xmitr, 10 ms in 1 us steps
constexpr unsigned RX_DRAIN_MAX = 256;         // bytes per interrupt at most (a floating bus reads DR forever)
constexpr unsigned TX_BURST_MAX = 64;          // bytes moved into the FIFO per call, bounding time with irqs off
constexpr unsigned PASS_LIMIT = 64;            // IIR rounds per interrupt (Linux 8250 PASS_LIMIT, smaller)
constexpr unsigned long TX_STALL_JIFFIES = 2;  // THRE interrupt overdue: the next queue() sends itself
constexpr uint16_t COM1_BASE = 0x3F8;
constexpr unsigned COM1_IRQ = 4;
}  // namespace uart

class Uart16550 {
public:
    // Binds to the ports; touches no hardware.
    Uart16550(PortIo& io, uint16_t base);
    // Boot: interrupts off at the UART, `baud` (a divisor of 115200) 8N1, FIFOs on and cleared, DTR/RTS,
    // transmit buffer empty.
    void init(unsigned baud = uart::UART_CLOCK_BAUD);
    // Scratch-register test: false if nothing answers at `base`.
    bool probe();

    // Buffered transmit. Queue s[0..n) ('\n' goes out as "\r\n"), move what the FIFO takes now and let the
    // THRE interrupt send the rest. `whole`: all of it or nothing. Returns how many bytes of `s` were
    // queued (0 when the buffer is full). Any context; takes the port lock with interrupts saved; never
    // waits for the line.
    size_t queue(const char* s, size_t n, bool whole);
    // Bytes free in the transmit buffer.
    size_t write_room();
    // Called (hard-IRQ context, no lock held) after the THRE interrupt moved bytes out of the buffer.
    void set_tx_wakeup(void (*fn)(void* ctx), void* ctx);

    // Polled transmit: first what the buffer holds, then the text; each byte waits for THRE at most
    // THRE_TIMEOUT_US and once a wait timed out the rest go out without waiting until THRE is seen again
    // (a stalled line costs one timeout, not one per byte). putc/write take the port lock; write_atomic
    // is the panic path and goes on without it if it is held.
    void putc(char c);
    void write(const char* s, size_t n);
    void write_atomic(const char* s, size_t n);

    // Process context (Linux uart_ops startup): request `irq` ("serial"), then enable OUT2 and the RX-data
    // interrupt; the THRE interrupt is on while the buffer holds bytes. Returns request_irq's error.
    [[nodiscard]] int startup(unsigned irq);
    bool irq_ready() const { return READ_ONCE(irq_requested_); }
    // Interrupts off at the UART, OUT2 off, the IRQ released (host tests).
    void shutdown();
    // The interrupt body: read IIR until no interrupt is pending (the ISA line is edge-triggered: it must
    // fall before the next edge), receiving into the tty and refilling the FIFO. Hard-IRQ context.
    // Returns true if the UART had anything pending.
    bool handle_irq();

    // Receive flow control, called by the tty with its lock held (kernel/tty.h tty_flow): stop and
    // restart the RX interrupt. Bytes wait in the UART meanwhile.
    void throttle();
    void unthrottle();

    unsigned long rx_bytes() const { return READ_ONCE(rx_bytes_); }
    unsigned long tx_bytes() const { return READ_ONCE(tx_bytes_); }
    unsigned long overruns() const { return READ_ONCE(overruns_); }
    unsigned long tx_timeouts() const { return READ_ONCE(tx_timeouts_); }
    unsigned long tx_rescues() const { return READ_ONCE(tx_rescues_); }  // sends without the overdue interrupt
    uint16_t base() const { return base_; }

private:
    uint8_t read_lsr();         // remembers error bits for the RX path (Linux lsr_saved_flags)
    void set_ier(uint8_t ier);  // port lock held
    void rx_chars();
    unsigned tx_chars(unsigned budget);  // port lock held; returns bytes moved into the FIFO
    void start_tx();                     // port lock held
    void put_polled(char c);             // port lock held (or the panic path)
    void write_polled(const char* s, size_t n);
    size_t xmit_count() const { return xmit_head_ - xmit_tail_; }

    PortIo* io_;
    uint16_t base_;
    unsigned irq_ = 0;
    bool irq_requested_ = false;
    bool rx_throttled_ = false;
    bool tx_stalled_ = false;  // a polled THRE wait timed out and THRE has not been seen since
    uint8_t ier_ = 0;          // shadow of IER
    uint8_t lsr_saved_ = 0;    // error bits seen by any LSR read, consumed by the RX path
    unsigned long rx_bytes_ = 0, tx_bytes_ = 0, overruns_ = 0, tx_timeouts_ = 0, tx_rescues_ = 0;
    unsigned long tx_armed_at_ = 0;  // jiffies when the THRE interrupt was last turned on
    char xmit_[uart::XMIT_SIZE];
    size_t xmit_head_ = 0, xmit_tail_ = 0;  // free-running; index with % XMIT_SIZE
    void (*tx_wakeup_)(void*) = nullptr;
    void* tx_wakeup_ctx_ = nullptr;
    raw_spinlock_t lock_;  // the transmit buffer, IER and the polled path: one writer at a time
};

// COM1 once serial_console_setup() has run, else nullptr.
Uart16550* serial_console_port();
// Boot (init/main.cpp): COM1 at 115200 8N1, registered as printk console "ttyS0" and as a terminal of the
// console tty, its interrupt on IRQ4. Returns 0, -ENODEV (no UART at 0x3F8) or request_irq's error (the
// console then writes polled).
[[nodiscard]] int serial_console_setup(PortIo& io);
// The same for a given port object (host tests), and the undo (host tests: unregister, free the IRQ).
[[nodiscard]] int serial_console_setup_port(Uart16550& port);
void serial_console_shutdown();
