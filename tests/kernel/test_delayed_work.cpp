// In-kernel tests of delayed work on the real tick: it runs no earlier than its delay (and on the CPU
// that queued it), mod_delayed_work moves a pending one's expiry, and cancel_delayed_work_sync stops a
// delayed work that keeps queueing itself again.
#include "tests/kernel/ktest.h"
#include "kernel/jiffies.h"
#include "kernel/preempt.h"
#include "kernel/time/timer.h"
#include "kernel/workqueue.h"
#include "kernel/workqueue_delayed.h"

namespace {
constexpr unsigned long WAIT_MS = 5000;

struct Dw {
    delayed_work dw;
    unsigned long ran_at = 0;
    int ran_cpu = -1;
    int runs = 0;
    bool requeue = false;
};

void dw_fn(work_struct* w) {
    Dw* d = container_of(to_delayed_work(w), Dw, dw);
    d->ran_at = jiffies;
    d->ran_cpu = int(smp_processor_id());
    __atomic_add_fetch(&d->runs, 1, __ATOMIC_RELEASE);
    if (READ_ONCE(d->requeue)) queue_delayed_work(system_wq, &d->dw, 1);
}
bool ran(void* p) { return __atomic_load_n(&static_cast<Dw*>(p)->runs, __ATOMIC_ACQUIRE) > 0; }

KTEST(delayed_work, runs_no_earlier_than_its_delay_on_the_queueing_cpu) {
    Dw d;
    INIT_DELAYED_WORK(&d.dw, dw_fn);
    preempt_disable();
    int cpu = int(smp_processor_id());
    unsigned long queued = jiffies;
    KEXPECT_TRUE(queue_delayed_work(system_wq, &d.dw, 10));
    KEXPECT_FALSE(queue_delayed_work(system_wq, &d.dw, 10));  // pending already
    preempt_enable();
    KEXPECT_TRUE(delayed_work_pending(&d.dw));
    KASSERT(ktest_wait_jiffies(ran, &d, msecs_to_jiffies(WAIT_MS)));
    KEXPECT_TRUE(time_after_eq(d.ran_at, queued + 10));
    KEXPECT_EQ(d.ran_cpu, cpu);
    KEXPECT_EQ(d.runs, 1);
    KEXPECT_FALSE(flush_delayed_work(&d.dw));  // nothing pending or running any more
}

KTEST(delayed_work, mod_delayed_work_moves_the_expiry) {
    Dw d;
    INIT_DELAYED_WORK(&d.dw, dw_fn);
    unsigned long far = msecs_to_jiffies(WAIT_MS);
    KEXPECT_TRUE(queue_delayed_work(system_wq, &d.dw, far));
    unsigned long moved = jiffies;
    KEXPECT_TRUE(mod_delayed_work(system_wq, &d.dw, 2));  // it was pending: true
    KASSERT(ktest_wait_jiffies(ran, &d, far / 2));        // long before the first expiry
    KEXPECT_TRUE(time_after_eq(d.ran_at, moved + 2));
    KEXPECT_EQ(d.runs, 1);
}

KTEST(delayed_work, cancel_sync_stops_a_self_requeueing_delayed_work) {
    Dw d;
    INIT_DELAYED_WORK(&d.dw, dw_fn);
    d.requeue = true;
    queue_delayed_work(system_wq, &d.dw, 1);
    KASSERT(
        ktest_wait_jiffies([](void* p) { return __atomic_load_n(&static_cast<Dw*>(p)->runs, __ATOMIC_ACQUIRE) >= 3; },
                           &d, msecs_to_jiffies(WAIT_MS)));
    KEXPECT_TRUE(cancel_delayed_work_sync(&d.dw));  // it was pending (on its timer or queued) again
    int after = __atomic_load_n(&d.runs, __ATOMIC_ACQUIRE);
    ktest_wait_jiffies([](void*) { return false; }, nullptr, 20);  // 20 ticks in which it would have run
    KEXPECT_EQ(__atomic_load_n(&d.runs, __ATOMIC_ACQUIRE), after);
    KEXPECT_FALSE(delayed_work_pending(&d.dw));
}
}  // namespace
