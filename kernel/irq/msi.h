// Message signalled interrupts in the genirq core: the MSI descriptor (Linux include/linux/msi.h struct
// msi_desc with its PCI part: the Linux IRQ, the capability's layout, the mask bits and the message
// last written), the parent that owns the vectors (on x86 the vector domain), and the PCI-MSI domain
// with its "PCI-MSI" chip (Linux drivers/pci/msi/irqdomain.c, kernel/irq/msi.c, arch/x86/kernel/apic/
// msi.c): IRQ numbers, hwirq, the edge flow, activation that composes and writes the message.
#pragma once
#include "kernel/irq/irq.h"
#include "kernel/irq/msi_msg.h"

struct pci_dev;

struct msi_desc {
    unsigned irq = 0;        // the first Linux IRQ (0: none allocated yet)
    unsigned nvec_used = 0;  // vectors allocated: irq .. irq + nvec_used - 1
    pci_dev* dev = nullptr;
    uint16_t msi_index = 0;  // which of the device's MSI sources (0 for plain MSI)
    msi_msg msg;             // the message last written to the device
    struct {
        bool is_64 = false;        // 64-bit address: the data register is at +0x0C, mask at +0x10
        bool can_mask = false;     // per-vector mask bits (PCI_MSI_FLAGS_MASKBIT)
        uint8_t multi_cap = 0;     // log2 of the vectors the device can send (Multiple Message Capable)
        uint8_t multiple = 0;      // log2 of the vectors enabled (Multiple Message Enable)
        unsigned default_irq = 0;  // the INTx IRQ to go back to when MSI is turned off
    } msi_attrib;
    uint16_t mask_pos = 0;  // configuration offset of the mask bits
    uint32_t msi_mask = 0;  // the mask bits as last written (only with can_mask)
};

// Where an interrupt is delivered (Linux arch/x86/include/asm/hw_irq.h struct irq_cfg): the vector and
// the local APIC of the target CPU.
struct irq_cfg {
    uint32_t dest_apicid = 0;
    unsigned vector = 0;
};

// The domain beneath PCI-MSI (Linux: the MSI parent, on x86 the vector domain, arch/x86/kernel/apic/
// vector.c and msi.c). It owns the vectors: activation gives the IRQ a vector on a CPU and maps it in
// that CPU's vector_irq table, and an interrupt is acknowledged at the local APIC through it.
class MsiParent {
public:
    // Linux x86_vector_activate: a vector and a destination for `irq`. 0, or -ENOSPC (no vector free).
    // Process context, may take the vector lock; the IRQ's descriptor lock is not held.
    virtual int activate(unsigned irq, irq_cfg* cfg) = 0;
    // Linux x86_vector_deactivate: release the vector (the IRQ has no action any more).
    virtual void deactivate(unsigned irq) = 0;
    // Linux irq_chip_ack_parent -> apic_ack_irq: the EOI at this CPU's local APIC. Hard-IRQ context.
    virtual void ack(irq_data* d) = 0;

protected:
    ~MsiParent() = default;
};

// The PCI-MSI domain's parent: NULL (the default) while the 8259 pair delivers interrupts, when no MSI
// can reach a CPU (Linux creates no MSI domain without a local APIC: x86_create_pci_msi_domain). Set
// by the APIC-mode switch at boot (interrupts off), and by tests. Any context reads it.
void pci_msi_set_parent(MsiParent* parent);
MsiParent* pci_msi_parent();
// The kernel's parent (arch/x86/msi_parent.cpp): CPU 0's vectors. Installed once the local APIC is on
// (boot CPU, interrupts off); nothing without a local APIC. Kernel only.
void x86_msi_parent_init();

// Linux pci_msi_domain_calc_hwirq: the MSI's number inside the PCI-MSI domain, from the PCI domain (0),
// bus, devfn and the vector's index: 00:04.0 vector 0 is 65536, the figure of the interrupts view.
constexpr unsigned long pci_msi_domain_calc_hwirq(uint8_t bus, uint8_t devfn, unsigned index) {
    return (unsigned long)index | ((unsigned long)bus << 8 | devfn) << 11;
}

// The PCI-MSI domain (Linux drivers/pci/msi/irqdomain.c on top of kernel/irq/msi.c), used by
// pci_alloc_irq_vectors. msi_domain_alloc_irqs: `desc->nvec_used` consecutive free Linux IRQs (from
// MSI_FIRST_IRQ), each wired to the "PCI-MSI" chip with handle_edge_irq ("edge") and its hwirq, then
// activated at once (Linux's MSI_FLAG_ACTIVATE_EARLY): a vector from the parent, the message composed
// from it and written into the device, which stays masked until request_irq unmasks it. 0, -ENODEV (no
// parent), -ENOSPC (no free IRQ numbers or vectors; nothing left allocated). Process context.
constexpr unsigned MSI_FIRST_IRQ = 24;  // above the ISA lines and the first IO-APIC's 24 pins, as on a PC
int msi_domain_alloc_irqs(msi_desc* desc);
// Deactivate and free the IRQs again (no action may be left on them: WARN and nothing freed otherwise).
// Process context.
void msi_domain_free_irqs(msi_desc* desc);
// The chip's irq_compose_msi_msg and irq_write_msi_msg for `irq` with its current vector and
// destination, e.g. after the parent moved it to another CPU (Linux msi_domain_set_affinity's second
// half). 0, or -EINVAL for an IRQ that is not a PCI-MSI one. Any context (takes no descriptor lock).
int msi_domain_update_msg(unsigned irq, const irq_cfg& cfg);
// The descriptor of a PCI-MSI IRQ, or NULL (Linux irq_get_msi_desc).
msi_desc* irq_get_msi_desc(unsigned irq);
// The "PCI-MSI" chip (for tests and the views).
extern IrqChip& pci_msi_chip;
