// The NS16550A UART (COM1) as a printk console "ttyS0" and a receive-interrupt source (Linux
// drivers/tty/serial/8250/8250_port.c, written anew). Register names and bits from the National
// Semiconductor PC16550D datasheet, "Register Summary".
#pragma once
#include "kernel/io.h"
#include "kernel/spinlock.h"

namespace uart {
// Register offsets from the base port (DLAB = LCR bit 7 selects DLL/DLM at offsets 0/1).
constexpr uint16_t RBR = 0, THR = 0, DLL = 0;   // receive buffer / transmit holding / divisor low
constexpr uint16_t IER = 1, DLM = 1;            // interrupt enable / divisor high
constexpr uint16_t IIR = 2, FCR = 2;            // interrupt identification (read) / FIFO control (write)
constexpr uint16_t LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;

constexpr uint8_t IER_ERBFI = 0x01;   // received data available interrupt
constexpr uint8_t FCR_FIFO_ENABLE = 0x01, FCR_CLEAR_RCVR = 0x02, FCR_CLEAR_XMIT = 0x04;
constexpr uint8_t FCR_TRIGGER_1 = 0x00;   // RX interrupt at 1 byte: typing latency beats throughput here
constexpr uint8_t LCR_WLEN8 = 0x03;       // 8 data bits, 1 stop bit, no parity (8N1)
constexpr uint8_t LCR_DLAB = 0x80;
constexpr uint8_t MCR_DTR = 0x01, MCR_RTS = 0x02;
constexpr uint8_t MCR_OUT2 = 0x08;        // gates the UART's INTR pin onto the ISA IRQ line on PC boards
constexpr uint8_t LSR_DR = 0x01, LSR_OE = 0x02, LSR_PE = 0x04, LSR_FE = 0x08, LSR_BI = 0x10;
constexpr uint8_t LSR_THRE = 0x20;        // transmit holding register empty
constexpr uint8_t LSR_TEMT = 0x40;        // transmitter empty: THR and the shift register both idle
constexpr uint8_t LSR_ERRORS = LSR_OE | LSR_PE | LSR_FE | LSR_BI;   // cleared by reading LSR

constexpr unsigned UART_CLOCK_BAUD = 115200;   // 1.8432 MHz / 16: divisor = 115200 / baud
constexpr unsigned THRE_TIMEOUT_US = 10000;    // Linux wait_for_xmitr: 10 ms in 1 us steps
constexpr unsigned RX_DRAIN_MAX = 256;         // bytes per interrupt at most (a floating bus reads DR forever)
constexpr uint16_t COM1_BASE = 0x3F8;
constexpr unsigned COM1_IRQ = 4;
}  // namespace uart

class Uart16550 {
public:
    // Binds to the ports; touches no hardware.
    Uart16550(PortIo& io, uint16_t base);
    // Boot: interrupts off at the UART, `baud` (a divisor of 115200) 8N1, FIFOs on and cleared, DTR/RTS.
    void init(unsigned baud = uart::UART_CLOCK_BAUD);
    // Scratch-register test: false if nothing answers at `base`.
    bool probe();
    // Any context; takes the TX lock with interrupts saved. Waits for THRE (bounded; a timeout is counted
    // and the byte is written anyway); '\n' goes out as "\r\n" for terminals.
    void putc(char c);
    void write(const char* s, size_t n);
    // Process context: request `irq` ("serial"), then enable the RX-data interrupt and OUT2.
    [[nodiscard]] int request_rx_irq(unsigned irq);
    // The RX interrupt body: drains RBR while LSR.DR, pushing bytes with tty_receive_char().
    // Hard-IRQ context. Returns true if it read anything.
    bool rx_interrupt();

    unsigned long rx_bytes() const { return READ_ONCE(rx_bytes_); }
    unsigned long overruns() const { return READ_ONCE(overruns_); }
    unsigned long tx_timeouts() const { return READ_ONCE(tx_timeouts_); }
    uint16_t base() const { return base_; }
    // Release the IRQ (host tests).
    void free_rx_irq();

private:
    uint8_t read_lsr();   // remembers error bits for the RX path (Linux lsr_saved_flags)
    void put_raw(char c);

    PortIo* io_;
    uint16_t base_;
    unsigned irq_ = 0;
    bool irq_requested_ = false;
    uint8_t lsr_saved_ = 0;     // error bits seen by any LSR read, consumed by the RX path
    unsigned long rx_bytes_ = 0, overruns_ = 0, tx_timeouts_ = 0;
    raw_spinlock_t tx_lock_;    // one writer at a time, so "\r\n" and lines stay whole
};

// COM1 once serial_console_setup() has run, else nullptr.
Uart16550* serial_console_port();
// Boot (init/main.cpp): COM1 at 115200 8N1, registered as printk console "ttyS0", RX interrupt on IRQ4.
// Returns 0, -ENODEV (no UART at 0x3F8) or request_irq's error (the console still works then).
[[nodiscard]] int serial_console_setup(PortIo& io);
// The same for a given port object (host tests), and the undo (host tests: unregister, free the IRQ).
[[nodiscard]] int serial_console_setup_port(Uart16550& port);
void serial_console_shutdown();
