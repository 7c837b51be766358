// printk with Linux's log levels (include/linux/kern_levels.h: "\001" + digit prefixes), WARN and
// rate limiting. The core (kernel/printk.cpp) keeps a ring buffer and feeds registered consoles;
// the kernel registers serial and VGA, the host tests register a capture buffer.
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

enum { LOGLEVEL_EMERG = 0, LOGLEVEL_ALERT, LOGLEVEL_CRIT, LOGLEVEL_ERR, LOGLEVEL_WARNING,
       LOGLEVEL_NOTICE, LOGLEVEL_INFO, LOGLEVEL_DEBUG };

// Safe from any context, including with interrupts off and from interrupt handlers.
int printk(const char* fmt, ...) __printf(1, 2);
int vprintk(const char* fmt, va_list ap);

// A console receives each finished record: its level and its text (without the level prefix).
struct console {
    const char* name;
    void (*write)(const char* text, size_t len);
    int loglevel;          // records with level < loglevel are written (like console_loglevel)
    console* next;
};
void register_console(console* c);
void unregister_console(console* c);
extern int console_loglevel;   // default for new consoles; "loglevel=" on the command line

// The last `n` bytes of the ring buffer (for tests and the shell's `dmesg`). Returns bytes copied.
size_t printk_log_read(char* out, size_t n);
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
bool __ratelimit(ratelimit_state* rs);   // true: print this one
#define printk_ratelimited(fmt, ...) ({ static ratelimit_state _rs; if (__ratelimit(&_rs)) printk(fmt, ##__VA_ARGS__); })
#define pr_emerg_ratelimited(fmt, ...) printk_ratelimited(KERN_EMERG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err_ratelimited(fmt, ...) printk_ratelimited(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn_ratelimited(fmt, ...) printk_ratelimited(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)

// WARN: prints "WARNING: at file:line func" , the message, and a stack dump; counts it. Returns cond.
void __warn(const char* file, int line, const char* func, const char* fmt, ...) __printf(4, 5);
extern unsigned long warn_count;   // how many WARNs fired (tests and the shell read it)
// Forget which WARN_ONCEs fired. Any context; racing a WARN_ONCE at worst lets it print twice.
void clear_warn_once();
#define WARN(cond, fmt, ...) ({ bool _c = !!(cond); if (unlikely(_c)) __warn(__FILE__, __LINE__, __func__, fmt, ##__VA_ARGS__); _c; })
#define WARN_ON(cond) WARN(cond, "%s", "")
// Each WARN_ONCE's "already said" flag lives in the section irqos_warn_once (Linux's .data.once), so
// clear_warn_once() can let every one of them fire again (Linux's debugfs clear_warn_once).
#define WARN_ONCE(cond, fmt, ...) ({ static bool _w __attribute__((section("irqos_warn_once"))); bool _c = !!(cond); if (unlikely(_c) && !_w) { _w = true; __warn(__FILE__, __LINE__, __func__, fmt, ##__VA_ARGS__); } _c; })
#define WARN_ON_ONCE(cond) WARN_ONCE(cond, "%s", "")
#define BUG() panic("BUG at %s:%d %s", __FILE__, __LINE__, __func__)
#define BUG_ON(cond) do { if (unlikely(cond)) BUG(); } while (0)

[[noreturn]] void panic(const char* fmt, ...) __printf(1, 2);
