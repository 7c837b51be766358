// The interrupt-storm scenario: a device keeps its level-triggered line asserted while its driver no
// longer recognises the interrupt, and the spurious detector (kernel/irq/spurious.cpp, Linux's
// note_interrupt) contains it after 100,000 interrupts. storm_run() drives one storm source and measures
// what a student should see: interrupts taken until containment, the virtual time it took, the share of
// the CPU left to process context (the shell) meanwhile, and the other lines' counts, with a per-tick
// record of every line's rate (kernel/scenario/irqrate.h) for `make plot`.
#pragma once
#include "kernel/types.h"

// A device that can be made to storm. Sources register themselves with STORM_SOURCE beside their driver
// (the edu PCI device, COM2's transmitter interrupt on a line switched to level); `storm NAME` runs one.
// Every callback runs in process context with interrupts enabled and may print on the shell.
struct storm_source {
    const char* name;  // the word after `storm`: "edu", "com2"
    const char* help;  // one line for `storm` without arguments
    // Find the device and make its driver faulty (it neither claims nor acknowledges its interrupt), the
    // interrupt not yet raised. Returns the IRQ that will storm, or a negative errno (-ENODEV: no such
    // device on this machine), after printing why.
    int (*prepare)();
    // Raise the interrupt and return at once: the storm starts during this call.
    void (*trigger)();
    // After containment (may be nullptr): show what the disabled line costs the other devices on it,
    // e.g. a second device sharing the line raising an interrupt nobody serves. Prints plainly.
    void (*consequence)();
    // Back to normal: the device quiet and acknowledged, the driver sane, the line re-armed the way
    // Linux re-arms it (a new action via free_irq + request_irq clears IRQS_SPURIOUS_DISABLED and the
    // counters). Returns 0 or a negative errno. Also called when a storm was not contained.
    int (*restore)();
};

#define STORM_SOURCE(var)                             \
    [[gnu::used, gnu::section("irqos_storm_sources"), \
      gnu::aligned(8)]] static const storm_source* const __storm_src_##var = &var

// What one storm cost. All counts are deltas over the storm (from just before trigger() to the line's
// IRQS_SPURIOUS_DISABLED, or to the timeout).
struct storm_result {
    unsigned irq = 0;
    bool detector_on = false;         // note_interrupt watches the line (not IRQ_NO_DEBUG, as under "noirqdebug")
    bool contained = false;           // the detector disabled the line (IRQS_SPURIOUS_DISABLED)
    unsigned long irqs_taken = 0;     // kstat count of the storming line
    uint64_t cycles = 0;              // arch::cycles() from trigger to containment (instructions under icount)
    unsigned long jiffies = 0;        // ticks from trigger to containment
    unsigned long timer_irqs = 0;     // the tick timer's count (IRQ 0, or LOC in APIC mode): `jiffies` if exact
    unsigned long keyboard_irqs = 0;  // IRQ 1 count
    unsigned shell_share_ppm = 0;     // parts per million of the time that process context ran
};

// Look up a registered source by name; nullptr if none.
const storm_source* storm_find(const char* name);
// Run one storm from `src`: prepare, trigger, watch until contained or `timeout_ms` (a timer-tick
// watchdog disables the line if the detector never does, e.g. under noirqdebug), consequence. Does not
// restore: the student looks at the disabled line afterwards (`irq N`, `interrupts`). Returns 0, or the
// source's errno, or -ETIMEDOUT (not contained; the watchdog masked the line and restore() ran).
// Process context, interrupts enabled; not reentrant (-EBUSY while a storm runs).
int storm_run(const storm_source* src, unsigned long timeout_ms, storm_result* out);

// The timer interrupt's hook (hard-IRQ context): the watchdog of a running storm.
void storm_tick();
