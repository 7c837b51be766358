// `bhbench`: what the bottom halves cost, in TSC cycles (instructions under QEMU -icount shift=0, which
// `make bench` uses), N samples each:
//   softirq: raise_softirq with bottom halves disabled, to its handler's first instruction when
//            local_bh_enable runs it (the NET_RX number, which irqos leaves unused, carries the
//            benchmark's handler);
//   tasklet: tasklet_schedule with bottom halves disabled, to the tasklet's first instruction;
//   work [CPU]: queue_work_on this CPU (or CPU) on system_wq, to the work function's first instruction
//            on its kworker, the shell thread sleeping on a completion meanwhile (on this CPU the
//            kworker runs when the shell sleeps; on another, a reschedule IPI wakes it from idle).
#include "kernel/cmdline.h"
#include "kernel/bottom_half.h"
#include "kernel/errno.h"
#include "kernel/preempt.h"
#include "kernel/sched/wait.h"
#include "kernel/shell/bench_stats.h"
#include "kernel/shell/shell.h"
#include "kernel/softirq.h"
#include "kernel/tasklet.h"
#include "kernel/workqueue.h"
#include "lib/string.h"
#include "lib/vsprintf.h"

namespace {
constexpr unsigned long BHBENCH_MAX = 1000, BHBENCH_DEFAULT = 200;
constexpr unsigned BENCH_SOFTIRQ = NET_RX_SOFTIRQ;

uint64_t samples[BHBENCH_MAX];  // the shell is one thread: one run at a time
uint64_t t_start, t_end;

void bench_softirq_action() { t_end = arch::cycles(); }
void bench_tasklet_fn(tasklet_struct*) { t_end = arch::cycles(); }
DECLARE_TASKLET(bench_tasklet, bench_tasklet_fn);

// The work function stamps the TSC and completes; the shell thread sleeps on the completion meanwhile.
struct BenchWork {
    work_struct work;
    completion done;
};
BenchWork bench_work;
void bench_work_fn(work_struct* w) {
    t_end = arch::cycles();
    complete(&container_of(w, BenchWork, work)->done);
}

int bench_work_run(unsigned long n, unsigned cpu) {
    INIT_WORK(&bench_work.work, bench_work_fn);
    init_completion(&bench_work.done);
    for (unsigned long i = 0; i < n; i++) {
        t_end = 0;
        t_start = arch::cycles();
        queue_work_on(int(cpu), system_wq, &bench_work.work);
        wait_for_completion(&bench_work.done);
        samples[i] = t_end - t_start;
    }
    flush_work(&bench_work.work);  // the worker is done with it before the next run reuses it
    return 0;
}

int usage() {
    shell_printf("usage: bhbench softirq|tasklet [N] | bhbench work [CPU [N]]  (N = 1..%lu)\n", BHBENCH_MAX);
    return -EINVAL;
}

int cmd_bhbench_work(int argc, char** argv) {
    preempt_disable();
    unsigned long here = smp_processor_id(), cpu = here, n = BHBENCH_DEFAULT;
    preempt_enable();
    if ((argc > 2 && !parse_uint(argv[2], &cpu)) || (argc > 3 && !parse_uint(argv[3], &n)) || argc > 4 || n == 0 ||
        n > BHBENCH_MAX || cpu >= arch::num_online_cpus())
        return usage();
    bench_work_run(n, unsigned(cpu));
    char what[64];
    irqos::snprintf(what, sizeof what, "queue_work_on CPU%lu to run, from CPU%lu", cpu, here);
    bench_report("bhbench", what, samples, n);
    return 0;
}

int cmd_bhbench(int argc, char** argv) {
    if (argc >= 2 && !strcmp(argv[1], "work")) return cmd_bhbench_work(argc, argv);
    unsigned long n = BHBENCH_DEFAULT;
    if (argc < 2 || (argc > 2 && !parse_uint(argv[2], &n)) || argc > 3 || n == 0 || n > BHBENCH_MAX) return usage();
    bool softirq = !strcmp(argv[1], "softirq"), tasklet = !strcmp(argv[1], "tasklet");
    if (!softirq && !tasklet) return usage();
    static bool opened;
    if (softirq && !opened) {
        open_softirq(BENCH_SOFTIRQ, bench_softirq_action);
        opened = true;
    }
    for (unsigned long i = 0; i < n; i++) {
        local_bh_disable();
        t_end = 0;
        t_start = arch::cycles();
        if (softirq)
            raise_softirq(BENCH_SOFTIRQ);
        else
            tasklet_schedule(&bench_tasklet);
        local_bh_enable();  // runs it here, on this CPU
        if (!t_end) {
            shell_printf("bhbench: sample %lu did not run at local_bh_enable\n", i);
            return -EIO;
        }
        samples[i] = t_end - t_start;
    }
    bench_report("bhbench", softirq ? "raise_softirq to handler" : "tasklet_schedule to run", samples, n);
    return 0;
}
}  // namespace

SHELL_COMMAND("bhbench", "bottom-half costs: bhbench softirq|tasklet [N] | work [CPU [N]]", cmd_bhbench);
