// printk: log levels (KERN_SOH prefixes), KERN_CONT continuation, a 64 KiB text ring buffer and the
// registered consoles; also __ratelimit, WARN and panic. Behaviour from Linux kernel/printk/printk.c,
// lib/ratelimit.c and kernel/panic.c, simplified: no timestamps, no record metadata in the ring, and
// every fragment is written to the consoles at once (so a shell prompt without '\n' shows immediately).
#include "kernel/printk.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/jiffies.h"
#include "kernel/percpu.h"
#include "kernel/spinlock.h"
#include "lib/string.h"
#include "lib/vsprintf.h"

namespace {

constexpr size_t LOG_BUF_LEN = 64 * 1024;            // Linux's CONFIG_LOG_BUF_SHIFT=16
constexpr size_t PRINTK_LINE_MAX = 1024;             // one printk's formatted text (Linux: 1024 - prefix)
constexpr int DEFAULT_MESSAGE_LOGLEVEL = LOGLEVEL_WARNING;   // Linux default_message_loglevel (4)
constexpr int CONSOLE_LOGLEVEL_DEFAULT = 7;          // Linux CONSOLE_LOGLEVEL_DEFAULT
constexpr int CONSOLE_LOGLEVEL_MAX = 8;              // "loglevel=8" shows KERN_DEBUG too
constexpr unsigned long RATELIMIT_INTERVAL_SECONDS = 5;   // DEFAULT_RATELIMIT_INTERVAL = 5 * HZ
constexpr int RATELIMIT_BURST = 10;                  // DEFAULT_RATELIMIT_BURST

// All state below is protected by logbuf_lock, taken with interrupts off so printk works from any
// context. Console writes happen under the same lock: lines from two CPUs never interleave.
raw_spinlock_t logbuf_lock;
char log_buf[LOG_BUF_LEN];
unsigned long log_written;     // total bytes ever stored; the ring holds the last LOG_BUF_LEN of them
console* console_list;

// The line being continued (a record that did not end with '\n').
bool cont_open;
int cont_level;
unsigned cont_cpu;

// Per-CPU "inside printk" marker: a printk from a console driver or an exception inside printk would
// otherwise spin forever on logbuf_lock. Such nested messages are dropped and counted.
DEFINE_PER_CPU(bool, printk_active);
unsigned long printk_dropped;
bool panic_in_progress;

raw_spinlock_t ratelimit_lock;

void log_store(const char* s, size_t n) {
    for (size_t i = 0; i < n; i++) log_buf[(log_written + i) % LOG_BUF_LEN] = s[i];
    log_written += n;
}

// Store a fragment and hand it to every console whose loglevel admits `level`.
void emit(int level, const char* s, size_t n) {
    if (!n) return;
    log_store(s, n);
    for (console* c = console_list; c; c = c->next)
        if (level < c->loglevel && c->write) c->write(s, n);
}

// Strip KERN_SOH prefixes: "\001" + '0'..'7' sets the level, "\001c" marks a continuation.
const char* parse_prefix(const char* text, int* level, bool* cont) {
    while (text[0] == KERN_SOH[0] && text[1]) {
        char c = text[1];
        if (c >= '0' && c <= '7') *level = c - '0';
        else if (c == 'c') *cont = true;
        else break;   // not a level: leave it in the text, like Linux's printk_get_level
        text += 2;
    }
    return text;
}

}  // namespace

int console_loglevel = CONSOLE_LOGLEVEL_DEFAULT;
unsigned long warn_count;

int vprintk(const char* fmt, va_list ap) {
    char text[PRINTK_LINE_MAX];
    int len = vscnprintf(text, sizeof text, fmt, ap);

    int level = -1;
    bool cont = false;
    const char* body = parse_prefix(text, &level, &cont);
    size_t n = (size_t)len - (size_t)(body - text);

    unsigned long flags = arch::irq_save();
    unsigned cpu = smp_processor_id();
    if (per_cpu(printk_active, cpu)) {
        // Recursion on this CPU (console driver printed, or a fault inside printk). Only a panic may
        // still reach the consoles, and then without the lock: the machine stops right after.
        if (panic_in_progress) {
            for (console* c = console_list; c; c = c->next)
                if (c->write) c->write(body, n);
        } else {
            __atomic_fetch_add(&printk_dropped, 1, __ATOMIC_RELAXED);
        }
        arch::irq_restore(flags);
        return (int)n;
    }
    per_cpu(printk_active, cpu) = true;
    raw_spin_lock(&logbuf_lock);

    if (unsigned long dropped = __atomic_exchange_n(&printk_dropped, 0, __ATOMIC_RELAXED)) {
        // Say so rather than lose messages silently.
        char note[64];
        int m = scnprintf(note, sizeof note, "%sprintk: %lu messages dropped (recursion)\n",
                          cont_open ? "\n" : "", dropped);
        cont_open = false;
        emit(LOGLEVEL_WARNING, note, (size_t)m);
    }

    // A continuation extends the open line of the same CPU; anything else first closes that line
    // (Linux: a new record ends the previous partial one, which therefore gets its newline).
    bool continues = cont && cont_open && cont_cpu == cpu;
    if (cont_open && !continues) emit(cont_level, "\n", 1);
    if (continues) level = cont_level;
    else if (level < 0) level = DEFAULT_MESSAGE_LOGLEVEL;

    emit(level, body, n);
    if (n) {
        cont_open = body[n - 1] != '\n';
        cont_level = level;
        cont_cpu = cpu;
    } else if (!continues) {
        cont_open = false;
    }

    raw_spin_unlock(&logbuf_lock);
    per_cpu(printk_active, cpu) = false;
    arch::irq_restore(flags);
    return (int)n;
}

