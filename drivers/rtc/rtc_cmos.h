// The PC's CMOS real-time clock (Motorola MC146818 and its successors) on IRQ 8: reading the time and the
// periodic interrupt, as Linux drivers/rtc/rtc-cmos.c and rtc-mc146818-lib.c use them. Register names
// and bits from the MC146818A datasheet, as Linux include/linux/mc146818rtc.h spells them.
#pragma once
#include "kernel/io.h"

namespace mc146818 {
constexpr uint16_t RTC_PORT_INDEX = 0x70;  // write: register number
constexpr uint16_t RTC_PORT_DATA = 0x71;   // read/write: the selected register

constexpr uint8_t RTC_SECONDS = 0, RTC_MINUTES = 2, RTC_HOURS = 4;
constexpr uint8_t RTC_DAY_OF_MONTH = 7, RTC_MONTH = 8, RTC_YEAR = 9;
constexpr uint8_t RTC_FREQ_SELECT = 10;  // register A
constexpr uint8_t RTC_CONTROL = 11;      // register B
constexpr uint8_t RTC_INTR_FLAGS = 12;   // register C: reading it acknowledges the interrupt
constexpr uint8_t RTC_VALID = 13;        // register D

// Register A.
constexpr uint8_t RTC_UIP = 0x80;             // update in progress: the time registers are changing
constexpr uint8_t RTC_REF_CLCK_32KHZ = 0x20;  // divider chain for the 32.768 kHz crystal
constexpr uint8_t RTC_RATE_SELECT = 0x0F;     // periodic rate: 32768 >> (rate - 1) Hz
// Register B.
constexpr uint8_t RTC_PIE = 0x40;        // periodic interrupt enable
constexpr uint8_t RTC_AIE = 0x20;        // alarm interrupt enable
constexpr uint8_t RTC_UIE = 0x10;        // update-ended interrupt enable
constexpr uint8_t RTC_DM_BINARY = 0x04;  // time in binary (clear: BCD)
constexpr uint8_t RTC_24H = 0x02;
// Register C.
constexpr uint8_t RTC_IRQF = 0x80;  // the IRQ output is asserted
constexpr uint8_t RTC_PF = 0x40, RTC_AF = 0x20, RTC_UF = 0x10;
constexpr uint8_t RTC_IRQMASK = RTC_PF | RTC_AF | RTC_UF;

constexpr unsigned RTC_IRQ = 8;
constexpr unsigned RTC_FREQ_DEFAULT = 1024;  // CMOS reset default, rate 6 (Linux forces it at probe)
constexpr unsigned RTC_FREQ_MIN = 2, RTC_FREQ_MAX = 8192;
}  // namespace mc146818

// Wall-clock time as the RTC keeps it (no time zone: the PC convention is UTC or local, the RTC does
// not say). Binary values: year is the full year (2000 + the two-digit register).
struct rtc_time {
    unsigned tm_sec, tm_min, tm_hour, tm_mday, tm_mon, tm_year;
};

// Boot, before interrupts are enabled: check the clock answers (UIP clears within 10 ms, as Linux's
// mc146818_does_rtc_work), set the periodic rate to 1024 Hz, turn every RTC interrupt off, read register
// C once to drop a stale request, and request IRQ 8 "rtc0" (not shared, as rtc-cmos). Returns 0, -ENODEV
// (no clock), -ENXIO (12-hour mode, as Linux refuses it) or request_irq's error.
[[nodiscard]] int rtc_cmos_init(PortIo& io);

// Read the time, retrying while an update is in progress (mc146818_get_time). Process context; takes the
// RTC lock with interrupts off. 0, -ENODEV before init, or -EIO if the clock never leaves its update.
int rtc_read_time(rtc_time* tm);

// The periodic interrupt (Linux's rtc_irq_set_freq / rtc_irq_set_state for rtc-cmos): the frequency is a
// power of two from 2 to 8192 Hz (else -EINVAL); the state turns PIE on or off. Process context; takes the
// RTC lock with interrupts off. -ENODEV before init.
int rtc_irq_set_freq(unsigned hz);
int rtc_irq_set_state(bool enabled);
unsigned rtc_irq_freq();  // the programmed periodic frequency (0 before init)
bool rtc_irq_enabled();   // whether PIE is on

// Periodic interrupts handled since boot (every interrupt whose register C had PF set with PIE on).
unsigned long rtc_irq_count();

// A function called on every periodic interrupt, in hard-IRQ context on the CPU that took it (Linux's
// rtc_task of rtc_irq_register, from the 2.6 RTC API the classic bottom-half experiments used). One at
// a time: -EBUSY if another is registered, -EINVAL for a null function. unregister waits for nothing;
// call it with the periodic interrupt off, then synchronize_irq(RTC_IRQ) before freeing `data`.
struct rtc_task {
    void (*func)(void* private_data);
    void* private_data;
};
int rtc_irq_register(rtc_task* task);
void rtc_irq_unregister(rtc_task* task);

// Turn the interrupts off, release IRQ 8, forget the ports and the count (host tests).
void rtc_cmos_shutdown();
