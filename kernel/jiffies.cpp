// jiffies and the run-time HZ (Linux kernel/time/timekeeping.c do_timer, with HZ a boot parameter here
// rather than a config option). The timer interrupt (drivers/pit) advances jiffies; "hz=" picks the rate.
#include "kernel/jiffies.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/idle.h"
#include "kernel/spinlock.h"
#include "kernel/printk.h"

unsigned int kernel_hz = HZ_DEFAULT;
// Starts at 0 (Linux starts 5 minutes before the wrap to catch overflow bugs; irqos keeps boot logs
// and tests deterministic instead; all comparisons still go through time_after()).
volatile unsigned long jiffies = 0;

// Hard-IRQ context (the timer handler), one CPU only; atomic so other CPUs read a whole value.
void do_timer(unsigned long ticks) { __atomic_fetch_add(&jiffies, ticks, __ATOMIC_RELAXED); }

// "hz=N" with HZ_MIN <= N <= HZ_MAX. Boot, before the PIT is programmed; the PIT reads kernel_hz.
static int hz_setup(const char* value) {
    unsigned long v;
    if (!parse_uint(value, &v) || v < HZ_MIN || v > HZ_MAX) {
        pr_warn("hz=%s rejected: HZ must be %u..%u, keeping %u\n", value, HZ_MIN, HZ_MAX, kernel_hz);
        return -EINVAL;
    }
    kernel_hz = (unsigned)v;
    return 0;
}
__setup("hz", hz_setup);

bool idle_until(bool (*cond)(void*), void* arg, unsigned long deadline) {
    for (;;) {
        local_irq_disable();  // check and sleep without missing the wake-up (kernel/idle.h)
        if (cond && cond(arg)) {
            local_irq_enable();
            return true;
        }
        if (time_after(READ_ONCE(jiffies), deadline)) {
            local_irq_enable();
            return false;
        }
        cpu_idle_once();  // returns with interrupts on, after the next interrupt (a tick at the latest)
    }
}

void idle_ms(unsigned long ms) { idle_until(nullptr, nullptr, jiffies + msecs_to_jiffies(ms)); }
