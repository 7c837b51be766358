// CMOS RTC driver (see rtc_cmos.h): the time read of Linux rtc-mc146818-lib.c (mc146818_avoid_UIP,
// mc146818_get_time) and the interrupt handling of rtc-cmos.c (cmos_interrupt, cmos_irq_enable/disable,
// cmos_irq_set_freq), written anew for irqos's PortIo.
#include "drivers/rtc/rtc_cmos.h"
#include "kernel/errno.h"
#include "kernel/irq/interrupt.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"

using namespace mc146818;

namespace {

constexpr unsigned UIP_RECHECK_US = 100;  // Linux UIP_RECHECK_DELAY
constexpr unsigned UIP_TRIES = 100;       // 10 ms of retries: an update takes at most ~2 ms
constexpr unsigned CMOS_CENTURY_BASE = 2000;

PortIo* rtc_io;           // set by rtc_cmos_init
raw_spinlock_t rtc_lock;  // the index/data pair is one conversation at a time (Linux rtc_lock)
unsigned periodic_freq;
unsigned long periodic_irqs;
bool irq_requested;
int rtc_dev_id;           // dev_id cookie for request_irq/free_irq
rtc_task* periodic_task;  // rtc_irq_register's, called by the interrupt (read with an atomic load)

// rtc_lock held.
uint8_t cmos_read(uint8_t reg) {
    rtc_io->outb(RTC_PORT_INDEX, reg);
    return rtc_io->inb(RTC_PORT_DATA);
}

void cmos_write(uint8_t value, uint8_t reg) {
    rtc_io->outb(RTC_PORT_INDEX, reg);
    rtc_io->outb(RTC_PORT_DATA, value);
}

// Linux is_intr: an interrupt of ours is one with IRQF and at least one enabled flag.
bool is_intr(uint8_t rtc_intr) { return (rtc_intr & RTC_IRQF) && (rtc_intr & RTC_IRQMASK); }

// rtc_lock held. Linux cmos_irq_enable / cmos_irq_disable: change the enable bits of register B, then
// read register C so a request raised under the old bits does not linger.
void cmos_irq_change(uint8_t set, uint8_t clear) {
    uint8_t rtc_control = cmos_read(RTC_CONTROL);
    rtc_control = (uint8_t)((rtc_control | set) & ~clear);
    cmos_write(rtc_control, RTC_CONTROL);
    (void)cmos_read(RTC_INTR_FLAGS);
}

unsigned bcd2bin(uint8_t v) { return (v & 0x0F) + (v >> 4) * 10; }

// Hard-IRQ context. Reading register C acknowledges: the RTC drops IRQ 8 and can raise it again. A
// request without an enabled flag was not ours: IRQ_NONE, so spurious accounting sees it.
irqreturn_t cmos_interrupt(int, void*) {
    uint8_t irqstat, rtc_control;
    {
        SpinLockIrqSave guard(rtc_lock);
        irqstat = cmos_read(RTC_INTR_FLAGS);
        rtc_control = cmos_read(RTC_CONTROL);
    }
    irqstat &= (rtc_control & RTC_IRQMASK) | RTC_IRQF;
    if (!is_intr(irqstat)) return IRQ_NONE;
    if (irqstat & RTC_PF) {
        __atomic_fetch_add(&periodic_irqs, 1, __ATOMIC_RELAXED);
        if (rtc_task* t = __atomic_load_n(&periodic_task, __ATOMIC_ACQUIRE)) t->func(t->private_data);
    }
    return IRQ_HANDLED;
}

// rtc_lock held. Linux mc146818_avoid_UIP with mc146818_get_time's reads: true with *tm filled from a
// moment no update touched, false if the clock kept updating.
bool read_time_locked(rtc_time* tm, uint8_t* control) {
    for (unsigned i = 0; i < UIP_TRIES; i++) {
        uint8_t seconds = cmos_read(RTC_SECONDS);
        if (cmos_read(RTC_FREQ_SELECT) & RTC_UIP) {
            rtc_io->udelay(UIP_RECHECK_US);
            continue;
        }
        if (seconds != cmos_read(RTC_SECONDS)) continue;
        tm->tm_sec = seconds;
        tm->tm_min = cmos_read(RTC_MINUTES);
        tm->tm_hour = cmos_read(RTC_HOURS);
        tm->tm_mday = cmos_read(RTC_DAY_OF_MONTH);
        tm->tm_mon = cmos_read(RTC_MONTH);
        tm->tm_year = cmos_read(RTC_YEAR);
        *control = cmos_read(RTC_CONTROL);
        if (cmos_read(RTC_FREQ_SELECT) & RTC_UIP) {  // an update began meanwhile: values may be torn
            rtc_io->udelay(UIP_RECHECK_US);
            continue;
        }
        if (seconds != cmos_read(RTC_SECONDS)) continue;
        return true;
    }
    return false;
}

}  // namespace

