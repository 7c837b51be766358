// In-kernel tests of the jiffies timers' hook-up to the real tick (kernel/time/timer.cpp): the tick of
// the CPU that armed a timer (CPU 0's LAPIC timer, or IRQ 0 in PIC mode) raises that CPU's TIMER softirq
// and the timer runs there, not before its time; an AP's own LAPIC tick raises the softirq for a timer
// queued on its wheel once it is due, not before. Where nothing processes softirqs yet, the test runs the TIMER softirq
// itself once it sees it raised, as irq_exit would; where something does, it finds the timer run.
#include "tests/kernel/ktest.h"
#include "kernel/jiffies.h"
#include "kernel/percpu.h"
#include "kernel/softirq.h"
#include "kernel/spinlock.h"
#include "kernel/time/timer.h"

namespace {

constexpr unsigned long DELAY = 5;           // jiffies
constexpr unsigned long WAIT_JIFFIES = 200;  // far beyond DELAY + the level-0 round-up

struct Probe {
    timer_list timer;
    volatile bool fired;
    volatile unsigned long fired_at;
    volatile unsigned cpu;
};

void probe_fn(timer_list* t) {
    Probe* p = from_timer(p, t, timer);
    p->fired_at = READ_ONCE(jiffies);
    p->cpu = smp_processor_id();
    WRITE_ONCE(p->fired, true);
}

constexpr unsigned TIMER_BIT = 1u << TIMER_SOFTIRQ;

struct Watch {
    Probe* probe;
    unsigned cpu;
};
bool fired_or_raised(void* arg) {
    Watch* w = static_cast<Watch*>(arg);
    return READ_ONCE(w->probe->fired) || (per_cpu_read(__softirq_pending, w->cpu) & TIMER_BIT);
}

}  // namespace

KTEST(timer_wheel, the_arming_cpus_tick_raises_the_softirq_and_the_timer_runs_there_not_early) {
    Probe p{};
    timer_setup(&p.timer, probe_fn, 0);
    unsigned long flags;
    local_irq_save(flags);  // arm and read the CPU together
    unsigned cpu = smp_processor_id();
    this_cpu_and(__softirq_pending, ~TIMER_BIT);  // nothing of an earlier test left raised
    unsigned long start = READ_ONCE(jiffies);
    mod_timer(&p.timer, start + DELAY);
    local_irq_restore(flags);
    Watch w{&p, cpu};
    unsigned long deadline = start + WAIT_JIFFIES;
    while (!READ_ONCE(p.fired) && time_before(READ_ONCE(jiffies), deadline)) {
        if (!ktest_wait_jiffies(fired_or_raised, &w, deadline - READ_ONCE(jiffies))) break;
        if (READ_ONCE(p.fired)) break;
        // Raised, not run: this kernel does not process softirqs yet. Run it as irq_exit would. (A raise
        // may also come early, from a wheel whose first bucket was deleted: then nothing runs yet.)
        local_irq_disable();
        this_cpu_and(__softirq_pending, ~TIMER_BIT);
        local_irq_enable();
        run_timer_softirq();
    }
    KASSERT(READ_ONCE(p.fired));
    KEXPECT_EQ(p.cpu, cpu);
    KEXPECT_TRUE(time_after_eq(p.fired_at, start + DELAY));
    KEXPECT_FALSE(timer_pending(&p.timer));
    del_timer_sync(&p.timer);
}

KTEST(timer_wheel, an_aps_own_tick_raises_its_softirq_for_a_timer_on_its_wheel) {
    if (arch::num_online_cpus() < 2) KSKIP("one CPU");
    // Only CPU 1 may clear its pending bits; when an earlier run left its TIMER softirq raised (nothing
    // runs softirqs there yet, and a deleted timer leaves its wheel's next_expiry early until the next
    // expiry pass), a raise cannot be told from that one.
    if (per_cpu_read(__softirq_pending, 1) & TIMER_BIT) KSKIP("CPU 1's TIMER softirq still raised from before");
    Probe p{};
    timer_setup(&p.timer, probe_fn, 0);
    unsigned long start = READ_ONCE(jiffies);
    p.timer.expires = start + DELAY;
    add_timer_on(&p.timer, 1);
    Watch w{&p, 1};
    bool seen = ktest_wait_jiffies(fired_or_raised, &w, WAIT_JIFFIES);
    unsigned long seen_at = READ_ONCE(jiffies);
    // Either CPU 1 ran it (softirqs processed there) or its tick raised the softirq; not before it was due.
    del_timer_sync(&p.timer);
    KASSERT(seen);
    if (READ_ONCE(p.fired)) {
        KEXPECT_EQ(p.cpu, 1u);
        KEXPECT_TRUE(time_after_eq(p.fired_at, start + DELAY));
    } else {
        KEXPECT_TRUE(time_after(seen_at, start + DELAY));  // its bucket: one jiffy after expires
    }
}
