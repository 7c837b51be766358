// In-kernel tests of the command line parser (kernel/cmdline.cpp) with the kernel's real parameter table
// (the irqos_params section as linked, "hz=" in kernel/jiffies.cpp). The rules are checked on a fixed
// line of the test's own, fed through the same parser with cmdline_apply, so they hold whatever line the
// kernel was booted with; HZ is saved and restored around it. One test reads the boot line: the HZ the
// kernel runs at must be its last valid hz= word (HZ_DEFAULT if it has none), with any boot line.
#include "tests/kernel/ktest.h"
#include "kernel/cmdline.h"
#include "kernel/jiffies.h"
#include "kernel/spinlock.h"
#include "lib/string.h"
#include "lib/vsprintf.h"

namespace {

// The image path GRUB puts first, a valid hz=, then one word of each kind the parser must refuse, then
// a valid hz= in hex and an out-of-range one: HZ must end at 0x1f4 = 500.
constexpr const char* FIXTURE = "/boot/irqos.elf hz=250 irqos_bogus_word hz=300x loglevel ktest=1 hz=0x1f4 hz=99";
constexpr int FIXTURE_REJECTED = 5;  // irqos_bogus_word, hz=300x, loglevel, ktest=1, hz=99
constexpr unsigned FIXTURE_HZ = 500;

// What the parser must print for each refused word of FIXTURE, in order.
constexpr const char* FIXTURE_MESSAGES[] = {
    "Unknown kernel command line parameter \"irqos_bogus_word\", will be ignored.\n",
    "hz=300x rejected: HZ must be 100..10000, keeping 250\n",
    "Invalid kernel command line parameter \"hz=300x\" (error -22), ignored.\n",
    "Kernel command line parameter \"loglevel\" needs a value (loglevel=...), ignored.\n",
    "Kernel command line parameter \"ktest=1\" is a flag and takes no value, ignored.\n",
    "hz=99 rejected: HZ must be 100..10000, keeping 500\n",
    "Invalid kernel command line parameter \"hz=99\" (error -22), ignored.\n",
};

struct FixtureRun {
    int rejected;
    unsigned hz_after;  // HZ as the fixture left it (restored before the test checks anything)
};

// Parse FIXTURE with interrupts off, so that no other code sees its HZ, and put the kernel's HZ back.
FixtureRun parse_fixture() {
    unsigned long flags;
    local_irq_save(flags);
    unsigned saved_hz = kernel_hz;
    FixtureRun r{cmdline_apply(FIXTURE), kernel_hz};
    kernel_hz = saved_hz;
    local_irq_restore(flags);
    return r;
}

// The test's own reading of an hz value (decimal or 0x-hex, nothing trailing, HZ_MIN..HZ_MAX), written
// independently of parse_uint so a parser bug cannot agree with itself.
bool hz_value(const char* s, size_t len, unsigned* out) {
    unsigned base = 10;
    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        len -= 2;
    }
    if (!len) return false;
    unsigned long v = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9'                 ? c - '0'
                : base == 16 && c >= 'a' && c <= 'f' ? c - 'a' + 10
                : base == 16 && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                     : -1;
        if (d < 0) return false;
        v = v * base + unsigned(d);
        if (v > HZ_MAX) return false;  // stays rejected whatever follows
    }
    if (v < HZ_MIN) return false;
    *out = unsigned(v);
    return true;
}

// The last valid hz= word of `line` (blank-separated words), or HZ_DEFAULT.
unsigned last_valid_hz(const char* line) {
    unsigned hz = HZ_DEFAULT;
    for (const char* s = line; *s;) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
        const char* end = s;
        while (*end && *end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') end++;
        unsigned v;
        if (end - s > 3 && memcmp(s, "hz=", 3) == 0 && hz_value(s + 3, size_t(end - s - 3), &v)) hz = v;
        s = end;
    }
    return hz;
}

}  // namespace

KTEST(cmdline, fixture_hz_is_the_last_valid_hz_word) {
    FixtureRun r = parse_fixture();
    KEXPECT_EQ(r.hz_after, FIXTURE_HZ);
    KEXPECT_EQ(last_valid_hz(FIXTURE), FIXTURE_HZ);  // the test's own reading agrees with the fixture
}

KTEST(cmdline, fixture_leaves_the_kernel_hz_and_boot_line_alone) {
    unsigned hz = HZ;
    static char boot[2048];  // COMMAND_LINE_SIZE
    snprintf(boot, sizeof boot, "%s", saved_command_line());
    (void)parse_fixture();
    KEXPECT_EQ(HZ, hz);
    KEXPECT_STREQ(saved_command_line(), boot);
}

KTEST(cmdline, fixture_rejected_words_are_each_reported_in_order) {
    unsigned long mark = ktest_log_mark();
    FixtureRun r = parse_fixture();
    KEXPECT_EQ(r.rejected, FIXTURE_REJECTED);
    for (const char* msg : FIXTURE_MESSAGES)
        if (ktest_log_count_since(mark, msg) != 1)
            ktest_fail(__FILE__, __LINE__, "expected once since the parse: %s", msg);
    KEXPECT_EQ(ktest_log_count_since(mark, "irqos.elf"), 0u);  // the image path is not a parameter
    KEXPECT_EQ(ktest_log_count_since(mark, "hz=250"), 0u);     // accepted words print nothing
}

KTEST(cmdline, hz_is_the_boot_lines_last_valid_hz_word) { KEXPECT_EQ(HZ, last_valid_hz(saved_command_line())); }
