// Shell commands with the names of Linux's driver API for one interrupt line (kernel/irq/manage.c
// disable_irq, disable_irq_nosync, enable_irq; chip.c irq_modify_status behind irq_set_status_flags and
// irq_clear_status_flags), each printing the line's depth and state afterwards, so a student can watch
// depth counting, lazy disable and IRQ_DISABLE_UNLAZY on a live line. The calls are the core's own; an
// unbalanced enable_irq gets the core's "Unbalanced enable for IRQ N" warning.
// Lines the shell itself depends on (the timer, the keyboard, the serial console) are only disabled
// with -f, after saying what will stop and how to get it back.
#include "kernel/shell/irq_cmds.h"
#include "kernel/cmdline.h"
#include "kernel/irq/interrupt.h"
#include "kernel/irq/internals.h"
#include "kernel/irq/proc.h"
#include "kernel/shell/shell.h"
#include "lib/string.h"
#include "lib/vsprintf.h"

namespace {

struct BitName {
    unsigned bit;
    const char* name;
};

constexpr BitName state_names[] = {
    {IRQD_IRQ_DISABLED, "IRQD_IRQ_DISABLED"},
    {IRQD_IRQ_MASKED, "IRQD_IRQ_MASKED"},
    {IRQD_IRQ_INPROGRESS, "IRQD_IRQ_INPROGRESS"},
};
constexpr BitName istate_names[] = {
    {IRQS_PENDING, "IRQS_PENDING"},
    {IRQS_REPLAY, "IRQS_REPLAY"},
    {IRQS_SPURIOUS_DISABLED, "IRQS_SPURIOUS_DISABLED"},
};

// The IRQ_* settings a user may flip from the shell: they change only what the core does with the line
// later (lazy or not on disable, probing, requesting, auto-enable, threading), never how the interrupt is
// delivered now. The others describe the hardware or the core's own bookkeeping.
constexpr BitName settable_flags[] = {
    {IRQ_DISABLE_UNLAZY, "IRQ_DISABLE_UNLAZY"},
    {IRQ_NOPROBE, "IRQ_NOPROBE"},
    {IRQ_NOREQUEST, "IRQ_NOREQUEST"},
    {IRQ_NOAUTOEN, "IRQ_NOAUTOEN"},
    {IRQ_NOTHREAD, "IRQ_NOTHREAD"},
};
struct Refused {
    const char* name;
    const char* why;
};
constexpr Refused refused_flags[] = {
    {"IRQ_LEVEL", "the trigger is the chip's (ELCR, `pic lazy`); set by irq_set_irq_type"},
    {"IRQ_PER_CPU", "a per-CPU line is wired that way at boot"},
    {"IRQ_PER_CPU_DEVID", "a per-CPU line is wired that way at boot"},
    {"IRQ_NESTED_THREAD", "only a demultiplexing driver sets it before request_irq"},
    {"IRQ_IS_POLLED", "only a polling driver sets it"},
    {"IRQ_HIDDEN", "only a chip driver sets it"},
    {"IRQ_NO_BALANCING", "irqos has no affinity balancing"},
    {"IRQ_MOVE_PCNTXT", "irqos has no affinity balancing"},
    {"IRQ_NO_DEBUG", "the core sets it from IRQF_NO_DEBUG at request_irq"},
};

// The lines the shell runs on, found by the name their driver requested them with.
struct Vital {
    const char* action;
    const char* what;
};
constexpr Vital vital_lines[] = {
    {"timer",
     "the timer: jiffies and `uptime` stop, and whatever waits for a tick (timeouts, the scenarios, ktest) "
     "waits until it is back; typing still works. Get it back with `enable_irq %u`."},
    {"i8042",
     "the keyboard: keys typed on the emulated keyboard wait in the i8042 until `enable_irq %u`; the serial "
     "console still works."},
    {"serial",
     "COM1, the serial console: what you type on the serial line is not received, and the shell's output "
     "there waits for the transmitter interrupt. Type `enable_irq %u` on the keyboard console (the VGA window, "
     "or `sendkey` in the QEMU monitor)."},
};

void append_names(char* buf, size_t size, size_t& len, unsigned value, const BitName* names, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (value & names[i].bit) len += (size_t)scnprintf(buf + len, size - len, " %s", names[i].name);
}

// The vital line description whose action is on `irq`, or nullptr.
const Vital* vital_line(unsigned irq) {
    irq_desc* desc = irq_to_desc(irq);
    if (!desc) return nullptr;
    SpinLockIrqSave guard(desc->lock);
    for_each_action_of_desc(desc, a) {
        for (const Vital& v : vital_lines)
            if (a->name && !strcmp(a->name, v.action)) return &v;
    }
    return nullptr;
}

void print_state(unsigned irq) {
    char line[IRQ_LINE_STATE_MAX];
    if (irq_line_state(irq, line, sizeof(line)) >= 0) shell_printf("%s\n", line);
}

// Parse argv[1] as the IRQ number and check the line. Prints the answer on failure.
int parse_line(const char* cmd, const char* arg, unsigned* irq) {
    unsigned long n;
    if (!parse_uint(arg, &n) || n >= NR_IRQS) {
        shell_printf("%s: invalid IRQ number '%s' (0..%u): -EINVAL\n", cmd, arg, NR_IRQS - 1);
        return -EINVAL;
    }
    *irq = (unsigned)n;
    if (irq_line_check(*irq)) {
        shell_printf("%s: IRQ %u has no interrupt chip (nothing is wired to it): -EINVAL\n", cmd, *irq);
        return -EINVAL;
    }
    return 0;
}

// disable_irq N [-f] / disable_irq_nosync N [-f].
int do_disable(int argc, char** argv, void (*fn)(unsigned)) {
    bool force = argc == 3 && !strcmp(argv[2], "-f");
    if (argc != 2 && !force) {
        shell_printf("usage: %s N [-f]  (-f: also the timer, keyboard or serial console line)\n", argv[0]);
        return -EINVAL;
    }
    unsigned irq;
    int err = parse_line(argv[0], argv[1], &irq);
    if (err) return err;
    if (const Vital* v = vital_line(irq)) {
        shell_printf("%s: IRQ %u is ", argv[0], irq);
        shell_printf(v->what, irq);
        shell_puts("\n");
        if (!force) {
            shell_printf("%s: not done; add -f to disable it anyway: -EBUSY\n", argv[0]);
            return -EBUSY;
        }
    }
    fn(irq);
    print_state(irq);
    return 0;
}

int cmd_disable_irq(int argc, char** argv) { return do_disable(argc, argv, disable_irq); }
int cmd_disable_irq_nosync(int argc, char** argv) { return do_disable(argc, argv, disable_irq_nosync); }

// enable_irq N. At depth 0 the core warns "Unbalanced enable for IRQ N" and changes nothing; the command
// says so too and fails with -EINVAL.
int cmd_enable_irq(int argc, char** argv) {
    if (argc != 2) {
        shell_puts("usage: enable_irq N\n");
        return -EINVAL;
    }
    unsigned irq;
    int err = parse_line(argv[0], argv[1], &irq);
    if (err) return err;
    irq_desc* desc = irq_to_desc(irq);
    unsigned depth;
    {
        SpinLockIrqSave guard(desc->lock);
        depth = desc->depth;
    }
    enable_irq(irq);
    print_state(irq);
    if (depth == 0) {
        shell_printf("enable_irq: IRQ %u was not disabled (depth 0): unbalanced, nothing changed: -EINVAL\n", irq);
        return -EINVAL;
    }
    return 0;
}

// irq_set_status_flags N FLAG... / irq_clear_status_flags N FLAG...
int do_status_flags(int argc, char** argv, bool set) {
    if (argc < 3) {
        shell_printf("usage: %s N FLAG...  (FLAG: ", argv[0]);
        for (const BitName& f : settable_flags) shell_printf("%s%s", &f == &settable_flags[0] ? "" : " ", f.name);
        shell_puts(")\n");
        return -EINVAL;
    }
    unsigned irq;
    int err = parse_line(argv[0], argv[1], &irq);
    if (err) return err;
    unsigned bits = 0;
    for (int i = 2; i < argc; i++) {
        const BitName* found = nullptr;
        for (const BitName& f : settable_flags)
            if (!strcmp(argv[i], f.name)) found = &f;
        if (found) {
            bits |= found->bit;
            continue;
        }
        for (const Refused& r : refused_flags) {
            if (!strcmp(argv[i], r.name)) {
                shell_printf("%s: %s cannot be changed from the shell (%s): -EINVAL\n", argv[0], r.name, r.why);
                return -EINVAL;
            }
        }
        shell_printf("%s: unknown flag '%s' (try IRQ_DISABLE_UNLAZY): -EINVAL\n", argv[0], argv[i]);
        return -EINVAL;
    }
    if (set)
        irq_set_status_flags(irq, bits);
    else
        irq_clear_status_flags(irq, bits);
    print_state(irq);
    return 0;
}

int cmd_irq_set_status_flags(int argc, char** argv) { return do_status_flags(argc, argv, true); }
int cmd_irq_clear_status_flags(int argc, char** argv) { return do_status_flags(argc, argv, false); }

}  // namespace

