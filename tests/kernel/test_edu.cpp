// In-kernel tests of PCI and the edu driver on the emulated machine: the boot scan's host bridge and
// configuration access (QEMU and Bochs), the edu device's configuration (BAR0 1 MiB, pin A, the line the
// driver requested, level in the ELCR), N raised interrupts handled exactly N times, a faulty driver
// returning IRQ_NONE with the device still asserting, and an interrupt not served on a disabled line.
// The device's INTx tests switch it to INTx (in APIC mode it runs on MSI by default) and back.
// Without an edu device (Bochs, or QEMU without -device edu) the edu tests report a skip, never a pass.
#include "tests/kernel/ktest.h"
#include "tests/kernel/kt_hw.h"
#include "drivers/misc/edu_dev.h"
#include "drivers/pci/pci.h"
#include "drivers/pic/legacy_pic.h"
#include "kernel/irq/interrupt.h"
#include "kernel/spinlock.h"

using namespace pci_regs;
using namespace edu_regs;

namespace {

constexpr unsigned RAISES = 16;
constexpr unsigned RAISE_TIMEOUT_MS = 1000;  // generous: a served raise takes microseconds
constexpr unsigned UNSERVED_TIMEOUT_MS = 20;
constexpr uint64_t SERVE_LIMIT_US = 1000000;

bool status_clear(void* dev) { return edu_irq_status(static_cast<edu_device*>(dev)) == 0; }

// The edu device on INTx for the test's duration, its mode put back afterwards.
struct EduIntx {
    edu_device* dev;
    edu_irq_mode was;
    int err = 0;
    explicit EduIntx(edu_device* d) : dev(d), was(d->mode) {
        if (was != EDU_MODE_INTX) err = edu_set_mode(dev, EDU_MODE_INTX);
    }
    ~EduIntx() {
        if (was != EDU_MODE_INTX) (void)edu_set_mode(dev, was);
    }
};

bool has_action(unsigned irq, const void* dev_id) {
    for (irqaction* a = irq_to_desc(irq)->action; a; a = a->next)
        if (a->dev_id == dev_id && a->handler == &edu_interrupt) return true;
    return false;
}

}  // namespace

KTEST(pci, scan_found_the_host_bridge) {
    KASSERT(pci_dev_count() > 0);
    const pci_dev* hb = pci_dev_at(0);
    KEXPECT_EQ(hb->bus, 0);
    KEXPECT_EQ(hb->devfn, 0);
    KEXPECT_EQ(hb->vendor, 0x8086);  // i440FX on both emulators
    KEXPECT_EQ(hb->device, 0x1237);
    KEXPECT_EQ(hb->class_code >> 8, 0x0600u);
    KEXPECT_EQ(pci_read_config_word(hb, PCI_VENDOR_ID), hb->vendor);
    KEXPECT_EQ(pci_read_config_word(hb, PCI_DEVICE_ID), hb->device);
    KEXPECT_EQ(pci_read_config_dword(hb, PCI_CLASS_REVISION) >> 8, hb->class_code);
}

KTEST(edu, every_edu_function_is_bound) {
    unsigned functions = 0;
    for (pci_dev* p = pci_get_device(EDU_VENDOR_ID, EDU_DEVICE_ID, nullptr); p;
         p = pci_get_device(EDU_VENDOR_ID, EDU_DEVICE_ID, p))
        functions++;
    KEXPECT_EQ(edu_count(), functions);  // 0 and 0 on Bochs
    KEXPECT_EQ(edu_get(edu_count()), (edu_device*)nullptr);
}

KTEST(edu, pci_configuration) {
    edu_device* dev = edu_get(0);
    if (!dev) KSKIP("no edu device on this machine");
    EduIntx intx(dev);
    KASSERT_EQ(intx.err, 0);
    const pci_dev* p = dev->pdev;
    KEXPECT_EQ(pci_read_config_word(p, PCI_VENDOR_ID), EDU_VENDOR_ID);
    KEXPECT_EQ(pci_read_config_word(p, PCI_DEVICE_ID), EDU_DEVICE_ID);
    KEXPECT_EQ(p->bar[0].flags, (unsigned)PCI_BAR_MEM);
    KEXPECT_EQ(p->bar[0].size, 1ull << 20);
    KEXPECT_EQ(pci_read_config_dword(p, PCI_BASE_ADDRESS_0) & PCI_BASE_ADDRESS_MEM_MASK, (uint32_t)p->bar[0].start);
    KEXPECT_TRUE(pci_read_config_word(p, PCI_COMMAND) & PCI_COMMAND_MEMORY);
    KEXPECT_EQ(pci_read_config_byte(p, PCI_INTERRUPT_PIN), 1);  // INTA
    KEXPECT_EQ(pci_read_config_byte(p, PCI_INTERRUPT_LINE), edu_irq(dev));
    KEXPECT_TRUE(has_action(edu_irq(dev), dev));
    if (kt_apic_mode()) {  // PCI INTx on its IO-APIC pin: level, handle_fasteoi_irq
        irq_desc* d = irq_to_desc(edu_irq(dev));
        KEXPECT_STREQ(d->irq_data.chip->name(), "IO-APIC");
        KEXPECT_TRUE(irq_settings_is_level(d));
        KEXPECT_STREQ(d->name, "fasteoi");
    } else {
        KEXPECT_EQ(legacy_pic_irq_is_level(edu_irq(dev)), 1);  // PCI INTx: level in the ELCR
    }
    KEXPECT_EQ(dev->mmio->read32(EDU_REG_ID) & EDU_ID_MAGIC_MASK, EDU_ID_MAGIC);
}

