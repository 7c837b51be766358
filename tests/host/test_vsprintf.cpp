// Host tests for lib/vsprintf.cpp: each conversion, flag and length modifier against C's rules, the
// truncation/return-value contract, widths and precisions too large for an int (clamped as Linux does,
// never overflowing), and the Linux %ps/%pS extensions through arch::lookup_symbol.
#include <gtest/gtest.h>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#define IRQOS_NO_GLOBAL_SNPRINTF
#include "lib/vsprintf.h"
#include "kernel/arch.h"

// External linkage, so the host's symbol lookup (which may only see exported symbols) can name it.
int vsprintf_test_symbol_target(int n);
int vsprintf_test_symbol_target(int n) {  // a body of some size, so "+4" is still inside it
    volatile int sum = 0;
    for (int i = 0; i < n; i++) sum = sum + i;
    return sum;
}

namespace {

__attribute__((format(printf, 1, 2))) std::string fmt(const char* f, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, f);
    int n = irqos::vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    EXPECT_EQ(n, (int)std::strlen(buf)) << "return value must equal the stored length when it fits";
    return buf;
}

TEST(Vsprintf, Integers) {
    EXPECT_EQ(fmt("%d %i %u", -42, 17, 4000000000u), "-42 17 4000000000");
    EXPECT_EQ(fmt("%x %X %o", 0xbeefu, 0xbeefu, 8u), "beef BEEF 10");
    EXPECT_EQ(fmt("%d", INT_MIN), "-2147483648");
    EXPECT_EQ(fmt("%lld", LLONG_MIN), "-9223372036854775808");
    EXPECT_EQ(fmt("%llu", ULLONG_MAX), "18446744073709551615");
    EXPECT_EQ(fmt("%lx", 0xffffffff81000000ul), "ffffffff81000000");
    EXPECT_EQ(fmt("%ld %lu", -5l, 5ul), "-5 5");
    EXPECT_EQ(fmt("%zu %zx", (size_t)123, (size_t)0x1f), "123 1f");
    // hh/h truncate like C. The format is not a literal so -Wformat lets the test pass wide values.
    const char* narrow = "%hhx %hd";
    char b[32];
    irqos::snprintf(b, sizeof b, narrow, 0x1ff, 70000);
    EXPECT_STREQ(b, "ff 4464");
    EXPECT_EQ(fmt("%u", 0u), "0");
}

TEST(Vsprintf, FlagsAndWidth) {
    EXPECT_EQ(fmt("[%5d]", 42), "[   42]");
    EXPECT_EQ(fmt("[%-5d]", 42), "[42   ]");
    EXPECT_EQ(fmt("[%05d]", -42), "[-0042]");
    EXPECT_EQ(fmt("[%+d %+d]", 3, -3), "[+3 -3]");
    EXPECT_EQ(fmt("[% d]", 3), "[ 3]");
    EXPECT_EQ(fmt("[%08x]", 0xabcu), "[00000abc]");
    EXPECT_EQ(fmt("[%#x %#o]", 0xabu, 8u), "[0xab 010]");
    EXPECT_EQ(fmt("[%#010x]", 0xabu), "[0x000000ab]");
    const char* left_zero = "[%-05d]";  // '-' overrides '0' (a literal would draw -Wformat)
    char b[32];
    irqos::snprintf(b, sizeof b, left_zero, 7);
    EXPECT_STREQ(b, "[7    ]");
    EXPECT_EQ(fmt("[%*d]", 6, 12), "[    12]");
    EXPECT_EQ(fmt("[%*d]", -6, 12), "[12    ]");  // negative '*' width means left-justify
    EXPECT_EQ(fmt("[%.3d]", 7), "[007]");         // integer precision = minimum digits
    const char* zero_prec = "[%08.3d]";           // precision disables zero padding (a literal draws -Wformat)
    irqos::snprintf(b, sizeof b, zero_prec, 7);
    EXPECT_STREQ(b, "[     007]");
    EXPECT_EQ(fmt("[%10u]", 4000000000u), "[4000000000]");
}

TEST(Vsprintf, CharsAndStrings) {
    EXPECT_EQ(fmt("%c%c", 'o', 'k'), "ok");
    EXPECT_EQ(fmt("[%3c]", 'x'), "[  x]");
    EXPECT_EQ(fmt("[%s]", "abc"), "[abc]");
    EXPECT_EQ(fmt("[%6s]", "abc"), "[   abc]");
    EXPECT_EQ(fmt("[%-6s]", "abc"), "[abc   ]");
    EXPECT_EQ(fmt("[%.2s]", "abcdef"), "[ab]");
    EXPECT_EQ(fmt("[%.*s]", 3, "abcdef"), "[abc]");
    const char* volatile null_str = nullptr;  // volatile: keep -Wformat-overflow from seeing the NULL
    EXPECT_EQ(fmt("[%s]", null_str), "[(null)]");
    EXPECT_EQ(fmt("100%%"), "100%");
    EXPECT_EQ(fmt("%-8s|%8s", "XT-PIC", "timer"), "XT-PIC  |   timer");
}

