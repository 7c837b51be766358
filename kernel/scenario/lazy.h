// The lazy-disable scenario: disable_irq on a real line, make its device interrupt, and watch what the
// genirq core does with the interrupt that arrives while the line is disabled (Linux kernel/irq/chip.c
// handle_level_irq/handle_edge_irq, resend.c check_irq_resend). On "XT-PIC-lazy" the line stays open,
// the interrupt is taken, marked IRQS_PENDING and the line masked; enable_irq then runs the handler once,
// by the device re-asserting (level line: the edu device) or by software resend (edge line: the keyboard).
// On Linux's "XT-PIC" the line is masked at once and the request waits in the 8259's IRR.
#pragma once
#include "kernel/types.h"

// One case: one line on one chip.
struct lazy_case_result {
    unsigned irq = 0;
    bool level = false;                      // the line's ELCR says level (edu) or edge (keyboard)
    bool lazy = false;                       // run on XT-PIC-lazy (else XT-PIC)
    bool masked_by_disable = false;          // IRQD_IRQ_MASKED right after disable_irq
    unsigned long calls_while_disabled = 0;  // handler calls after the device interrupted, line disabled
    bool masked_after_irq = false;           // IRQD_IRQ_MASKED after the device interrupted
    bool pending_after_irq = false;          // IRQS_PENDING then
    bool irr_after_irq = false;              // the line's IRR bit in the 8259 then
    unsigned long calls_after_enable = 0;    // handler calls from enable_irq until the line is quiet again
    unsigned kstat_delta = 0;                // the line's interrupt count over the whole case
    bool pending_after_enable = false;       // IRQS_PENDING after enable_irq
    bool as_expected = false;                // every figure above is what Linux's core does
};

constexpr unsigned LAZY_MAX_CASES = 4;
enum : unsigned { LAZY_EDGE = 1u << 0, LAZY_LEVEL = 1u << 1 };

struct lazy_result {
    lazy_case_result cases[LAZY_MAX_CASES];
    unsigned n = 0;
    bool level_skipped = false;  // LAZY_LEVEL asked for, but no edu device on this machine
};

// Run the scenario on the lines in `which` (LAZY_EDGE: the keyboard, IRQ 1; LAZY_LEVEL: the first edu
// device's line), each on XT-PIC-lazy then on XT-PIC. verbose: print the explanation on the shell as it
// goes. Everything it changes (the chip, IRQ_DISABLE_UNLAZY, IRQ_NOPROBE, the edu driver's faulty mode)
// is put back as found. Returns 0 when every case ran as Linux's core would (out->cases[i].as_expected),
// -EIO when one did not, -EBUSY (a line already disabled, the timer disabled, the keyboard not quiet),
// -ENODEV (no 8259), after printing why. Process context, interrupts on; sleeps in the idle loop.
int lazy_scenario_run(unsigned which, bool verbose, lazy_result* out);