KTEST(edu, raise_n_is_handled_exactly_n_times) {
    edu_device* dev = edu_get(0);
    if (!dev) KSKIP("no edu device on this machine");
    KASSERT_EQ(edu_irq_status(dev), 0u);
    edu_stats before = edu_get_stats(dev);
    unsigned irqs = kstat_irqs(edu_irq(dev));
    KEXPECT_EQ(edu_raise(dev, RAISES, RAISE_TIMEOUT_MS), 0);
    edu_stats after = edu_get_stats(dev);
    KEXPECT_EQ(after.raised - before.raised, (unsigned long)RAISES);
    KEXPECT_EQ(after.handled - before.handled, (unsigned long)RAISES);
    KEXPECT_EQ(after.calls - before.calls, (unsigned long)RAISES);  // no call that was not one of ours
    KEXPECT_EQ(kstat_irqs(edu_irq(dev)) - irqs, RAISES);
    KEXPECT_EQ(edu_irq_status(dev), 0u);
}

KTEST(edu, faulty_handler_returns_none_and_leaves_the_device_asserting) {
    edu_device* dev = edu_get(0);
    if (!dev) KSKIP("no edu device on this machine");
    EduIntx intx(dev);
    KASSERT_EQ(intx.err, 0);
    unsigned irq = edu_irq(dev);
    bool was_faulty = edu_is_faulty(dev);
    disable_irq(irq);  // masked: the handler runs only when this test calls it, no storm
    edu_set_faulty(dev, true);
    edu_raise_irq(dev);
    KEXPECT_EQ(edu_irq_status(dev), EDU_IRQ_RAISE_BIT);
    edu_stats before = edu_get_stats(dev);
    unsigned long flags;
    local_irq_save(flags);
    irqreturn_t faulty_ret = edu_interrupt((int)irq, dev);
    local_irq_restore(flags);
    KEXPECT_EQ(faulty_ret, IRQ_NONE);
    KEXPECT_EQ(edu_irq_status(dev), EDU_IRQ_RAISE_BIT);  // not acknowledged
    KEXPECT_EQ(edu_get_stats(dev).not_mine - before.not_mine, 1ul);
    edu_set_faulty(dev, false);
    local_irq_save(flags);
    irqreturn_t sane_ret = edu_interrupt((int)irq, dev);
    local_irq_restore(flags);
    KEXPECT_EQ(sane_ret, IRQ_HANDLED);
    KEXPECT_EQ(edu_irq_status(dev), 0u);
    edu_ack_irq(dev, edu_irq_status(dev));
    edu_set_faulty(dev, was_faulty);
    enable_irq(irq);
}

KTEST(edu, interrupt_on_a_disabled_line_is_not_served) {
    edu_device* dev = edu_get(0);
    if (!dev) KSKIP("no edu device on this machine");
    EduIntx intx(dev);
    KASSERT_EQ(intx.err, 0);
    unsigned irq = edu_irq(dev);
    disable_irq(irq);
    edu_stats before = edu_get_stats(dev);
    KEXPECT_EQ(edu_raise(dev, 1, UNSERVED_TIMEOUT_MS), -ETIMEDOUT);
    KEXPECT_EQ(edu_get_stats(dev).calls, before.calls);
    KEXPECT_EQ(edu_irq_status(dev), EDU_IRQ_RAISE_BIT);  // still asserting, nobody looked
    enable_irq(irq);  // level line: the device still asserts at the unmask and is served now
    KEXPECT_TRUE(kt_wait_us(status_clear, dev, SERVE_LIMIT_US));
    edu_stats after = edu_get_stats(dev);
    if (edu_irq_status(dev)) edu_ack_irq(dev, edu_irq_status(dev));
    KEXPECT_EQ(after.handled - before.handled, 1ul);
}

KTEST(edu, rebind_keeps_serving) {
    edu_device* dev = edu_get(0);
    if (!dev) KSKIP("no edu device on this machine");
    KEXPECT_EQ(edu_rebind(dev), 0);
    KEXPECT_TRUE(has_action(edu_irq(dev), dev));
    KEXPECT_EQ(irq_to_desc(edu_irq(dev))->depth, 0u);
    KEXPECT_EQ(edu_raise(dev, 1, RAISE_TIMEOUT_MS), 0);
}
