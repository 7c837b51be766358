// The driver of QEMU's `edu` PCI device (1234:11e8, QEMU docs/specs/edu.rst): an educational device whose
// BAR0 registers let software raise and acknowledge its level-triggered INTx at will. The driver shares
// the line (IRQF_SHARED, dev_id = the device) and recognises its interrupt by the device's interrupt
// status register, as any PCI driver on a shared INTx line must. This is the interface the scenarios use.
// All functions: process context unless noted.
#pragma once
#include "kernel/types.h"

struct edu_device;
unsigned edu_count();                               // edu devices found at boot (0 on Bochs / without -device edu)
edu_device* edu_get(unsigned index);                // nullptr if index >= edu_count()
const char* edu_name(const edu_device* dev);        // "00:04.0" (bus:dev.fn)
unsigned edu_irq(const edu_device* dev);            // its INTx line, from configuration space
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

// Boot, after the PCI scan (pci_init) and the interrupt controller, before interrupts are enabled: bind
// every 1234:11e8 function (memory decoding on, identification and liveness checked, its INTx line
// requested shared). Prints one line per device bound and nothing when there is none. Returns the
// number bound, or the first error when a device was found but could not be bound.
int edu_init();
