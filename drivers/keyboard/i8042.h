// The i8042 PS/2 keyboard controller on IRQ1: controller set-up, the interrupt handler and the
// in-kernel scancode injector (Linux drivers/input/serio/i8042.c for the controller, atkbd.c and the
// console keymap for decoding). Register and command values from the IBM PC/AT Technical Reference
// (8042 keyboard controller) as documented in Linux i8042.h.
#pragma once
#include "kernel/io.h"

namespace i8042 {
constexpr uint16_t I8042_DATA_REG = 0x60;
constexpr uint16_t I8042_STATUS_REG = 0x64;   // read
constexpr uint16_t I8042_COMMAND_REG = 0x64;  // write

// Status register bits.
constexpr uint8_t I8042_STR_OBF = 0x01;      // output buffer full: a byte waits at the data port
constexpr uint8_t I8042_STR_IBF = 0x02;      // input buffer full: the controller has not taken our last byte
constexpr uint8_t I8042_STR_AUXDATA = 0x20;  // the waiting byte came from the aux (mouse) port

// Controller commands.
constexpr uint8_t I8042_CMD_CTL_RCTR = 0x20;  // read the command byte (CTR)
constexpr uint8_t I8042_CMD_CTL_WCTR = 0x60;  // write the CTR
constexpr uint8_t I8042_CMD_AUX_DISABLE = 0xA7;
constexpr uint8_t I8042_CMD_KBD_DISABLE = 0xAD;
constexpr uint8_t I8042_CMD_KBD_ENABLE = 0xAE;
constexpr uint8_t I8042_CMD_KBD_LOOP = 0xD2;  // put the next data byte in the output buffer, as from the keyboard

// Command byte (CTR) bits.
constexpr uint8_t I8042_CTR_KBDINT = 0x01;  // IRQ1 on keyboard data
constexpr uint8_t I8042_CTR_AUXINT = 0x02;  // IRQ12 on aux data
constexpr uint8_t I8042_CTR_KBDDIS = 0x10;  // keyboard clock disabled
constexpr uint8_t I8042_CTR_AUXDIS = 0x20;
constexpr uint8_t I8042_CTR_XLATE = 0x40;  // translate to scancode set 1

constexpr unsigned I8042_BUFFER_SIZE = 16;     // bytes the flush reads at most (Linux)
constexpr unsigned I8042_CTL_TIMEOUT = 10000;  // polls of 50 us while waiting for the controller (Linux)
constexpr unsigned I8042_POLL_US = 50;
constexpr unsigned I8042_KBD_IRQ = 1;
}  // namespace i8042

// Scancode set 1 -> characters (US layout), with shift, ctrl, caps lock, break codes and 0xE0/0xE1
// prefixes. Arrows, Home/End and Delete become the VT100 sequences a terminal would send (ESC [ A ...),
// Backspace is DEL (0x7f) and Enter is CR, as on the Linux console. Not thread-safe: one per keyboard.
struct KeyboardDecoder {
    bool lshift = false, rshift = false, lctrl = false, rctrl = false, capslock = false;
    bool e0 = false;       // the previous byte was the 0xE0 prefix
    unsigned e1_skip = 0;  // bytes left of a Pause (0xE1 ...) sequence
    // Feed one byte; returns how many characters were written to out (at most 4).
    unsigned feed(uint8_t scancode, char out[4]);
};

// Boot, interrupts off: detect the controller (a status of 0xFF means none: reported, -ENODEV), disable
// both ports, flush, set the CTR (translation on, IRQ1 on, aux off), request IRQ1 "i8042" (IRQF_SHARED,
// as Linux), enable the
// keyboard port. Returns 0, -ENODEV, -ETIMEDOUT (controller not answering) or request_irq's error.
[[nodiscard]] int i8042_init(PortIo& io);

// For the in-kernel tests: make the controller deliver `scancode` as if typed (command 0xD2), which
// raises IRQ1 like a real key. Any context but the i8042 handler; takes the i8042 lock. 0 or
// -ETIMEDOUT (input buffer never emptied) or -ENODEV (no controller set up).
int i8042_inject_scancode(uint8_t scancode);

// Scancode bytes received by the IRQ1 handler since boot (every byte, prefixes and break codes too).
unsigned long i8042_scancode_count();

// Release IRQ1 and forget the controller (host tests).
void i8042_shutdown();
