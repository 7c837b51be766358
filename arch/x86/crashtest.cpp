// The deliberate exceptions of `crash=` (see crashtest.h). Each one is the textbook way to raise it:
// a NULL write (#PF: page 0 is unmapped by paging_init_guards), an integer divide by zero (#DE), runaway
// recursion into the boot stack's guard page (#PF that cannot be delivered -> #DF on IST1), UD2 (#UD),
// and a load from a non-canonical address (#GP; SDM vol. 3A 6.15).
#include "arch/x86/crashtest.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "lib/string.h"

namespace {
enum class Crash { none, pf, de, df, ud, gp };
Crash crash_mode = Crash::none;
constexpr uintptr_t NON_CANONICAL_ADDR = 0x8000000000000000ull;
constexpr unsigned RECURSION_FRAME_BYTES = 512;

int crash_setup(const char* value) {
    static const struct {
        const char* name;
        Crash mode;
    } modes[] = {
        {"pf", Crash::pf}, {"de", Crash::de}, {"df", Crash::df}, {"ud", Crash::ud}, {"gp", Crash::gp},
    };
    for (const auto& m : modes) {
        if (strcmp(value, m.name) == 0) {
            crash_mode = m.mode;
            return 0;
        }
    }
    return -EINVAL;
}
__setup("crash", crash_setup);

// Read at run time so the compiler can neither fold the division nor treat the NULL store as
// unreachable undefined behaviour (GCC otherwise drops the call or turns 1/x into a compare).
volatile int dividend_one = 1, divisor_zero = 0;
volatile uintptr_t null_address = 0;
volatile bool keep_recursing = true;

[[gnu::noinline]] unsigned long crash_recurse(unsigned long depth) {
    volatile char frame[RECURSION_FRAME_BYTES];
    frame[0] = char(depth);
    if (!keep_recursing) return frame[0];
    return crash_recurse(depth + 1) + frame[0];
}

[[gnu::noinline]] void crash_page_fault() { *reinterpret_cast<volatile unsigned long*>(null_address) = 0xdead; }
[[gnu::noinline]] void crash_divide_error() { pr_info("crash: %d\n", dividend_one / divisor_zero); }
[[gnu::noinline]] void crash_invalid_opcode() { __asm__ volatile("ud2"); }
[[gnu::noinline]] void crash_general_protection() {
    (void)*reinterpret_cast<volatile unsigned long*>(NON_CANONICAL_ADDR);
}
}  // namespace

void crash_test_run() {
    static const char* const names[] = {"none", "pf", "de", "df", "ud", "gp"};
    if (crash_mode == Crash::none) return;
    pr_emerg("crash=%s: raising the exception now\n", names[unsigned(crash_mode)]);
    switch (crash_mode) {
    case Crash::pf:
        crash_page_fault();
        break;
    case Crash::de:
        crash_divide_error();
        break;
    case Crash::df:
        crash_recurse(0);
        break;
    case Crash::ud:
        crash_invalid_opcode();
        break;
    case Crash::gp:
        crash_general_protection();
        break;
    case Crash::none:
        break;
    }
    panic("crash=%s: the exception did not happen", names[unsigned(crash_mode)]);
}
