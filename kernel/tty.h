// The console tty: one input ring that the keyboard and serial interrupt handlers fill and the shell
// drains, and one output path to every console. Modelled on the receive side of Linux's n_tty (a bounded
// buffer filled from interrupt context; an overrun is counted and reported, never silent).
#pragma once
#include "kernel/types.h"

// Capacity of the input ring. A line of typing fits many times over; a paste burst larger than this while
// the shell is busy is the overrun case the statistics report.
constexpr size_t TTY_INPUT_SIZE = 512;

struct tty_stats {
    unsigned long received;   // characters offered by drivers (including dropped ones)
    unsigned long dropped;    // characters lost because the ring was full
    unsigned long consumed;   // characters handed to readers
    size_t buffered;          // characters waiting right now
};

// Queue one input character. Any context, including hard-IRQ; takes the tty lock with interrupts saved.
// A full ring drops the character and counts it; the next reader reports the loss.
void tty_receive_char(char c);

// Take the oldest input character (0..255). Process context with interrupts enabled when `block`: it
// idles (cpu_idle_once) until a character arrives. Without `block` returns -EAGAIN when empty.
// Reports "tty: N input overrun(s)" once for each batch of dropped characters.
int tty_read_char(bool block);

// Write to every console (serial and VGA). Any context except NMI; output goes through printk at
// KERN_INFO (as KERN_CONT while our own line is open, so the echo after a prompt stays on its line).
void tty_write(const char* s, size_t n);
void tty_puts(const char* s);

// A consistent snapshot of the counters. Any context.
void tty_get_stats(tty_stats* out);

// Empty the ring, zero the counters, forget the open output line (boot; host tests between cases).
void tty_reset();
