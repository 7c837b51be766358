// In-kernel test of COM2 as a storm source (drivers/serial/com2_storm.cpp) on both emulators: the storm is
// the device's own (IRQ 3 level in the ELCR, the UART's THRE interrupt still asserted after containment),
// every interrupt reached the faulty handler, and restore() leaves the UART, the ELCR and the line as they
// were found. tests/kernel/test_storm.cpp checks the containment itself (100,000 interrupts, Linux's
// report) for every source.
#include "drivers/pic/i8259_regs.h"
#include "drivers/pic/legacy_pic.h"
#include "drivers/serial/com2.h"
#include "drivers/serial/uart16550.h"
#include "kernel/irq/interrupt.h"
#include "kernel/jiffies.h"
#include "kernel/printk.h"
#include "kernel/scenario/storm.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/kt_hw.h"
#include "tests/kernel/kt_spurious.h"

namespace {

constexpr unsigned long WATCHDOG_MS = 2000;  // Bochs needs about 600 ms of virtual time for the storm

struct com2_regs {
    bool elcr_level;
    uint8_t ier, mcr, lcr;
};

com2_regs read_regs(PortIo* io) {
    return {(io->inb(i8259::PIC_ELCR1) & (1u << com2::IRQ)) != 0, io->inb(com2::BASE + uart::IER),
            io->inb(com2::BASE + uart::MCR), io->inb(com2::BASE + uart::LCR)};
}

}  // namespace

KTEST(com2_storm, the_uart_storms_and_restore_leaves_all_as_found) {
    KT_SKIP_IN_APIC_MODE();
    const storm_source* src = storm_find("com2");
    KASSERT(src != nullptr);
    PortIo* io = com2_port_io();
    KASSERT(io && com2_probe());  // both emulators provide COM2 (QEMU -serial null, Bochs com2: enabled=1)
    irq_desc* desc = irq_to_desc(com2::IRQ);
    KASSERT(desc && !desc->action);  // nobody owns IRQ 3 between scenarios
    com2_regs found = read_regs(io);

    kt_linux_spurious_defaults tunables;
    storm_result r;
    int ret = storm_run(src, WATCHDOG_MS, &r);
    KEXPECT_EQ(r.irq, com2::IRQ);
    printk(KERN_INFO "    # com2 storm: %lu interrupts in %lu jiffies (HZ=%u), %llu TSC cycles\n", r.irqs_taken,
           r.jiffies, HZ, (unsigned long long)r.cycles);
    if (r.detector_on) {
        KEXPECT_EQ(ret, 0);
        KEXPECT_EQ(r.irqs_taken, 100000ul);
        KEXPECT_EQ(com2_storm_handler_calls(), 100000ul);  // each of them reached the faulty handler
    } else {
        KEXPECT_EQ(ret, -ETIMEDOUT);  // "noirqdebug": only the watchdog stopped it (and restore() already ran)
    }
    if (ret == 0) {
        // The storm is the device's: IRQ 3 is level in the ELCR, the UART still has its THRE interrupt on
        // with the holding register empty, and the 8259 still sees the request (IRR) on the masked line.
        com2_regs during = read_regs(io);
        KEXPECT_TRUE(during.elcr_level);
        KEXPECT_EQ(during.ier, uart::IER_ETBEI);
        KEXPECT_TRUE(io->inb(com2::BASE + uart::LSR) & uart::LSR_THRE);
        KEXPECT_TRUE(legacy_pic->irq_pending(com2::IRQ));
        KEXPECT_EQ(src->restore(), 0);
    }
    // As found: the UART's registers, the ELCR bit, the line unowned and clean; no request left at the 8259.
    com2_regs after = read_regs(io);
    KEXPECT_EQ(after.elcr_level, found.elcr_level);
    KEXPECT_EQ(after.ier, found.ier);
    KEXPECT_EQ(after.mcr, found.mcr);
    KEXPECT_EQ(after.lcr, found.lcr);
    KEXPECT_TRUE(desc->action == nullptr);
    KEXPECT_FALSE(desc->istate & IRQS_SPURIOUS_DISABLED);
    KEXPECT_EQ(desc->irqs_unhandled, 0u);
    KEXPECT_FALSE(legacy_pic->irq_pending(com2::IRQ));
    KEXPECT_EQ(src->restore(), 0);  // a second restore finds nothing to do
}
