// The real PortIo (kernel/io.h): the x86 IN/OUT instructions of arch/x86/include/asm/io.h.
// io_delay writes port 0x80 (the POST code port, Linux's native_io_delay); udelay busy-waits on a TSC
// rate calibrated once at boot against PIT channel 2 (arch/x86/portio.cpp).
#pragma once
#include "kernel/io.h"

class X86PortIo final : public PortIo {
public:
    // Direct: PortIo's accessors use the inline instructions of arch/x86/include/asm/io.h and never
    // reach the do_* below, which are the same instructions all the same.
    constexpr X86PortIo() : PortIo(true) {}
    static constexpr uint16_t IO_DELAY_PORT = 0x80;
    void io_delay() override { outb(IO_DELAY_PORT, 0); }
    // Any context; at least `us` microseconds (longer under emulation). Before calibration it assumes a
    // fast TSC (TSC_KHZ_FALLBACK), which over-waits on anything slower: never too short for a device.
    void udelay(unsigned us) override;

protected:
    uint8_t do_inb(uint16_t port) override { return arch_inb(port); }
    void do_outb(uint16_t port, uint8_t value) override { arch_outb(port, value); }
    uint16_t do_inw(uint16_t port) override { return arch_inw(port); }
    void do_outw(uint16_t port, uint16_t value) override { arch_outw(port, value); }
    uint32_t do_inl(uint16_t port) override { return arch_inl(port); }
    void do_outl(uint16_t port, uint32_t value) override { arch_outl(port, value); }
};

// The one instance (port I/O has no state; one object keeps the "handed in" seam).
X86PortIo& x86_port_io();
// Measure the TSC rate with PIT channel 2 (boot, interrupts off, before the PIT driver owns channel 0).
void calibrate_tsc(X86PortIo& io);
unsigned long tsc_khz();
