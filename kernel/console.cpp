// Consoles: the registered list and the hand-over of log records to them (Linux kernel/printk/printk.c:
// register_console, console_flush_all, console_flush_on_panic, printk_trigger_flush and the per-console
// "** N printk messages dropped **" note). Each console remembers the sequence number of the next record
// it prints. A console with a transmit buffer takes records only while they fit and is fed again when
// its driver reports room, so printk itself never waits for a slow or stalled terminal; what the log
// overwrote in the meantime is counted and announced instead of being lost silently.
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "kernel/printk_log.h"
#include "lib/vsprintf.h"

namespace {

constexpr int CONSOLE_LOGLEVEL_DEFAULT = 7;  // Linux CONSOLE_LOGLEVEL_DEFAULT
constexpr int CONSOLE_LOGLEVEL_MAX = 8;      // "loglevel=8" shows KERN_DEBUG too
constexpr size_t DROPPED_NOTE_MAX = 64;

console* console_list;             // logbuf_lock
char record_buf[PRINTK_LINE_MAX];  // logbuf_lock (or the panic path, which is alone by then)

// Synchronously when `sync` (panic) or when the console has no transmit buffer.
bool console_emit(console* c, const char* text, size_t len, bool sync) {
    if (c->write_buffered && !sync) return c->write_buffered(text, len);
    if (c->write) c->write(text, len);
    return true;
}

// Give `c` every record it has not printed yet, as long as it takes them. logbuf_lock held.
void console_flush_one(console* c, bool sync) {
    for (;;) {
        uint64_t first = log_first_seq();
        if (c->seq < first) {  // overwritten before this console got to them
            c->dropped += (unsigned long)(first - c->seq);
            c->seq = first;
        }
        if (c->seq >= log_next_seq()) return;
        int level = 0;
        long len = log_read(c->seq, &level, record_buf);
        if (len < 0 || level >= c->loglevel) {
            c->seq++;
            continue;
        }
        if (c->dropped) {
            char note[DROPPED_NOTE_MAX];
            int n = scnprintf(note, sizeof note, "** %lu printk messages dropped **\n", c->dropped);
            if (!console_emit(c, note, (size_t)n, sync)) return;
            c->dropped = 0;
        }
        if (!console_emit(c, record_buf, (size_t)len, sync)) return;
        c->seq++;
    }
}

}  // namespace

int console_loglevel = CONSOLE_LOGLEVEL_DEFAULT;

void console_flush_all(bool sync) {
    for (console* c = console_list; c; c = c->next) console_flush_one(c, sync);
}

void console_write_direct(const char* text, size_t len) {
    for (console* c = console_list; c; c = c->next)
        if (c->write) c->write(text, len);
}

bool console_busy(console* c) {
    SpinLockIrqSave guard(logbuf_lock);
    bool registered = false;
    for (console* p = console_list; p; p = p->next) registered |= p == c;
    if (!registered) return false;
    console_flush_one(c, false);
    return c->seq < log_next_seq();
}

void printk_trigger_flush() {
    SpinLockIrqSave guard(logbuf_lock);
    console_flush_all(false);
}

void console_flush_on_panic() {
    unsigned long flags = arch::irq_save();
    // The failing code may hold the lock itself (a fault inside printk): go on without it then, as
    // Linux's panic path does; nothing else runs on this CPU any more.
    bool locked = raw_spin_trylock(&logbuf_lock);
    console_flush_all(true);
    for (console* c = console_list; c; c = c->next)  // and what buffered consoles had already taken
        if (c->write_buffered && c->write) c->write("", 0);
    if (locked) raw_spin_unlock(&logbuf_lock);
    arch::irq_restore(flags);
}

void register_console(console* c) {
    SpinLockIrqSave guard(logbuf_lock);
    console** pp = &console_list;  // append: consoles are written in registration order
    for (; *pp; pp = &(*pp)->next)
        if (*pp == c) return;  // already registered: leave it, and the consoles after it, as they are
    if (c->loglevel <= 0) c->loglevel = console_loglevel;
    c->next = nullptr;
    c->seq = log_next_seq();  // from now on (the boot console printed what came before)
    c->dropped = 0;
    *pp = c;
}

void unregister_console(console* c) {
    SpinLockIrqSave guard(logbuf_lock);
    for (console** pp = &console_list; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            c->next = nullptr;
            return;
        }
    }
}

int console_set_loglevel(int level) {
    if (level < 0 || level > CONSOLE_LOGLEVEL_MAX) return -EINVAL;
    SpinLockIrqSave guard(logbuf_lock);
    console_loglevel = level;
    for (console* c = console_list; c; c = c->next) c->loglevel = level;
    return 0;
}

// "loglevel=N" (0..8): the threshold of every console and the default for new ones. Boot.
static int loglevel_setup(const char* value) {
    unsigned long v;
    if (!parse_uint(value, &v) || v > (unsigned long)CONSOLE_LOGLEVEL_MAX) return -EINVAL;
    return console_set_loglevel((int)v);
}
__setup("loglevel", loglevel_setup);
