// The edu driver: binds QEMU's 1234:11e8 functions found by the PCI scan, takes MSI when the machine can
// deliver it and INTx otherwise (pci_alloc_irq_vectors, as Linux drivers do), and recognises its
// interrupt by the status register at BAR0 + 0x24, acknowledging it at BAR0 + 0x64. QEMU hw/misc/edu.c
// keeps INTx asserted while the status is not 0, and with MSI enabled sends one message per raise
// instead. The handler is the shape every Linux driver on a shared level line has: read status, not
// mine -> IRQ_NONE, else ack; it serves MSI unchanged.
#include "drivers/misc/edu_dev.h"
#include "drivers/pci/msi.h"
#include "kernel/errno.h"
#include "kernel/idle.h"
#include "kernel/jiffies.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "lib/vsprintf.h"

using namespace edu_regs;

namespace {

edu_device devices[EDU_MAX_DEVICES];
unsigned nr_devices;
constexpr uint64_t IDENTITY_MAP_LIMIT = 4ull << 30;  // the kernel's identity map (arch/x86/paging.h)

void count(unsigned long* counter) { __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED); }
unsigned long load(const unsigned long* counter) { return __atomic_load_n(counter, __ATOMIC_RELAXED); }

// The action: its own name per device, so `interrupts` tells two edu devices on one line apart. INTx is
// shared; an MSI belongs to this device alone (Linux drivers request it without IRQF_SHARED).
int request(edu_device* dev) {
    unsigned long flags = dev->mode == EDU_MODE_INTX ? (unsigned long)IRQF_SHARED : 0ul;
    int err = request_irq(dev->irq, edu_interrupt, flags, dev->action_name, dev);
    dev->requested = err == 0;
    return err;
}

void release(edu_device* dev) {
    if (!dev->requested) return;
    free_irq(dev->irq, dev);
    dev->requested = false;
}

// pci_alloc_irq_vectors for one vector of `mode`; dev->irq and dev->mode follow. 0 or its error.
int take_vectors(edu_device* dev, edu_irq_mode mode) {
    unsigned type = mode == EDU_MODE_MSI ? PCI_IRQ_MSI : PCI_IRQ_INTX;
    int n = pci_alloc_irq_vectors(dev->pdev, 1, 1, type);
    if (n < 0) return n;
    dev->mode = mode;
    dev->irq = (unsigned)pci_irq_vector(dev->pdev, 0);
    return 0;
}

// The INTx line to go back to: dev->irq unless MSI is on.
unsigned intx_irq(const edu_device* dev) {
    const pci_dev* p = dev->pdev;
    return p->msi_enabled ? p->msi->msi_attrib.default_irq : p->irq;
}

struct handled_since {
    edu_device* dev;
    unsigned long before;
};
bool handled_more(void* arg) {
    auto* h = static_cast<handled_since*>(arg);
    return load(&h->dev->handled) != h->before;
}

// Wait, interrupts on and idling, until the handler has handled more than `before` or `deadline` passed.
bool wait_handled(edu_device* dev, unsigned long before, unsigned long deadline) {
    handled_since h{dev, before};
    return idle_until(handled_more, &h, deadline);
}

}  // namespace

irqreturn_t edu_interrupt(int, void* dev_id) {
    auto* dev = static_cast<edu_device*>(dev_id);
    count(&dev->calls);
    if (READ_ONCE(dev->faulty)) {  // the driver no longer recognises its device: no read, no ack
        count(&dev->not_mine);
        return IRQ_NONE;
    }
    uint32_t status = dev->mmio->read32(EDU_REG_IRQ_STATUS);
    if (!status) {  // another device on the shared line
        count(&dev->not_mine);
        return IRQ_NONE;
    }
    dev->mmio->write32(EDU_REG_IRQ_ACK, status);  // exactly what we saw: a bit raised since stays asserted
    count(&dev->handled);
    return IRQ_HANDLED;
}

