// In-kernel tests of the bottom halves on the real machine: the tasklet experiment's counts add up
// (every top half's schedule is a run or a coalesced schedule, runs in softirq context on the CPU that
// scheduled it) and coalesce when the top half outlasts the interval; a softirq flood is handed to
// ksoftirqd and a thread on the same CPU keeps sleeping and waking on time; one tasklet scheduled from
// every CPU at once never runs on two at a time and loses no schedule; timers fire on the CPU that armed
// them within one tick of their expiry.
#include "tests/kernel/ktest.h"
#include "kernel/err.h"
#include "kernel/errno.h"
#include "kernel/jiffies.h"
#include "kernel/kthread.h"
#include "kernel/preempt.h"
#include "kernel/scenario/bh.h"
#include "kernel/sched/wait.h"
#include "kernel/tasklet.h"
#include "kernel/time/timer.h"

namespace {
constexpr unsigned long WAIT_MS = 10000;

KTEST(bh, tasklet_runs_once_per_schedule_or_coalesces) {
    bh_tasklet_result r;
    int err = bh_tasklet_experiment(1024, 0, 200, &r);
    if (err == -ENODEV) KSKIP("no CMOS RTC");
    KASSERT_EQ(err, 0);
    KEXPECT_TRUE(r.counter_th > 50);  // ~200 at 1024 Hz; emulators may merge some
    KEXPECT_EQ(r.counter_th, r.counter_bh + r.coalesced);
    KEXPECT_EQ(r.bh_not_in_softirq, 0ul);
    KEXPECT_EQ(r.bh_off_cpu, 0ul);
}

KTEST(bh, a_top_half_longer_than_the_interval_coalesces_the_tasklet) {
    bh_tasklet_result r;
    // 8192 Hz is an interrupt every 122 us; the top half takes 200 us, so the next one is always
    // pending when the softirq enables interrupts, before the tasklet ran.
    int err = bh_tasklet_experiment(8192, 200, 100, &r);
    if (err == -ENODEV) KSKIP("no CMOS RTC");
    KASSERT_EQ(err, 0);
    KEXPECT_TRUE(r.counter_th > 0);
    KEXPECT_TRUE(r.coalesced > 0);
    KEXPECT_TRUE(r.counter_bh < r.counter_th);
    KEXPECT_EQ(r.counter_th, r.counter_bh + r.coalesced);
    KEXPECT_EQ(r.bh_not_in_softirq, 0ul);
}

KTEST(bh, a_softirq_flood_goes_to_ksoftirqd_and_threads_still_run) {
    bh_flood_result r;
    KASSERT_EQ(bh_flood_experiment(300, &r), 0);
    KEXPECT_TRUE(r.runs > 1000);
    KEXPECT_TRUE(r.runs_in_ksoftirqd > 0);
    KEXPECT_TRUE(r.ksoftirqd_ns > 0);
    // 300 ms of 5 ms sleeps: 60 if every wake-up were on time; fair sharing with ksoftirqd keeps most.
    KEXPECT_TRUE(r.sleeps >= 20);
    KEXPECT_TRUE(r.worst_late_ms < 100);
}

// ---- one tasklet scheduled from every CPU at once
constexpr unsigned SCHEDULES_PER_CPU = 2000;
struct Shared {
    tasklet_struct t;
    int inside = 0;
    int max_inside = 0;
    unsigned long runs = 0;
    unsigned long seq = 0;       // schedules so far (incremented before each tasklet_schedule)
    unsigned long seen_seq = 0;  // seq when the latest run started
    int started = 0;
    int done_threads = 0;
};
Shared shared;

void shared_fn(tasklet_struct* t) {
    Shared* s = from_tasklet(s, t, t);
    __atomic_store_n(&s->seen_seq, __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
    int in = __atomic_add_fetch(&s->inside, 1, __ATOMIC_ACQ_REL);
    if (in > s->max_inside) s->max_inside = in;
    for (int i = 0; i < 200; i++) arch::cpu_relax();  // widen the window another CPU could overlap in
    s->runs++;
    __atomic_sub_fetch(&s->inside, 1, __ATOMIC_ACQ_REL);
}

int scheduler_fn(void* data) {
    Shared* s = static_cast<Shared*>(data);
    __atomic_add_fetch(&s->started, 1, __ATOMIC_ACQ_REL);
    while (__atomic_load_n(&s->started, __ATOMIC_ACQUIRE) < int(arch::num_online_cpus())) arch::cpu_relax();
    for (unsigned i = 0; i < SCHEDULES_PER_CPU; i++) {
        __atomic_add_fetch(&s->seq, 1, __ATOMIC_ACQ_REL);
        tasklet_schedule(&s->t);
        if (i % 64 == 0) msleep(1);  // let interrupt exits run it on this CPU in between
    }
    __atomic_add_fetch(&s->done_threads, 1, __ATOMIC_RELEASE);
    return 0;
}
bool all_done(void* p) {
    Shared* s = static_cast<Shared*>(p);
    return __atomic_load_n(&s->done_threads, __ATOMIC_ACQUIRE) == int(arch::num_online_cpus()) &&
           !tasklet_test_bit(&s->t, TASKLET_STATE_SCHED) && !tasklet_test_bit(&s->t, TASKLET_STATE_RUN);
}

KTEST(bh, one_tasklet_scheduled_from_every_cpu_never_runs_twice_at_once) {
    shared = Shared{};
    tasklet_setup(&shared.t, shared_fn);
    unsigned n = arch::num_online_cpus();
    for (unsigned cpu = 0; cpu < n; cpu++) {
        KASSERT(!IS_ERR(kthread_run_on_cpu(scheduler_fn, &shared, cpu, "kt-tasklet/%u")));
    }
    KASSERT(ktest_wait_jiffies(all_done, &shared, msecs_to_jiffies(WAIT_MS)));
    KEXPECT_EQ(shared.max_inside, 1);
    KEXPECT_TRUE(shared.runs >= 1);
    // The last run started after the last schedule: none was lost.
    KEXPECT_EQ(shared.seen_seq, (unsigned long)n * SCHEDULES_PER_CPU);
    tasklet_kill(&shared.t);
}

// ---- timers on every CPU
constexpr unsigned TIMERS_PER_CPU = 8;
struct TimerCase {
    timer_list timer;
    unsigned long expires = 0;
    unsigned long fired_at = 0;
    // jiffies as seen by the tick of its CPU that raised the expiry pass that ran it, and by the tick
    // before that one
    unsigned long tick_seen = 0, prev_tick_seen = 0;
    int fired_cpu = -1;
    int armed_cpu = -1;
    int fired = 0;
};
struct PerCpuTimers {
    TimerCase cases[TIMERS_PER_CPU];
    completion done;
};
void timer_case_fn(timer_list* t) {
    TimerCase* c = from_timer(c, t, timer);
    c->fired_at = jiffies;
    c->fired_cpu = int(smp_processor_id());
    timer_base_info info;
    timer_base_snapshot(unsigned(c->fired_cpu), &info, nullptr, 0);
    c->tick_seen = info.pass_tick_jiffies;
    c->prev_tick_seen = info.pass_prev_tick_jiffies;
    __atomic_store_n(&c->fired, 1, __ATOMIC_RELEASE);
}
int arm_timers_fn(void* data) {
    PerCpuTimers* p = static_cast<PerCpuTimers*>(data);
    for (unsigned i = 0; i < TIMERS_PER_CPU; i++) {
        TimerCase& c = p->cases[i];
        timer_setup(&c.timer, timer_case_fn, 0);
        preempt_disable();
        c.armed_cpu = int(smp_processor_id());
        c.expires = jiffies + 1 + i * 3;  // 1 .. 22 jiffies: the wheel's first level, exact to a jiffy
        mod_timer(&c.timer, c.expires);
        preempt_enable();
    }
    for (unsigned i = 0; i < TIMERS_PER_CPU; i++)
        while (!__atomic_load_n(&p->cases[i].fired, __ATOMIC_ACQUIRE)) msleep(1);
    complete(&p->done);
    return 0;
}

// A timer runs at the first tick of its CPU that reaches its bucket, or earlier when a softirq pass
// finds jiffies there first; never before the bucket. At the first level the bucket is due one jiffy
// after `expires` (Linux rounds up, so that a timer armed at the very end of a jiffy never fires
// early). "Not late" is checked against what that CPU's own ticks saw, not against jiffies when the
// function ran: another CPU's tick advances jiffies, so an AP's tick may see a jiffy twice and skip the
// next (emulated CPUs run unsynchronised), or miss several while the host does not run it; and the host
// may stop the emulated CPU between the tick and the function, while the next ticks come due. So the
// check is that the tick before the one that raised the expiry pass had not reached the bucket yet.
KTEST(timer, timers_fire_on_the_arming_cpu_within_one_tick_of_expiry) {
    static PerCpuTimers per[NR_CPUS];
    unsigned n = arch::num_online_cpus();
    for (unsigned cpu = 0; cpu < n; cpu++) {
        per[cpu] = PerCpuTimers{};
        init_completion(&per[cpu].done);
        KASSERT(!IS_ERR(kthread_run_on_cpu(arm_timers_fn, &per[cpu], cpu, "kt-timers/%u")));
    }
    for (unsigned cpu = 0; cpu < n; cpu++) {
        KASSERT(wait_for_completion_timeout(&per[cpu].done, msecs_to_jiffies(WAIT_MS)) != 0);
        for (const TimerCase& c : per[cpu].cases) {
            KEXPECT_EQ(c.fired_cpu, c.armed_cpu);
            unsigned long bucket = c.expires + 1;
            KEXPECT_TRUE(time_after_eq(c.fired_at, bucket));  // never early
            if (!time_before(c.prev_tick_seen, bucket))
                ktest_fail(__FILE__, __LINE__,
                           "CPU %d: due at %lu (bucket %lu), ran at %lu in a pass raised by a tick that saw %lu, "
                           "the one before saw %lu",
                           c.fired_cpu, c.expires, bucket, c.fired_at, c.tick_seen, c.prev_tick_seen);
        }
    }
}
}  // namespace
