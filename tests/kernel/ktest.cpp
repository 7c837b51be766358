// The KTAP runner behind KTEST (see ktest.h): walks the "irqos_ktests" section, runs each case with
// interrupts enabled, checks that it left the CPU as it found it, and prints KTAP version 1 as Linux's
// KUnit does (Documentation/dev-tools/ktap.rst): "KTAP version 1", "1..N", "ok N name" / "not ok N name",
// diagnostics as "# " lines before the result.
#include "tests/kernel/ktest.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/idle.h"
#include "kernel/jiffies.h"
#include "kernel/preempt.h"
#include "kernel/printk.h"
#include "kernel/shell/shell.h"
#include "kernel/spinlock.h"
#include "lib/string.h"
#include "lib/vsprintf.h"

extern "C" const ktest_case __start_irqos_ktests[];
extern "C" const ktest_case __stop_irqos_ktests[];

namespace {

constexpr size_t LOG_SINCE_MAX = 16384;  // what one test may print and still have it searched

struct RunState {
    const ktest_case* current = nullptr;
    unsigned failures = 0;  // failed expectations in the current case
    const char* skip_reason = nullptr;
    unsigned long log_mark = 0;  // printk_log_seq() when the current case started
};
RunState run;

void diag_prefix(const char* file, int line) {
    const char* base = file;
    for (const char* p = file; *p; p++)
        if (*p == '/') base = p + 1;
    printk(KERN_INFO "    # %s.%s: %s:%d: ", run.current ? run.current->suite : "?",
           run.current ? run.current->name : "?", base, line);
}

void print_value(ktest_value v) {
    if (v.is_signed)
        printk(KERN_CONT "%lld (0x%llx)", (long long)v.bits, v.bits);
    else
        printk(KERN_CONT "%llu (0x%llx)", v.bits, v.bits);
}

// The text printed since `mark` (NUL-terminated, in a static buffer: tests run one at a time).
const char* log_since(unsigned long mark, size_t* len) {
    static char buf[LOG_SINCE_MAX + 1];
    unsigned long lost = 0;
    *len = printk_log_read_since(mark, buf, LOG_SINCE_MAX, &lost);
    buf[*len] = '\0';
    if (lost)
        ktest_fail(__FILE__, __LINE__, "the log ring overwrote %lu bytes printed since the mark", lost);
    else if (printk_log_seq() - mark > LOG_SINCE_MAX)
        ktest_fail(__FILE__, __LINE__, "more than %lu bytes printed since the mark: only the first are searched",
                   (unsigned long)LOG_SINCE_MAX);
    return buf;
}

unsigned count_in(const char* hay, size_t len, const char* text) {
    size_t tlen = strlen(text);
    unsigned count = 0;
    for (size_t i = 0; tlen && i + tlen <= len; i++)
        if (memcmp(hay + i, text, tlen) == 0) count++;
    return count;
}

}  // namespace

void ktest_fail(const char* file, int line, const char* fmt, ...) {
    run.failures++;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vscnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    diag_prefix(file, line);
    printk(KERN_CONT "%s\n", msg);
}

bool ktest_expect_eq(const char* file, int line, const char* a_text, const char* b_text, ktest_value a, ktest_value b) {
    if (a.bits == b.bits) return true;
    run.failures++;
    diag_prefix(file, line);
    printk(KERN_CONT "expected %s == %s, got ", a_text, b_text);
    print_value(a);
    printk(KERN_CONT " vs ");
    print_value(b);
    printk(KERN_CONT "\n");
    return false;
}

bool ktest_expect_streq(const char* file, int line, const char* a_text, const char* b_text, const char* a,
                        const char* b) {
    if (a && b && strcmp(a, b) == 0) return true;
    run.failures++;
    diag_prefix(file, line);
    printk(KERN_CONT "expected %s == %s, got \"%s\" vs \"%s\"\n", a_text, b_text, a ? a : "(null)", b ? b : "(null)");
    return false;
}

