// pci_alloc_irq_vectors and its companions (Linux drivers/pci/msi/api.c and msi.c
// __pci_enable_msi_range, msi_capability_init, pci_msi_shutdown): which interrupt a driver gets, and
// the order in which the function is switched: MSI off while it is set up, every vector masked, the
// IRQs allocated and the message written (PCI-MSI domain, kernel/irq/msi.cpp), INTx disabled, MSI on.
// Turning it off again runs the other way round: MSI off, INTx on, the mask bits cleared.
#include "drivers/pci/msi.h"
#include "kernel/errno.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/printk.h"

namespace {

bool irq_has_action(unsigned irq) {
    irq_desc* desc = irq_to_desc(irq);
    return desc && READ_ONCE(desc->action);
}

msi_desc descs[PCI_MSI_MAX_DEVICES];
raw_spinlock_t descs_lock;

msi_desc* desc_get() {
    SpinLockIrqSave guard(descs_lock);
    for (msi_desc& d : descs)
        if (!d.dev) {
            d.dev = reinterpret_cast<pci_dev*>(&d);  // taken; filled by pci_msi_setup_desc
            return &d;
        }
    return nullptr;
}

void desc_put(msi_desc* d) {
    SpinLockIrqSave guard(descs_lock);
    *d = msi_desc{};
}

// Linux pci_msi_supported: MSI must reach a CPU (the PCI-MSI domain exists) and at least one vector be
// asked.
bool pci_msi_supported(const pci_dev* dev, unsigned nvec) { return pci_msi_get_domain() && dev && nvec >= 1; }

// Linux msi_capability_init: 0, a positive count worth retrying with, or an error. x86 without
// interrupt remapping takes no multiple MSI (Linux: MSI_FLAG_MULTI_PCI_MSI not supported by the vector
// domain), so more than one vector asks for a retry with 1.
int msi_capability_init(pci_dev* dev, unsigned nvec) {
    if (nvec > 1) return 1;
    pci_msi_set_enable(dev, false);  // off while it is set up, marked on for the code below
    dev->msi_enabled = true;
    msi_desc* desc = desc_get();
    if (!desc) {
        dev->msi_enabled = false;
        return -ENOSPC;
    }
    pci_msi_setup_desc(dev, nvec, desc);
    pci_msi_mask(desc, msi_multi_mask(desc));  // every vector masked until request_irq unmasks it
    int err = msi_domain_alloc_irqs(desc);
    if (!err && dev->no_64bit_msi && desc->msg.address_hi) {
        char name[8];
        pr_err("pci 0000:%s: arch assigned 64-bit MSI address %#x%08x but device only supports 32 bits\n",
               pci_dev_name(dev, name, sizeof name), desc->msg.address_hi, desc->msg.address_lo);
        msi_domain_free_irqs(desc);
        err = -EIO;
    }
    if (err) {
        pci_msi_unmask(desc, msi_multi_mask(desc));
        desc_put(desc);
        dev->msi_enabled = false;
        return err;
    }
    pci_intx(dev, false);  // INTx disabled first: the function must not assert both
    pci_msi_set_enable(dev, true);
    dev->msi = desc;
    dev->irq = desc->irq;
    return 0;
}

// Linux __pci_enable_msi_range.
int pci_enable_msi_range(pci_dev* dev, unsigned minvec, unsigned maxvec) {
    if (!pci_msi_supported(dev, minvec)) return -EINVAL;
    if (maxvec < minvec) return -ERANGE;
    if (WARN_ON_ONCE(dev->msi_enabled)) return -EINVAL;
    int nvec = pci_msi_vec_count(dev);
    if (nvec < 0) return nvec;
    if ((unsigned)nvec < minvec) return -ENOSPC;
    if ((unsigned)nvec > maxvec) nvec = (int)maxvec;
    for (;;) {
        int rc = msi_capability_init(dev, (unsigned)nvec);
        if (rc == 0) return nvec;
        if (rc < 0) return rc;
        if ((unsigned)rc < minvec) return -ENOSPC;
        nvec = rc;
    }
}

// Linux pci_msi_shutdown + pci_free_msi_irqs.
void pci_disable_msi(pci_dev* dev) {
    if (!dev->msi_enabled) return;
    msi_desc* desc = dev->msi;
    for (unsigned i = 0; i < desc->nvec_used; i++)
        if (WARN(irq_has_action(desc->irq + i), "pci_free_irq_vectors: IRQ %u still requested; MSI left on\n",
                 desc->irq + i))
            return;
    pci_msi_set_enable(dev, false);
    pci_intx(dev, true);
    dev->msi_enabled = false;
    pci_msi_unmask(desc, msi_multi_mask(desc));  // back to the state at reset
    dev->irq = desc->msi_attrib.default_irq;
    msi_domain_free_irqs(desc);
    dev->msi = nullptr;
    desc_put(desc);
}

}  // namespace

int pci_alloc_irq_vectors(pci_dev* dev, unsigned min_vecs, unsigned max_vecs, unsigned flags) {
    int nvecs = -ENOSPC;
    if (flags & PCI_IRQ_MSI) {
        nvecs = pci_enable_msi_range(dev, min_vecs, max_vecs);
        if (nvecs > 0) return nvecs;
    }
    if ((flags & PCI_IRQ_INTX) && min_vecs == 1 && dev->irq) {
        pci_intx(dev, true);
        return 1;
    }
    return nvecs;
}

int pci_irq_vector(const pci_dev* dev, unsigned nr) {
    if (!dev->msi_enabled) return nr == 0 ? (int)dev->irq : -EINVAL;
    return nr < dev->msi->nvec_used ? (int)(dev->msi->irq + nr) : -EINVAL;
}

void pci_free_irq_vectors(pci_dev* dev) { pci_disable_msi(dev); }
