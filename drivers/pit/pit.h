// The Intel 8254 programmable interval timer, channel 0 as the periodic tick on IRQ0 (Linux
// drivers/clocksource/i8253.c and arch/x86/kernel/time.c timer_interrupt). Register values from the
// Intel 82C54 datasheet (order no. 231244), "Control Word Format" and "Mode 2 - Rate Generator".
#pragma once
#include "kernel/io.h"

namespace i8254 {
constexpr uint16_t PIT_CH0 = 0x40;   // counter 0 data port (IRQ0 output)
constexpr uint16_t PIT_CH2 = 0x42;   // counter 2 (PC speaker / gate via port 0x61)
constexpr uint16_t PIT_MODE = 0x43;  // control word register (write only)

// Control word fields.
constexpr uint8_t CW_SC_COUNTER0 = 0x00;  // SC1:SC0 = 00: counter 0
constexpr uint8_t CW_RW_LATCH = 0x00;     // RW1:RW0 = 00: counter latch command
constexpr uint8_t CW_RW_LSB_MSB = 0x30;   // RW1:RW0 = 11: read/write LSB then MSB
constexpr uint8_t CW_MODE2_RATE = 0x04;   // M2:M0 = 010: rate generator (periodic, one-clock low pulse)
constexpr uint8_t CW_BINARY = 0x00;       // BCD = 0: 16-bit binary count
constexpr uint8_t CW_CH0_MODE2 = CW_SC_COUNTER0 | CW_RW_LSB_MSB | CW_MODE2_RATE | CW_BINARY;  // 0x34
constexpr uint8_t CW_CH0_LATCH = CW_SC_COUNTER0 | CW_RW_LATCH;                                // 0x00
constexpr uint8_t CW_MODE0_TERMINAL = 0x00;  // M2:M0 = 000: interrupt on terminal count (one-shot)
constexpr uint8_t CW_CH0_SHUTDOWN = CW_SC_COUNTER0 | CW_RW_LSB_MSB | CW_MODE0_TERMINAL;  // 0x30

// The PC's 8254 input clock: 14.31818 MHz / 12 (Linux PIT_TICK_RATE).
constexpr unsigned PIT_TICK_RATE = 1193182;
// A 16-bit counter: 0 would mean 65536; irqos keeps divisors within 1..65535.
constexpr unsigned PIT_MAX_DIVISOR = 0xFFFF;
}  // namespace i8254

// Counter reload value for `hz` interrupts per second, rounded to nearest (Linux's LATCH).
constexpr unsigned pit_divisor(unsigned hz) { return (i8254::PIT_TICK_RATE + hz / 2) / hz; }

// Boot, interrupts off: program counter 0 as a rate generator at `hz` (HZ_MIN..HZ_MAX, else -EINVAL) and
// request IRQ0 ("timer", IRQF_TIMER) whose handler advances jiffies by one per interrupt and runs the
// tick's per-CPU work (update_process_times) on the one CPU of PIC mode.
// Returns 0 or request_irq's error.
[[nodiscard]] int pit_init(PortIo& io, unsigned hz);

// The current count of counter 0 (counts down from the divisor to 1, then reloads), read with the
// counter-latch command so the two bytes belong together. Any context; takes the PIT lock. 0 before init.
unsigned long pit_read_count();
// The divisor programmed by pit_init (0 before), and the number of timer interrupts handled.
unsigned pit_current_divisor();
unsigned long pit_tick_count();

// Hand the tick over (the local APIC timer of CPU 0 advances jiffies from now on): counter 0 goes to
// mode 0 with a zero count as Linux's pit_shutdown leaves it (at most one more IRQ0, which is counted
// but advances nothing); IRQ0 keeps its "timer" action. Any context; takes the PIT lock.
void pit_stop_tick();
// True from pit_init until pit_stop_tick: the PIT's interrupt advances jiffies.
bool pit_ticking();

// Release IRQ0 and forget the port accessor (host tests; a kernel never stops its tick).
void pit_shutdown();
