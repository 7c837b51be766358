// The local APIC timer tick (see apic_timer.h): calibration against PIT channel 2, periodic set-up with
// Linux's divide-by-16, and the per-tick work of local_apic_timer_interrupt.
#include "drivers/apic/apic_timer.h"
#include "arch/x86/irq_vectors.h"
#include "drivers/pit/pit.h"
#include "kernel/irq/irq_stat.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/jiffies.h"
#include "kernel/printk.h"
#include "kernel/scenario/irqrate.h"
#include "kernel/scenario/storm.h"
#include "kernel/time/timer.h"

using namespace lapic;

namespace {
// PC system control port B (8255 port B on the original PC): PIT channel 2's gate and output.
constexpr uint16_t PORT_NMI_SC = 0x61;
constexpr uint8_t NMI_SC_GATE2 = 1u << 0;
constexpr uint8_t NMI_SC_SPEAKER = 1u << 1;
constexpr uint8_t NMI_SC_OUT2 = 1u << 5;
constexpr uint8_t CW_CH2_LOHI_MODE0 = 0xB0;  // counter 2, LSB then MSB, mode 0 (interrupt on terminal count)
constexpr unsigned CALIBRATE_PIT_COUNT = i8254::PIT_TICK_RATE * APIC_CALIBRATE_MS / 1000;  // 59659
static_assert(CALIBRATE_PIT_COUNT <= i8254::PIT_MAX_DIVISOR);
constexpr unsigned long CALIBRATE_MAX_POLLS = 50'000'000;  // far beyond 50 ms even on a slow emulator
constexpr uint32_t COUNT_START = 0xFFFFFFFFu;

unsigned long bus_hz_calibrated;
int tick_do_timer_cpu = -1;
}  // namespace

unsigned long apic_timer_bus_hz() { return READ_ONCE(bus_hz_calibrated); }
void apic_timer_set_bus_hz(unsigned long hz) { WRITE_ONCE(bus_hz_calibrated, hz); }
int apic_tick_do_timer_cpu() { return READ_ONCE(tick_do_timer_cpu); }
void apic_set_tick_do_timer_cpu(int cpu) { WRITE_ONCE(tick_do_timer_cpu, cpu); }

namespace {
// One window: the LAPIC counts down while PIT channel 2 counts CALIBRATE_PIT_COUNT input clocks. Returns
// the LAPIC's count, 0 when channel 2 never ended, or COUNT_START when the LAPIC did not move.
uint32_t calibrate_once(PortIo& io, LocalApic& apic) {
    uint8_t sc = io.inb(PORT_NMI_SC);
    io.outb(PORT_NMI_SC, uint8_t((sc & ~NMI_SC_SPEAKER) | NMI_SC_GATE2));
    io.outb(i8254::PIT_MODE, CW_CH2_LOHI_MODE0);
    io.outb(i8254::PIT_CH2, CALIBRATE_PIT_COUNT & 0xFF);
    apic.set_timer_initial(COUNT_START);
    io.outb(i8254::PIT_CH2, uint8_t(CALIBRATE_PIT_COUNT >> 8));  // channel 2 starts counting here
    uint32_t start = apic.timer_current();
    unsigned long polls = 0;
    while (!(io.inb(PORT_NMI_SC) & NMI_SC_OUT2) && polls < CALIBRATE_MAX_POLLS) polls++;
    uint32_t end = apic.timer_current();
    io.outb(PORT_NMI_SC, uint8_t(sc & ~(NMI_SC_GATE2 | NMI_SC_SPEAKER)));
    apic.set_timer_initial(0);
    if (polls >= CALIBRATE_MAX_POLLS) return 0;
    return end >= start ? COUNT_START : start - end;
}
}  // namespace

unsigned long apic_timer_calibrate(PortIo& io, LocalApic& apic) {
    // The LAPIC counter free-running one-shot from the top, masked: it only has to count.
    apic.set_lvt_timer(Lvt::timer(LOCAL_TIMER_VECTOR, LvtTimerMode::OneShot, true));
    apic.set_timer_divide(APIC_TDR_DIV_16);
    // The smallest of a few windows: on an emulator whose CPU thread the host preempts between the end of
    // the PIT window and the LAPIC read, a window only ever comes out too long.
    uint32_t best = COUNT_START;
    for (unsigned round = 0; round < APIC_CALIBRATE_ROUNDS; round++) {
        uint32_t count = calibrate_once(io, apic);
        if (count == 0) {
            apic_timer_stop(apic);
            pr_warn("APIC: timer calibration failed: PIT channel 2 never reached its count\n");
            return 0;
        }
        if (count < best) best = count;
    }
    apic_timer_stop(apic);
    if (best == COUNT_START) {
        pr_warn("APIC: timer calibration failed: the LAPIC counter did not move\n");
        return 0;
    }
    uint64_t delta = uint64_t(best) * APIC_DIVISOR;
    unsigned long hz = (unsigned long)(delta * i8254::PIT_TICK_RATE / CALIBRATE_PIT_COUNT);
    pr_info("APIC: timer calibrated against the PIT: %lu.%04lu MHz bus clock (%llu clocks in %u ms, best of %u)\n",
            hz / 1000000, (hz / 100) % 10000, (unsigned long long)delta, APIC_CALIBRATE_MS, APIC_CALIBRATE_ROUNDS);
    return hz;
}

uint32_t apic_timer_setup_periodic(LocalApic& apic, unsigned long bus_hz, unsigned hz) {
    uint64_t count = hz ? (uint64_t(bus_hz) / APIC_DIVISOR + hz / 2) / hz : 0;
    if (count == 0 || count > COUNT_START) {
        apic_timer_stop(apic);
        return 0;
    }
    // Linux __setup_APIC_LVTT: the LVT entry, the divider, then the initial count, which starts it.
    apic.set_lvt_timer(Lvt::timer(LOCAL_TIMER_VECTOR, LvtTimerMode::Periodic));
    apic.set_timer_divide(APIC_TDR_DIV_16);
    apic.set_timer_initial(uint32_t(count));
    return uint32_t(count);
}

void apic_timer_stop(LocalApic& apic) {
    apic.set_lvt_timer(Lvt::timer(LOCAL_TIMER_VECTOR, LvtTimerMode::OneShot, true));
    apic.set_timer_initial(0);
}

void local_apic_timer_interrupt(unsigned cpu) {
    inc_irq_stat(apic_timer_irqs);
    // Linux tick_periodic: the global part of the tick on tick_do_timer_cpu only (the same work the PIT's
    // timer_interrupt does in PIC mode), then every CPU's own part: its timers and its scheduler tick.
    if (int(cpu) == READ_ONCE(tick_do_timer_cpu)) {
        do_timer(1);
        irqrate_tick();
        storm_tick();
    }
    update_process_times(0);
}

unsigned long tick_timer_irqs() {
    int cpu = apic_tick_do_timer_cpu();
    return cpu >= 0 ? irq_stat_read(apic_timer_irqs, unsigned(cpu)) : kstat_irqs(0);
}

const char* tick_timer_name() { return apic_tick_do_timer_cpu() >= 0 ? "LOC" : "IRQ 0"; }
