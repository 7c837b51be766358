// The PortIo instance and the TSC calibration behind udelay. Calibration follows the idea of Linux's
// pit_calibrate_tsc (arch/x86/kernel/tsc.c): run PIT channel 2 in mode 0 for a known count with the
// speaker off and read the TSC when its OUT pin (port 0x61 bit 5) goes high. 8254 datasheet, Intel SDM 17.17.
#include "arch/x86/portio.h"
#include "arch/x86/cpu.h"
#include "kernel/printk.h"

namespace {
constexpr unsigned long PIT_HZ = 1193182;  // 8254 input clock
constexpr unsigned CALIBRATE_MS = 10;
constexpr unsigned CALIBRATE_COUNT = PIT_HZ * CALIBRATE_MS / 1000;  // 11931 ticks
constexpr uint16_t PORT_NMI_SC = 0x61;                              // system control port B
constexpr uint8_t NMI_SC_GATE2 = 1u << 0;                           // PIT channel 2 gate
constexpr uint8_t NMI_SC_SPEAKER = 1u << 1;                         // speaker data enable
constexpr uint8_t NMI_SC_OUT2 = 1u << 5;                            // PIT channel 2 output (read-only)
constexpr uint16_t PIT_CH2 = 0x42, PIT_MODE = 0x43;
constexpr uint8_t PIT_SEL_CH2_LOHI_MODE0 = 0xB0;  // channel 2, lobyte/hibyte, mode 0, binary
constexpr unsigned long CALIBRATE_MAX_SPINS = 50'000'000;
constexpr unsigned long TSC_KHZ_FALLBACK = 4'000'000;  // 4 GHz: over-waits on anything slower

X86PortIo the_port_io;
unsigned long tsc_khz_value = TSC_KHZ_FALLBACK;
}  // namespace

X86PortIo& x86_port_io() { return the_port_io; }
unsigned long tsc_khz() { return tsc_khz_value; }

void X86PortIo::udelay(unsigned us) {
    uint64_t start = x86::rdtsc();
    uint64_t ticks = uint64_t(us) * tsc_khz_value / 1000 + 1;
    while (x86::rdtsc() - start < ticks) x86::pause();
}

// Boot, interrupts off; leaves channel 2 gated off again. On failure keeps the fallback and says so.
void calibrate_tsc(X86PortIo& io) {
    uint8_t sc = io.inb(PORT_NMI_SC);
    io.outb(PORT_NMI_SC, uint8_t((sc & ~NMI_SC_SPEAKER) | NMI_SC_GATE2));
    io.outb(PIT_MODE, PIT_SEL_CH2_LOHI_MODE0);
    io.outb(PIT_CH2, CALIBRATE_COUNT & 0xff);
    io.outb(PIT_CH2, CALIBRATE_COUNT >> 8);
    uint64_t t0 = x86::rdtsc();
    unsigned long spins = 0;
    while (!(io.inb(PORT_NMI_SC) & NMI_SC_OUT2) && spins < CALIBRATE_MAX_SPINS) spins++;
    uint64_t t1 = x86::rdtsc();
    io.outb(PORT_NMI_SC, sc & ~(NMI_SC_GATE2 | NMI_SC_SPEAKER));
    if (spins >= CALIBRATE_MAX_SPINS || t1 <= t0) {
        pr_warn("tsc: PIT calibration failed, assuming %lu kHz\n", tsc_khz_value);
        return;
    }
    tsc_khz_value = (t1 - t0) / CALIBRATE_MS;
    if (tsc_khz_value == 0) tsc_khz_value = 1;
    pr_info("tsc: %lu.%03lu MHz TSC (PIT calibrated)\n", tsc_khz_value / 1000, tsc_khz_value % 1000);
}
