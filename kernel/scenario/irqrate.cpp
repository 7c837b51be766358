// The per-tick interrupt-rate recorder (see irqrate.h). The tick compares each line's kstat count (the
// numbers /proc/interrupts shows, summed over CPUs) with the previous tick's, so recording costs nothing
// on the interrupt path itself and counts exactly what the interrupts view counts.
#include "kernel/scenario/irqrate.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/jiffies.h"
#include "kernel/printk.h"
#include "kernel/shell/shell.h"
#include "kernel/spinlock.h"
#include "lib/string.h"

namespace {

raw_spinlock_t rate_lock;  // the ring, the snapshot and the armed flag
bool armed;
bool primed;  // the first tick after start only takes the snapshot
unsigned last_counts[IRQRATE_LINES];
irqrate_sample ring[IRQRATE_SAMPLES];
unsigned ring_head;  // next slot to write
unsigned ring_count;
unsigned long overwritten;

void snapshot(unsigned* counts) {
    for (unsigned irq = 0; irq < IRQRATE_LINES; irq++) counts[irq] = kstat_irqs(irq);
}

}  // namespace

void irqrate_start() {
    SpinLockIrqSave guard(rate_lock);
    ring_head = ring_count = 0;
    overwritten = 0;
    primed = false;
    WRITE_ONCE(armed, true);
}

void irqrate_stop() {
    SpinLockIrqSave guard(rate_lock);
    WRITE_ONCE(armed, false);
}

bool irqrate_armed() { return READ_ONCE(armed); }

void irqrate_tick() {
    if (likely(!READ_ONCE(armed))) return;
    SpinLockIrqSave guard(rate_lock);
    if (!armed) return;
    unsigned now[IRQRATE_LINES];
    snapshot(now);
    if (primed) {
        irqrate_sample& s = ring[ring_head];
        s.jiffies = jiffies;
        for (unsigned irq = 0; irq < IRQRATE_LINES; irq++) s.counts[irq] = now[irq] - last_counts[irq];
        ring_head = (ring_head + 1) % IRQRATE_SAMPLES;
        if (ring_count < IRQRATE_SAMPLES)
            ring_count++;
        else
            overwritten++;
    }
    memcpy(last_counts, now, sizeof now);
    primed = true;
}

unsigned irqrate_count() {
    SpinLockIrqSave guard(rate_lock);
    return ring_count;
}

unsigned long irqrate_overwritten() {
    SpinLockIrqSave guard(rate_lock);
    return overwritten;
}

bool irqrate_get(unsigned i, irqrate_sample* out) {
    SpinLockIrqSave guard(rate_lock);
    if (i >= ring_count) return false;
    unsigned oldest = (ring_head + IRQRATE_SAMPLES - ring_count) % IRQRATE_SAMPLES;
    *out = ring[(oldest + i) % IRQRATE_SAMPLES];
    return true;
}

// ---- Shell: irqrate [start|stop|dump]. Process context.
namespace {

void irqrate_status() {
    shell_printf("irqrate: %s, %u samples held (of %u), %lu overwritten, HZ=%u\n",
                 irqrate_armed() ? "recording" : "stopped", irqrate_count(), IRQRATE_SAMPLES, irqrate_overwritten(),
                 HZ);
}

// One header line, then one line per tick: "jiffies c0 c1 ... c15". tools/plot_irqrate.py reads this.
void irqrate_dump() {
    shell_printf("irqrate-dump: HZ=%u lines=%u samples=%u overwritten=%lu\n", HZ, IRQRATE_LINES, irqrate_count(),
                 irqrate_overwritten());
    irqrate_sample s;
    for (unsigned i = 0; irqrate_get(i, &s); i++) {
        shell_printf("%lu", s.jiffies);
        for (unsigned irq = 0; irq < IRQRATE_LINES; irq++) shell_printf(" %u", s.counts[irq]);
        shell_puts("\n");
    }
    shell_puts("irqrate-dump: end\n");
}

int cmd_irqrate(int argc, char** argv) {
    if (argc == 1) {
        irqrate_status();
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "start")) {
        irqrate_start();
        irqrate_status();
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "stop")) {
        irqrate_stop();
        irqrate_status();
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "dump")) {
        irqrate_dump();
        return 0;
    }
    shell_puts("usage: irqrate [start|stop|dump]\n");
    return -EINVAL;
}

}  // namespace

SHELL_COMMAND("irqrate", "[start|stop|dump]: per-tick interrupt counts of lines 0-15 (make plot draws them)",
              cmd_irqrate);
