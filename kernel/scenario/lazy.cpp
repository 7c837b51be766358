// The lazy-disable scenario (see lazy.h) and its `lazy` shell command. Nothing here helps the core: the
// scenario only disables, raises, waits and reads the state bits, the handler counts of the drivers
// (i8042 scancodes, edu handler calls) and the 8259's IRR, and compares them with what Linux's core does.
#include "kernel/scenario/lazy.h"
#include "drivers/keyboard/i8042.h"
#include "drivers/misc/edu.h"
#include "drivers/pic/i8259.h"
#include "kernel/idle.h"
#include "kernel/irq/internals.h"
#include "kernel/jiffies.h"
#include "kernel/shell/irq_cmds.h"
#include "kernel/shell/shell.h"
#include "lib/string.h"
#include "lib/vsprintf.h"

#include <stdarg.h>

namespace {

constexpr unsigned KBD_IRQ = 1;
constexpr uint8_t SC_A_BREAK = 0x9E;            // 'a' released: a scancode that types nothing into the shell
constexpr unsigned long SETTLE_MS = 20;         // an interrupt arrives within microseconds; be generous
constexpr unsigned long QUIET_MS = 100;         // no keyboard interrupt this long: nobody is typing
constexpr unsigned long QUIET_LIMIT_MS = 3000;  // give up waiting for that

bool g_verbose;

void say(const char* fmt, ...) __printf(1, 2);
void say(const char* fmt, ...) {
    if (!g_verbose) return;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vscnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    shell_puts(buf);
}

void say_state(unsigned irq) {
    char line[IRQ_LINE_STATE_MAX];
    if (irq_line_state(irq, line, sizeof(line)) >= 0) say("    %s\n", line);
}

bool irr_bit(unsigned irq) {
    Pic8259::Registers r = static_cast<Pic8259*>(legacy_pic->chip())->read_registers();
    return (irq < 8 ? r.irr[0] : r.irr[1]) & (1u << (irq & 7));
}

// The device side of one line.
struct Device {
    const char* name;
    unsigned irq;
    bool level;
    unsigned long (*calls)();  // handler calls so far
    void (*raise)();           // make the device interrupt once
};

edu_device* g_edu;
unsigned long kbd_calls() { return i8042_scancode_count(); }
void kbd_raise() { (void)i8042_inject_scancode(SC_A_BREAK); }
unsigned long edu_calls() { return edu_get_stats(g_edu).calls; }
void edu_raise() { edu_raise_irq(g_edu); }

// What Linux's core does, per chip and trigger.
bool check_case(const lazy_case_result& r) {
    bool ok = r.calls_while_disabled == 0 && r.calls_after_enable == 1 && r.kstat_delta == 1 &&
              !r.pending_after_enable && r.masked_after_irq;
    if (r.lazy)  // open until the interrupt came; then masked, PENDING; the IRR holds only a level request
        return ok && !r.masked_by_disable && r.pending_after_irq && r.irr_after_irq == r.level;
    return ok && r.masked_by_disable && !r.pending_after_irq && r.irr_after_irq;  // masked at once
}

void run_case(const Device& dev, bool lazy, lazy_case_result& r) {
    unsigned irq = dev.irq;
    irq_desc* desc = irq_to_desc(irq);
    r = lazy_case_result{};
    r.irq = irq;
    r.level = dev.level;
    r.lazy = lazy;
    (void)i8259_set_lazy(irq, lazy);
    say("\n== %s, IRQ %u (%s line), chip %s ==\n", dev.name, irq, dev.level ? "level" : "edge",
        lazy ? "XT-PIC-lazy" : "XT-PIC");
    unsigned long calls0 = dev.calls();
    unsigned kstat0 = kstat_irqs(irq);

    say("disable_irq(%u):\n", irq);
    disable_irq(irq);
    r.masked_by_disable = irqd_irq_masked(&desc->irq_data);
    say_state(irq);
    say(lazy ? "    lazy: the line is only marked disabled; the 8259 still lets it through\n"
             : "    XT-PIC has irq_disable = mask: the 8259 line is masked at once\n");

    say("the %s interrupts (%s):\n", dev.name, dev.level ? "edu raise" : "i8042 command 0xD2 injects a scancode");
    dev.raise();
    idle_ms(SETTLE_MS);
    r.calls_while_disabled = dev.calls() - calls0;
    r.masked_after_irq = irqd_irq_masked(&desc->irq_data);
    r.pending_after_irq = irqs_has(desc, IRQS_PENDING);
    r.irr_after_irq = irr_bit(irq);
    say_state(irq);
    say("    handler calls: %lu; 8259 IRR bit %u: %s\n", r.calls_while_disabled, irq,
        r.irr_after_irq ? "set (requested while masked: the request waits in the 8259)"
                        : "clear (the 8259 delivered the edge; only IRQS_PENDING remembers it)");
    if (lazy)
        say("    %s found the line disabled: IRQS_PENDING, masked now, handler not called\n",
            dev.level ? "handle_level_irq" : "handle_edge_irq");
    else
        say("    masked: the CPU never saw it, so no IRQS_PENDING; `pic` shows it in the IRR\n");

    say("enable_irq(%u):\n", irq);
    enable_irq(irq);
    idle_ms(SETTLE_MS);
    r.calls_after_enable = dev.calls() - calls0 - r.calls_while_disabled;
    r.kstat_delta = kstat_irqs(irq) - kstat0;
    r.pending_after_enable = irqs_has(desc, IRQS_PENDING);
    say_state(irq);
    say("    handler calls: %lu, interrupts counted: %u - ", r.calls_after_enable, r.kstat_delta);
    if (!lazy)
        say("unmasked, the 8259 delivered the waiting request\n");
    else if (dev.level)
        say("check_irq_resend: level line, PENDING cleared, -EINVAL; unmasked, the device still asserts\n");
    else
        say("check_irq_resend: edge line, software resend (the resend tasklet replayed handle_edge_irq at the next "
            "tick's irq_exit)\n");
    r.as_expected = check_case(r);
    say("    %s\n", r.as_expected ? "as Linux does" : "NOT what Linux's core does");
}

// Everything a line's run changes, to put back.
struct Saved {
    unsigned irq;
    bool lazy, unlazy, noprobe;
};

Saved save_line(unsigned irq) {
    irq_desc* desc = irq_to_desc(irq);
    Saved s{irq, i8259_is_lazy(irq), irq_settings_disable_unlazy(desc), irq_settings_has(desc, IRQ_NOPROBE)};
    if (s.unlazy) irq_clear_status_flags(irq, IRQ_DISABLE_UNLAZY);
    return s;
}

void restore_line(const Saved& s) {
    (void)i8259_set_lazy(s.irq, s.lazy);
    if (s.unlazy) irq_set_status_flags(s.irq, IRQ_DISABLE_UNLAZY);
    if (!s.noprobe) irq_clear_status_flags(s.irq, IRQ_NOPROBE);  // enable_irq sets it, as Linux's
}

// The line must be requested, enabled and on an 8259 chip. Prints why not.
int check_line(const char* name, unsigned irq) {
    irq_desc* desc = irq_to_desc(irq);
    unsigned depth = desc->depth;
    if (!desc->action || (desc->irq_data.chip != legacy_pic->chip() && !i8259_is_lazy(irq))) {
        shell_printf("lazy: IRQ %u (%s) is not a requested 8259 line: -ENODEV\n", irq, name);
        return -ENODEV;
    }
    if (depth) {
        shell_printf("lazy: IRQ %u (%s) is disabled (depth %u): `enable_irq %u` first: -EBUSY\n", irq, name, depth,
                     irq);
        return -EBUSY;
    }
    return 0;
}

// Wait until the keyboard has been silent for QUIET_MS (the release of the key that started the command
// arrives a moment after it).
bool keyboard_quiet() {
    unsigned long start = jiffies;
    for (;;) {
        unsigned seen = kstat_irqs(KBD_IRQ);
        idle_ms(QUIET_MS);
        if (kstat_irqs(KBD_IRQ) == seen) return true;
        if (time_after(jiffies, start + msecs_to_jiffies(QUIET_LIMIT_MS))) return false;
    }
}

int run_device(const Device& dev, lazy_result* out) {
    int err = check_line(dev.name, dev.irq);
    if (err) return err;
    Saved saved = save_line(dev.irq);
    run_case(dev, true, out->cases[out->n++]);
    run_case(dev, false, out->cases[out->n++]);
    restore_line(saved);
    return 0;
}

int busy;  // one run at a time (atomic)

int run(unsigned which, lazy_result* out) {
    if (!legacy_pic->nr_legacy_irqs()) {
        shell_puts("lazy: no 8259 pair: -ENODEV\n");
        return -ENODEV;
    }
    if (irq_to_desc(0)->depth) {
        shell_puts(
            "lazy: the timer (IRQ 0) is disabled and the scenario waits for ticks: `enable_irq 0` first: "
            "-EBUSY\n");
        return -EBUSY;
    }
    if (which & LAZY_LEVEL) {
        g_edu = edu_count() ? edu_get(0) : nullptr;
        if (!g_edu) {
            out->level_skipped = true;
            say("no edu device on this machine (QEMU: -device edu): the level line is left out\n");
        } else {
            bool faulty = edu_is_faulty(g_edu);
            if (faulty) edu_set_faulty(g_edu, false);
            Device edu{"edu", edu_irq(g_edu), true, edu_calls, edu_raise};
            int err = run_device(edu, out);
            if (faulty) edu_set_faulty(g_edu, true);
            if (err) return err;
        }
    }
    if (which & LAZY_EDGE) {
        if (!keyboard_quiet()) {
            shell_puts("lazy: the keyboard keeps sending (is a key held down?): -EBUSY\n");
            return -EBUSY;
        }
        Device kbd{"keyboard", KBD_IRQ, false, kbd_calls, kbd_raise};
        int err = run_device(kbd, out);
        if (err) return err;
    }
    return 0;
}

}  // namespace

