// The local APIC timer as each CPU's periodic tick (Linux arch/x86/kernel/apic/apic.c: calibrate_APIC_clock,
// __setup_APIC_LVTT, local_apic_timer_interrupt; Intel SDM vol. 3A 11.5.4). Calibrated once on the boot
// CPU against PIT channel 2 (a known number of 8254 input clocks, gated through port 0x61, polled with
// interrupts off, the method of the TSC calibration), then programmed periodic at HZ on
// LOCAL_TIMER_VECTOR on every CPU, with the bus clock divided by 16 as Linux does. Each tick counts LOC on
// its CPU; the tick of CPU 0 (Linux's tick_do_timer_cpu) also advances jiffies, so in APIC mode the PIT is
// stopped once CPU 0's LAPIC timer runs (see docs/apic-mode.md).
#pragma once
#include "drivers/apic/local_apic.h"
#include "kernel/io.h"

constexpr unsigned APIC_DIVISOR = 16;
// The calibration window: 50 ms of PIT channel 2 (59659 input clocks, within the 16-bit counter).
constexpr unsigned APIC_CALIBRATE_MS = 50;
constexpr unsigned APIC_CALIBRATE_ROUNDS = 3;  // the shortest window counts

// Measure the LAPIC timer's input clock with PIT channel 2 (the smallest count of APIC_CALIBRATE_ROUNDS
// windows) and return it in Hz (bus clock, before the divider); 0 when channel 2 never reached its terminal count or the LAPIC counter did not move (the
// caller then stays on the PIT tick). Leaves the LAPIC timer masked and stopped and channel 2 gated off.
// Boot CPU, interrupts off, before anything else uses PIT channel 2.
unsigned long apic_timer_calibrate(PortIo& io, LocalApic& apic);

// Program this CPU's LAPIC timer periodic at `hz` from `bus_hz` (initial count bus_hz / 16 / hz,
// rounded). Returns the initial count, or 0 (timer left masked) when it would be 0. Interrupts off,
// on the CPU whose timer it is.
uint32_t apic_timer_setup_periodic(LocalApic& apic, unsigned long bus_hz, unsigned hz);
// Mask and stop this CPU's LAPIC timer. Interrupts off.
void apic_timer_stop(LocalApic& apic);

// The calibrated bus clock (0 before calibration or when it failed). Any context.
unsigned long apic_timer_bus_hz();
void apic_timer_set_bus_hz(unsigned long hz);  // boot CPU after calibration; host tests

// Which CPU's tick advances jiffies (Linux tick_do_timer_cpu); -1 while the PIT does it.
// Set by the boot CPU when it hands the tick over (interrupts off). Any context to read.
int apic_tick_do_timer_cpu();
void apic_set_tick_do_timer_cpu(int cpu);

// The LOCAL_TIMER_VECTOR handler body after the EOI (Linux local_apic_timer_interrupt): count LOC on
// `cpu`; on the tick CPU run the global tick (jiffies, the scenario hooks the PIT tick runs too); then on
// every CPU its own part, update_process_times (timers due, scheduler tick). Hard-IRQ context,
// interrupts off, on `cpu`.
void local_apic_timer_interrupt(unsigned cpu);

// The interrupts of the timer that advances jiffies, for code that checks "one timer interrupt per
// jiffy" in either mode: CPU 0's LOC count once its LAPIC timer has the tick, else IRQ 0's count (the
// PIT); and that timer's name for messages ("LOC" or "IRQ 0"). Any context.
unsigned long tick_timer_irqs();
const char* tick_timer_name();
