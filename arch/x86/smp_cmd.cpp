// The shell's `cpus` command: each CPU the MADT lists with its CPU number, local APIC ID, state
// (online, offline: not started because of nosmp / maxcpus= / NR_CPUS or PIC mode, failed: did not answer
// its start-up IPIs) and, for online CPUs, its tick count (LOC) and IPIs taken (RES, CAL), like
// Linux's lscpu and /proc/interrupts rows side by side.
#include "arch/x86/smp.h"
#include "drivers/apic/apic_timer.h"
#include "kernel/irq/irq_stat.h"
#include "kernel/shell/shell.h"
#include "lib/vsprintf.h"

namespace {
const char* state_name(SmpCpuState s) {
    switch (s) {
    case SmpCpuState::Online:
        return "online";
    case SmpCpuState::Offline:
        return "offline";
    case SmpCpuState::Failed:
        return "failed";
    }
    return "?";
}

void print_row(int cpu, const char* apic, const char* state) {
    if (cpu < 0) {
        shell_printf("  -  %5s  %-7s\n", apic, state);
        return;
    }
    unsigned c = unsigned(cpu);
    shell_printf("%3u  %5s  %-7s  %10u  %6u  %6u\n", c, apic, state, irq_stat_read(apic_timer_irqs, c),
                 irq_stat_read(irq_resched_count, c), irq_stat_read(irq_call_count, c));
}

// Process context (shell).
int cmd_cpus(int, char**) {
    const SmpCpuInfo* table;
    unsigned n = smp_cpu_table(&table);
    shell_printf("CPU   APIC  state           LOC     RES     CAL\n");
    if (n == 0) {  // no MADT: the boot CPU alone
        print_row(0, "-", "online");
    } else {
        for (unsigned i = 0; i < n; i++) {
            char apic[12];
            snprintf(apic, sizeof apic, "%u", table[i].apic_id);
            print_row(table[i].cpu, apic, state_name(table[i].state));
        }
    }
    unsigned online = arch::num_online_cpus();
    shell_printf("%u CPU%s online; the tick (jiffies) comes from %s\n", online, online == 1 ? "" : "s",
                 apic_tick_do_timer_cpu() >= 0 ? "CPU 0's local APIC timer" : "the PIT (IRQ 0)");
    return 0;
}
}  // namespace

SHELL_COMMAND("cpus", "CPUs: number, local APIC ID, state, ticks (LOC) and IPIs (RES, CAL)", cmd_cpus);
