// printk with Linux's log levels (include/linux/kern_levels.h: "\001" + digit prefixes), WARN and
// rate limiting. kernel/printk.cpp stores records in the log (kernel/printk_log.cpp); kernel/console.cpp
// hands them to the registered consoles: the kernel registers serial and VGA, the host tests a capture.
#pragma once
#include "kernel/types.h"

#define KERN_SOH "\001"
#define KERN_EMERG KERN_SOH "0"
#define KERN_ALERT KERN_SOH "1"
#define KERN_CRIT KERN_SOH "2"
#define KERN_ERR KERN_SOH "3"
#define KERN_WARNING KERN_SOH "4"
#define KERN_NOTICE KERN_SOH "5"
#define KERN_INFO KERN_SOH "6"
#define KERN_DEBUG KERN_SOH "7"
#define KERN_CONT KERN_SOH "c"

enum {
    LOGLEVEL_EMERG = 0,
    LOGLEVEL_ALERT,
    LOGLEVEL_CRIT,
    LOGLEVEL_ERR,
    LOGLEVEL_WARNING,
    LOGLEVEL_NOTICE,
    LOGLEVEL_INFO,
    LOGLEVEL_DEBUG
};

// Safe from any context, including with interrupts off and from interrupt handlers. Stores the message
// in the log and hands it to the consoles that have room; never waits for a slow terminal.
int printk(const char* fmt, ...) __printf(1, 2);
int vprintk(const char* fmt, va_list ap);

// A console receives the log records whose level is below its loglevel, each as text without the level
// prefix, in log order. The first four fields are the console's description; printk keeps the rest.
struct console {
    const char* name;
    // Synchronous output: returns when the text, and whatever the console had queued before it, is out;
    // any wait bounded (so a write of nothing pushes out the queue). Called with logbuf_lock held and
    // interrupts off, and on the panic path without the lock.
    void (*write)(const char* text, size_t len);
    int loglevel;  // records with level < loglevel are written (like console_loglevel); 0: the default
    console* next;
    // Optional, for a console with a transmit buffer: queue all of the text or nothing, never waiting;
    // false when it does not fit now, and the driver calls printk_trigger_flush() once it has room. Such
    // a console gets `write` only on the panic path. logbuf_lock held, interrupts off.
    bool (*write_buffered)(const char* text, size_t len) = nullptr;
    uint64_t seq = 0;           // the next log record this console prints
    unsigned long dropped = 0;  // records the log overwrote before this console could print them
};
// Process or boot context. Registering an already registered console changes nothing. A new console
// starts with the records stored from now on.
void register_console(console* c);
void unregister_console(console* c);
extern int console_loglevel;  // default for new consoles; "loglevel=" on the command line
// Set the threshold of every console and the default for new ones (Linux syslog's
// SYSLOG_ACTION_CONSOLE_LEVEL, `dmesg -n`). 0..8; -EINVAL otherwise. Any context but NMI.
int console_set_loglevel(int level);
// Feed the consoles again, e.g. from a transmit interrupt that made room. Any context but NMI; takes
// logbuf_lock with interrupts off.
void printk_trigger_flush();
// Whether `c` still holds back records it will print (after feeding it what fits now). A terminal that
// shares the device lets them go first. Any context but NMI; takes logbuf_lock with interrupts off.
bool console_busy(console* c);
// Panic and fatal exceptions: every pending record to every console synchronously, before the machine
// stops (Linux's console_flush_on_panic). Interrupts off; proceeds even if this CPU holds logbuf_lock.
void console_flush_on_panic();

