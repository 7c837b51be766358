// The console tty's input ring and output path (see kernel/tty.h). The ring is the receive half of
// Linux's n_tty reduced to one bounded FIFO: drivers push from interrupt context, the shell pulls.
// Overruns are counted and reported like n_tty's "input overrun(s)" message, never silently lost.
#include "kernel/tty.h"
#include "kernel/errno.h"
#include "kernel/idle.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"

namespace {

// One ring for the one console. head: next slot to fill; tail: next slot to read. count disambiguates
// full from empty. Every field is protected by `lock`, taken with interrupts off because the writers
// are interrupt handlers on this CPU.
struct TtyInput {
    raw_spinlock_t lock;
    char buf[TTY_INPUT_SIZE];
    size_t head = 0, tail = 0, count = 0;
    unsigned long received = 0, dropped = 0, consumed = 0;
    unsigned long dropped_reported = 0;   // drops already announced by a reader
};

TtyInput tty_in;

// Whether the last tty output left a line open. printk ends an open line before any record that is not
// KERN_CONT, so text continuing our own line (echo after the prompt) must be sent as a continuation.
bool output_line_open;

}  // namespace

void tty_receive_char(char c) {
    unsigned long flags;
    raw_spin_lock_irqsave(&tty_in.lock, flags);
    tty_in.received++;
    if (tty_in.count == TTY_INPUT_SIZE) {
        // Reporting from here would print from interrupt context once per lost byte (a storm of
        // messages for a paste burst); the reader reports the total instead.
        tty_in.dropped++;
    } else {
        tty_in.buf[tty_in.head] = c;
        tty_in.head = (tty_in.head + 1) % TTY_INPUT_SIZE;
        tty_in.count++;
    }
    raw_spin_unlock_irqrestore(&tty_in.lock, flags);
}

int tty_read_char(bool block) {
    for (;;) {
        int c = -EAGAIN;
        unsigned long newly_dropped = 0;
        unsigned long flags;
        raw_spin_lock_irqsave(&tty_in.lock, flags);
        if (tty_in.count > 0) {
            c = (unsigned char)tty_in.buf[tty_in.tail];
            tty_in.tail = (tty_in.tail + 1) % TTY_INPUT_SIZE;
            tty_in.count--;
            tty_in.consumed++;
        }
        if (tty_in.dropped != tty_in.dropped_reported) {
            newly_dropped = tty_in.dropped - tty_in.dropped_reported;
            tty_in.dropped_reported = tty_in.dropped;
        }
        raw_spin_unlock(&tty_in.lock);

        if (newly_dropped)
            pr_warn("tty: %lu input overrun(s)\n", newly_dropped);
        if (c >= 0 || !block) {
            arch::irq_restore(flags);
            return c;
        }
        // Empty: sleep until the next interrupt (a keypress, a serial byte or the timer tick). Interrupts
        // are still off from the check, so a character arriving now wakes the HLT instead of being missed.
        cpu_idle_once();
    }
}

void tty_write(const char* s, size_t n) {
    // printk takes a C string; copy in bounded chunks so a long write needs no allocation.
    char chunk[128];
    while (n > 0) {
        size_t len = n < sizeof(chunk) - 1 ? n : sizeof(chunk) - 1;
        for (size_t i = 0; i < len; i++)
            chunk[i] = s[i];
        chunk[len] = '\0';
        if (output_line_open)
            printk(KERN_CONT "%s", chunk);
        else
            printk(KERN_INFO "%s", chunk);
        output_line_open = chunk[len - 1] != '\n';
        s += len;
        n -= len;
    }
}

void tty_puts(const char* s) {
    size_t n = 0;
    while (s[n])
        n++;
    tty_write(s, n);
}

void tty_get_stats(tty_stats* out) {
    unsigned long flags;
    raw_spin_lock_irqsave(&tty_in.lock, flags);
    out->received = tty_in.received;
    out->dropped = tty_in.dropped;
    out->consumed = tty_in.consumed;
    out->buffered = tty_in.count;
    raw_spin_unlock_irqrestore(&tty_in.lock, flags);
}

void tty_reset() {
    unsigned long flags;
    raw_spin_lock_irqsave(&tty_in.lock, flags);
    tty_in.head = tty_in.tail = tty_in.count = 0;
    tty_in.received = tty_in.dropped = tty_in.consumed = tty_in.dropped_reported = 0;
    output_line_open = false;
    raw_spin_unlock_irqrestore(&tty_in.lock, flags);
}
