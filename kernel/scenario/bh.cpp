// The bottom-half experiments (see bh.h) and their `bh` shell command.
#include "kernel/scenario/bh.h"
#include "drivers/rtc/rtc_cmos.h"
#include "kernel/cmdline.h"
#include "kernel/err.h"
#include "kernel/irq/interrupt.h"
#include "kernel/errno.h"
#include "kernel/jiffies.h"
#include "kernel/kthread.h"
#include "kernel/preempt.h"
#include "kernel/sched/wait.h"
#include "kernel/shell/shell.h"
#include "kernel/softirq.h"
#include "kernel/tasklet.h"
#include "kernel/time/timer.h"
#include "kernel/workqueue.h"
#include "lib/string.h"

namespace {
constexpr unsigned TH_US_MAX = 10000, MS_MAX = 60000, FLOOD_SLEEP_MS = 5;

void busy_us(unsigned us) {
    uint64_t end = arch::cycles() + uint64_t(us) * arch::cycles_khz() / 1000;
    while (arch::cycles() < end) arch::cpu_relax();
}

// ---- tasklet
struct TaskletExp {
    tasklet_struct t;
    work_struct work;  // the work-item variant: queued instead of the tasklet
    bool use_work;
    bh_tasklet_result* r;
    unsigned last_th_cpu;
    unsigned long limit;  // interrupts the run expects: rate * ms / 1000
};
TaskletExp texp;

void exp_work(work_struct* w) {
    TaskletExp* e = container_of(w, TaskletExp, work);
    e->r->counter_bh++;
    if (!in_task()) e->r->bh_not_in_softirq++;  // for a work item: outside process context
    if (smp_processor_id() != READ_ONCE(e->last_th_cpu)) e->r->bh_off_cpu++;
    if (strncmp(sched_current()->comm, "kworker/", 8) == 0) e->r->on_kworker++;
    if (e->r->work_sleep_ms) {
        msleep(e->r->work_sleep_ms);  // process context: a work item may sleep
        e->r->slept++;
    }
}

void exp_bh(tasklet_struct* t) {
    TaskletExp* e = from_tasklet(e, t, t);
    e->r->counter_bh++;
    if (!in_serving_softirq()) e->r->bh_not_in_softirq++;
    if (smp_processor_id() != READ_ONCE(e->last_th_cpu)) e->r->bh_off_cpu++;
}

void exp_th(void* data) {
    TaskletExp* e = static_cast<TaskletExp*>(data);
    // A top half longer than the interval keeps an interrupt pending at every return: process context
    // may then never run again (interrupt livelock; on Bochs even the tick's wake-up of the sleeping
    // shell cannot be served). So the top half ends the run itself once the interrupts the run should
    // see have come.
    if (++e->r->counter_th >= e->limit && !e->r->stopped_by_top_half) {
        e->r->stopped_by_top_half = true;
        rtc_irq_set_state(false);
    }
    WRITE_ONCE(e->last_th_cpu, smp_processor_id());
    busy_us(e->r->th_us);
    if (e->use_work) {
        if (!queue_work(system_wq, &e->work)) e->r->coalesced++;  // still pending: nothing queued
        return;
    }
    if (tasklet_test_bit(&e->t, TASKLET_STATE_SCHED)) e->r->coalesced++;
    tasklet_schedule(&e->t);
}
}  // namespace

namespace {
int run_irq_experiment(bool use_work, unsigned rate_hz, unsigned th_us, unsigned ms, unsigned sleep_ms,
                       bh_tasklet_result* r) {
    if (rate_hz < mc146818::RTC_FREQ_MIN || rate_hz > mc146818::RTC_FREQ_MAX || (rate_hz & (rate_hz - 1)) ||
        th_us > TH_US_MAX || ms == 0 || ms > MS_MAX)
        return -EINVAL;
    *r = bh_tasklet_result{};
    r->rate_hz = rate_hz;
    r->th_us = th_us;
    r->ms = ms;
    r->work_sleep_ms = sleep_ms;
    unsigned old_freq = rtc_irq_freq();
    if (!old_freq) return -ENODEV;
    bool old_on = rtc_irq_enabled();
    tasklet_setup(&texp.t, exp_bh);
    INIT_WORK(&texp.work, exp_work);
    texp.use_work = use_work;
    texp.r = r;
    texp.limit = (unsigned long)rate_hz * ms / 1000;
    rtc_task task{exp_th, &texp};
    if (int err = rtc_irq_register(&task)) return err;
    rtc_irq_set_freq(rate_hz);
    rtc_irq_set_state(true);
    msleep(ms);
    rtc_irq_set_state(old_on);
    rtc_irq_set_freq(old_freq);
    synchronize_irq(mc146818::RTC_IRQ);  // a top half still running on another CPU finishes
    rtc_irq_unregister(&task);
    tasklet_kill(&texp.t);   // the last scheduled run has happened
    flush_work(&texp.work);  // and the last queued work item's
    return 0;
}
}  // namespace

