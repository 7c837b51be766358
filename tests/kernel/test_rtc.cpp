// In-kernel tests of the CMOS RTC driver (drivers/rtc) on the emulated MC146818: the periodic interrupt
// really arrives on IRQ 8 (through the slave 8259 and the cascade) once PIE is on, each one is handled
// (register C read, so the next can come: without that read only one would ever arrive), and none comes
// after PIE is off; the clock reads as a valid date. The periodic state is restored afterwards.
#include "tests/kernel/ktest.h"
#include "tests/kernel/kt_hw.h"
#include "drivers/rtc/rtc_cmos.h"
#include "kernel/irq/interrupt.h"

namespace {

constexpr unsigned RTC_IRQ = mc146818::RTC_IRQ;
constexpr unsigned WANT_IRQS = 16;           // far more than one: each needs the previous one acked
constexpr uint64_t FIRE_LIMIT_US = 2000000;  // 16 periods at 1024 Hz take 16 ms; allow a slow host
constexpr uint64_t QUIET_US = 50000;         // 50 periods at 1024 Hz: nothing may arrive once stopped

struct CountAtLeast {
    unsigned target;
};
bool irq8_reached(void* p) { return kstat_irqs(RTC_IRQ) >= static_cast<CountAtLeast*>(p)->target; }

}  // namespace

KTEST(rtc, periodic_interrupt_fires_on_irq8_until_stopped) {
    irq_desc* d = irq_to_desc(RTC_IRQ);
    KASSERT(d && d->action);
    KEXPECT_STREQ(d->action->name, "rtc0");
    unsigned saved_freq = rtc_irq_freq();
    bool saved_on = rtc_irq_enabled();
    KASSERT_EQ(rtc_irq_set_state(false), 0);
    kt_settle_us(QUIET_US);
    unsigned unhandled = d->irqs_unhandled;

    KASSERT_EQ(rtc_irq_set_freq(mc146818::RTC_FREQ_DEFAULT), 0);
    unsigned before = kstat_irqs(RTC_IRQ);
    unsigned long periodic = rtc_irq_count();
    KASSERT_EQ(rtc_irq_set_state(true), 0);
    KEXPECT_TRUE(rtc_irq_enabled());
    CountAtLeast c{before + WANT_IRQS};
    bool fired = kt_wait_us(irq8_reached, &c, FIRE_LIMIT_US);
    KEXPECT_EQ(rtc_irq_set_state(false), 0);
    KEXPECT_FALSE(rtc_irq_enabled());
    if (!fired)
        ktest_fail(__FILE__, __LINE__, "IRQ 8 came %u times in %llu us, expected %u", kstat_irqs(RTC_IRQ) - before,
                   (unsigned long long)FIRE_LIMIT_US, WANT_IRQS);
    kt_settle_us(QUIET_US);  // one may have been on its way when PIE went off
    unsigned stopped = kstat_irqs(RTC_IRQ);
    kt_settle_us(QUIET_US);
    KEXPECT_EQ(kstat_irqs(RTC_IRQ), stopped);  // off means off
    // Each was a periodic one, except possibly the one on its way when PIE went off: clearing PIE reads
    // register C (as Linux's cmos_irq_disable does), so that late interrupt finds no flag and is
    // IRQ_NONE, counted by the spurious detector, as on Linux. That count is not compared: Linux's
    // note_interrupt starts it again at 1 when the last unhandled interrupt is over 100 ms old.
    unsigned long taken = stopped - before, periodic_seen = rtc_irq_count() - periodic;
    KEXPECT_TRUE(periodic_seen <= taken);
    KEXPECT_TRUE(taken - periodic_seen <= 1);
    if (taken - periodic_seen == 1) KEXPECT_TRUE(d->irqs_unhandled != unhandled || unhandled == 1);

    KEXPECT_EQ(rtc_irq_set_freq(saved_freq), 0);
    KEXPECT_EQ(rtc_irq_set_state(saved_on), 0);
}

KTEST(rtc, time_reads_as_a_valid_date) {
    rtc_time tm;
    KASSERT_EQ(rtc_read_time(&tm), 0);
    KEXPECT_TRUE(tm.tm_year >= 2000 && tm.tm_year <= 2099);
    KEXPECT_TRUE(tm.tm_mon >= 1 && tm.tm_mon <= 12);
    KEXPECT_TRUE(tm.tm_mday >= 1 && tm.tm_mday <= 31);
    KEXPECT_TRUE(tm.tm_hour <= 23 && tm.tm_min <= 59 && tm.tm_sec <= 59);
}

KTEST(rtc, bad_frequencies_are_einval) {
    unsigned freq = rtc_irq_freq();
    KEXPECT_EQ(rtc_irq_set_freq(1000), -EINVAL);  // not a power of two
    KEXPECT_EQ(rtc_irq_set_freq(1), -EINVAL);
    KEXPECT_EQ(rtc_irq_set_freq(16384), -EINVAL);
    KEXPECT_EQ(rtc_irq_freq(), freq);  // unchanged
}