int printk(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vprintk(fmt, ap);
    va_end(ap);
    return n;
}

void register_console(console* c) {
    SpinLockIrqSave guard(logbuf_lock);
    if (c->loglevel <= 0) c->loglevel = console_loglevel;
    c->next = nullptr;
    console** pp = &console_list;   // append: consoles are written in registration order
    while (*pp) {
        if (*pp == c) return;        // already registered
        pp = &(*pp)->next;
    }
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

size_t printk_log_read(char* out, size_t n) {
    SpinLockIrqSave guard(logbuf_lock);
    size_t avail = log_written < LOG_BUF_LEN ? (size_t)log_written : LOG_BUF_LEN;
    if (n > avail) n = avail;
    unsigned long start = log_written - n;
    for (size_t i = 0; i < n; i++) out[i] = log_buf[(start + i) % LOG_BUF_LEN];
    return n;
}

unsigned long printk_log_seq() {
    SpinLockIrqSave guard(logbuf_lock);
    return log_written;
}

size_t printk_log_read_since(unsigned long seq, char* out, size_t n, unsigned long* lost) {
    SpinLockIrqSave guard(logbuf_lock);
    if (seq > log_written) seq = 0;   // the log was cleared after the mark: all that is left came later
    unsigned long oldest = log_written > LOG_BUF_LEN ? log_written - LOG_BUF_LEN : 0;
    *lost = seq < oldest ? oldest - seq : 0;
    if (seq < oldest) seq = oldest;
    if (n > log_written - seq) n = (size_t)(log_written - seq);
    for (size_t i = 0; i < n; i++) out[i] = log_buf[(seq + i) % LOG_BUF_LEN];
    return n;
}

void printk_log_clear() {
    SpinLockIrqSave guard(logbuf_lock);
    log_written = 0;
    cont_open = false;
}

// "loglevel=N": the console threshold for every console and the default for new ones. Boot.
static int loglevel_setup(const char* value) {
    unsigned long v;
    if (!parse_uint(value, &v) || v > (unsigned long)CONSOLE_LOGLEVEL_MAX) return -EINVAL;
    SpinLockIrqSave guard(logbuf_lock);
    console_loglevel = (int)v;
    for (console* c = console_list; c; c = c->next) c->loglevel = (int)v;
    return 0;
}
__setup("loglevel", loglevel_setup);

// Linux's ___ratelimit with the default 5 s interval and burst 10. When a new interval starts after
// suppressing messages, report "<caller>: N callbacks suppressed" (Linux names the function with
// __func__; our __ratelimit has no name argument, so the caller is found from the return address).
bool __ratelimit(ratelimit_state* rs) {
    unsigned long flags = arch::irq_save();
    if (!raw_spin_trylock(&ratelimit_lock)) {   // contended: treat as suppressed, as Linux does
        arch::irq_restore(flags);
        return false;
    }
    unsigned long now = jiffies;
    int suppressed = 0;
    if (!rs->begin) rs->begin = now;
    if (time_after(now, rs->begin + RATELIMIT_INTERVAL_SECONDS * HZ)) {
        suppressed = rs->missed;
        rs->missed = 0;
        rs->begin = now;
        rs->printed = 0;
    }
    bool ok = rs->printed < RATELIMIT_BURST;
    if (ok) rs->printed++;
    else rs->missed++;
    raw_spin_unlock(&ratelimit_lock);
    arch::irq_restore(flags);
    if (suppressed)
        printk(KERN_WARNING "%ps: %d callbacks suppressed\n", __builtin_return_address(0), suppressed);
    return ok;
}

extern "C" bool __start_irqos_warn_once[], __stop_irqos_warn_once[];

void clear_warn_once() {
    for (bool* once = __start_irqos_warn_once; once < __stop_irqos_warn_once; once++)
        __atomic_store_n(once, false, __ATOMIC_RELAXED);
}

void __warn(const char* file, int line, const char* func, const char* fmt, ...) {
    __atomic_fetch_add(&warn_count, 1, __ATOMIC_RELAXED);
    printk(KERN_WARNING "------------[ cut here ]------------\n");
    printk(KERN_WARNING "WARNING: CPU: %u PID: 0 at %s:%d %s\n", smp_processor_id(), file, line, func);
    if (fmt && fmt[0]) {
        char msg[PRINTK_LINE_MAX];
        va_list ap;
        va_start(ap, fmt);
        int n = vscnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (n > 0) printk(KERN_WARNING "%s%s", msg, msg[n - 1] == '\n' ? "" : "\n");
    }
    arch::dump_stack();
    printk(KERN_WARNING "---[ end trace ]---\n");
}

void panic(const char* fmt, ...) {
    arch::irq_disable();
    if (__atomic_exchange_n(&panic_in_progress, true, __ATOMIC_SEQ_CST)) arch::halt();   // nested panic
    char msg[PRINTK_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vscnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    printk(KERN_EMERG "Kernel panic - not syncing: %s\n", msg);
    arch::dump_stack();
    printk(KERN_EMERG "---[ end Kernel panic - not syncing: %s ]---\n", msg);
    arch::halt();
}
