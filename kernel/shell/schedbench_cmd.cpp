// `schedbench`: what a context switch and a cross-CPU wake-up cost, in TSC cycles (instructions under
// QEMU -icount shift=0, which `make bench` uses). Two SCHED_FIFO threads of the same priority pass the
// CPU back and forth N times:
//   switch: both on this CPU. A wakes B (same priority: B waits its turn), reads the TSC and sleeps;
//           B reads the TSC as its schedule() returns. One sample is that difference: schedule() from
//           its call in A to its return in B, the context switch included.
//   wakeipi [CPU]: A on this CPU, B on another. A reads the TSC, wakes B and sleeps; B wakes A and
//           sleeps; A reads the TSC when it runs again. One sample is that round trip: two wake-ups
//           by reschedule IPI, each ending a halt and switching from the idle task.
#include "kernel/errno.h"
#include "kernel/err.h"
#include "kernel/kthread.h"
#include "kernel/sched/wait.h"
#include "kernel/shell/bench_stats.h"
#include "kernel/shell/shell.h"
#include "lib/vsprintf.h"
#include "kernel/cmdline.h"
#include "lib/string.h"

namespace {
constexpr unsigned long SCHEDBENCH_MAX = 1000, SCHEDBENCH_DEFAULT = 200;
constexpr int BENCH_RT_PRIO = 50;

struct PingPong {
    task_struct* a = nullptr;
    task_struct* b = nullptr;
    unsigned long n = 0;
    bool switch_mode = false;
    uint64_t t0 = 0;
    uint64_t samples[SCHEDBENCH_MAX];
    completion done;
    int a_turn = 0, b_turn = 0;  // whose turn it is (set by the other before waking)
};

// Sleep until *turn is set, then clear it (the waker sets it before wake_up_process).
void wait_turn(int* turn) {
    for (;;) {
        set_current_state(TASK_UNINTERRUPTIBLE);
        if (__atomic_load_n(turn, __ATOMIC_ACQUIRE)) break;
        schedule();
    }
    __set_current_state(TASK_RUNNING);
    __atomic_store_n(turn, 0, __ATOMIC_RELAXED);
}

void give_turn(int* turn, task_struct* t) {
    __atomic_store_n(turn, 1, __ATOMIC_RELEASE);
    wake_up_process(t);
}

int pp_b(void* data) {
    auto* p = static_cast<PingPong*>(data);
    for (unsigned long i = 0; i < p->n; i++) {
        if (p->switch_mode) {
            // Sleep until A switches to us; the sample ends at our return from schedule().
            for (;;) {
                set_current_state(TASK_UNINTERRUPTIBLE);
                if (__atomic_load_n(&p->b_turn, __ATOMIC_ACQUIRE)) break;
                schedule();
            }
            uint64_t t1 = arch::cycles();
            __set_current_state(TASK_RUNNING);
            __atomic_store_n(&p->b_turn, 0, __ATOMIC_RELAXED);
            p->samples[i] = t1 - p->t0;
        } else {
            wait_turn(&p->b_turn);
        }
        give_turn(&p->a_turn, p->a);
    }
    return 0;
}

int pp_a(void* data) {
    auto* p = static_cast<PingPong*>(data);
    for (unsigned long i = 0; i < p->n; i++) {
        if (p->switch_mode) {
            __atomic_store_n(&p->b_turn, 1, __ATOMIC_RELEASE);
            wake_up_process(p->b);  // same priority on this CPU: queued behind us, no preemption
            set_current_state(TASK_UNINTERRUPTIBLE);
            p->t0 = arch::cycles();
            schedule();  // B runs and reads the TSC
            __set_current_state(TASK_RUNNING);
            wait_turn(&p->a_turn);
        } else {
            uint64_t t0 = arch::cycles();
            give_turn(&p->b_turn, p->b);
            wait_turn(&p->a_turn);
            p->samples[i] = arch::cycles() - t0;
        }
    }
    complete(&p->done);
    return 0;
}

PingPong pp;  // the shell is one thread: one run at a time

int cmd_schedbench(int argc, char** argv) {
    bool sw = argc >= 2 && !strcmp(argv[1], "switch");
    bool ipi = argc >= 2 && !strcmp(argv[1], "wakeipi");
    unsigned long n = SCHEDBENCH_DEFAULT, cpu_b = 0;
    preempt_disable();
    unsigned cpu = smp_processor_id();
    preempt_enable();
    cpu_b = ipi ? (cpu + 1) % arch::num_online_cpus() : cpu;
    int arg = 2;
    if (ipi && argc > arg && !parse_uint(argv[arg++], &cpu_b)) sw = ipi = false;
    if (argc > arg && !parse_uint(argv[arg++], &n)) sw = ipi = false;
    if ((!sw && !ipi) || argc > arg || n == 0 || n > SCHEDBENCH_MAX) {
        shell_printf("usage: schedbench switch [N] | schedbench wakeipi [CPU [N]]  (N = 1..%lu)\n", SCHEDBENCH_MAX);
        return -EINVAL;
    }
    if (ipi && (cpu_b >= arch::num_online_cpus() || cpu_b == cpu)) {
        shell_printf("schedbench: CPU%lu is not another online CPU (%u online)\n", cpu_b, arch::num_online_cpus());
        return -ENXIO;
    }
    pp.n = n;
    pp.switch_mode = sw;
    pp.a_turn = pp.b_turn = 0;
    init_completion(&pp.done);
    pp.a = kthread_create(pp_a, &pp, "bench-a");
    if (IS_ERR(pp.a)) return int(PTR_ERR(pp.a));
    pp.b = kthread_create(pp_b, &pp, "bench-b");
    if (IS_ERR(pp.b)) {
        kthread_stop(pp.a);
        return int(PTR_ERR(pp.b));
    }
    sched_setscheduler(pp.a, SCHED_FIFO, BENCH_RT_PRIO);
    sched_setscheduler(pp.b, SCHED_FIFO, BENCH_RT_PRIO);
    kthread_bind(pp.a, cpu);
    kthread_bind(pp.b, unsigned(cpu_b));
    wake_up_process(pp.b);
    wake_up_process(pp.a);
    wait_for_completion(&pp.done);
    char what[48];
    irqos::snprintf(what, sizeof what, "%s CPU%u -> CPU%lu", sw ? "switch" : "wakeipi", cpu, cpu_b);
    bench_report("schedbench", what, pp.samples, n);
    return 0;
}
}  // namespace

SHELL_COMMAND("schedbench", "context switch / wake-up IPI cost: schedbench switch [N] | wakeipi [CPU [N]]",
              cmd_schedbench);