edu_device* edu_attach(pci_dev* pdev, IoMem* mmio, int* err) {
    char name[8];
    pci_dev_name(pdev, name, sizeof name);
    *err = -ENODEV;
    if (nr_devices == EDU_MAX_DEVICES) {
        pr_warn("edu %s: more than %u edu devices, not bound\n", name, EDU_MAX_DEVICES);
        return nullptr;
    }
    edu_irq_mode mode = edu_default_mode(pdev);
    if (mode == EDU_MODE_INTX && !pdev->irq) {
        pr_warn("edu %s: no INTx line (pin %s, line %u) and no MSI, not bound\n", name,
                pci_pin_name(pdev->interrupt_pin), pdev->interrupt_line);
        return nullptr;
    }
    edu_device* dev = &devices[nr_devices];  // taken only once everything below succeeded
    *dev = edu_device{};
    dev->direct = DirectIoMem((uintptr_t)pdev->bar[0].start);
    dev->mmio = mmio ? mmio : &dev->direct;
    uint32_t id = dev->mmio->read32(EDU_REG_ID);
    if ((id & EDU_ID_MAGIC_MASK) != EDU_ID_MAGIC) {
        pr_warn("edu %s: identification 0x%08x is not an edu device's, not bound\n", name, id);
        return nullptr;
    }
    constexpr uint32_t probe_value = 0x5A5AA5A5;
    dev->mmio->write32(EDU_REG_LIVENESS, probe_value);
    if (dev->mmio->read32(EDU_REG_LIVENESS) != ~probe_value) {
        pr_warn("edu %s: liveness check failed, not bound\n", name);
        return nullptr;
    }
    dev->pdev = pdev;
    dev->irq = pdev->irq;
    snprintf(dev->name, sizeof dev->name, "%s", name);
    snprintf(dev->action_name, sizeof dev->action_name, "edu:%s", name);
    edu_ack_irq(dev, edu_irq_status(dev));  // nothing left asserted from before
    if (mode == EDU_MODE_MSI) {
        *err = take_vectors(dev, EDU_MODE_MSI);
        if (*err) {
            pr_err("edu %s: pci_alloc_irq_vectors(MSI) failed (%d)\n", name, *err);
            return nullptr;
        }
    }
    *err = request(dev);
    if (*err) {
        pr_err("edu %s: request_irq(%u) failed (%d)\n", name, dev->irq, *err);
        if (dev->mode == EDU_MODE_MSI) pci_free_irq_vectors(pdev);
        return nullptr;
    }
    nr_devices++;
    if (dev->mode == EDU_MODE_MSI)
        pr_info("edu %s: version %u.%u, BAR0 0x%llx, IRQ %u (MSI, edge)\n", name, id >> 24, (id >> 16) & 0xFF,
                (unsigned long long)pdev->bar[0].start, dev->irq);
    else
        pr_info("edu %s: version %u.%u, BAR0 0x%llx, IRQ %u (%s), shared\n", name, id >> 24, (id >> 16) & 0xFF,
                (unsigned long long)pdev->bar[0].start, dev->irq, pci_pin_name(pdev->interrupt_pin));
    return dev;
}

void edu_detach_all() {
    for (unsigned i = 0; i < nr_devices; i++) {
        release(&devices[i]);
        if (devices[i].mode == EDU_MODE_MSI) pci_free_irq_vectors(devices[i].pdev);
    }
    nr_devices = 0;
}

edu_irq_mode edu_default_mode(const pci_dev* pdev) {
    return pci_msi_get_domain() && pdev->msi_cap ? EDU_MODE_MSI : EDU_MODE_INTX;
}
edu_irq_mode edu_get_mode(const edu_device* dev) { return dev->mode; }
const char* edu_mode_name(edu_irq_mode mode) { return mode == EDU_MODE_MSI ? "MSI" : "INTx"; }

