// Polled COM1 + port 0xE9 output for early boot and emergencies (16550 registers: PC16550D datasheet;
// the same programming Linux's early_serial_console does in arch/x86/kernel/early_printk.c).
#include "arch/x86/early_console.h"
#include "arch/x86/portio.h"
#include "kernel/printk.h"
#include "lib/string.h"

namespace {
constexpr uint16_t COM1 = 0x3F8;
constexpr uint16_t UART_THR = 0, UART_IER = 1, UART_FCR = 2, UART_LCR = 3, UART_MCR = 4, UART_LSR = 5;
constexpr uint16_t UART_DLL = 0, UART_DLM = 1;  // with LCR.DLAB set
constexpr uint8_t LCR_DLAB = 0x80, LCR_8N1 = 0x03;
constexpr uint8_t FCR_ENABLE_CLEAR = 0x07;  // enable FIFOs, clear RX and TX
constexpr uint8_t MCR_DTR_RTS = 0x03;
constexpr uint8_t LSR_THRE = 0x20;  // transmit holding register empty
constexpr unsigned UART_CLOCK = 115200, BAUD = 115200;
constexpr unsigned THRE_SPIN_LIMIT = 100000;  // a missing UART must not hang the report
constexpr uint16_t DEBUGCON = 0xE9;

void (*screen_writer)(const char*, size_t) = nullptr;

void serial_putc(X86PortIo& io, char c) {
    for (unsigned i = 0; i < THRE_SPIN_LIMIT && !(io.inb(COM1 + UART_LSR) & LSR_THRE); i++) __asm__ volatile("pause");
    io.outb(COM1 + UART_THR, uint8_t(c));
}

void early_console_write(const char* s, size_t len) { early_write(s, len); }
}  // namespace

console early_serial_console = {"earlyser", early_console_write, 0, nullptr};  // 0: console_loglevel

void early_console_init() {
    X86PortIo& io = x86_port_io();
    constexpr unsigned divisor = UART_CLOCK / BAUD;
    io.outb(COM1 + UART_IER, 0);
    io.outb(COM1 + UART_LCR, LCR_DLAB);
    io.outb(COM1 + UART_DLL, divisor & 0xff);
    io.outb(COM1 + UART_DLM, divisor >> 8);
    io.outb(COM1 + UART_LCR, LCR_8N1);
    io.outb(COM1 + UART_FCR, FCR_ENABLE_CLEAR);
    io.outb(COM1 + UART_MCR, MCR_DTR_RTS);
}

void early_write(const char* s, size_t len) {
    X86PortIo& io = x86_port_io();
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n') serial_putc(io, '\r');  // a terminal on the serial line wants CR LF
        serial_putc(io, s[i]);
        io.outb(DEBUGCON, uint8_t(s[i]));
    }
}

void early_puts(const char* s) { early_write(s, strlen(s)); }

void early_set_screen_writer(void (*write)(const char*, size_t)) { screen_writer = write; }

void emergency_write(const char* s, size_t len) {
    early_write(s, len);
    if (screen_writer) screen_writer(s, len);
}

void emergency_puts(const char* s) { emergency_write(s, strlen(s)); }

void emergency_hex(uint64_t v, unsigned digits) {
    char buf[16];
    if (digits == 0)  // as many as needed
        for (digits = 1; digits < sizeof(buf) && (v >> (4 * digits)) != 0; digits++) {}
    if (digits > sizeof(buf)) digits = sizeof(buf);
    for (unsigned i = 0; i < digits; i++) {
        buf[digits - 1 - i] = "0123456789abcdef"[v & 0xf];
        v >>= 4;
    }
    emergency_write(buf, digits);
}

void emergency_dec(uint64_t v) {
    char buf[20];
    unsigned n = 0;
    do {
        buf[sizeof(buf) - 1 - n++] = char('0' + v % 10);
        v /= 10;
    } while (v);
    emergency_write(buf + sizeof(buf) - n, n);
}
