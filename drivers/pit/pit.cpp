// 8254 channel 0 as the periodic tick (see pit.h). The divisor is LATCH = round(PIT_TICK_RATE / HZ) as in
// Linux; the IRQ0 handler is Linux's timer_interrupt reduced to do_timer(1) and the tick's per-CPU work.
#include "drivers/pit/pit.h"
#include "kernel/errno.h"
#include "kernel/irq/interrupt.h"
#include "kernel/jiffies.h"
#include "kernel/printk.h"
#include "kernel/scenario/irqrate.h"
#include "kernel/scenario/storm.h"
#include "kernel/spinlock.h"
#include "kernel/time/timer.h"

using namespace i8254;

namespace {
PortIo* pit_io;  // set by pit_init
unsigned pit_divisor_now;
unsigned long pit_ticks;
bool pit_irq_requested;
bool pit_owns_tick;       // false once another timer (the local APIC's) advances jiffies
raw_spinlock_t pit_lock;  // Linux i8253_lock: the latch command and its two reads belong together

// Hard-IRQ context, IRQ0 only (one CPU at a time runs a line's handler).
irqreturn_t timer_interrupt(int, void*) {
    __atomic_fetch_add(&pit_ticks, 1, __ATOMIC_RELAXED);
    if (!READ_ONCE(pit_owns_tick)) return IRQ_HANDLED;  // the last interrupt of a stopped PIT
    do_timer(1);
    irqrate_tick();           // the per-tick rate record, when armed
    storm_tick();             // the storm scenario's watchdog, when a storm runs
    update_process_times(0);  // Linux tick_periodic: this (only) CPU's timers and scheduler tick
    return IRQ_HANDLED;
}
}  // namespace

int pit_init(PortIo& io, unsigned hz) {
    if (hz < HZ_MIN || hz > HZ_MAX) {
        pr_err("pit: HZ=%u outside %u..%u\n", hz, HZ_MIN, HZ_MAX);
        return -EINVAL;
    }
    unsigned div = pit_divisor(hz);
    {
        SpinLockIrqSave guard(pit_lock);
        pit_io = &io;
        io.outb(PIT_MODE, CW_CH0_MODE2);
        io.outb(PIT_CH0, (uint8_t)(div & 0xFF));
        io.outb(PIT_CH0, (uint8_t)(div >> 8));
        pit_divisor_now = div;
        pit_owns_tick = true;
    }
    int ret = request_irq(0, timer_interrupt, IRQF_TIMER, "timer", nullptr);
    if (ret) {
        pr_err("pit: cannot request IRQ0: %d\n", ret);
        return ret;
    }
    pit_irq_requested = true;
    pr_info("pit: 8254 channel 0 at %u Hz (divisor %u)\n", hz, div);
    return 0;
}

unsigned long pit_read_count() {
    SpinLockIrqSave guard(pit_lock);
    if (!pit_io) return 0;
    pit_io->outb(PIT_MODE, CW_CH0_LATCH);
    unsigned lo = pit_io->inb(PIT_CH0);
    unsigned hi = pit_io->inb(PIT_CH0);
    return (hi << 8) | lo;
}

void pit_stop_tick() {
    SpinLockIrqSave guard(pit_lock);
    WRITE_ONCE(pit_owns_tick, false);
    if (!pit_io) return;
    // Linux pit_shutdown (drivers/clocksource/i8253.c): mode 0 with a zero count, never reloaded.
    pit_io->outb(PIT_MODE, CW_CH0_SHUTDOWN);
    pit_io->outb(PIT_CH0, 0);
    pit_io->outb(PIT_CH0, 0);
    pit_divisor_now = 0;
}

bool pit_ticking() { return READ_ONCE(pit_owns_tick); }

unsigned pit_current_divisor() { return READ_ONCE(pit_divisor_now); }
unsigned long pit_tick_count() { return READ_ONCE(pit_ticks); }

void pit_shutdown() {
    if (pit_irq_requested) free_irq(0, nullptr);
    pit_irq_requested = false;
    SpinLockIrqSave guard(pit_lock);
    pit_io = nullptr;
    pit_divisor_now = 0;
}
