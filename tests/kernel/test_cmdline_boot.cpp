// In-kernel tests of the boot command line as GRUB passed it (kernel/cmdline.cpp, "hz=" in
// kernel/jiffies.cpp): the test reads saved_command_line() and works out on its own what each word
// must have done, so the expectations follow KTEST_CMDLINE (mk/kernel.mk) instead of repeating it.
// The boot test run carries a non-default hz= followed by a malformed one, an unknown word and a key
// without a value; the checks: HZ is the last valid hz=, the PIT runs at it (divisor and counter),
// jiffies advance at that rate against the TSC, and every rejected word was reported.
#include "tests/kernel/ktest.h"
#include "tests/kernel/kt_hw.h"
#include "drivers/pit/pit.h"
#include "kernel/cmdline.h"
#include "kernel/jiffies.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "lib/string.h"
#include "lib/vsprintf.h"

extern const kernel_param __start_irqos_params[];
extern const kernel_param __stop_irqos_params[];

namespace {
constexpr size_t WORD_MAX = 128;
constexpr size_t MESSAGE_MAX = 2 * WORD_MAX + 96;
constexpr int EINVAL_REPORTED = -22;                 // what hz_setup returns, as the message prints it
constexpr uint64_t RATE_WINDOW_US = 200000;          // as tests/kernel/test_timer.cpp
constexpr unsigned long RATE_MIN_PERCENT = 50, RATE_MAX_PERCENT = 105;   // see test_timer.cpp
constexpr uint64_t PIT_SAMPLE_US = 30000;           // several periods at any HZ >= 100
constexpr unsigned PIT_TOP_QUARTERS = 3;            // the highest count seen must be in the top quarter

// What the command line must have done, worked out from its text alone.
struct Expected {
    unsigned hz = HZ_DEFAULT;
    unsigned valid_hz_words = 0;         // accepted hz= words
    unsigned bad_hz_words = 0;           // hz= words whose value is junk or out of range
    unsigned unknown_words = 0;
    unsigned valueless_keys = 0;         // a value parameter given as a bare word ("loglevel")
    unsigned valued_flags = 0;           // a flag given a value ("ktest=1")
    unsigned unclassified = 0;           // words whose handler alone knows if the value is good
    unsigned missing_messages = 0;       // rejection messages not found in the log
};

const kernel_param* find(const char* name, size_t len) {
    for (const kernel_param* p = __start_irqos_params; p < __stop_irqos_params; p++)
        if (p->name && strlen(p->name) == len && memcmp(p->name, name, len) == 0)
            return p;
    return nullptr;
}

// The test's own reading of an hz value (decimal or 0x-hex, nothing trailing, HZ_MIN..HZ_MAX), written
// independently of parse_uint so a parser bug cannot agree with itself.
bool hz_value(const char* s, unsigned* out) {
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return false;
    unsigned long v = 0;
    for (; *s; s++) {
        char c = *s;
        int d = c >= '0' && c <= '9' ? c - '0'
              : base == 16 && c >= 'a' && c <= 'f' ? c - 'a' + 10
              : base == 16 && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return false;
        v = v * base + unsigned(d);
        if (v > HZ_MAX)
            return false;   // stays rejected whatever follows
    }
    if (v < HZ_MIN)
        return false;
    *out = unsigned(v);
    return true;
}

void expect_logged(Expected* e, const char* text, bool report) {
    if (ktest_log_contains(text))
        return;
    e->missing_messages++;
    if (report)
        ktest_fail(__FILE__, __LINE__, "not in the log: %s", text);
}

// Walk the saved line as kernel/cmdline.cpp does (spaces/tabs; GRUB's image path first). With `report`
// each missing rejection message is a test failure.
Expected work_out(bool report) {
    Expected e;
    const char* s = saved_command_line();
    bool first = true;
    char msg[MESSAGE_MAX];
    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
            s++;
        if (!*s)
            break;
        const char* end = s;
        while (*end && *end != ' ' && *end != '\t' && *end != '\n' && *end != '\r')
            end++;
        size_t len = size_t(end - s);
        bool image_path = first && *s == '/';
        first = false;
        if (image_path || len >= WORD_MAX) {   // long words: not used by the test lines
            e.unclassified += !image_path;
            s = end;
            continue;
        }
        char word[WORD_MAX];
        memcpy(word, s, len);
        word[len] = '\0';
        s = end;
        const char* eq = strchr(word, '=');
        const kernel_param* p = find(word, eq ? size_t(eq - word) : len);
        if (!p) {
            e.unknown_words++;
            snprintf(msg, sizeof msg, "Unknown kernel command line parameter \"%s\", will be ignored.\n", word);
            expect_logged(&e, msg, report);
        } else if (p->takes_value && !eq) {
            e.valueless_keys++;
            snprintf(msg, sizeof msg, "Kernel command line parameter \"%s\" needs a value (%s=...), ignored.\n",
                     word, p->name);
            expect_logged(&e, msg, report);
        } else if (!p->takes_value && eq) {
            e.valued_flags++;
            snprintf(msg, sizeof msg, "Kernel command line parameter \"%s\" is a flag and takes no value, ignored.\n",
                     word);
            expect_logged(&e, msg, report);
        } else if (strcmp(p->name, "hz") == 0) {
            unsigned v;
            if (hz_value(eq + 1, &v)) {
                e.hz = v;
                e.valid_hz_words++;
            } else {
                e.bad_hz_words++;
                snprintf(msg, sizeof msg, "hz=%s rejected: HZ must be %u..%u, keeping %u\n", eq + 1, HZ_MIN, HZ_MAX,
                         e.hz);
                expect_logged(&e, msg, report);
                snprintf(msg, sizeof msg, "Invalid kernel command line parameter \"%s\" (error %d), ignored.\n", word,
                         EINVAL_REPORTED);
                expect_logged(&e, msg, report);
            }
        } else if (eq) {
            e.unclassified++;   // e.g. loglevel=N: only its handler knows whether N is good
        }
    }
    return e;
}

