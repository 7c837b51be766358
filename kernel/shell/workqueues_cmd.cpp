// `workqueues`: every workqueue (its flags, max_active, works active and waiting for max_active over all
// CPUs) and every online CPU's two worker pools (kworkers in all, idle, running; works waiting for a
// kworker; each busy kworker and the function it runs), in the spirit of Linux's show_all_workqueues
// (SysRq-t) and tools/workqueue/wq_dump.py.
#include "kernel/arch.h"
#include "kernel/shell/shell.h"
#include "kernel/workqueue_internal.h"
#include "lib/vsprintf.h"

namespace {
void flag_names(unsigned flags, char* buf, size_t size) {
    static const struct {
        unsigned flag;
        const char* name;
    } names[] = {{WQ_FREEZABLE, "FREEZABLE"}, {WQ_MEM_RECLAIM, "MEM_RECLAIM"},
                 {WQ_HIGHPRI, "HIGHPRI"},     {WQ_CPU_INTENSIVE, "CPU_INTENSIVE"},
                 {WQ_SYSFS, "SYSFS"},         {WQ_POWER_EFFICIENT, "POWER_EFFICIENT"},
                 {__WQ_DRAINING, "DRAINING"}, {__WQ_DESTROYING, "DESTROYING"}};
    size_t off = 0;
    buf[0] = '\0';
    for (const auto& n : names) {
        if (!(flags & n.flag) || off >= size) continue;
        off += size_t(irqos::scnprintf(buf + off, size - off, "%s%s", off ? "," : "", n.name));
    }
}

void show_wq(const wq_view* v, void*) {
    char names[64];
    flag_names(v->flags, names, sizeof names);
    shell_printf("%-20s 0x%05x %10d %6d %8d  %s\n", v->name, v->flags, v->max_active, v->nr_active, v->nr_inactive,
                 names);
}

void show_pool(unsigned cpu, bool highpri) {
    static wq_pool_view v;  // the shell is one thread: no other caller
    wq_pool_view_get(cpu, highpri, &v);
    shell_printf("%4u %4u %-7s %5d %7d %4d %7d %7u\n", cpu * 2 + (highpri ? 1 : 0), cpu, highpri ? "highpri" : "normal",
                 v.nice, v.nr_workers, v.nr_idle, v.nr_running, v.nr_pending);
    for (unsigned i = 0; i < v.nr_busy && i < WQ_VIEW_BUSY_MAX; i++) {
        const wq_busy_view& b = v.busy[i];
        const char* sym = nullptr;
        uintptr_t off = 0, size = 0;
        uintptr_t addr = reinterpret_cast<uintptr_t>(b.func);
        if (arch::lookup_symbol(addr, &sym, &off, &size) && sym)
            shell_printf("       busy: %s (pid %d) runs %s+0x%lx from %s\n", b.comm, b.pid, sym, (unsigned long)off,
                         b.wq);
        else
            shell_printf("       busy: %s (pid %d) runs 0x%016lx from %s\n", b.comm, b.pid, (unsigned long)addr, b.wq);
    }
    if (v.nr_busy > WQ_VIEW_BUSY_MAX) shell_printf("       (%u more busy)\n", v.nr_busy - WQ_VIEW_BUSY_MAX);
}

int cmd_workqueues(int, char**) {
    shell_printf("WORKQUEUE            FLAGS   MAX_ACTIVE ACTIVE INACTIVE\n");
    wq_for_each_view(show_wq, nullptr);
    shell_printf("\nPOOL  CPU KIND     NICE WORKERS IDLE RUNNING PENDING\n");
    for_each_online_cpu(cpu) {
        show_pool(cpu, false);
        show_pool(cpu, true);
    }
    shell_printf("RUNNING: busy kworkers not asleep (concurrency management); PENDING: works waiting for a kworker\n");
    return 0;
}
}  // namespace

SHELL_COMMAND("workqueues", "workqueues and the per-CPU worker pools: kworkers, waiting works, busy functions",
              cmd_workqueues);
