// The PC's second serial port, COM1's twin at 0x2F8 on IRQ 3, as the misbehaving-device scenarios use it:
// the half-duplex bus (drivers/serial/halfduplex.h) and the storm source (drivers/serial/com2_storm.cpp).
// Nothing is probed at boot; a command probes the UART (Linux 8250 autoconfig's scratch test) when it
// first needs it. Register names and bits: drivers/serial/uart16550.h (the PC16550D datasheet).
#pragma once
#include "kernel/io.h"

namespace com2 {
constexpr uint16_t BASE = 0x2F8;
constexpr unsigned IRQ = 3;
}  // namespace com2

// Boot (or a host test): remember the port space COM2 lives in. Touches no hardware.
void com2_bind(PortIo& io);
// The bound port space, or nullptr before com2_bind().
PortIo* com2_port_io();
// Scratch-register test (write two patterns to SCR, read each back), leaving SCR as found. False if
// nothing is bound or nothing answers at 0x2F8 (QEMU has COM2 only with a second -serial; Bochs with
// `com2: enabled=1`). Process context, any interrupt state; not against a concurrent COM2 user.
bool com2_probe();
// The storm source "com2" (com2_storm.cpp): calls of its faulty handler since the last prepare. Any context.
unsigned long com2_storm_handler_calls();
