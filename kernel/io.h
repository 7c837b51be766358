// Port and memory-mapped I/O as objects handed to drivers (the seam that makes chips testable).
// arch/x86/portio.h has the real implementation; tests/host/support has a recording fake.
#pragma once
#include "kernel/types.h"

class PortIo {
public:
    virtual uint8_t inb(uint16_t port) = 0;
    virtual void outb(uint16_t port, uint8_t value) = 0;
    virtual uint16_t inw(uint16_t port) = 0;
    virtual void outw(uint16_t port, uint16_t value) = 0;
    virtual uint32_t inl(uint16_t port) = 0;
    virtual void outl(uint16_t port, uint32_t value) = 0;
    // A short I/O delay (Linux's io_delay: a write to port 0x80). The fake records it too.
    virtual void io_delay() = 0;
    // Busy-wait at least `us` microseconds (8259 init needs 100 us). The fake records it.
    virtual void udelay(unsigned us) = 0;
protected:
    ~PortIo() = default;
};
