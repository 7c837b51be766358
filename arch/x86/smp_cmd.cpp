// The shell's `cpus` command: each CPU the MADT lists with its CPU number, local APIC ID, state
// (online, offline: not started because of nosmp / maxcpus= / NR_CPUS or PIC mode, failed: did not answer
// its start-up IPIs) and, for online CPUs, its tick count (LOC) and IPIs taken (RES, CAL), like
// Linux's lscpu and /proc/interrupts rows side by side. And `smpcall`: the round trip of a waiting
// smp_call_function_single to another CPU in TSC cycles (instructions under QEMU -icount shift=0), which
// `make bench` reports.
#include "arch/x86/smp.h"
#include "drivers/apic/apic_timer.h"
#include "arch/x86/cpu.h"
#include "kernel/errno.h"
#include "kernel/irq/irq_stat.h"
#include "kernel/smp.h"
#include "kernel/shell/shell.h"
#include "kernel/cmdline.h"
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

constexpr unsigned SMPCALL_MAX = 1000;
constexpr unsigned SMPCALL_DEFAULT = 100;
uint64_t smpcall_samples[SMPCALL_MAX];  // the shell is one process context: no lock needed

void smpcall_nothing(void*) {}

// `smpcall [CPU [N]]`: N waiting calls of a function that does nothing on CPU (default: the last online
// CPU, 100 calls). Process context (shell), interrupts on.
int cmd_smpcall(int argc, char** argv) {
    unsigned long cpu = arch::num_online_cpus() - 1, n = SMPCALL_DEFAULT;
    if ((argc > 1 && !parse_uint(argv[1], &cpu)) || (argc > 2 && !parse_uint(argv[2], &n)) || argc > 3 || n == 0 ||
        n > SMPCALL_MAX) {
        shell_printf("usage: smpcall [CPU [N]]  (N = 1..%u)\n", SMPCALL_MAX);
        return -EINVAL;
    }
    if (cpu >= arch::num_online_cpus() || cpu == smp_processor_id()) {
        shell_printf("smpcall: CPU%lu is not another online CPU (%u online)\n", cpu, arch::num_online_cpus());
        return -ENXIO;
    }
    for (unsigned long i = 0; i < n; i++) {
        uint64_t t0 = x86::rdtsc();
        int err = smp_call_function_single(int(cpu), smpcall_nothing, nullptr, true);
        smpcall_samples[i] = x86::rdtsc() - t0;
        if (err) {
            shell_printf("smpcall: call %lu failed: %d\n", i, err);
            return err;
        }
    }
    for (unsigned long i = 1; i < n; i++)  // insertion sort: n is small
        for (unsigned long j = i; j > 0 && smpcall_samples[j - 1] > smpcall_samples[j]; j--) {
            uint64_t t = smpcall_samples[j];
            smpcall_samples[j] = smpcall_samples[j - 1];
            smpcall_samples[j - 1] = t;
        }
    shell_printf("smpcall: CPU%u -> CPU%lu round trip over %lu calls: min %llu median %llu max %llu TSC cycles\n",
                 smp_processor_id(), cpu, n, (unsigned long long)smpcall_samples[0],
                 (unsigned long long)smpcall_samples[n / 2], (unsigned long long)smpcall_samples[n - 1]);
    return 0;
}
}  // namespace

SHELL_COMMAND("smpcall", "call-function IPI round trip to another CPU: smpcall [CPU [N]]", cmd_smpcall);
SHELL_COMMAND("cpus", "CPUs: number, local APIC ID, state, ticks (LOC) and IPIs (RES, CAL)", cmd_cpus);
