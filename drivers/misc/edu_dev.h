// Inside the edu driver: the device's registers (QEMU hw/misc/edu.c, docs/specs/edu.rst), the per-device
// state, the interrupt handler and the binding of one PCI function to a register window, so the host
// tests can bind a fake device and the shell command can show everything.
#pragma once
#include "drivers/misc/edu.h"
#include "drivers/pci/iomem.h"
#include "drivers/pci/pci.h"
#include "kernel/irq/interrupt.h"

namespace edu_regs {
constexpr uint16_t EDU_VENDOR_ID = 0x1234;
constexpr uint16_t EDU_DEVICE_ID = 0x11e8;
constexpr uint32_t EDU_REG_ID = 0x00;          // RO: 0xRRrr00ed, major RR, minor rr (QEMU 7.2: 0x010000ed)
constexpr uint32_t EDU_REG_LIVENESS = 0x04;    // RW: reads back the bitwise inverse of what was written
constexpr uint32_t EDU_REG_IRQ_STATUS = 0x24;  // RO: interrupt status; INTx is asserted while it is not 0
constexpr uint32_t EDU_REG_IRQ_RAISE = 0x60;   // WO: OR the written bits into the status (raises INTx)
constexpr uint32_t EDU_REG_IRQ_ACK = 0x64;     // WO: clear the written bits (INTx drops when status is 0)
constexpr uint32_t EDU_ID_MAGIC_MASK = 0xFF, EDU_ID_MAGIC = 0xED;
constexpr uint32_t EDU_BAR0_MIN = 0x100;     // registers up to 0x9C; QEMU's BAR0 is 1 MiB
constexpr uint32_t EDU_IRQ_RAISE_BIT = 0x1;  // what `edu raise` writes into the status
constexpr unsigned EDU_MAX_DEVICES = 4;
}  // namespace edu_regs

struct edu_device {
    pci_dev* pdev = nullptr;
    IoMem* mmio = nullptr;
    DirectIoMem direct;                 // the real window (unused when a test binds a fake)
    unsigned irq = 0;                   // the INTx line or the MSI's IRQ, as `mode` says
    edu_irq_mode mode = EDU_MODE_INTX;  // changed only by edu_set_mode (process context)
    bool faulty = false;                // read by the handler (READ_ONCE), written by the shell
    bool requested = false;             // the action is on the line
    char name[8] = {};                  // "00:04.0"
    char action_name[16] = {};          // "edu:00:04.0", what `interrupts` shows
    // Counters: the handler adds in hard-IRQ context, the shell reads (relaxed atomics).
    unsigned long raised = 0, calls = 0, handled = 0, not_mine = 0;
};

// The handler (hard-IRQ context, shared line): IRQ_NONE when faulty, or when the device's status is 0
// (another device on the line raised it); otherwise acknowledge exactly the bits read and IRQ_HANDLED.
irqreturn_t edu_interrupt(int irq, void* dev_id);
// Bind `pdev` with registers behind `mmio` (nullptr: the function's own BAR0 window through the identity
// map, as at boot; a test passes a fake): check the identification and liveness registers, take MSI or
// INTx (edu_default_mode; INTx shared) and request it. Returns the new device, or nullptr after printing
// why (-ENODEV: not an edu / neither MSI nor INTx / table full; pci_alloc_irq_vectors' or request_irq's
// error).
// Process context, may sleep.
edu_device* edu_attach(pci_dev* pdev, IoMem* mmio, int* err);
// Free every bound device's action and forget them (host tests; the kernel never unbinds). Process context.
void edu_detach_all();
