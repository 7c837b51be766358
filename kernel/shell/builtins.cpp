// The portable shell commands: help, interrupts, irq N, uptime, dmesg, kmsg, echo and tty. Kernel-only
// commands (mem, poweroff, ktest) register themselves the same way beside their own code.
#include "kernel/cmdline.h"
#include "kernel/irq/interrupt.h"
#include "kernel/irq/proc.h"
#include "kernel/jiffies.h"
#include "kernel/printk.h"
#include "kernel/shell/irq_cmds.h"
#include "kernel/shell/shell.h"
#include "kernel/tty.h"
#include "lib/string.h"
#include "lib/vsprintf.h"

extern "C" const shell_command __start_irqos_shell_cmds[];
extern "C" const shell_command __stop_irqos_shell_cmds[];

namespace {

constexpr size_t HELP_MAX_COMMANDS = 64;                   // enough for every command the kernel links in
constexpr size_t DMESG_BUF_SIZE = 16384;                   // the tail of the log `dmesg` shows
constexpr int SYSLOG_LEVEL_MIN = 1, SYSLOG_LEVEL_MAX = 8;  // Linux syslog(SYSLOG_ACTION_CONSOLE_LEVEL)
constexpr unsigned long KMSG_COUNT_MAX = 1000000;
constexpr size_t KMSG_TEXT_MAX = 200;

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
        if (strlen(c->name) > width) width = strlen(c->name);
    }
    for (size_t i = 0; i < n; i++) shell_printf("  %-*s  %s\n", (int)width, sorted[i]->name, sorted[i]->help);
    return 0;
}

int cmd_interrupts(int, char**) {
    show_interrupts(shell_out_cb, nullptr);
    return 0;
}

int cmd_irq(int argc, char** argv) {
    unsigned long irq = 0;
    bool affinity = argc >= 3 && strcmp(argv[2], "affinity") == 0;
    if (argc != 2 && !(affinity && argc <= 4)) {
        shell_puts("usage: irq N  (N = 0..255, decimal or 0x-hex)\n");
        return -EINVAL;
    }
    if (!parse_uint(argv[1], &irq) || irq >= NR_IRQS) {
        shell_printf("irq: invalid IRQ number '%s' (0..%u)\n", argv[1], NR_IRQS - 1);
        return -EINVAL;
    }
    if (affinity) return irq_affinity_cmd((unsigned)irq, argc == 4 ? argv[3] : nullptr);
    return irq_desc_dump((unsigned)irq, shell_out_cb, nullptr);
}

int cmd_uptime(int, char**) {
    unsigned long j = READ_ONCE(jiffies);
    unsigned long hz = HZ;
    unsigned long ms = (j % hz) * 1000 / hz;
    shell_printf("up %lu.%03lu s (%lu jiffies, HZ=%lu)\n", j / hz, ms, j, hz);
    return 0;
}

// `dmesg` prints the log; `dmesg -n LEVEL` sets the console log level as Linux's dmesg -n does (1: only
// emergencies reach the consoles). The shell's own output never depends on it.
int cmd_dmesg(int argc, char** argv) {
    if (argc == 3 && strcmp(argv[1], "-n") == 0) {
        unsigned long level;
        if (!parse_uint(argv[2], &level) || level < SYSLOG_LEVEL_MIN || level > SYSLOG_LEVEL_MAX) {
            shell_printf("dmesg: invalid level '%s' (%d..%d)\n", argv[2], SYSLOG_LEVEL_MIN, SYSLOG_LEVEL_MAX);
            return -EINVAL;
        }
        return console_set_loglevel((int)level);
    }
    if (argc != 1) {
        shell_puts("usage: dmesg [-n LEVEL]\n");
        return -EINVAL;
    }
    static char buf[DMESG_BUF_SIZE];  // the shell is one process-context caller
    size_t n = printk_log_read(buf, sizeof(buf));
    shell_write(buf, n);
    return 0;
}

// Join argv[first..argc) with single blanks into buf (cut at `size`). Returns the length.
size_t join_words(int argc, char** argv, int first, char* buf, size_t size) {
    size_t len = 0;
    for (int i = first; i < argc; i++)
        len += (size_t)scnprintf(buf + len, size - len, "%s%s", i > first ? " " : "", argv[i]);
    return len;
}

// `kmsg [-n COUNT] [-l LEVEL] TEXT...`: put TEXT into the kernel log, as a write to Linux's /dev/kmsg
// does; with -n, COUNT messages numbered "TEXT #i". A way to produce kernel messages at will (to watch
// console log levels, or a console that cannot keep up).
int cmd_kmsg(int argc, char** argv) {
    unsigned long count = 1, level = LOGLEVEL_INFO;
    int i = 1;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        bool ok = false;
        if (strcmp(argv[i], "-n") == 0)
            ok = parse_uint(argv[i + 1], &count) && count >= 1 && count <= KMSG_COUNT_MAX;
        else if (strcmp(argv[i], "-l") == 0)
            ok = parse_uint(argv[i + 1], &level) && level <= LOGLEVEL_DEBUG;
        if (!ok) break;
    }
    if (i >= argc || argv[i][0] == '-') {
        shell_printf("usage: kmsg [-n COUNT(1..%lu)] [-l LEVEL(0..7)] TEXT...\n", KMSG_COUNT_MAX);
        return -EINVAL;
    }
    char text[KMSG_TEXT_MAX];
    join_words(argc, argv, i, text, sizeof(text));
    char prefix[3] = {KERN_SOH[0], (char)('0' + level), '\0'};
    for (unsigned long k = 1; k <= count; k++) {
        if (count == 1)
            printk("%s%s\n", prefix, text);
        else
            printk("%s%s #%lu\n", prefix, text, k);
    }
    return 0;
}

int cmd_echo(int argc, char** argv) {
    char line[SHELL_LINE_MAX + 2];
    size_t len = join_words(argc, argv, 1, line, sizeof(line) - 1);
    line[len++] = '\n';
    shell_write(line, len);
    return 0;
}

int cmd_tty(int, char**) {
    tty_stats st;
    tty_get_stats(&st);
    shell_printf("received %lu, consumed %lu, buffered %zu, dropped %lu, throttled %lu (ring of %zu)\n", st.received,
                 st.consumed, st.buffered, st.dropped, st.throttled, TTY_INPUT_SIZE);
    if (st.output_dropped) shell_printf("output dropped with interrupts off: %lu\n", st.output_dropped);
    return 0;
}

}  // namespace

SHELL_COMMAND("help", "list the commands", cmd_help);
SHELL_COMMAND("interrupts", "per-IRQ counts in the /proc/interrupts layout", cmd_interrupts);
SHELL_COMMAND("irq", "irq N: dump descriptor N (flow, chip, depth, state, counters, actions); irq N affinity [CPULIST]",
              cmd_irq);
SHELL_COMMAND("uptime", "time since boot in seconds and jiffies", cmd_uptime);
SHELL_COMMAND("dmesg", "print the kernel log; dmesg -n LEVEL: console log level (1..8)", cmd_dmesg);
SHELL_COMMAND("kmsg", "kmsg [-n COUNT] [-l LEVEL] TEXT: put TEXT into the kernel log", cmd_kmsg);
SHELL_COMMAND("echo", "echo WORDS: print the words", cmd_echo);
SHELL_COMMAND("tty", "console input statistics (received, dropped, throttled)", cmd_tty);
