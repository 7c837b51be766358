// In-kernel tests of the real timer interrupt (PIT channel 0 on IRQ 0): every tick is one IRQ 0
// dispatch and one jiffy, and the tick rate matches HZ against an independent clock (the TSC,
// calibrated against PIT channel 2 at boot).
#include "tests/kernel/ktest.h"
#include "tests/kernel/kt_hw.h"
#include "kernel/irq/interrupt.h"
#include "kernel/jiffies.h"
#include "kernel/spinlock.h"

namespace {

constexpr unsigned long TICKS_TO_WATCH = 50;
constexpr uint64_t WAIT_LIMIT_US = 2000000;   // 50 ticks take 50 ms at HZ=1000; allow a slow host
constexpr uint64_t RATE_WINDOW_US = 200000;   // measure the rate over 200 ms of TSC time
// Under TCG the PIT runs on QEMU's virtual clock; a busy host can make the guest miss (merge) ticks,
// never gain them. So the count may fall short but must not exceed the window by more than the
// boundary tick; "at least half" still catches a wrong divisor or a wrong HZ by far.
constexpr unsigned long RATE_MIN_PERCENT = 50, RATE_MAX_PERCENT = 105;

struct Snapshot {
    unsigned irq0;
    unsigned long jiffies;
};

Snapshot snap() {
    unsigned long flags;
    local_irq_save(flags);   // both values from the same moment: no tick in between
    Snapshot s{kstat_irqs(0), READ_ONCE(jiffies)};
    local_irq_restore(flags);
    return s;
}

bool jiffies_reached(void* target) { return time_after_eq(READ_ONCE(jiffies), *static_cast<unsigned long*>(target)); }

}  // namespace

KTEST(timer, each_tick_is_one_irq0_and_one_jiffy) {
    Snapshot a = snap();
    unsigned long target = a.jiffies + TICKS_TO_WATCH;
    KASSERT(kt_wait_us(jiffies_reached, &target, WAIT_LIMIT_US));
    Snapshot b = snap();
    KEXPECT_TRUE(b.jiffies - a.jiffies >= TICKS_TO_WATCH);
    KEXPECT_EQ(b.irq0 - a.irq0, (unsigned)(b.jiffies - a.jiffies));
}

KTEST(timer, tick_rate_matches_hz_against_the_tsc) {
    Snapshot a = snap();
    uint64_t t0 = kt_now();
    kt_settle_us(RATE_WINDOW_US);
    Snapshot b = snap();
    uint64_t us = kt_elapsed_us(t0);
    unsigned long ticks = b.jiffies - a.jiffies;
    unsigned long expected = (unsigned long)(us * HZ / 1000000);
    KASSERT(expected > 0);
    if (ticks * 100 < expected * RATE_MIN_PERCENT || ticks * 100 > expected * RATE_MAX_PERCENT + 100)
        ktest_fail(__FILE__, __LINE__, "%lu ticks in %llu us at HZ=%u (expected about %lu)", ticks,
                   (unsigned long long)us, HZ, expected);
}

KTEST(timer, irq0_is_the_xt_pic_timer_line) {
    irq_desc* d = irq_to_desc(0);
    KASSERT(d && d->action);
    KEXPECT_STREQ(d->action->name, "timer");
    KEXPECT_TRUE((d->action->flags & IRQF_TIMER) == IRQF_TIMER);
    KEXPECT_STREQ(d->irq_data.chip->name(), "XT-PIC");
    KEXPECT_EQ(d->depth, 0u);
    KEXPECT_FALSE(irqd_irq_masked(&d->irq_data));
}
