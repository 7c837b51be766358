// Time in ticks. HZ is chosen at boot ("hz=" on the command line, default 1000), so unlike Linux it is
// a variable; code writes HZ exactly as Linux code does. jiffies is advanced by the timer interrupt
// (drivers/pit on the 8259 system) through do_timer().
#pragma once
#include "kernel/types.h"

extern unsigned int kernel_hz;
#define HZ (kernel_hz)
constexpr unsigned int HZ_DEFAULT = 1000;
constexpr unsigned int HZ_MIN = 100, HZ_MAX = 10000;

extern volatile unsigned long jiffies;
void do_timer(unsigned long ticks);  // hard-IRQ context: jiffies += ticks

#define time_after(a, b) ((long)((b) - (a)) < 0)
#define time_before(a, b) time_after(b, a)
#define time_after_eq(a, b) ((long)((a) - (b)) >= 0)
#define time_before_eq(a, b) time_after_eq(b, a)
static inline unsigned long msecs_to_jiffies(unsigned long ms) { return (ms * HZ + 999) / 1000; }
static inline unsigned long jiffies_to_msecs(unsigned long j) { return j * 1000 / HZ; }
