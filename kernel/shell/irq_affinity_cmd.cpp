// The shell's `irq N affinity [CPULIST]` (Linux's /proc/irq/N/smp_affinity_list and
// effective_affinity_list in one command): set and show a line's requested and effective affinity.
#include "kernel/shell/irq_cmds.h"
#include "kernel/cpumask.h"
#include "kernel/irq/interrupt.h"
#include "kernel/shell/shell.h"

int irq_affinity_cmd(unsigned irq, const char* cpulist) {
    if (cpulist) {
        cpumask_t mask;
        int err = cpulist_parse(cpulist, &mask);
        if (err) {
            shell_printf("irq %u affinity: bad CPU list '%s': %d\n", irq, cpulist, err);
            return err;
        }
        if (!cpumask_intersects(&mask, cpu_online_mask)) {
            shell_printf("irq %u affinity: no online CPU in '%s' (online: %u CPUs): %d\n", irq, cpulist,
                         arch::num_online_cpus(), -EINVAL);
            return -EINVAL;
        }
        err = irq_set_affinity(irq, &mask);
        if (err) {
            shell_printf("irq %u affinity: irq_set_affinity failed: %d\n", irq, err);
            return err;
        }
    }
    cpumask_t req, eff;
    int err = irq_get_affinity(irq, &req, &eff);
    if (err) {
        shell_printf("irq %u affinity: no such IRQ: %d\n", irq, err);
        return err;
    }
    char r[CPULIST_BUF_SIZE], e[CPULIST_BUF_SIZE];
    cpulist_print(r, sizeof(r), &req);
    cpulist_print(e, sizeof(e), &eff);
    shell_printf("IRQ %u: affinity %s, effective %s\n", irq, r, e[0] ? e : "(none)");
    return 0;
}