void ktest_skip(const char* reason) { run.skip_reason = reason; }

bool ktest_log_contains(const char* text) { return ktest_log_count(text) > 0; }

unsigned ktest_log_count(const char* text) { return ktest_log_count_since(run.log_mark, text); }

unsigned long ktest_log_mark() { return printk_log_seq(); }

unsigned ktest_log_count_since(unsigned long mark, const char* text) {
    size_t len = 0;
    const char* log = log_since(mark, &len);
    return count_in(log, len, text);
}

bool ktest_log_in_order_since(unsigned long mark, const char* const* texts, size_t n) {
    size_t len = 0, pos = 0;
    const char* log = log_since(mark, &len);
    for (size_t i = 0; i < n; i++) {
        size_t tlen = strlen(texts[i]);
        while (pos + tlen <= len && memcmp(log + pos, texts[i], tlen) != 0) pos++;
        if (pos + tlen > len) {
            ktest_fail(__FILE__, __LINE__, "'%s' not printed after the previous message", texts[i]);
            return false;
        }
        pos += tlen;
    }
    return true;
}

bool ktest_wait_jiffies(bool (*cond)(void*), void* arg, unsigned long max_jiffies) {
    return idle_until(cond, arg, READ_ONCE(jiffies) + max_jiffies);
}

int ktest_run_all() {
    unsigned total = (unsigned)(__stop_irqos_ktests - __start_irqos_ktests);
    unsigned passed = 0, failed = 0, skipped = 0;
    printk(KERN_INFO "KTAP version 1\n");
    printk(KERN_INFO "1..%u\n", total);
    for (unsigned i = 0; i < total; i++) {
        const ktest_case* t = &__start_irqos_ktests[i];
        run.current = t;
        run.failures = 0;
        run.skip_reason = nullptr;
        run.log_mark = printk_log_seq();
        clear_warn_once();  // a WARN_ONCE a test expects fires whatever ran before it
        unsigned long warns = warn_count;
        t->fn();
        if (warn_count != warns)  // expected by some tests; worth a note when reading a failure
            printk(KERN_INFO "    # %s.%s: %lu WARN(s) during the test\n", t->suite, t->name, warn_count - warns);
        // A test that leaves interrupts off or the preempt count raised would poison every later test:
        // fail it, and repair the CPU state so the rest still mean something.
        if (irqs_disabled()) {
            ktest_fail(__FILE__, __LINE__, "test returned with interrupts disabled");
            local_irq_enable();
        }
        if (preempt_count() != 0) {
            ktest_fail(__FILE__, __LINE__, "test returned with preempt_count 0x%x", preempt_count());
            preempt_count_sub(preempt_count());
        }
        if (run.failures) {
            failed++;
            printk(KERN_INFO "not ok %u %s.%s\n", i + 1, t->suite, t->name);
        } else if (run.skip_reason) {
            skipped++;
            printk(KERN_INFO "ok %u %s.%s # SKIP %s\n", i + 1, t->suite, t->name, run.skip_reason);
        } else {
            passed++;
            printk(KERN_INFO "ok %u %s.%s\n", i + 1, t->suite, t->name);
        }
    }
    run.current = nullptr;
    printk(KERN_INFO "# irqos ktest: %u passed, %u failed, %u skipped\n", passed, failed, skipped);
    return (int)failed;
}

namespace {
int ktest_flag(const char*) { return 0; }  // `ktest`: init/main.cpp reads it with cmdline_has_flag()

int cmd_ktest(int, char**) {
    int failed = ktest_run_all();
    shell_printf("ktest: %d failed\n", failed);
    return failed ? -EIO : 0;
}
}  // namespace

__setup_flag("ktest", ktest_flag);
SHELL_COMMAND("ktest", "run the in-kernel tests (KTAP on the console)", cmd_ktest);
