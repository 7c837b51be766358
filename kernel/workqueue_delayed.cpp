// Delayed work (see workqueue_delayed.h): Linux 6.12 kernel/workqueue.c's delayed_work_timer_fn,
// __queue_delayed_work, queue/mod/flush/cancel_delayed_work, on the one-work primitives of
// kernel/workqueue_internal.h. The timer owns the work's PENDING bit while it is armed; taking the work
// off the timer (del_timer succeeding) hands that PENDING to the canceller.
#include "kernel/workqueue_delayed.h"
#include "kernel/jiffies.h"
#include "kernel/printk.h"
#include "kernel/sched/sched.h"
#include "kernel/spinlock.h"
#include "kernel/workqueue_internal.h"

namespace {
// try_to_grab_pending's hook (Linux's WORK_CANCEL_DELAYED branch): with interrupts off, deleting a
// pending timer takes the work before it was queued.
bool steal_from_timer(work_struct* work) { return del_timer(&to_delayed_work(work)->timer) != 0; }

// Linux __queue_delayed_work: the caller owns PENDING, interrupts off.
void __queue_delayed_work(int cpu, workqueue_struct* wq, delayed_work* dwork, unsigned long delay) {
    timer_list* timer = &dwork->timer;
    work_struct* work = &dwork->work;
    WARN_ON_ONCE(!wq);
    WARN_ON_ONCE(timer->function != delayed_work_timer_fn);
    WARN_ON_ONCE(timer_pending(timer));
    WARN_ON_ONCE(!list_empty(&work->entry));
    // No delay: queue it at once (Linux does not arm a timer for 0 either).
    if (!delay) {
        __queue_work(cpu, wq, work);
        return;
    }
    dwork->wq = wq;
    dwork->cpu = cpu;
    // Linux add_timer_on(timer, cpu) for a given CPU, for locality; the work is queued on dwork->cpu
    // whichever CPU the timer fires on, so the local timer base keeps the meaning.
    mod_timer(timer, jiffies + delay);
}
}  // namespace

void delayed_work_timer_fn(timer_list* t) {
    delayed_work* dwork = from_timer(dwork, t, timer);
    // TIMER_IRQSAFE: interrupts are off already; saving them keeps this right on a timer base that
    // calls with them on.
    unsigned long flags;
    local_irq_save(flags);
    __queue_work(dwork->cpu, dwork->wq, &dwork->work);
    local_irq_restore(flags);
}

bool queue_delayed_work_on(int cpu, workqueue_struct* wq, delayed_work* dwork, unsigned long delay) {
    work_struct* work = &dwork->work;
    bool ret = false;
    unsigned long irq_flags;
    local_irq_save(irq_flags);
    if (!(__atomic_fetch_or(&work->data, WORK_STRUCT_PENDING, __ATOMIC_SEQ_CST) & WORK_STRUCT_PENDING) &&
        !clear_pending_if_disabled(work)) {
        __queue_delayed_work(cpu, wq, dwork, delay);
        ret = true;
    }
    local_irq_restore(irq_flags);
    return ret;
}

bool mod_delayed_work_on(int cpu, workqueue_struct* wq, delayed_work* dwork, unsigned long delay) {
    unsigned long irq_flags;
    bool ret = work_grab_pending(&dwork->work, steal_from_timer, &irq_flags);
    if (!clear_pending_if_disabled(&dwork->work)) __queue_delayed_work(cpu, wq, dwork, delay);
    local_irq_restore(irq_flags);
    return ret;
}

bool flush_delayed_work(delayed_work* dwork) {
    might_sleep();
    // An armed timer: queue the work now instead, then flush it. del_timer_sync also waits for a timer
    // function running on another CPU, which queues the work itself.
    local_irq_disable();
    if (del_timer_sync(&dwork->timer)) __queue_work(dwork->cpu, dwork->wq, &dwork->work);
    local_irq_enable();
    return flush_work(&dwork->work);
}

bool cancel_delayed_work(delayed_work* dwork) { return __cancel_work(&dwork->work, 0, steal_from_timer); }
bool cancel_delayed_work_sync(delayed_work* dwork) { return __cancel_work_sync(&dwork->work, 0, steal_from_timer); }
bool disable_delayed_work(delayed_work* dwork) {
    return __cancel_work(&dwork->work, WORK_CANCEL_DISABLE, steal_from_timer);
}
bool disable_delayed_work_sync(delayed_work* dwork) {
    return __cancel_work_sync(&dwork->work, WORK_CANCEL_DISABLE, steal_from_timer);
}
bool enable_delayed_work(delayed_work* dwork) { return enable_work(&dwork->work); }