int bh_tasklet_experiment(unsigned rate_hz, unsigned th_us, unsigned ms, bh_tasklet_result* r) {
    return run_irq_experiment(false, rate_hz, th_us, ms, 0, r);
}

int bh_work_experiment(unsigned rate_hz, unsigned th_us, unsigned ms, unsigned sleep_ms, bh_tasklet_result* r) {
    if (sleep_ms > 1000) return -EINVAL;
    return run_irq_experiment(true, rate_hz, th_us, ms, sleep_ms, r);
}

namespace {
// ---- flood
struct FloodExp {
    tasklet_struct t;
    bh_flood_result* r;
    int stop;
};
FloodExp fexp;

void flood_bh(tasklet_struct* t) {
    FloodExp* e = from_tasklet(e, t, t);
    e->r->runs++;
    if (sched_current() == this_cpu_read(ksoftirqd)) e->r->runs_in_ksoftirqd++;
    if (!__atomic_load_n(&e->stop, __ATOMIC_ACQUIRE)) tasklet_hi_schedule(t);
}
}  // namespace

int bh_flood_experiment(unsigned ms, bh_flood_result* r) {
    if (ms == 0 || ms > MS_MAX) return -EINVAL;
    *r = bh_flood_result{};
    r->ms = ms;
    preempt_disable();
    r->cpu = smp_processor_id();
    task_struct* ksd = per_cpu(ksoftirqd, r->cpu);
    preempt_enable();
    uint64_t ksd_before = ksd ? __atomic_load_n(&ksd->sum_exec_runtime, __ATOMIC_RELAXED) : 0;
    tasklet_setup(&fexp.t, flood_bh);
    fexp.r = r;
    __atomic_store_n(&fexp.stop, 0, __ATOMIC_RELEASE);
    tasklet_hi_schedule(&fexp.t);  // from a thread: raise_softirq wakes ksoftirqd
    // This thread stays on this CPU (irqos moves no running thread) and sleeps 5 ms at a time.
    unsigned long end = jiffies + msecs_to_jiffies(ms);
    while (time_before(jiffies, end)) {
        unsigned long t0 = jiffies;
        msleep(FLOOD_SLEEP_MS);
        unsigned long took = jiffies_to_msecs(jiffies - t0);
        unsigned long late = took > FLOOD_SLEEP_MS ? took - FLOOD_SLEEP_MS : 0;
        if (late > r->worst_late_ms) r->worst_late_ms = late;
        r->sleeps++;
    }
    __atomic_store_n(&fexp.stop, 1, __ATOMIC_RELEASE);
    tasklet_kill(&fexp.t);
    if (ksd) r->ksoftirqd_ns = __atomic_load_n(&ksd->sum_exec_runtime, __ATOMIC_RELAXED) - ksd_before;
    return 0;
}

