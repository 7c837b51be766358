// `ps`: every task, as Linux's `ps -eLo pid,psr,stat,cls,rtprio,ni,time,comm` would list kernel threads:
// pid, the CPU it runs or last ran on, its state letter, class and priority, its CPU time and its
// voluntary and involuntary context switches. A kworker's name says which workqueue it works for
// ("kworker/0:1+events") or last worked for ("-events"), as Linux's ps shows it.
#include "kernel/kthread.h"
#include "kernel/shell/shell.h"
#include "kernel/workqueue_internal.h"
#include "lib/vsprintf.h"

namespace {
constexpr unsigned PS_MAX = 64;                                // tasks listed in one call (more are counted, not shown)
constexpr unsigned PS_COMM_LEN = TASK_COMM_LEN + WQ_NAME_LEN;  // a kworker's name with its workqueue

struct ps_row {
    int pid;
    unsigned cpu;
    char state;
    bool on_cpu;
    int policy, prio;
    unsigned rt_priority;
    uint64_t runtime_ns;
    unsigned long nvcsw, nivcsw;
    char comm[PS_COMM_LEN];
};

// Linux's state letters (fs/proc/array.c task_state_array): R running or runnable, S interruptible
// sleep, D uninterruptible sleep, I idle (TASK_IDLE: an uninterruptible wait that is not blocked on
// anything, such as an idle kworker's), X dead; N: created and never woken (irqos shows TASK_NEW apart).
char state_letter(const task_struct* p) {
    unsigned s = __atomic_load_n(&p->__state, __ATOMIC_RELAXED);
    if (s == TASK_RUNNING || s == TASK_WAKING) return 'R';
    if ((s & TASK_IDLE) == TASK_IDLE) return 'I';
    if (s & TASK_INTERRUPTIBLE) return 'S';
    if (s & TASK_UNINTERRUPTIBLE) return 'D';
    if (s & TASK_DEAD) return 'X';
    if (s & TASK_NEW) return 'N';
    return '?';
}

const char* class_name(const ps_row& r) {
    if (r.pid == 0) return "IDL";
    return r.policy == SCHED_FIFO ? "FF" : r.policy == SCHED_RR ? "RR" : "TS";
}

int cmd_ps(int, char**) {
    static ps_row rows[PS_MAX];  // the shell is one thread: no other caller
    unsigned n = 0, total = 0;
    unsigned long flags;
    raw_spin_lock_irqsave(&tasklist_lock, flags);
    task_struct* p;
    list_for_each_entry(p, &task_list, tasks) {
        total++;
        if (n == PS_MAX) continue;
        ps_row& r = rows[n++];
        r.pid = p->pid;
        r.cpu = READ_ONCE(p->cpu);
        r.state = state_letter(p);
        r.on_cpu = __atomic_load_n(&p->on_cpu, __ATOMIC_RELAXED) != 0;
        r.policy = READ_ONCE(p->policy);
        r.prio = READ_ONCE(p->prio);
        r.rt_priority = READ_ONCE(p->rt_priority);
        r.runtime_ns = __atomic_load_n(&p->sum_exec_runtime, __ATOMIC_RELAXED);
        r.nvcsw = READ_ONCE(p->nvcsw);
        r.nivcsw = READ_ONCE(p->nivcsw);
        wq_worker_comm(r.comm, sizeof r.comm, p);
    }
    raw_spin_unlock_irqrestore(&tasklist_lock, flags);

    shell_printf("  PID PSR S CLS RTPRIO  NI          TIME    NVCSW   NIVCSW COMMAND\n");
    for (unsigned i = 0; i < n; i++) {
        const ps_row& r = rows[i];
        char rtprio[8] = "-", ni[8] = "-";
        if (r.pid != 0 && r.policy != SCHED_NORMAL) irqos::snprintf(rtprio, sizeof rtprio, "%u", r.rt_priority);
        if (r.pid != 0 && r.policy == SCHED_NORMAL) irqos::snprintf(ni, sizeof ni, "%d", r.prio - DEFAULT_PRIO);
        uint64_t us = r.runtime_ns / 1000;
        shell_printf("%5d %3u %c%c %-3s %6s %3s %7lu.%06lu %8lu %8lu %s\n", r.pid, r.cpu, r.state, r.on_cpu ? '*' : ' ',
                     class_name(r), rtprio, ni, (unsigned long)(us / 1000000), (unsigned long)(us % 1000000), r.nvcsw,
                     r.nivcsw, r.comm);
    }
    if (total > n) shell_printf("(%u more tasks not shown)\n", total - n);
    shell_printf("* on a CPU now; TIME in seconds of CPU\n");
    return 0;
}
}  // namespace

SHELL_COMMAND("ps", "tasks: pid, CPU, state, class, priority, CPU time, context switches", cmd_ps);
