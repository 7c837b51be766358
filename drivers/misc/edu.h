// The driver of QEMU's `edu` PCI device (1234:11e8, QEMU docs/specs/edu.rst): an educational device whose
// BAR0 registers let software raise and acknowledge its level-triggered INTx at will. The driver shares
// the line (IRQF_SHARED, dev_id = the device) and recognises its interrupt by the device's interrupt
// status register, as any PCI driver on a shared INTx line must. This is the interface the scenarios use.
// All functions: process context unless noted.
#pragma once
#include "kernel/types.h"

struct pci_dev;

struct edu_device;
unsigned edu_count();                               // edu devices found at boot (0 on Bochs / without -device edu)
edu_device* edu_get(unsigned index);                // nullptr if index >= edu_count()
const char* edu_name(const edu_device* dev);        // "00:04.0" (bus:dev.fn)
unsigned edu_irq(const edu_device* dev);            // its IRQ now: the INTx line, or the MSI's IRQ
void edu_set_faulty(edu_device* dev, bool faulty);  // faulty: the handler neither claims nor acks
bool edu_is_faulty(const edu_device* dev);
void edu_raise_irq(edu_device* dev);  // raise one interrupt and return at once (any context)
// Raise n interrupts, each handled before the next, waiting at most timeout_ms for each (interrupts on,
// idling). 0, or -ETIMEDOUT if one was not served (line disabled, faulty driver, ...).
int edu_raise(edu_device* dev, unsigned n, unsigned timeout_ms);
uint32_t edu_irq_status(edu_device* dev);          // the device's interrupt status register (0: not asserting)
void edu_ack_irq(edu_device* dev, uint32_t bits);  // acknowledge at the device (drops INTx); any context
struct edu_stats {
    unsigned long raised, calls, handled, not_mine;
};  // handler calls = handled + not_mine
edu_stats edu_get_stats(const edu_device* dev);
// Re-arm the driver's action: free_irq + request_irq (a new action clears IRQS_SPURIOUS_DISABLED and the
// spurious counters, as in Linux __setup_irq). Returns request_irq's result.
int edu_rebind(edu_device* dev);

// How the device interrupts: its INTx line (level, shared) or a message (MSI, edge, its own IRQ).
enum edu_irq_mode { EDU_MODE_INTX, EDU_MODE_MSI };
edu_irq_mode edu_get_mode(const edu_device* dev);
const char* edu_mode_name(edu_irq_mode mode);  // "INTx", "MSI"
// Switch the device to `mode`: free_irq, pci_free_irq_vectors / pci_alloc_irq_vectors, request_irq
// again. An interrupt raised but not yet served when the switch began is raised again in the new mode
// (the device sends a message only when raised, and its INTx stays low while MSI was on), so none is
// lost or counted twice. 0 (also when already in `mode`), or: -EINVAL (MSI without a local APIC: PIC
// mode, as Linux offers no MSI then; pci_alloc_irq_vectors' answer), -ENODEV (no MSI capability, or no INTx line to go back to),
// pci_alloc_irq_vectors' or request_irq's error (the previous mode is restored then). Process context,
// may sleep; not from the device's own handler.
int edu_set_mode(edu_device* dev, edu_irq_mode mode);
// The mode a device is bound in at boot: MSI when an MSI parent exists (APIC mode) and the function has
// the capability, as Linux drivers prefer; INTx otherwise (PIC mode, `noapic`).
edu_irq_mode edu_default_mode(const pci_dev* pdev);

// Boot, after the PCI scan (pci_init) and the interrupt controller, before interrupts are enabled: bind
// every 1234:11e8 function (memory decoding on, identification and liveness checked, its INTx line
// requested shared). Prints one line per device bound and nothing when there is none. Returns the
// number bound, or the first error when a device was found but could not be bound.
int edu_init();