TEST(Vsprintf, PlainPointerIsRawHex) {
    // irqos prints the raw address (Linux hashes %p): 16 lowercase hex digits, no 0x.
    EXPECT_EQ(fmt("[<%p>]", (void*)0xffffffff8100abcdul), "[<ffffffff8100abcd>]");
    EXPECT_EQ(fmt("%p", (void*)0x10), "0000000000000010");
    EXPECT_EQ(fmt("%p", (void*)nullptr), "0000000000000000");
    EXPECT_EQ(fmt("%p-%d", (void*)0x1, 5), "0000000000000001-5");  // the 's'/'S' check must not eat other text
}

TEST(Vsprintf, SymbolConversionsUseLookup) {
    uintptr_t addr = (uintptr_t)&vsprintf_test_symbol_target + 4;
    const char* name = nullptr;
    uintptr_t off = 0, size = 0;
    ASSERT_TRUE(arch::lookup_symbol(addr, &name, &off, &size)) << "host arch must resolve its own functions";
    char expect_S[512];
    std::snprintf(expect_S, sizeof expect_S, "%s+0x%lx/0x%lx", name, (unsigned long)off, (unsigned long)size);
    EXPECT_EQ(fmt("%ps", (void*)addr), std::string(name));
    EXPECT_EQ(fmt("%pS", (void*)addr), std::string(expect_S));
    EXPECT_EQ(fmt("<%pS>!", (void*)addr), "<" + std::string(expect_S) + ">!");
}

TEST(Vsprintf, UnknownSymbolFallsBackToHex) {
    const char* name;
    uintptr_t off, size;
    ASSERT_FALSE(arch::lookup_symbol(0x1, &name, &off, &size));
    EXPECT_EQ(fmt("%ps", (void*)0x1), "0x0000000000000001");
    EXPECT_EQ(fmt("%pS|", (void*)0x1), "0x0000000000000001|");
}

TEST(Vsprintf, TruncatesAndReturnsFullLength) {
    char buf[8];
    std::memset(buf, 'Z', sizeof buf);
    int n = irqos::snprintf(buf, 5, "hello world %d", 42);
    EXPECT_EQ(n, 14);
    EXPECT_STREQ(buf, "hell");
    EXPECT_EQ(buf[5], 'Z') << "wrote past size";

    std::memset(buf, 'Z', sizeof buf);
    EXPECT_EQ(irqos::snprintf(buf, 0, "abc"), 3);
    EXPECT_EQ(buf[0], 'Z') << "size 0 must not touch the buffer";

    EXPECT_EQ(irqos::snprintf(buf, 1, "abc"), 3);
    EXPECT_EQ(buf[0], '\0');

    EXPECT_EQ(irqos::snprintf(buf, 4, "abc"), 3);
    EXPECT_STREQ(buf, "abc");
}

TEST(Vsprintf, ScnprintfReturnsStoredLength) {
    char buf[4];
    EXPECT_EQ(irqos::scnprintf(buf, sizeof buf, "%s", "abcdef"), 3);
    EXPECT_STREQ(buf, "abc");
    EXPECT_EQ(irqos::scnprintf(buf, sizeof buf, "%d", 12), 2);
    EXPECT_EQ(irqos::scnprintf(buf, 0, "%d", 12), 0);
}

TEST(Vsprintf, UnknownConversionStops) {
    // The remaining arguments cannot be consumed safely: output stops after echoing the bad spec.
    char buf[32];
    const char* f = "a%qb %d";  // built at run time so -Wformat does not reject the test itself
    int n = irqos::snprintf(buf, sizeof buf, f, 5);
    EXPECT_STREQ(buf, "a%q");
    EXPECT_EQ(n, 3);
}

TEST(Vsprintf, MatchesLibcOnAMix) {
    char ours[128], libc[128];
    irqos::snprintf(ours, sizeof ours, "%3d: %10u %8s %-8s %lu", 1, 46u, "XT-PIC", "level", 99900ul);
    std::snprintf(libc, sizeof libc, "%3d: %10u %8s %-8s %lu", 1, 46u, "XT-PIC", "level", 99900ul);
    EXPECT_STREQ(ours, libc);
}

