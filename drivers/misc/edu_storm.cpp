// The edu device as a storm source (kernel/scenario/storm.h): the driver of the first edu device turns
// faulty (it neither claims nor acknowledges), one raise asserts its level-triggered INTx for good, and
// Linux's spurious detector (kernel/irq/spurious.cpp note_interrupt) has to contain the storm. With a
// second edu device on the same line, the consequence is shown: once the line is disabled nobody serves
// that innocent device either. A device on MSI cannot storm this way (each raise is one message, an edge
// that comes once whether or not anybody acknowledges it), so the run switches it to INTx and back.
#include "drivers/misc/edu.h"
#include "kernel/errno.h"
#include "kernel/idle.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/jiffies.h"
#include "kernel/scenario/storm.h"
#include "kernel/shell/shell.h"
#include "kernel/spinlock.h"

namespace {

constexpr unsigned long CONSEQUENCE_WAIT_MS = 50;  // far longer than a served interrupt takes
bool msi_to_restore;                               // the device was on MSI before the run

edu_device* stormer() { return edu_get(0); }

// The first other edu device on the storming line, or nullptr.
edu_device* sharer() {
    edu_device* first = stormer();
    for (unsigned i = 1; i < edu_count(); i++)
        if (edu_irq(edu_get(i)) == edu_irq(first)) return edu_get(i);
    return nullptr;
}

int edu_storm_prepare() {
    edu_device* dev = stormer();
    if (!dev) {
        shell_puts("storm edu: no edu device (QEMU: -device edu)\n");
        return -ENODEV;
    }
    edu_ack_irq(dev, edu_irq_status(dev));  // start quiet
    msi_to_restore = false;
    if (edu_get_mode(dev) == EDU_MODE_MSI) {
        shell_printf(
            "storm edu: edu %s interrupts by MSI: each raise is one message, one edge, whether anybody acknowledges "
            "it or not, so a faulty driver gets one interrupt and no storm. Linux's \"nobody cared\" storm needs "
            "a level line held asserted: switching to INTx for this run (MSI restored afterwards)\n",
            edu_name(dev));
        if (int err = edu_set_mode(dev, EDU_MODE_INTX); err) {
            shell_printf("storm edu: switching edu %s to INTx failed (%d)\n", edu_name(dev), err);
            return err;
        }
        msi_to_restore = true;
    }
    edu_set_faulty(dev, true);
    shell_printf("storm edu: edu %s on IRQ %u: the driver is faulty now (it neither claims nor acknowledges)\n",
                 edu_name(dev), edu_irq(dev));
    if (edu_device* other = sharer())
        shell_printf("storm edu: edu %s shares IRQ %u and is still served normally\n", edu_name(other), edu_irq(other));
    return (int)edu_irq(dev);
}

void edu_storm_trigger() { edu_raise_irq(stormer()); }

void edu_storm_consequence() {
    edu_device* dev = stormer();
    edu_device* other = sharer();
    if (!other) {
        shell_printf(
            "storm edu: no second edu device on IRQ %u; one sharing it would now go unserved "
            "(QEMU: a second -device edu on a slot routed to the same line)\n",
            edu_irq(dev));
        return;
    }
    edu_stats before = edu_get_stats(other);
    edu_raise_irq(other);
    idle_ms(CONSEQUENCE_WAIT_MS);
    edu_stats after = edu_get_stats(other);
    irq_desc* desc = irq_to_desc(edu_irq(other));
    shell_printf(
        "storm edu: edu %s (sharing IRQ %u) raised one interrupt; %lu ms later its status is 0x%08x "
        "(%s), its handler ran %lu times (handled %lu)\n",
        edu_name(other), edu_irq(other), CONSEQUENCE_WAIT_MS, edu_irq_status(other),
        edu_irq_status(other) ? "still asserted" : "served", after.calls - before.calls,
        after.handled - before.handled);
    if (READ_ONCE(desc->istate) & IRQS_SPURIOUS_DISABLED)
        shell_printf(
            "storm edu: nobody serves edu %s while IRQ %u is disabled; recovering it needs the disabled "
            "line polled (Linux's poll_spurious_irqs every HZ/10), which irqos does not do yet\n",
            edu_name(other), edu_irq(other));
}

int edu_storm_restore() {
    edu_device* dev = stormer();
    if (!dev) return 0;
    edu_device* other = sharer();
    // Quiet devices first, so the re-armed line does not fire at once.
    edu_ack_irq(dev, edu_irq_status(dev));
    if (other) edu_ack_irq(other, edu_irq_status(other));
    edu_set_faulty(dev, false);
    int err = 0;
    edu_device* both[] = {dev, other};
    for (edu_device* d : both) {
        if (!d) continue;
        if (int e = edu_rebind(d); e) {
            shell_printf("storm edu: re-binding edu %s failed (%d)\n", edu_name(d), e);
            if (!err) err = e;
        }
    }
    if (msi_to_restore) {
        msi_to_restore = false;
        if (int e = edu_set_mode(dev, EDU_MODE_MSI); e) {
            shell_printf("storm edu: switching edu %s back to MSI failed (%d)\n", edu_name(dev), e);
            if (!err) err = e;
        } else {
            shell_printf("storm edu: edu %s back on MSI (IRQ %u)\n", edu_name(dev), edu_irq(dev));
        }
    }
    return err;
}

const storm_source edu_storm = {
    "edu",
    "QEMU's edu device: its driver turns faulty, one raise keeps the level line asserted",
    edu_storm_prepare,
    edu_storm_trigger,
    edu_storm_consequence,
    edu_storm_restore,
};

}  // namespace

STORM_SOURCE(edu_storm);