int rtc_cmos_init(PortIo& io) {
    uint8_t rtc_control;
    {
        SpinLockIrqSave guard(rtc_lock);
        rtc_io = &io;
        rtc_time tm;
        if (!read_time_locked(&tm, &rtc_control)) {  // Linux mc146818_does_rtc_work
            rtc_io = nullptr;
            pr_warn("rtc_cmos: broken or not accessible\n");
            return -ENODEV;
        }
        // Linux forces the CMOS reset default of 1024 Hz, then turns every interrupt off.
        cmos_write(RTC_REF_CLCK_32KHZ | 0x06, RTC_FREQ_SELECT);
        periodic_freq = RTC_FREQ_DEFAULT;
        cmos_irq_change(0, RTC_PIE | RTC_AIE | RTC_UIE);
        rtc_control = cmos_read(RTC_CONTROL);
    }
    if (!(rtc_control & RTC_24H)) {
        pr_warn("rtc_cmos: only 24-hr supported\n");
        SpinLockIrqSave guard(rtc_lock);
        rtc_io = nullptr;
        return -ENXIO;
    }
    int err = request_irq(RTC_IRQ, cmos_interrupt, 0, "rtc0", &rtc_dev_id);
    if (err) {
        pr_err("rtc_cmos: IRQ %u is already in use (%d)\n", RTC_IRQ, err);
        SpinLockIrqSave guard(rtc_lock);
        rtc_io = nullptr;
        return err;
    }
    irq_requested = true;
    pr_info("rtc_cmos: registered as rtc0, irq %u, periodic %u Hz (off)\n", RTC_IRQ, periodic_freq);
    return 0;
}

int rtc_read_time(rtc_time* tm) {
    uint8_t rtc_control;
    {
        SpinLockIrqSave guard(rtc_lock);
        if (!rtc_io) return -ENODEV;
        if (!read_time_locked(tm, &rtc_control)) return -EIO;
    }
    if (!(rtc_control & RTC_DM_BINARY)) {
        tm->tm_sec = bcd2bin((uint8_t)tm->tm_sec);
        tm->tm_min = bcd2bin((uint8_t)tm->tm_min);
        tm->tm_hour = bcd2bin((uint8_t)tm->tm_hour);
        tm->tm_mday = bcd2bin((uint8_t)tm->tm_mday);
        tm->tm_mon = bcd2bin((uint8_t)tm->tm_mon);
        tm->tm_year = bcd2bin((uint8_t)tm->tm_year);
    }
    tm->tm_year += CMOS_CENTURY_BASE;
    return 0;
}

// Linux cmos_irq_set_freq: rate = 16 - log2(hz) + 1, so 1024 Hz is rate 6 and 2 Hz is rate 15.
int rtc_irq_set_freq(unsigned hz) {
    if (hz < RTC_FREQ_MIN || hz > RTC_FREQ_MAX || (hz & (hz - 1))) return -EINVAL;
    unsigned rate = 16 - (unsigned)__builtin_ctz(hz);
    SpinLockIrqSave guard(rtc_lock);
    if (!rtc_io) return -ENODEV;
    cmos_write((uint8_t)(RTC_REF_CLCK_32KHZ | rate), RTC_FREQ_SELECT);
    periodic_freq = hz;
    return 0;
}

int rtc_irq_set_state(bool enabled) {
    SpinLockIrqSave guard(rtc_lock);
    if (!rtc_io) return -ENODEV;
    if (enabled)
        cmos_irq_change(RTC_PIE, 0);
    else
        cmos_irq_change(0, RTC_PIE);
    return 0;
}

unsigned rtc_irq_freq() { return READ_ONCE(periodic_freq); }

bool rtc_irq_enabled() {
    SpinLockIrqSave guard(rtc_lock);
    return rtc_io && (cmos_read(RTC_CONTROL) & RTC_PIE);
}

unsigned long rtc_irq_count() { return READ_ONCE(periodic_irqs); }

int rtc_irq_register(rtc_task* task) {
    if (!task || !task->func) return -EINVAL;
    rtc_task* expected = nullptr;
    return __atomic_compare_exchange_n(&periodic_task, &expected, task, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)
               ? 0
               : -EBUSY;
}

void rtc_irq_unregister(rtc_task* task) {
    rtc_task* expected = task;
    __atomic_compare_exchange_n(&periodic_task, &expected, nullptr, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

void rtc_cmos_shutdown() {
    {
        SpinLockIrqSave guard(rtc_lock);
        if (rtc_io) cmos_irq_change(0, RTC_PIE | RTC_AIE | RTC_UIE);
    }
    if (irq_requested) free_irq(RTC_IRQ, &rtc_dev_id);
    irq_requested = false;
    SpinLockIrqSave guard(rtc_lock);
    rtc_io = nullptr;
    periodic_freq = 0;
    periodic_irqs = 0;
    periodic_task = nullptr;
}