constexpr int FIELD_WIDTH_MAX = (1 << 23) - 1;  // Linux's limits, which vsprintf.cpp follows
constexpr int PRECISION_MAX = (1 << 15) - 1;

// The formats below go through a volatile pointer, so that the compiler's format checks do not reject
// the extreme values that are the point of the tests.
const char* runtime(const char* f) {
    static const char* volatile p;
    p = f;
    return p;
}
TEST(Vsprintf, HugeWrittenWidthIsClampedAndTruncatesLikeSnprintf) {
    char buf[16];
    std::memset(buf, 'Z', sizeof buf);
    const char* f = runtime("%2147483647d|");
    EXPECT_EQ(irqos::snprintf(buf, 8, f, 5), FIELD_WIDTH_MAX + 1);
    EXPECT_STREQ(buf, "       ");
    EXPECT_EQ(buf[8], 'Z') << "wrote past size";
    f = runtime("%99999999999999999999999s");
    EXPECT_EQ(irqos::snprintf(buf, sizeof buf, f, "x"), FIELD_WIDTH_MAX);
    f = runtime("%-2147483648c");
    EXPECT_EQ(irqos::snprintf(buf, sizeof buf, f, 'c'), FIELD_WIDTH_MAX);
    EXPECT_EQ(buf[0], 'c');
}

TEST(Vsprintf, StarWidthExtremes) {
    char buf[32];
    const char* f = runtime("[%*d]");
    EXPECT_EQ(irqos::snprintf(buf, sizeof buf, f, INT_MIN, 42), FIELD_WIDTH_MAX + 2)
        << "INT_MIN cannot be negated: clamped, left-justified";
    EXPECT_EQ(std::string(buf, 4), "[42 ");
    EXPECT_EQ(irqos::snprintf(buf, sizeof buf, f, INT_MAX, 42), FIELD_WIDTH_MAX + 2);
    EXPECT_EQ(std::string(buf, 3), "[  ");
    EXPECT_EQ(irqos::snprintf(buf, sizeof buf, f, -4, 7), 6);
    EXPECT_STREQ(buf, "[7   ]");
    char libc[32];
    std::snprintf(libc, sizeof libc, f, -4, 7);
    EXPECT_STREQ(buf, libc);
}

TEST(Vsprintf, HugePrecisionIsClamped) {
    char buf[8];
    const char* f = runtime("%.2147483647d");
    EXPECT_EQ(irqos::snprintf(buf, sizeof buf, f, 5), PRECISION_MAX);
    EXPECT_STREQ(buf, "0000000");
    f = runtime("%.*d");
    EXPECT_EQ(irqos::snprintf(buf, sizeof buf, f, INT_MAX, 5), PRECISION_MAX);
    EXPECT_EQ(irqos::snprintf(buf, sizeof buf, f, INT_MIN, 5), 1) << "negative: as if none";
    EXPECT_STREQ(buf, "5");
    f = runtime("%.*s");
    EXPECT_EQ(irqos::snprintf(buf, sizeof buf, f, INT_MAX, "abc"), 3);
    EXPECT_STREQ(buf, "abc");
    f = runtime("%2147483647.2147483647x");
    EXPECT_EQ(irqos::snprintf(buf, sizeof buf, f, 0xabu), FIELD_WIDTH_MAX);
    EXPECT_STREQ(buf, "       ");
}

template <size_t... I>
int format_many(char* buf, size_t size, const char* f, std::index_sequence<I...>) {
    return irqos::snprintf(buf, size, f, ((void)I, 7)...);
}

TEST(Vsprintf, TotalLengthSaturatesAtIntMax) {
    constexpr size_t N = 260;  // 260 fields of FIELD_WIDTH_MAX: more than INT_MAX characters in all
    std::string f;
    for (size_t i = 0; i < N; i++) f += "%8388607d";
    char buf[8];
    std::memset(buf, 'Z', sizeof buf);
    EXPECT_EQ(format_many(buf, sizeof buf, f.c_str(), std::make_index_sequence<N>{}), INT_MAX);
    EXPECT_STREQ(buf, "       ");
}

TEST(Vsprintf, ImpossibleSizeIsRefused) {
    char buf[4] = {'Z', 'Z', 'Z', 'Z'};
    EXPECT_EQ(irqos::snprintf(buf, (size_t)INT_MAX + 1, "%s", "abc"), 0) << "a negative length converted to size_t";
    EXPECT_EQ(buf[0], 'Z');
    EXPECT_EQ(irqos::scnprintf(buf, ~(size_t)0, "%s", "abc"), 0);
}

}  // namespace
