// The console tty's input ring and output path (see kernel/tty.h). The ring is the receive half of
// Linux's n_tty reduced to one bounded FIFO: drivers push from interrupt context, the shell pulls. A full
// ring throttles the serial receiver (n_tty_receive_buf / tty_throttle_safe) and a reader that made room
// unthrottles it; only a receiver that cannot wait (the keyboard) ever loses characters, counted and
// reported like n_tty's "input overrun(s)". Output goes to the terminal devices, not to printk.
#include "kernel/tty.h"
#include "kernel/errno.h"
#include "kernel/idle.h"
#include "kernel/printk.h"
#include "kernel/sched/wait.h"
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
    unsigned long dropped_reported = 0;  // drops already announced by a reader
    const tty_flow* flow = nullptr;
    bool throttled = false;
    unsigned long throttles = 0;
    unsigned long output_dropped = 0;
};

TtyInput tty_in;
// Readers sleeping for input (Linux's tty->read_wait): woken by each received character.
DECLARE_WAIT_QUEUE_HEAD(tty_read_wait);

// A task that may sleep (not an idle task, not before the scheduler runs): it waits on tty_read_wait
// instead of halting the CPU.
bool reader_can_sleep() {
    task_struct* c = sched_current();
    return c && !is_idle_task(c);
}

// Output devices, registered at boot; tty_write walks the list without a lock (it may idle while
// walking, and the list does not change after boot).
tty_output* outputs;

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
    if (waitqueue_active(&tty_read_wait)) wake_up_interruptible(&tty_read_wait);
}

void tty_set_flow(const tty_flow* flow) {
    unsigned long flags;
    raw_spin_lock_irqsave(&tty_in.lock, flags);
    tty_in.flow = flow;
    tty_in.throttled = false;
    raw_spin_unlock_irqrestore(&tty_in.lock, flags);
}

// The decision and the callback happen under the lock, so a reader that empties the ring at the same
// moment either sees the throttled state and unthrottles, or made room before we looked.
bool tty_room_or_throttle() {
    unsigned long flags;
    raw_spin_lock_irqsave(&tty_in.lock, flags);
    bool room = tty_in.count < TTY_INPUT_SIZE;
    if (!room && !tty_in.throttled) {
        tty_in.throttled = true;
        tty_in.throttles++;
        if (tty_in.flow) tty_in.flow->throttle(tty_in.flow->ctx);
    }
    raw_spin_unlock_irqrestore(&tty_in.lock, flags);
    return room;
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
        if (tty_in.throttled && tty_in.count <= TTY_THRESHOLD_UNTHROTTLE) {
            tty_in.throttled = false;
            if (tty_in.flow) tty_in.flow->unthrottle(tty_in.flow->ctx);
        }
        if (tty_in.dropped != tty_in.dropped_reported) {
            newly_dropped = tty_in.dropped - tty_in.dropped_reported;
            tty_in.dropped_reported = tty_in.dropped;
        }
        raw_spin_unlock(&tty_in.lock);

        if (newly_dropped) pr_warn("tty: %lu input overrun(s)\n", newly_dropped);
        if (c >= 0 || !block) {
            arch::irq_restore(flags);
            return c;
        }
        // Empty. A thread sleeps until a character is received (wait_event re-checks after queueing
        // itself, so one arriving in between is not missed). Early boot code halts until the next
        // interrupt instead: interrupts are still off from the check, so a character arriving now wakes
        // the HLT.
        if (reader_can_sleep()) {
            arch::irq_restore(flags);
            wait_event_interruptible(tty_read_wait, READ_ONCE(tty_in.count) > 0);
        } else {
            cpu_idle_once();
        }
    }
}

void tty_register_output(tty_output* out) {
    tty_output** pp = &outputs;
    for (; *pp; pp = &(*pp)->next)
        if (*pp == out) return;
    out->next = nullptr;
    *pp = out;
}

void tty_unregister_output(tty_output* out) {
    for (tty_output** pp = &outputs; *pp; pp = &(*pp)->next) {
        if (*pp == out) {
            *pp = out->next;
            out->next = nullptr;
            return;
        }
    }
}

void tty_write(const char* s, size_t n) {
    for (tty_output* o = outputs; o; o = o->next) {
        size_t done = 0;
        while (done < n) {
            // Try with interrupts off, so the interrupt that makes room cannot slip in between a failed
            // try and the sleep (kernel/idle.h); sleep only if interrupts were on to begin with.
            unsigned long flags = arch::irq_save();
            size_t k = o->write(s + done, n - done);
            done += k;
            if (k || done == n) {
                arch::irq_restore(flags);
                continue;
            }
            if (arch::irqs_disabled_flags(flags)) {  // nothing will make room: count the rest
                __atomic_fetch_add(&tty_in.output_dropped, n - done, __ATOMIC_RELAXED);
                break;
            }
            // Halt in place until the next interrupt (the UART's, when its FIFO has room), as a console
            // write waits in Linux too, rather than sleeping: a sleeping writer is only woken at the
            // idle loop's next halt or tick, which made console output crawl (a tick per FIFO).
            arch_safe_halt();  // returns with interrupts on, as they were
        }
    }
}

void tty_puts(const char* s) {
    size_t n = 0;
    while (s[n]) n++;
    tty_write(s, n);
}

void tty_get_stats(tty_stats* out) {
    unsigned long flags;
    raw_spin_lock_irqsave(&tty_in.lock, flags);
    out->received = tty_in.received;
    out->dropped = tty_in.dropped;
    out->consumed = tty_in.consumed;
    out->buffered = tty_in.count;
    out->throttled = tty_in.throttles;
    out->output_dropped = __atomic_load_n(&tty_in.output_dropped, __ATOMIC_RELAXED);
    raw_spin_unlock_irqrestore(&tty_in.lock, flags);
}

void tty_reset() {
    unsigned long flags;
    raw_spin_lock_irqsave(&tty_in.lock, flags);
    tty_in.head = tty_in.tail = tty_in.count = 0;
    tty_in.received = tty_in.dropped = tty_in.consumed = tty_in.dropped_reported = 0;
    tty_in.throttled = false;
    tty_in.throttles = 0;
    __atomic_store_n(&tty_in.output_dropped, 0ul, __ATOMIC_RELAXED);
    raw_spin_unlock_irqrestore(&tty_in.lock, flags);
}
