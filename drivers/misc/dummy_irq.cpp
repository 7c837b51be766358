// dummy_irq: a do-nothing shared handler for any line, as Linux's drivers/misc/dummy-irq.c (its module
// parameter irq=N becomes a shell command here). The handler says once per line that an interrupt came
// and returns IRQ_NONE, so it never hides a real device's verdict from the spurious detector. Useful to
// watch a line in `interrupts`, to share a line with a driver, and to check that the dispatch cost does
// not grow with the number of requested lines (`make bench`).
#include "kernel/cmdline.h"
#include "kernel/irq/interrupt.h"
#include "kernel/printk.h"
#include "kernel/shell/shell.h"
#include "lib/string.h"

namespace {

constexpr unsigned DUMMY_IRQ_LINES = 256;  // one cookie per Linux IRQ number the shell may name

// dev_id cookies: one per line, so free_irq finds this action among the line's sharers. `seen` is set by
// the handler (hard-IRQ context) and read by the shell; `requested` is changed by the shell only.
struct DummyLine {
    bool requested;
    bool seen;
};
DummyLine lines[DUMMY_IRQ_LINES];

irqreturn_t dummy_interrupt(int irq, void* dev_id) {
    auto* line = static_cast<DummyLine*>(dev_id);
    if (!__atomic_exchange_n(&line->seen, true, __ATOMIC_RELAXED))
        printk(KERN_INFO "dummy-irq: interrupt occurred on IRQ %d\n", irq);
    return IRQ_NONE;
}

// Process context (may sleep in free_irq). Returns 0 or the first error.
int cmd_dummy_irq(int argc, char** argv) {
    bool free_them = argc > 1 && strcmp(argv[1], "-f") == 0;
    int first = free_them ? 2 : 1;
    if (argc <= first) {
        shell_puts("usage: dummy_irq [-f] IRQ...  (request, or with -f free, a shared do-nothing handler)\n");
        return -EINVAL;
    }
    int result = 0;
    for (int i = first; i < argc; i++) {
        unsigned long irq = 0;
        if (!parse_uint(argv[i], &irq) || irq >= DUMMY_IRQ_LINES) {
            shell_printf("dummy_irq: invalid IRQ number '%s' (0..%u)\n", argv[i], DUMMY_IRQ_LINES - 1);
            result = result ? result : -EINVAL;
            continue;
        }
        DummyLine* line = &lines[irq];
        int err = 0;
        if (free_them) {
            if (!line->requested)
                err = -ENOENT;
            else {
                free_irq((unsigned)irq, line);
                line->requested = false;
            }
        } else if (line->requested) {
            err = -EEXIST;
        } else {
            line->seen = false;
            err = request_irq((unsigned)irq, dummy_interrupt, IRQF_SHARED, "dummy_irq", line);
            line->requested = err == 0;
        }
        if (err) {
            shell_printf("dummy_irq: IRQ %lu: %s failed (%d)\n", irq, free_them ? "free" : "request", err);
            result = result ? result : err;
        }
    }
    return result;
}

}  // namespace

SHELL_COMMAND("dummy_irq", "[-f] IRQ...: request (or free) a shared do-nothing handler", cmd_dummy_irq);
