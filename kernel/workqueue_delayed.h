// Delayed work (Linux include/linux/workqueue.h's delayed_work part, kernel/workqueue.c): a work item
// queued when its timer expires. Needs the timer API of kernel/time/timer.h (timer_list, timer_setup
// with TIMER_IRQSAFE, mod_timer, del_timer, del_timer_sync, timer_pending, from_timer).
//
//     INIT_DELAYED_WORK(&d->dwork, fn);
//     queue_delayed_work(system_wq, &d->dwork, msecs_to_jiffies(100));  // fn runs in >= 100 ms
//     mod_delayed_work(system_wq, &d->dwork, 0);                         // now instead
//     cancel_delayed_work_sync(&d->dwork);                               // neither timer nor work left
#pragma once
#include "kernel/time/timer.h"
#include "kernel/workqueue.h"

struct delayed_work {
    work_struct work;
    timer_list timer;
    workqueue_struct* wq;  // where the timer queues the work
    int cpu;               // and on which CPU (WORK_CPU_UNBOUND: the CPU the timer fires on)
};
static inline delayed_work* to_delayed_work(work_struct* work) { return container_of(work, delayed_work, work); }

// The timer function of every delayed work. The timer is TIMER_IRQSAFE, as on Linux: it runs with
// interrupts off, so a canceller that finds PENDING taken by an expired timer whose function has not
// queued the work yet is never on the CPU that function was interrupted on (it would spin for ever).
void delayed_work_timer_fn(timer_list* t);

#define INIT_DELAYED_WORK(_work, _func)                                     \
    do {                                                                    \
        INIT_WORK(&(_work)->work, (_func));                                 \
        timer_setup(&(_work)->timer, delayed_work_timer_fn, TIMER_IRQSAFE); \
    } while (0)
#define delayed_work_pending(w) work_pending(&(w)->work)

// Queue after `delay` jiffies (0: now). False if it was pending already (on its timer or queued). Any
// context.
bool queue_delayed_work_on(int cpu, workqueue_struct* wq, delayed_work* dwork, unsigned long delay);
static inline bool queue_delayed_work(workqueue_struct* wq, delayed_work* dwork, unsigned long delay) {
    return queue_delayed_work_on(WORK_CPU_UNBOUND, wq, dwork, delay);
}
static inline bool schedule_delayed_work(delayed_work* dwork, unsigned long delay) {
    return queue_delayed_work(system_wq, dwork, delay);
}
// Queue or re-arm to `delay` from now, whatever its state. True if it was pending. Any context.
bool mod_delayed_work_on(int cpu, workqueue_struct* wq, delayed_work* dwork, unsigned long delay);
static inline bool mod_delayed_work(workqueue_struct* wq, delayed_work* dwork, unsigned long delay) {
    return mod_delayed_work_on(WORK_CPU_UNBOUND, wq, dwork, delay);
}
// Run it now if its timer is armed, and wait for it. Process context.
bool flush_delayed_work(delayed_work* dwork);
// Off its timer or queue (true if it was pending); the _sync form also waits for a running instance and
// keeps it from being requeued meanwhile. cancel_delayed_work: any context; _sync: process context.
bool cancel_delayed_work(delayed_work* dwork);
bool cancel_delayed_work_sync(delayed_work* dwork);
bool disable_delayed_work(delayed_work* dwork);
bool disable_delayed_work_sync(delayed_work* dwork);
bool enable_delayed_work(delayed_work* dwork);