int irq_line_check(unsigned irq) {
    irq_desc* desc = irq_to_desc(irq);
    if (!desc) return -EINVAL;
    SpinLockIrqSave guard(desc->lock);
    IrqChip* chip = desc->irq_data.chip;
    if (!chip || chip == &no_irq_chip || irq_settings_is_per_cpu_devid(desc)) return -EINVAL;
    return 0;
}

int irq_line_state(unsigned irq, char* buf, size_t size) {
    irq_desc* desc = irq_to_desc(irq);
    if (!desc) return -EINVAL;
    unsigned depth, state, istate, settings;
    const char *chip, *flow;
    {
        SpinLockIrqSave guard(desc->lock);
        depth = desc->depth;
        state = irqd_state(&desc->irq_data);
        istate = irqs_state(desc);
        settings = irq_settings_get(desc);
        chip = irq_chip_column(desc);
        flow = desc->name ? desc->name : "-";
    }
    size_t len = (size_t)scnprintf(buf, size, "IRQ %u: depth %u,", irq, depth);
    size_t names = len;
    append_names(buf, size, len, state, state_names, ARRAY_SIZE(state_names));
    append_names(buf, size, len, istate, istate_names, ARRAY_SIZE(istate_names));
    if (len == names) len += (size_t)scnprintf(buf + len, size - len, " enabled, unmasked");
    len += (size_t)scnprintf(buf + len, size - len, " [%s %s%s]", chip, flow,
                             (settings & IRQ_DISABLE_UNLAZY) ? ", IRQ_DISABLE_UNLAZY" : "");
    return (int)len;
}

SHELL_COMMAND("disable_irq", "disable_irq N [-f]: depth++ (the first disable turns the line off), wait for handlers",
              cmd_disable_irq);
SHELL_COMMAND("disable_irq_nosync", "disable_irq_nosync N [-f]: depth++ without waiting for running handlers",
              cmd_disable_irq_nosync);
SHELL_COMMAND("enable_irq", "enable_irq N: depth-- (the last enable turns the line on and replays)", cmd_enable_irq);
SHELL_COMMAND("irq_set_status_flags", "irq_set_status_flags N FLAG...: e.g. IRQ_DISABLE_UNLAZY",
              cmd_irq_set_status_flags);
SHELL_COMMAND("irq_clear_status_flags", "irq_clear_status_flags N FLAG...: e.g. IRQ_DISABLE_UNLAZY",
              cmd_irq_clear_status_flags);
