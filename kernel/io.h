// Port and memory-mapped I/O as objects handed to drivers (the seam that makes chips testable).
// arch/x86/portio.h has the real implementation; tests/host/support has a recording fake.
//
// The accessors are not virtual themselves: an object that is the machine's own port space (the kernel's
// X86PortIo, constructed "direct") is served by the inline IN/OUT of <asm/io.h>, so a driver on an
// interrupt path pays one test instead of an indirect call per access; any other object (a test fake)
// goes through the virtual do_* functions. On the host build there is no port space at all
// (arch_has_port_io is false) and the direct branch is compiled away.
#pragma once
#include "kernel/types.h"
#include <asm/io.h>

class PortIo {
public:
    uint8_t inb(uint16_t port) { return direct() ? arch_inb(port) : do_inb(port); }
    void outb(uint16_t port, uint8_t value) { direct() ? arch_outb(port, value) : do_outb(port, value); }
    uint16_t inw(uint16_t port) { return direct() ? arch_inw(port) : do_inw(port); }
    void outw(uint16_t port, uint16_t value) { direct() ? arch_outw(port, value) : do_outw(port, value); }
    uint32_t inl(uint16_t port) { return direct() ? arch_inl(port) : do_inl(port); }
    void outl(uint16_t port, uint32_t value) { direct() ? arch_outl(port, value) : do_outl(port, value); }
    // A short I/O delay (Linux's io_delay: a write to port 0x80). The fake records it too.
    virtual void io_delay() = 0;
    // Busy-wait at least `us` microseconds (8259 init needs 100 us). The fake records it.
    virtual void udelay(unsigned us) = 0;

protected:
    explicit constexpr PortIo(bool direct = false) : direct_(direct) {}
    ~PortIo() = default;
    virtual uint8_t do_inb(uint16_t port) = 0;
    virtual void do_outb(uint16_t port, uint8_t value) = 0;
    virtual uint16_t do_inw(uint16_t port) = 0;
    virtual void do_outw(uint16_t port, uint16_t value) = 0;
    virtual uint32_t do_inl(uint16_t port) = 0;
    virtual void do_outl(uint16_t port, uint32_t value) = 0;

private:
    bool direct() const { return arch_has_port_io && direct_; }
    const bool direct_;
};