int edu_set_mode(edu_device* dev, edu_irq_mode mode) {
    if (mode == dev->mode) return 0;
    pci_dev* p = dev->pdev;
    if (mode == EDU_MODE_MSI && !pci_msi_get_domain()) return -EINVAL;
    if (mode == EDU_MODE_MSI && !p->msi_cap) return -ENODEV;
    if (mode == EDU_MODE_INTX && !intx_irq(dev)) return -ENODEV;
    edu_irq_mode old = dev->mode;
    release(dev);  // free_irq waits for a running handler
    if (old == EDU_MODE_MSI) pci_free_irq_vectors(p);
    int err = take_vectors(dev, mode);
    if (!err) {
        err = request(dev);
        if (err) pci_free_irq_vectors(p);
    }
    if (err) {  // back to where it was, so the device is still served
        if (take_vectors(dev, old) == 0) (void)request(dev);
    }
    // A raise the old mode did not deliver before the switch: raise it again in the mode now in force.
    if (uint32_t pending = edu_irq_status(dev); pending && dev->requested)
        dev->mmio->write32(EDU_REG_IRQ_RAISE, pending);
    return err;
}

int edu_init() {
    int first_err = 0;
    for (pci_dev* p = pci_get_device(EDU_VENDOR_ID, EDU_DEVICE_ID, nullptr); p;
         p = pci_get_device(EDU_VENDOR_ID, EDU_DEVICE_ID, p)) {
        const pci_bar& bar = p->bar[0];
        int err = -ENODEV;
        if (!(bar.flags & PCI_BAR_MEM) || bar.size < EDU_BAR0_MIN || !bar.start ||
            bar.start + bar.size > IDENTITY_MAP_LIMIT) {
            char name[8];
            pr_warn("edu %s: BAR0 is not a memory window below 4 GiB, not bound\n", pci_dev_name(p, name, sizeof name));
        } else {
            pci_enable_device(p);
            pci_set_master(p);  // an MSI is a memory write by the device: QEMU drops it without bus mastering
            edu_attach(p, nullptr, &err);
        }
        if (err && !first_err) first_err = err;
    }
    return first_err ? first_err : (int)nr_devices;
}

unsigned edu_count() { return nr_devices; }
edu_device* edu_get(unsigned index) { return index < nr_devices ? &devices[index] : nullptr; }
const char* edu_name(const edu_device* dev) { return dev->name; }
unsigned edu_irq(const edu_device* dev) { return dev->irq; }
void edu_set_faulty(edu_device* dev, bool faulty) { WRITE_ONCE(dev->faulty, faulty); }
bool edu_is_faulty(const edu_device* dev) { return READ_ONCE(dev->faulty); }

void edu_raise_irq(edu_device* dev) {
    count(&dev->raised);
    dev->mmio->write32(EDU_REG_IRQ_RAISE, EDU_IRQ_RAISE_BIT);
}

int edu_raise(edu_device* dev, unsigned n, unsigned timeout_ms) {
    for (unsigned i = 0; i < n; i++) {
        unsigned long before = load(&dev->handled);
        unsigned long deadline = jiffies + msecs_to_jiffies(timeout_ms) + 1;  // +1: a partial first tick
        edu_raise_irq(dev);
        if (!wait_handled(dev, before, deadline)) return -ETIMEDOUT;
    }
    return 0;
}

uint32_t edu_irq_status(edu_device* dev) { return dev->mmio->read32(EDU_REG_IRQ_STATUS); }
void edu_ack_irq(edu_device* dev, uint32_t bits) { dev->mmio->write32(EDU_REG_IRQ_ACK, bits); }

edu_stats edu_get_stats(const edu_device* dev) {
    return {load(&dev->raised), load(&dev->calls), load(&dev->handled), load(&dev->not_mine)};
}

int edu_rebind(edu_device* dev) {
    release(dev);
    return request(dev);
}