namespace {
int usage() {
    shell_printf("usage: bh tasklet [RATE_HZ [TH_US [MS]]]   (RTC periodic interrupt; default 8192 100 1000)\n");
    shell_printf(
        "       bh work [RATE_HZ [TH_US [MS [SLEEP_MS]]]] (the same with a work item; default 1024 0 1000 2)\n");
    shell_printf("       bh flood [MS]                        (a self-rescheduling HI tasklet; default 1000)\n");
    return -EINVAL;
}

int cmd_bh(int argc, char** argv) {
    if (argc < 2) return usage();
    if (!strcmp(argv[1], "tasklet")) {
        unsigned long rate = 8192, th_us = 100, ms = 1000;
        if ((argc > 2 && !parse_uint(argv[2], &rate)) || (argc > 3 && !parse_uint(argv[3], &th_us)) ||
            (argc > 4 && !parse_uint(argv[4], &ms)) || argc > 5)
            return usage();
        bh_tasklet_result r;
        int err = bh_tasklet_experiment(unsigned(rate), unsigned(th_us), unsigned(ms), &r);
        if (err) {
            shell_printf("bh tasklet: %s (%d)\n", err == -EINVAL ? "bad arguments" : "no RTC to use", err);
            return err == -EINVAL ? usage() : err;
        }
        shell_printf("bh tasklet: RTC periodic interrupt at %u Hz for %u ms, top half busy %u us each\n", r.rate_hz,
                     r.ms, r.th_us);
        shell_printf("  counter_th %10lu  top half, hard-IRQ context, once per interrupt\n", r.counter_th);
        shell_printf("  counter_bh %10lu  tasklet, softirq context (outside it: %lu; on another CPU: %lu)\n",
                     r.counter_bh, r.bh_not_in_softirq, r.bh_off_cpu);
        shell_printf("  coalesced  %10lu  schedules that found the tasklet still scheduled\n", r.coalesced);
        if (r.stopped_by_top_half)
            shell_printf("  (the top half stopped the RTC after the %lu interrupts the run expects)\n", r.counter_th);
        shell_printf("  counter_th %s counter_bh + coalesced: every schedule %s\n",
                     r.counter_th == r.counter_bh + r.coalesced ? "=" : "!=",
                     r.counter_th == r.counter_bh + r.coalesced ? "accounted for" : "NOT accounted for");
        shell_printf("  The tasklet runs at the end of the interrupt (irq_exit), with interrupts on. When the\n");
        shell_printf("  top half takes longer than the interval, the next interrupt is already pending and\n");
        shell_printf("  arrives before the tasklet ran: its tasklet_schedule finds SCHED set and does nothing,\n");
        shell_printf("  so one run serves several interrupts. The tasklet must handle everything that came.\n");
        return 0;
    }
    if (!strcmp(argv[1], "work")) {
        unsigned long rate = 1024, th_us = 0, ms = 1000, sleep_ms = 2;
        if ((argc > 2 && !parse_uint(argv[2], &rate)) || (argc > 3 && !parse_uint(argv[3], &th_us)) ||
            (argc > 4 && !parse_uint(argv[4], &ms)) || (argc > 5 && !parse_uint(argv[5], &sleep_ms)) || argc > 6)
            return usage();
        bh_tasklet_result r;
        int err = bh_work_experiment(unsigned(rate), unsigned(th_us), unsigned(ms), unsigned(sleep_ms), &r);
        if (err) return err == -EINVAL ? usage() : err;
        shell_printf("bh work: RTC periodic interrupt at %u Hz for %u ms, top half busy %u us, work sleeps %u ms\n",
                     r.rate_hz, r.ms, r.th_us, r.work_sleep_ms);
        shell_printf("  counter_th %10lu  top half, hard-IRQ context, once per interrupt\n", r.counter_th);
        shell_printf("  counter_bh %10lu  work item, process context on a kworker (%lu of them; outside\n",
                     r.counter_bh, r.on_kworker);
        shell_printf("             %10s  process context: %lu; on another CPU: %lu; slept: %lu)\n", "",
                     r.bh_not_in_softirq, r.bh_off_cpu, r.slept);
        shell_printf("  coalesced  %10lu  queue_work calls that found it still pending\n", r.coalesced);
        shell_printf("  counter_th %s counter_bh + coalesced\n",
                     r.counter_th == r.counter_bh + r.coalesced ? "=" : "!=");
        shell_printf("  The work item runs later, on a kworker thread of the CPU that queued it: it may sleep,\n");
        shell_printf("  so while it sleeps the interrupts keep coming and their queue_work finds it pending.\n");
        return 0;
    }
    if (!strcmp(argv[1], "flood")) {
        unsigned long ms = 1000;
        if ((argc > 2 && !parse_uint(argv[2], &ms)) || argc > 3) return usage();
        bh_flood_result r;
        if (int err = bh_flood_experiment(unsigned(ms), &r)) return err == -EINVAL ? usage() : err;
        shell_printf("bh flood: a HI tasklet rescheduling itself on CPU%u for %u ms\n", r.cpu, r.ms);
        shell_printf("  runs            %10lu\n", r.runs);
        shell_printf("  in ksoftirqd/%u  %10lu  (the rest at irq_exit or local_bh_enable)\n", r.cpu,
                     r.runs_in_ksoftirqd);
        shell_printf("  ksoftirqd/%u CPU %7lu ms\n", r.cpu, (unsigned long)(r.ksoftirqd_ns / 1000000));
        shell_printf("  this shell thread slept %lu times %u ms meanwhile, at worst %lu ms late\n", r.sleeps,
                     FLOOD_SLEEP_MS, r.worst_late_ms);
        shell_printf("  Each softirq run stops after 10 passes or 2 ms (or when a reschedule is due) and\n");
        shell_printf("  wakes ksoftirqd/%u, a normal thread: the flood then shares the CPU fairly with\n", r.cpu);
        shell_printf("  the shell instead of starving it.\n");
        return 0;
    }
    return usage();
}
}  // namespace

SHELL_COMMAND("bh",
              "bottom-half experiments: bh tasklet [RATE [TH_US [MS]]] | work [RATE [TH_US [MS [SLEEP]]]] | flood [MS]",
              cmd_bh);
