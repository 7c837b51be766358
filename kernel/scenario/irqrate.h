// A per-tick record of interrupt rates: while armed, every timer tick stores how many interrupts each
// legacy line (0-15) took since the previous tick, into a ring buffer that the `irqrate` shell command
// prints and tools/plot_irqrate.py draws (`make plot`). Used by the storm scenario to show a storm and
// its containment; also useful on its own (`irqrate start`, type, `irqrate dump`).
#pragma once
#include "kernel/types.h"

constexpr unsigned IRQRATE_LINES = 16;      // the 8259 pair's lines
constexpr unsigned IRQRATE_SAMPLES = 4096;  // ticks kept: about 4 s at HZ=1000; older samples are overwritten

struct irqrate_sample {
    unsigned long jiffies;           // the tick this sample closes
    unsigned counts[IRQRATE_LINES];  // interrupts per line during that tick
};

// Forget the old record and start a new one at the next tick. Any context; takes the recorder lock.
void irqrate_start();
// Stop recording (the record stays readable). Any context.
void irqrate_stop();
bool irqrate_armed();
// The timer interrupt's hook (hard-IRQ context, the tick's CPU): one sample if armed. A few instructions
// when not armed.
void irqrate_tick();
// Samples held (at most IRQRATE_SAMPLES) and samples overwritten because the ring was full.
unsigned irqrate_count();
unsigned long irqrate_overwritten();
// Copy sample i (0 = oldest held). False if i >= irqrate_count(). Any context; takes the recorder lock.
bool irqrate_get(unsigned i, irqrate_sample* out);