int lazy_scenario_run(unsigned which, bool verbose, lazy_result* out) {
    if (__atomic_exchange_n(&busy, 1, __ATOMIC_ACQUIRE)) return -EBUSY;
    *out = lazy_result{};
    g_verbose = verbose;
    int err = run(which, out);
    if (!err) {
        for (unsigned i = 0; i < out->n; i++)
            if (!out->cases[i].as_expected) err = -EIO;
    }
    __atomic_store_n(&busy, 0, __ATOMIC_RELEASE);
    return err;
}

namespace {

// `lazy [edge|level]`: the scenario with its explanation, then a table and the verdict.
int cmd_lazy(int argc, char** argv) {
    unsigned which = LAZY_EDGE | LAZY_LEVEL;
    if (argc == 2 && !strcmp(argv[1], "edge"))
        which = LAZY_EDGE;
    else if (argc == 2 && !strcmp(argv[1], "level"))
        which = LAZY_LEVEL;
    else if (argc != 1) {
        shell_puts("usage: lazy [edge|level]\n");
        return -EINVAL;
    }
    shell_puts(
        "Lazy disable: disable_irq, the device interrupts, enable_irq - on XT-PIC-lazy (no irq_disable, "
        "like Linux's IO-APIC) and on Linux's XT-PIC (irq_disable = mask).\n");
    static lazy_result res;  // one shell
    int err = lazy_scenario_run(which, true, &res);
    if (err == -EBUSY || err == -ENODEV) return err;
    shell_puts(
        "\nline         chip         masked-at-disable  calls-disabled  PENDING  IRR  calls-after-enable  "
        "counted\n");
    for (unsigned i = 0; i < res.n; i++) {
        const lazy_case_result& c = res.cases[i];
        shell_printf("IRQ %-2u %-5s  %-11s  %-17s  %-14lu  %-7s  %-3s  %-18lu  %u\n", c.irq, c.level ? "level" : "edge",
                     c.lazy ? "XT-PIC-lazy" : "XT-PIC", c.masked_by_disable ? "yes" : "no", c.calls_while_disabled,
                     c.pending_after_irq ? "set" : "-", c.irr_after_irq ? "set" : "-", c.calls_after_enable,
                     c.kstat_delta);
    }
    shell_printf("lazy: %s\n",
                 err ? "FAILED: a case differs from Linux's core (see above)" : "PASS, every case as Linux");
    return err;
}

}  // namespace

SHELL_COMMAND("lazy", "lazy [edge|level]: disable_irq, interrupt, enable_irq on a real line: lazy vs XT-PIC", cmd_lazy);
