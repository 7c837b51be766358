// The portable shell commands: help, interrupts, irq N, uptime, dmesg and tty. Kernel-only commands
// (mem, poweroff, ktest) register themselves the same way beside their own code.
#include "kernel/cmdline.h"
#include "kernel/irq/interrupt.h"
#include "kernel/irq/proc.h"
#include "kernel/jiffies.h"
#include "kernel/printk.h"
#include "kernel/shell/shell.h"
#include "kernel/tty.h"
#include "lib/string.h"

extern "C" const shell_command __start_irqos_shell_cmds[];
extern "C" const shell_command __stop_irqos_shell_cmds[];

namespace {

constexpr size_t HELP_MAX_COMMANDS = 64;   // enough for every command the kernel links in
constexpr size_t DMESG_BUF_SIZE = 16384;   // the tail of the log `dmesg` shows

int cmd_help(int, char**) {
    // Sorted by name: link order says nothing to a reader.
    const shell_command* sorted[HELP_MAX_COMMANDS];
    size_t n = 0, width = 0;
    for (const shell_command* c = __start_irqos_shell_cmds; c < __stop_irqos_shell_cmds && n < HELP_MAX_COMMANDS; c++) {
        size_t i = n++;
        while (i > 0 && strcmp(sorted[i - 1]->name, c->name) > 0) {
            sorted[i] = sorted[i - 1];
            i--;
        }
        sorted[i] = c;
        if (strlen(c->name) > width)
            width = strlen(c->name);
    }
    for (size_t i = 0; i < n; i++)
        shell_printf("  %-*s  %s\n", (int)width, sorted[i]->name, sorted[i]->help);
    return 0;
}

int cmd_interrupts(int, char**) {
    show_interrupts(shell_out_cb, nullptr);
    return 0;
}

int cmd_irq(int argc, char** argv) {
    unsigned long irq = 0;
    if (argc != 2) {
        shell_puts("usage: irq N  (N = 0..255, decimal or 0x-hex)\n");
        return -EINVAL;
    }
    if (!parse_uint(argv[1], &irq) || irq >= NR_IRQS) {
        shell_printf("irq: invalid IRQ number '%s' (0..%u)\n", argv[1], NR_IRQS - 1);
        return -EINVAL;
    }
    return irq_desc_dump((unsigned)irq, shell_out_cb, nullptr);
}

int cmd_uptime(int, char**) {
    unsigned long j = READ_ONCE(jiffies);
    unsigned long hz = HZ;
    unsigned long ms = (j % hz) * 1000 / hz;
    shell_printf("up %lu.%03lu s (%lu jiffies, HZ=%lu)\n", j / hz, ms, j, hz);
    return 0;
}

int cmd_dmesg(int, char**) {
    static char buf[DMESG_BUF_SIZE];   // the shell is one process-context caller
    size_t n = printk_log_read(buf, sizeof(buf));
    shell_write(buf, n);
    return 0;
}

int cmd_tty(int, char**) {
    tty_stats st;
    tty_get_stats(&st);
    shell_printf("received %lu, consumed %lu, buffered %zu, dropped %lu (ring of %zu)\n", st.received,
                 st.consumed, st.buffered, st.dropped, TTY_INPUT_SIZE);
    return 0;
}

}  // namespace

SHELL_COMMAND("help", "list the commands", cmd_help);
SHELL_COMMAND("interrupts", "per-IRQ counts in the /proc/interrupts layout", cmd_interrupts);
SHELL_COMMAND("irq", "irq N: dump descriptor N (flow, chip, depth, state, counters, actions)", cmd_irq);
SHELL_COMMAND("uptime", "time since boot in seconds and jiffies", cmd_uptime);
SHELL_COMMAND("dmesg", "print the kernel log buffer", cmd_dmesg);
SHELL_COMMAND("tty", "console input statistics (received, dropped on overrun)", cmd_tty);