// The boot test run (`ktest` on the command line) must carry the bad words; `ktest` from the shell of
// a normal boot has none, and these tests have nothing to check there.
bool boot_test_run() { return cmdline_has_flag("ktest"); }
}  // namespace

KTEST(cmdline_boot, the_test_line_carries_a_hz_and_bad_words) {
    if (!boot_test_run())
        KSKIP("not booted with ktest: the normal command line has no test words");
    Expected e = work_out(false);
    if (e.valid_hz_words == 0 || e.hz == HZ_DEFAULT || e.bad_hz_words == 0 || e.unknown_words == 0 ||
        e.valueless_keys == 0)
        ktest_fail(__FILE__, __LINE__,
                   "\"%s\" needs a non-default hz=, a malformed hz=, an unknown word and a key without value",
                   saved_command_line());
}

KTEST(cmdline_boot, each_rejected_word_is_reported) {
    Expected e = work_out(true);
    unsigned rejected = e.unknown_words + e.valueless_keys + e.valued_flags + e.bad_hz_words;
    if (rejected == 0)
        KSKIP("the command line has no rejected words");
    if (e.unclassified == 0) {   // every word's fate known: init/main.cpp's total must match
        char msg[48];
        snprintf(msg, sizeof msg, "cmdline: %u word(s) ignored\n", rejected);
        if (!ktest_log_contains(msg))
            ktest_fail(__FILE__, __LINE__, "not in the log: %s", msg);
    }
}

KTEST(cmdline_boot, hz_is_the_last_valid_hz_word) {
    Expected e = work_out(false);
    KEXPECT_EQ(HZ, e.hz);
    char msg[40];
    snprintf(msg, sizeof msg, "irqos: interrupts enabled, HZ=%u\n", e.hz);
    KEXPECT_TRUE(ktest_log_contains(msg));
}

KTEST(cmdline_boot, pit_runs_at_the_command_line_hz) {
    Expected e = work_out(false);
    unsigned divisor = pit_divisor(e.hz);
    KEXPECT_EQ(pit_current_divisor(), divisor);
    // The counter itself: it counts down from the programmed divisor, so over several periods the
    // highest value read is just below it (a different divisor would show above it or far below).
    unsigned long highest = 0;
    uint64_t t0 = kt_now();
    while (kt_elapsed_us(t0) < PIT_SAMPLE_US) {
        unsigned long c = pit_read_count();
        if (c > highest)
            highest = c;
    }
    if (highest > divisor || highest * 4 < (unsigned long)divisor * PIT_TOP_QUARTERS)
        ktest_fail(__FILE__, __LINE__, "PIT counter peaked at %lu, divisor for HZ=%u is %u", highest, e.hz, divisor);
}

KTEST(cmdline_boot, jiffies_advance_at_the_command_line_hz) {
    Expected e = work_out(false);
    unsigned long j0 = READ_ONCE(jiffies);
    uint64_t t0 = kt_now();
    kt_settle_us(RATE_WINDOW_US);
    unsigned long ticks = READ_ONCE(jiffies) - j0;
    uint64_t us = kt_elapsed_us(t0);
    unsigned long expected = (unsigned long)(us * e.hz / 1000000);
    KASSERT(expected > 0);
    if (ticks * 100 < expected * RATE_MIN_PERCENT || ticks * 100 > expected * RATE_MAX_PERCENT + 100)
        ktest_fail(__FILE__, __LINE__, "%lu jiffies in %llu us, expected about %lu at hz=%u", ticks,
                   (unsigned long long)us, expected, e.hz);
}
