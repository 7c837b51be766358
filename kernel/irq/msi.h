// Message signalled interrupts in the genirq core: the MSI descriptor (Linux include/linux/msi.h struct
// msi_desc with its PCI part: the Linux IRQ, the capability's layout, the mask bits and the message
// last written) and the PCI-MSI irq domain beneath which the x86 vector domain owns the vectors, with its
// "PCI-MSI" chip (Linux drivers/pci/msi/irqdomain.c, kernel/irq/msi.c, arch/x86/kernel/apic/msi.c):
// IRQ numbers, hwirq, the edge flow, activation that composes and writes the message, affinity.
#pragma once
#include "kernel/irq/irqdomain.h"
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
    unsigned vector = 0;  // 0: the line has no vector (not activated)
};

// Linux irqd_cfg: the vector and APIC ID the x86 vector domain (the root level below `irqd`) delivers
// the IRQ on now; {0, 0} when the IRQ has no vector level. Any context; the caller holds desc->lock
// (or the IRQ is not live yet) so the answer is stable.
irq_cfg irqd_cfg(irq_data* irqd);
// The APIC ID a message names for `cpu` (Linux's irq_cfg.dest_apicid from x86_cpu_to_apicid): the
// kernel's answer is in arch/x86/pci_msi_domain.cpp, the host tests' in tests/host/support. Any context.
unsigned x86_msi_cpu_apicid(unsigned cpu);

// Linux pci_msi_domain_calc_hwirq (drivers/pci/msi/irqdomain.c, 6.12): the MSI's number inside the
// PCI-MSI domain, `msi_index | pci_dev_id << 11 | pci_domain << 27` with pci_dev_id = bus << 8 | devfn
// (irqos has PCI domain 0 only): 00:04.0 vector 0 is 65536, the figure of the interrupts view.
constexpr unsigned long pci_msi_domain_calc_hwirq(uint8_t bus, uint8_t devfn, unsigned index) {
    return (unsigned long)index | ((unsigned long)bus << 8 | devfn) << 11;
}

// The PCI-MSI irq domain (Linux pci_msi_create_irq_domain on top of kernel/irq/msi.c, with x86's
// settings from arch/x86/kernel/apic/msi.c x86_init_dev_msi_info): one domain for every PCI function,
// a child of `parent` (the x86 vector domain), so each MSI's IRQ has two irq_data levels linked by
// parent_data. Boot CPU or host tests, process context. 0, -ENODEV (no parent: no local APIC, PIC mode;
// Linux creates no MSI domain then), -EEXIST (one exists), -ENOMEM.
int pci_msi_create_irq_domain(irq_domain* parent);
// Remove it again (host tests, the in-kernel test of PIC mode's refusal); every MSI must be freed first
// (WARN and nothing done otherwise). Process context.
void pci_msi_remove_irq_domain();
// The PCI-MSI domain, or NULL when no MSI can reach a CPU. Any context.
irq_domain* pci_msi_get_domain();
// Linux x86_create_pci_msi_domain: the domain above x86_vector_domain once CPU 0's local APIC is on
// (nothing without a local APIC). Boot CPU, interrupts off, once. Kernel only (arch/x86).
void x86_create_pci_msi_domain();

// Linux msi_domain_alloc_irqs with MSI_FLAG_ACTIVATE_EARLY: `desc->nvec_used` consecutive IRQs from
// MSI_FIRST_IRQ (Linux x86 allocates dynamic IRQs above the IO-APICs' GSIs), allocated through every
// level of the hierarchy (the vector domain's apic_chip_data, then this level: "PCI-MSI" chip, its
// hwirq, handle_edge_irq "edge"), then activated at once: the parent assigns a vector on a CPU of the
// line's affinity, and msi_domain_activate composes the message from it (irq_chip_compose_msi_msg) and
// writes it into the device, which stays masked until request_irq unmasks it. 0, -ENODEV (no PCI-MSI
// domain), -ENOSPC (no free IRQ numbers or vectors), -EINVAL (an APIC ID a message cannot name); nothing
// is left allocated after an error. Process context.
constexpr unsigned MSI_FIRST_IRQ = 24;  // above the ISA lines and the first IO-APIC's 24 pins, as on a PC
int msi_domain_alloc_irqs(msi_desc* desc);
// Deactivate (a zero message written, the vector released) and free the IRQs through the hierarchy.
// No action may be left on them (WARN and nothing freed otherwise). Process context.
void msi_domain_free_irqs(msi_desc* desc);
// The descriptor of a PCI-MSI IRQ, or NULL (Linux irq_get_msi_desc).
msi_desc* irq_get_msi_desc(unsigned irq);
// The "PCI-MSI" chip (for tests and the views).
extern IrqChip& pci_msi_chip;
