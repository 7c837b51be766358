// Polled output that works before (and without) printk, the serial driver and the heap: COM1 programmed
// directly (115200 8N1) plus the 0xE9 debug port (QEMU debugcon, Bochs port_e9_hack). Used for the first
// boot messages and by the exception report, which must not depend on locks a faulting path may hold.
#pragma once
#include "kernel/types.h"

// Program COM1 for polled output. Boot, before any other COM1 user.
void early_console_init();
// Any context, no locks. Waits for the transmit holding register (Bochs drops bytes otherwise).
void early_write(const char* s, size_t len);
void early_puts(const char* s);
// Route the output to the screen too (drivers/vga registers its raw writer once it knows the framebuffer).
void early_set_screen_writer(void (*write)(const char* s, size_t len));

// printk console for the time before the 16550 driver is up ("earlyser").
struct console;
extern console early_serial_console;

// Emergency text with the screen included: exception reports and the halt messages.
void emergency_write(const char* s, size_t len);
void emergency_puts(const char* s);
void emergency_hex(uint64_t v, unsigned digits);  // zero-padded to `digits` (0: as needed), no 0x
void emergency_dec(uint64_t v);
