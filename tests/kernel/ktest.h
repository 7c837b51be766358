// The in-kernel test runner: tests register with KTEST(suite, name) into the linker section
// "irqos_ktests" and ktest_run_all() runs them, printing KTAP version 1 (Linux
// Documentation/dev-tools/ktap.rst) on the consoles, like a small KUnit.
#pragma once
#include "kernel/types.h"

struct ktest_case {
    const char* suite;
    const char* name;
    void (*fn)();
};

#define KTEST(suite, name)                                                                                 \
    static void ktest_fn_##suite##_##name();                                                               \
    [[gnu::used, gnu::section("irqos_ktests"),                                                             \
      gnu::aligned(8)]] static const ktest_case ktest_case_##suite##_##name = {#suite, #name,              \
                                                                               ktest_fn_##suite##_##name}; \
    static void ktest_fn_##suite##_##name()

// A value as the runner prints it: integers and pointers both fit a 64-bit word.
struct ktest_value {
    unsigned long long bits;
    bool is_signed;
};
template <typename T>
struct ktest_is_pointer {
    static constexpr bool value = false;
};
template <typename T>
struct ktest_is_pointer<T*> {
    static constexpr bool value = true;
};
template <typename T>
ktest_value ktest_val(T v) {
    if constexpr (ktest_is_pointer<T>::value)
        return {(unsigned long long)(uintptr_t)v, false};
    else
        return {(unsigned long long)v, (T)-1 < (T)0};
}

// Record a failure of the running test (diagnostic lines are printed before its "not ok").
void ktest_fail(const char* file, int line, const char* fmt, ...) __printf(3, 4);
bool ktest_expect_eq(const char* file, int line, const char* a_text, const char* b_text, ktest_value a, ktest_value b);
bool ktest_expect_streq(const char* file, int line, const char* a_text, const char* b_text, const char* a,
                        const char* b);
// Mark the running test skipped (KTAP "# SKIP reason"): it is counted neither as passed nor as failed.
void ktest_skip(const char* reason);

#define KEXPECT_EQ(a, b) ktest_expect_eq(__FILE__, __LINE__, #a, #b, ktest_val(a), ktest_val(b))
#define KEXPECT_STREQ(a, b) ktest_expect_streq(__FILE__, __LINE__, #a, #b, (a), (b))
#define KEXPECT_TRUE(c) ((c) ? true : (ktest_fail(__FILE__, __LINE__, "expected true: %s", #c), false))
#define KEXPECT_FALSE(c) (!(c) ? true : (ktest_fail(__FILE__, __LINE__, "expected false: %s", #c), false))
// KASSERT*: like KEXPECT* but end the test at once (the rest would only report follow-on failures).
#define KASSERT(c)                    \
    do {                              \
        if (!KEXPECT_TRUE(c)) return; \
    } while (0)
#define KASSERT_EQ(a, b)               \
    do {                               \
        if (!KEXPECT_EQ(a, b)) return; \
    } while (0)
#define KSKIP(reason)       \
    do {                    \
        ktest_skip(reason); \
        return;             \
    } while (0)

// Run every registered test in link order and print KTAP. Process context, interrupts enabled (tests
// wait for real interrupts). Returns the number of failed tests.
int ktest_run_all();

// Helpers shared by the tests. The log helpers read only what was printed since the running test
// started (a printk_log_seq mark the runner takes before each test), never the log's earlier history,
// so a test finds what it printed itself whatever ran before it in the same boot.
// ktest_log_contains: whether that text holds `text`; ktest_log_count: how many times.
bool ktest_log_contains(const char* text);
unsigned ktest_log_count(const char* text);
// A mark of your own, taken right before an action, and the occurrences of `text` printed since it.
// Fails the running test if the log overwrote part of that text (it cannot be checked then).
unsigned long ktest_log_mark();
unsigned ktest_log_count_since(unsigned long mark, const char* text);
// Whether texts[0..n) were printed since `mark` in that order (each after the end of the one before);
// fails the running test naming the first one missing.
bool ktest_log_in_order_since(unsigned long mark, const char* const* texts, size_t n);
// Wait with interrupts enabled (idling) until `cond()` holds or `max_jiffies` ticks passed.
// Returns cond()'s final value. Needs the timer running.
bool ktest_wait_jiffies(bool (*cond)(void*), void* arg, unsigned long max_jiffies);