// The last `n` bytes of log text since the last printk_log_clear (for tests and the shell's `dmesg`).
// Returns bytes copied. Any context but NMI.
size_t printk_log_read(char* out, size_t n);
// Hide what is stored so far from printk_log_read (Linux's `dmesg -C`; consoles are not affected) and
// forget the open continuation line.
void printk_log_clear();
// Read-only log marks, for code that checks what it printed itself (the in-kernel tests): a position is
// the number of bytes stored since boot (or since printk_log_clear). printk_log_seq() is the position the
// next byte gets; printk_log_read_since(seq, out, n, &lost) copies up to `n` bytes stored from position
// `seq` on and returns how many, with `lost` the bytes after `seq` the ring has already overwritten (0 if
// none). Any context; takes the log lock.
unsigned long printk_log_seq();
size_t printk_log_read_since(unsigned long seq, char* out, size_t n, unsigned long* lost);

// pr_fmt: a file may prefix every pr_*() message it prints by defining pr_fmt before its first include,
// as Linux's kernel/irq/manage.c does with "genirq: ". printk() and WARN() are never prefixed.
#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif
#define pr_emerg(fmt, ...) printk(KERN_EMERG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_alert(fmt, ...) printk(KERN_ALERT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_crit(fmt, ...) printk(KERN_CRIT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err(fmt, ...) printk(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...) printk(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice(fmt, ...) printk(KERN_NOTICE pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...) printk(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)
#define pr_debug(fmt, ...) printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_cont(fmt, ...) printk(KERN_CONT fmt, ##__VA_ARGS__)

// Rate limiting as Linux's DEFAULT_RATELIMIT_INTERVAL (5 s) / BURST (10), in jiffies.
struct ratelimit_state {
    unsigned long begin = 0;
    int printed = 0;
    int missed = 0;
};
bool __ratelimit(ratelimit_state* rs);  // true: print this one
#define printk_ratelimited(fmt, ...)                       \
    ({                                                     \
        static ratelimit_state _rs;                        \
        if (__ratelimit(&_rs)) printk(fmt, ##__VA_ARGS__); \
    })
#define pr_emerg_ratelimited(fmt, ...) printk_ratelimited(KERN_EMERG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err_ratelimited(fmt, ...) printk_ratelimited(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn_ratelimited(fmt, ...) printk_ratelimited(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)

// WARN: prints "WARNING: at file:line func" , the message, and a stack dump; counts it. Returns cond.
void __warn(const char* file, int line, const char* func, const char* fmt, ...) __printf(4, 5);
// Linux's dump_stack(): the line naming the CPU and the task ("CPU: 0 UID: 0 PID: 1 Comm: init irqos"),
// then the call trace. WARN, panic, might_sleep and the other reports print their stack through it.
void dump_stack();
extern unsigned long warn_count;  // how many WARNs fired (tests and the shell read it)
// Forget which WARN_ONCEs fired. Any context; racing a WARN_ONCE at worst lets it print twice.
void clear_warn_once();
#define WARN(cond, fmt, ...)                                                        \
    ({                                                                              \
        bool _c = !!(cond);                                                         \
        if (unlikely(_c)) __warn(__FILE__, __LINE__, __func__, fmt, ##__VA_ARGS__); \
        _c;                                                                         \
    })
#define WARN_ON(cond) WARN(cond, "%s", "")
// Each WARN_ONCE's "already said" flag lives in the section irqos_warn_once (Linux's .data.once), so
// clear_warn_once() can let every one of them fire again (Linux's debugfs clear_warn_once).
#define WARN_ONCE(cond, fmt, ...)                                     \
    ({                                                                \
        static bool _w __attribute__((section("irqos_warn_once")));   \
        bool _c = !!(cond);                                           \
        if (unlikely(_c) && !_w) {                                    \
            _w = true;                                                \
            __warn(__FILE__, __LINE__, __func__, fmt, ##__VA_ARGS__); \
        }                                                             \
        _c;                                                           \
    })
#define WARN_ON_ONCE(cond) WARN_ONCE(cond, "%s", "")
#define BUG() panic("BUG at %s:%d %s", __FILE__, __LINE__, __func__)
#define BUG_ON(cond)               \
    do {                           \
        if (unlikely(cond)) BUG(); \
    } while (0)

[[noreturn]] void panic(const char* fmt, ...) __printf(1, 2);
