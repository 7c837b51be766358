// COM2 as a storm source (kernel/scenario/storm.h) on any PC, Bochs included: IRQ 3 switched to level in
// the ELCR, a faulty handler that neither reads IIR nor writes THR, and the transmitter-empty interrupt
// enabled with OUT2 set. The UART's INTR stays high, the level line re-asserts after every unmask, and
// Linux's spurious detector (kernel/irq/spurious.cpp note_interrupt) must contain it. Explained in
// docs/storm-sources.md.
#include "drivers/pic/i8259_regs.h"
#include "drivers/serial/com2.h"
#include "drivers/serial/uart16550.h"
#include "kernel/irq/interrupt.h"
#include "kernel/printk.h"
#include "kernel/scenario/storm.h"
#include "kernel/shell/shell.h"

using namespace uart;

namespace {

struct com2_storm_state {
    bool prepared = false;
    bool requested = false;
    bool found_level = false;  // the ELCR bit of IRQ 3 before prepare()
    uint8_t found_ier = 0, found_mcr = 0, found_lcr = 0;
    unsigned long calls = 0;  // faulty handler calls (hard-IRQ context writes, shell reads)
};
com2_storm_state state;

// The faulty driver: it does not look at its device, so the THRE interrupt is never acknowledged (reading
// IIR would clear it, writing THR would too) and nothing is claimed. Hard-IRQ context.
irqreturn_t com2_storm_interrupt(int, void* dev_id) {
    auto* s = static_cast<com2_storm_state*>(dev_id);
    WRITE_ONCE(s->calls, s->calls + 1);
    return IRQ_NONE;
}

// A sane, silent action used only to re-arm the line after containment (see restore).
irqreturn_t com2_quiet_interrupt(int, void*) { return IRQ_NONE; }

bool elcr_level(PortIo* io) { return io->inb(i8259::PIC_ELCR1) & (1u << com2::IRQ); }

int com2_storm_restore() {
    PortIo* io = com2_port_io();
    if (!state.prepared || !io) return 0;
    io->outb(com2::BASE + IER, 0);  // THRI off: the UART lowers INTR
    (void)io->inb(com2::BASE + IIR);
    int err = 0;
    if (state.requested) {
        (void)free_irq(com2::IRQ, &state);
        state.requested = false;
        // Linux clears IRQS_SPURIOUS_DISABLED and the detector's counters only when a new action is set
        // up (__setup_irq). COM2 has no driver of its own to re-request the line, so a silent action does
        // it and is freed again: the line is left unowned, as found, and clean for its next user.
        err = request_irq(com2::IRQ, com2_quiet_interrupt, 0, "com2", &state);
        if (!err)
            (void)free_irq(com2::IRQ, &state);
        else
            pr_err("storm com2: re-arming IRQ %u failed (%d)\n", com2::IRQ, err);
    }
    if (int e = irq_set_irq_type(com2::IRQ, state.found_level ? IRQ_TYPE_LEVEL_LOW : IRQ_TYPE_EDGE_RISING); e) {
        pr_err("storm com2: setting IRQ %u back to %s failed (%d)\n", com2::IRQ, state.found_level ? "level" : "edge",
               e);
        if (!err) err = e;
    }
    io->outb(com2::BASE + MCR, state.found_mcr);
    io->outb(com2::BASE + LCR, state.found_lcr);
    io->outb(com2::BASE + IER, state.found_ier);
    state.prepared = false;
    return err;
}

int com2_storm_prepare() {
    PortIo* io = com2_port_io();
    if (!io || !com2_probe()) {
        shell_printf("storm com2: no UART at 0x%x (QEMU: a second -serial; Bochs: com2: enabled=1)\n", com2::BASE);
        return -ENODEV;
    }
    if (state.prepared) {  // a contained storm never restored: start from the line as it was before it
        if (int err = com2_storm_restore(); err) return err;
    }
    state.found_level = elcr_level(io);
    state.found_ier = io->inb(com2::BASE + IER);
    state.found_mcr = io->inb(com2::BASE + MCR);
    state.found_lcr = io->inb(com2::BASE + LCR);
    state.calls = 0;
    io->outb(com2::BASE + IER, 0);
    io->outb(com2::BASE + LCR, LCR_DLAB);
    io->outb(com2::BASE + DLL, 1);  // 115200 baud
    io->outb(com2::BASE + DLM, 0);
    io->outb(com2::BASE + LCR, LCR_WLEN8);
    io->outb(com2::BASE + FCR, FCR_FIFO_ENABLE | FCR_CLEAR_RCVR | FCR_CLEAR_XMIT);
    // OUT2 gates INTR onto the ISA line on a PC board (and in Bochs): on, so the storm reaches the 8259.
    io->outb(com2::BASE + MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
    state.prepared = true;
    // The 8259 sees a level line only where the ELCR says so: Pic8259::irq_set_type writes it.
    if (int err = irq_set_irq_type(com2::IRQ, IRQ_TYPE_LEVEL_LOW); err) {
        shell_printf("storm com2: cannot make IRQ %u level-triggered (%d)\n", com2::IRQ, err);
        com2_storm_restore();
        return err;
    }
    if (int err = request_irq(com2::IRQ, com2_storm_interrupt, 0, "com2-storm", &state); err) {
        shell_printf("storm com2: request_irq(%u) failed (%d)%s\n", com2::IRQ, err,
                     err == -EBUSY ? ": the line is in use (halfduplex?)" : "");
        com2_storm_restore();
        return err;
    }
    state.requested = true;
    shell_printf("storm com2: IRQ %u is level-triggered now (ELCR); the handler ignores COM2's THRE interrupt\n",
                 com2::IRQ);
    return (int)com2::IRQ;
}

// The transmitter holding register is empty (nothing was written): enabling its interrupt asserts INTR
// at once, and only reading IIR or writing THR would lower it.
void com2_storm_trigger() {
    PortIo* io = com2_port_io();
    if (io) io->outb(com2::BASE + IER, IER_ETBEI);
}

void com2_storm_consequence() {
    shell_printf("storm com2: %lu handler calls, none claimed; COM2's interrupts now go unserved (IRQ %u disabled).\n",
                 READ_ONCE(state.calls), com2::IRQ);
    shell_puts(
        "storm com2: nothing else shares IRQ 3 here; on a board where it did, that device would be cut off too.\n");
}

const storm_source com2_storm = {
    "com2",
    "COM2's transmitter-empty interrupt, never acknowledged, on IRQ 3 switched to level (QEMU and Bochs)",
    com2_storm_prepare,
    com2_storm_trigger,
    com2_storm_consequence,
    com2_storm_restore,
};

}  // namespace

unsigned long com2_storm_handler_calls() { return READ_ONCE(state.calls); }

STORM_SOURCE(com2_storm);
