// COM1 as the printk console "ttyS0" (Linux's serial8250_console) and as the serial terminal of the
// console tty: records go into the UART's transmit buffer while they fit and the THRE interrupt asks
// printk for more; shell output waits for room instead; the tty throttles the receiver when full.
#include "drivers/serial/uart16550.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "kernel/tty.h"

using namespace uart;

namespace {
Uart16550* com1;

// The panic path (printk's synchronous write): polled, bounded, behind whatever was queued.
void ttyS0_write(const char* s, size_t n) {
    if (com1) com1->write_atomic(s, n);
}

// Every other record: queued whole or not at all. Without an interrupt nothing would drain a queue, so
// then the record goes out polled.
bool ttyS0_write_buffered(const char* s, size_t n) {
    if (!com1) return true;
    if (!com1->irq_ready()) {
        com1->write(s, n);
        return true;
    }
    return n == 0 || com1->queue(s, n, true) == n;
}

console ttyS0_console = {"ttyS0", ttyS0_write, 0, nullptr, ttyS0_write_buffered};  // loglevel 0: the default

// Shell output. Kernel messages waiting for the line go first, and a write that fits the buffer goes in
// whole, so a message never lands in the middle of a line the shell printed.
size_t ttyS0_tty_write(const char* s, size_t n) {
    if (!com1) return n;
    if (!com1->irq_ready()) {
        com1->write(s, n);
        return n;
    }
    if (console_busy(&ttyS0_console)) return 0;
    return com1->queue(s, n, n <= XMIT_SIZE / 2);
}
tty_output ttyS0_output = {"ttyS0", ttyS0_tty_write, nullptr};

void ttyS0_throttle(void* port) { static_cast<Uart16550*>(port)->throttle(); }
void ttyS0_unthrottle(void* port) { static_cast<Uart16550*>(port)->unthrottle(); }
tty_flow ttyS0_flow = {ttyS0_throttle, ttyS0_unthrottle, nullptr};

// Hard-IRQ context: the THRE interrupt made room; records waiting in the log may go now.
void ttyS0_tx_wakeup(void*) { printk_trigger_flush(); }
}  // namespace

Uart16550* serial_console_port() { return com1; }

int serial_console_setup_port(Uart16550& port) {
    if (!port.probe()) {
        pr_info("ttyS0: no 16550 at 0x%x\n", port.base());
        return -ENODEV;
    }
    port.init(UART_CLOCK_BAUD);
    port.set_tx_wakeup(ttyS0_tx_wakeup, nullptr);
    com1 = &port;
    register_console(&ttyS0_console);
    tty_register_output(&ttyS0_output);
    ttyS0_flow.ctx = &port;
    tty_set_flow(&ttyS0_flow);
    pr_info("ttyS0 at I/O 0x%x (irq = %u, base_baud = %u) is a 16550A\n", port.base(), COM1_IRQ, UART_CLOCK_BAUD);
    return port.startup(COM1_IRQ);
}

// Boot. One COM1 per machine: the object lives in static storage for the kernel's lifetime.
int serial_console_setup(PortIo& io) {
    static Uart16550 port(io, COM1_BASE);
    return serial_console_setup_port(port);
}

void serial_console_shutdown() {
    unregister_console(&ttyS0_console);
    tty_unregister_output(&ttyS0_output);
    tty_set_flow(nullptr);
    if (com1) com1->shutdown();
    com1 = nullptr;
}
