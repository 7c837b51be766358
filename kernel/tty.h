// The console tty: one input ring that the keyboard and serial interrupt handlers fill and the shell
// drains, and the terminal output the shell writes to. Modelled on Linux's n_tty: a bounded input buffer
// filled from interrupt context that throttles a receiver able to hold bytes back (n_tty's
// tty_throttle_safe / tty_unthrottle_safe) and counts what it had to drop; output goes to the terminal
// devices directly, never through printk, so `loglevel=` and `dmesg` see only kernel messages.
#pragma once
#include "kernel/types.h"

// Capacity of the input ring. A line of typing fits many times over; a paste does not, and then the
// serial port is throttled (its bytes wait in the UART and the far end waits) instead of losing input.
constexpr size_t TTY_INPUT_SIZE = 512;
// A throttled receiver is restarted once a reader has brought the ring down to this many characters
// (Linux's TTY_THRESHOLD_UNTHROTTLE).
constexpr size_t TTY_THRESHOLD_UNTHROTTLE = 128;

struct tty_stats {
    unsigned long received;        // characters offered by drivers (including dropped ones)
    unsigned long dropped;         // characters lost because the ring was full (from a receiver that cannot wait)
    unsigned long consumed;        // characters handed to readers
    size_t buffered;               // characters waiting right now
    unsigned long throttled;       // times the throttle-capable receiver was told to hold its input back
    unsigned long output_dropped;  // output bytes a device could not take while interrupts were off
};

// Queue one input character. Any context, including hard-IRQ; takes the tty lock with interrupts saved.
// A full ring drops the character and counts it; the next reader reports the loss. For a keyboard,
// which cannot be asked to wait.
void tty_receive_char(char c);

// A receiver that can hold input back (the 16550: bytes stay in its FIFO and the far end then waits).
// Both callbacks run with the tty lock held and interrupts off, and must not call back into the tty.
struct tty_flow {
    void (*throttle)(void* ctx);    // stop receive interrupts; leave further input in the device
    void (*unthrottle)(void* ctx);  // restart them (the device then delivers what it holds)
    void* ctx;
};
// Boot: the one throttle-capable receiver (nullptr: none).
void tty_set_flow(const tty_flow* flow);
// For that receiver, before taking a byte out of its device: true if one more character fits. When the
// ring is full, marks the tty throttled, calls flow->throttle and returns false: leave the byte in the
// device; flow->unthrottle follows once a reader made room. Any context, typically hard-IRQ.
bool tty_room_or_throttle();

// Take the oldest input character (0..255). Process context with interrupts enabled when `block`: it
// idles (cpu_idle_once) until a character arrives. Without `block` returns -EAGAIN when empty.
// Reports "tty: N input overrun(s)" once for each batch of dropped characters, and restarts a throttled
// receiver when the ring is down to TTY_THRESHOLD_UNTHROTTLE.
int tty_read_char(bool block);

// A terminal device the console tty writes to (the serial line, the VGA screen).
struct tty_output {
    const char* name;
    // Take up to n bytes; return how many were taken (0 while the device's buffer is full). Never waits.
    // Process context, interrupts on or off.
    size_t (*write)(const char* s, size_t n);
    tty_output* next;
};
// Boot (and host tests). Registering an output twice changes nothing.
void tty_register_output(tty_output* out);
void tty_unregister_output(tty_output* out);

// Write to every terminal device, in registration order, whatever the console log level. Process context:
// with interrupts enabled it idles until a full device has room again (a stalled terminal stalls the
// writer, never the machine); with interrupts off what does not fit is dropped and counted.
void tty_write(const char* s, size_t n);
void tty_puts(const char* s);

// A consistent snapshot of the counters. Any context.
void tty_get_stats(tty_stats* out);

// Empty the ring, zero the counters and the throttled state (boot; host tests between cases).
void tty_reset();
