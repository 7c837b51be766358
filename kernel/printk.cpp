// printk: log levels (KERN_SOH prefixes), KERN_CONT continuation, the record log and the consoles;
// also __ratelimit, WARN and panic. Behaviour from Linux kernel/printk/printk.c, lib/ratelimit.c and
// kernel/panic.c, simplified: no timestamps, and every fragment becomes a record of its own at once (so a
// line printed in pieces shows piece by piece). printk stores and returns: consoles with a transmit buffer
// take the records when they have room (kernel/console.cpp), so printk never waits for a terminal.
#include "kernel/printk.h"
#include "kernel/errno.h"
#include "kernel/jiffies.h"
#include "kernel/percpu.h"
#include "kernel/printk_log.h"
#include "kernel/sched/sched.h"
#include "kernel/spinlock.h"
#include "lib/string.h"
#include "lib/vsprintf.h"

namespace {

constexpr int DEFAULT_MESSAGE_LOGLEVEL = LOGLEVEL_WARNING;  // Linux default_message_loglevel (4)
constexpr unsigned long RATELIMIT_INTERVAL_SECONDS = 5;     // DEFAULT_RATELIMIT_INTERVAL = 5 * HZ
constexpr int RATELIMIT_BURST = 10;                         // DEFAULT_RATELIMIT_BURST

// The line being continued: the last record did not end with '\n'. Protected by logbuf_lock.
bool cont_open;
int cont_level;
unsigned cont_cpu;

// Per-CPU "inside printk" marker: a printk from a console driver or an exception inside printk would
// otherwise spin forever on logbuf_lock. Such nested messages are dropped and counted.
DEFINE_PER_CPU(bool, printk_active);
unsigned long printk_dropped;
bool panic_in_progress;

raw_spinlock_t ratelimit_lock;

// Store a fragment as one record (the consoles get it when printk flushes them).
void emit(int level, const char* s, size_t n) {
    if (n) log_store(level, s, n);
}

// Strip KERN_SOH prefixes: "\001" + '0'..'7' sets the level, "\001c" marks a continuation.
const char* parse_prefix(const char* text, int* level, bool* cont) {
    while (text[0] == KERN_SOH[0] && text[1]) {
        char c = text[1];
        if (c >= '0' && c <= '7')
            *level = c - '0';
        else if (c == 'c')
            *cont = true;
        else
            break;  // not a level: leave it in the text, like Linux's printk_get_level
        text += 2;
    }
    return text;
}

}  // namespace

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
            console_write_direct(body, n);
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
        int m = scnprintf(note, sizeof note, "%sprintk: %lu messages dropped (recursion)\n", cont_open ? "\n" : "",
                          dropped);
        cont_open = false;
        emit(LOGLEVEL_WARNING, note, (size_t)m);
    }

    // A continuation extends the open line of the same CPU; anything else first closes that line
    // (Linux: a new record ends the previous partial one, which therefore gets its newline).
    bool continues = cont && cont_open && cont_cpu == cpu;
    if (cont_open && !continues) emit(cont_level, "\n", 1);
    if (continues)
        level = cont_level;
    else if (level < 0)
        level = DEFAULT_MESSAGE_LOGLEVEL;

    emit(level, body, n);
    if (n) {
        cont_open = body[n - 1] != '\n';
        cont_level = level;
        cont_cpu = cpu;
    } else if (!continues) {
        cont_open = false;
    }

    // A panic writes out synchronously: nothing may stay queued behind a machine that stops.
    console_flush_all(panic_in_progress);
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

void printk_log_clear() {
    SpinLockIrqSave guard(logbuf_lock);
    log_mark_cleared();
    cont_open = false;
}

// Linux's ___ratelimit with the default 5 s interval and burst 10. When a new interval starts after
// suppressing messages, report "<caller>: N callbacks suppressed" (Linux names the function with
// __func__; our __ratelimit has no name argument, so the caller is found from the return address).
bool __ratelimit(ratelimit_state* rs) {
    unsigned long flags = arch::irq_save();
    if (!raw_spin_trylock(&ratelimit_lock)) {  // contended: treat as suppressed, as Linux does
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
    if (ok)
        rs->printed++;
    else
        rs->missed++;
    raw_spin_unlock(&ratelimit_lock);
    arch::irq_restore(flags);
    if (suppressed) printk(KERN_WARNING "%ps: %d callbacks suppressed\n", __builtin_return_address(0), suppressed);
    return ok;
}

extern "C" bool __start_irqos_warn_once[], __stop_irqos_warn_once[];

void clear_warn_once() {
    for (bool* once = __start_irqos_warn_once; once < __stop_irqos_warn_once; once++)
        __atomic_store_n(once, false, __ATOMIC_RELAXED);
}

// Before the scheduler runs a CPU has no task yet: that is Linux's swapper, pid 0.
void dump_stack() {
    task_struct* c = sched_current();
    printk("CPU: %u UID: 0 PID: %d Comm: %s irqos\n", smp_processor_id(), c ? c->pid : 0, c ? c->comm : "swapper");
    arch::dump_stack();
}

void __warn(const char* file, int line, const char* func, const char* fmt, ...) {
    __atomic_fetch_add(&warn_count, 1, __ATOMIC_RELAXED);
    task_struct* c = sched_current();
    printk(KERN_WARNING "------------[ cut here ]------------\n");
    printk(KERN_WARNING "WARNING: CPU: %u PID: %d at %s:%d %s\n", smp_processor_id(), c ? c->pid : 0, file, line, func);
    if (fmt && fmt[0]) {
        char msg[PRINTK_LINE_MAX];
        va_list ap;
        va_start(ap, fmt);
        int n = vscnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (n > 0) printk(KERN_WARNING "%s%s", msg, msg[n - 1] == '\n' ? "" : "\n");
    }
    dump_stack();
    printk(KERN_WARNING "---[ end trace ]---\n");
}

void panic(const char* fmt, ...) {
    arch::irq_disable();
    if (__atomic_exchange_n(&panic_in_progress, true, __ATOMIC_SEQ_CST)) arch::halt();  // nested panic
    char msg[PRINTK_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vscnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    printk(KERN_EMERG "Kernel panic - not syncing: %s\n", msg);
    dump_stack();
    printk(KERN_EMERG "---[ end Kernel panic - not syncing: %s ]---\n", msg);
    arch::halt();
}
