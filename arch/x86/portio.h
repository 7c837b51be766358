// The real PortIo (kernel/io.h): x86 IN/OUT instructions (Intel SDM vol. 2A "IN", vol. 2B "OUT").
// io_delay writes port 0x80 (the POST code port, Linux's native_io_delay); udelay busy-waits on a TSC
// rate calibrated once at boot against PIT channel 2 (arch/x86/portio.cpp).
#pragma once
#include "kernel/io.h"

class X86PortIo final : public PortIo {
public:
    uint8_t inb(uint16_t port) override {
        uint8_t v;
        __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
        return v;
    }
    void outb(uint16_t port, uint8_t value) override { __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port)); }
    uint16_t inw(uint16_t port) override {
        uint16_t v;
        __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
        return v;
    }
    void outw(uint16_t port, uint16_t value) override { __asm__ volatile("outw %0, %1" : : "a"(value), "Nd"(port)); }
    uint32_t inl(uint16_t port) override {
        uint32_t v;
        __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
        return v;
    }
    void outl(uint16_t port, uint32_t value) override { __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port)); }
    static constexpr uint16_t IO_DELAY_PORT = 0x80;
    void io_delay() override { outb(IO_DELAY_PORT, 0); }
    // Any context; at least `us` microseconds (longer under emulation). Before calibration it assumes a
    // fast TSC (TSC_KHZ_FALLBACK), which over-waits on anything slower: never too short for a device.
    void udelay(unsigned us) override;
};

// The one instance (port I/O has no state; one object keeps the "handed in" seam).
X86PortIo& x86_port_io();
// Measure the TSC rate with PIT channel 2 (boot, interrupts off, before the PIT driver owns channel 0).
void calibrate_tsc(X86PortIo& io);
unsigned long tsc_khz();
