// The classic bottom-half experiments, from the shell (`bh ...`, kernel/scenario/bh.cpp) and the
// in-kernel tests. Each runs on real interrupts and prints its counts with what they show.
//
// tasklet: the CMOS RTC's periodic interrupt (on both emulators) at RATE Hz for MS milliseconds; its
//   top half counts counter_th, busy-waits TH_US microseconds and schedules one tasklet; the tasklet
//   counts counter_bh. When interrupts come faster than the tasklet gets to run, the schedules that
//   find it still scheduled coalesce: counter_bh < counter_th, and counter_th = counter_bh + coalesced.
// flood: a HI tasklet that schedules itself again from its own function for MS milliseconds: after 10
//   passes or 2 ms of one softirq run (Linux's limits) the rest is left to ksoftirqd/N, a fair thread,
//   so other threads (the shell) still run; counts where the runs happened and how late a thread
//   sleeping 5 ms at a time woke.
#pragma once
#include "kernel/types.h"

struct bh_tasklet_result {
    unsigned rate_hz = 0, th_us = 0, ms = 0;
    unsigned long counter_th = 0;         // top-half calls (hard-IRQ context)
    unsigned long counter_bh = 0;         // tasklet runs
    unsigned long coalesced = 0;          // schedules that found it still scheduled
    unsigned long bh_not_in_softirq = 0;  // tasklet runs outside softirq context (must stay 0)
    unsigned long bh_off_cpu = 0;         // tasklet runs on another CPU than the top half that scheduled it
    bool stopped_by_top_half = false;
    // The work-item variant (bh_work_experiment): how long each run sleeps, the runs on a kworker, the
    // runs that slept. bh_not_in_softirq then counts runs outside process context.
    unsigned work_sleep_ms = 0;
    unsigned long on_kworker = 0, slept = 0;  // the top half turned the RTC off after rate * ms / 1000 interrupts
};
// 0, or -EINVAL (rate not a power of two in 2..8192, th_us > 10000, ms 1..60000), -ENODEV (no RTC),
// -EBUSY (the RTC's periodic task is taken). Process context, sleeps.
int bh_tasklet_experiment(unsigned rate_hz, unsigned th_us, unsigned ms, bh_tasklet_result* r);

// The same with a work item on system_wq instead of the tasklet; each run sleeps sleep_ms (0..1000).
int bh_work_experiment(unsigned rate_hz, unsigned th_us, unsigned ms, unsigned sleep_ms, bh_tasklet_result* r);

struct bh_flood_result {
    unsigned ms = 0;
    unsigned cpu = 0;
    unsigned long runs = 0;               // tasklet runs in all
    unsigned long runs_in_ksoftirqd = 0;  // ... of them in this CPU's ksoftirqd
    uint64_t ksoftirqd_ns = 0;            // CPU time ksoftirqd/N used meanwhile
    unsigned long sleeps = 0;             // 5 ms sleeps a thread on the same CPU completed meanwhile
    unsigned long worst_late_ms = 0;      // the latest of them woke this long after its 5 ms
};
// 0 or -EINVAL (ms 1..60000), -ENOMEM. Process context, sleeps.
int bh_flood_experiment(unsigned ms, bh_flood_result* r);
