// COM2's port binding and presence test (see com2.h). The test is Linux serial8250's scratch-register
// check (drivers/tty/serial/8250/8250_port.c autoconfig), written anew.
#include "drivers/serial/com2.h"
#include "drivers/serial/uart16550.h"

namespace {
PortIo* com2_io = nullptr;
}

void com2_bind(PortIo& io) { WRITE_ONCE(com2_io, &io); }

PortIo* com2_port_io() { return READ_ONCE(com2_io); }

bool com2_probe() {
    constexpr uint8_t pattern1 = 0x5A, pattern2 = 0xA5;
    PortIo* io = com2_port_io();
    if (!io) return false;
    uint8_t saved = io->inb(com2::BASE + uart::SCR);
    io->outb(com2::BASE + uart::SCR, pattern1);
    bool ok = io->inb(com2::BASE + uart::SCR) == pattern1;
    io->outb(com2::BASE + uart::SCR, pattern2);
    ok = ok && io->inb(com2::BASE + uart::SCR) == pattern2;
    if (ok) io->outb(com2::BASE + uart::SCR, saved);
    return ok;
}
