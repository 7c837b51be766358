// Wait queues and completions (see wait.h); Linux kernel/sched/wait.c and completion.c.
#include "kernel/sched/wait.h"

void init_waitqueue_head(wait_queue_head* wq_head) {
    raw_spin_lock_init(&wq_head->lock);
    INIT_LIST_HEAD(&wq_head->head);
}

void init_wait_entry(wait_queue_entry* wq_entry, unsigned flags) {
    wq_entry->flags = flags;
    wq_entry->task = sched_current();
    wq_entry->func = autoremove_wake_function;
    INIT_LIST_HEAD(&wq_entry->entry);
}

int default_wake_function(wait_queue_entry* wq_entry, unsigned mode, int, void*) {
    return try_to_wake_up(wq_entry->task, mode) ? 1 : 0;
}

int autoremove_wake_function(wait_queue_entry* wq_entry, unsigned mode, int flags, void* key) {
    int ret = default_wake_function(wq_entry, mode, flags, key);
    if (ret) list_del_init(&wq_entry->entry);  // under wq_head->lock: finish_wait sees it gone
    return ret;
}

namespace {
// Exclusive waiters go to the tail, the others to the head, so a wake-up reaches every non-exclusive
// waiter before it counts exclusive ones (Linux __add_wait_queue / __add_wait_queue_entry_tail).
void add_locked(wait_queue_head* q, wait_queue_entry* e) {
    if (e->flags & WQ_FLAG_EXCLUSIVE)
        list_add_tail(&e->entry, &q->head);
    else
        list_add(&e->entry, &q->head);
}
}  // namespace

void add_wait_queue(wait_queue_head* q, wait_queue_entry* e) {
    unsigned long flags;
    e->flags &= ~WQ_FLAG_EXCLUSIVE;
    raw_spin_lock_irqsave(&q->lock, flags);
    add_locked(q, e);
    raw_spin_unlock_irqrestore(&q->lock, flags);
}

void add_wait_queue_exclusive(wait_queue_head* q, wait_queue_entry* e) {
    unsigned long flags;
    e->flags |= WQ_FLAG_EXCLUSIVE;
    raw_spin_lock_irqsave(&q->lock, flags);
    add_locked(q, e);
    raw_spin_unlock_irqrestore(&q->lock, flags);
}

void remove_wait_queue(wait_queue_head* q, wait_queue_entry* e) {
    unsigned long flags;
    raw_spin_lock_irqsave(&q->lock, flags);
    list_del_init(&e->entry);
    raw_spin_unlock_irqrestore(&q->lock, flags);
}

// Linux prepare_to_wait: on the queue (if not already) and the state set under the queue's lock, so
// a waker that takes the lock after us sees us and sets us running again.
void prepare_to_wait(wait_queue_head* q, wait_queue_entry* e, unsigned state) {
    unsigned long flags;
    e->flags &= ~WQ_FLAG_EXCLUSIVE;
    raw_spin_lock_irqsave(&q->lock, flags);
    if (list_empty(&e->entry)) add_locked(q, e);
    set_current_state(state);
    raw_spin_unlock_irqrestore(&q->lock, flags);
}

void prepare_to_wait_exclusive(wait_queue_head* q, wait_queue_entry* e, unsigned state) {
    unsigned long flags;
    e->flags |= WQ_FLAG_EXCLUSIVE;
    raw_spin_lock_irqsave(&q->lock, flags);
    if (list_empty(&e->entry)) add_locked(q, e);
    set_current_state(state);
    raw_spin_unlock_irqrestore(&q->lock, flags);
}

void finish_wait(wait_queue_head* q, wait_queue_entry* e) {
    __set_current_state(TASK_RUNNING);
    // A waker may have removed the entry already (autoremove); only then is the lock-free check safe.
    if (!list_empty_careful(&e->entry)) {
        unsigned long flags;
        raw_spin_lock_irqsave(&q->lock, flags);
        list_del_init(&e->entry);
        raw_spin_unlock_irqrestore(&q->lock, flags);
    }
}

unsigned __wake_up_locked(wait_queue_head* q, unsigned mode, int nr_exclusive) {
    unsigned woken = 0;
    wait_queue_entry *e, *next;
    list_for_each_entry_safe(e, next, &q->head, entry) {
        unsigned eflags = e->flags;
        int ret = e->func(e, mode, 0, nullptr);
        if (ret < 0) break;
        if (ret) woken++;
        if (ret && (eflags & WQ_FLAG_EXCLUSIVE) && nr_exclusive > 0 && --nr_exclusive == 0) break;
    }
    return woken;
}

unsigned __wake_up(wait_queue_head* q, unsigned mode, int nr_exclusive, void*) {
    unsigned long flags;
    raw_spin_lock_irqsave(&q->lock, flags);
    unsigned woken = __wake_up_locked(q, mode, nr_exclusive);
    raw_spin_unlock_irqrestore(&q->lock, flags);
    return woken;
}

// ---- Completions.
void init_completion(completion* x) {
    x->done = 0;
    init_waitqueue_head(&x->wait);
}

void complete(completion* x) {
    unsigned long flags;
    raw_spin_lock_irqsave(&x->wait.lock, flags);
    if (x->done != UINT32_MAX) x->done++;
    __wake_up_locked(&x->wait, TASK_NORMAL, 1);
    raw_spin_unlock_irqrestore(&x->wait.lock, flags);
}

void complete_all(completion* x) {
    unsigned long flags;
    raw_spin_lock_irqsave(&x->wait.lock, flags);
    x->done = UINT32_MAX;
    __wake_up_locked(&x->wait, TASK_NORMAL, 0);
    raw_spin_unlock_irqrestore(&x->wait.lock, flags);
}

// Linux do_wait_for_common: exclusive waiters, woken one per complete(); the count is taken under the
// queue's lock, so a complete() racing with the sleep is never lost. Returns the jiffies left (at least
// 1) or 0 when `timeout` ran out first.
namespace {
long wait_for_common(completion* x, long timeout) {
    might_sleep();
    unsigned long flags;
    raw_spin_lock_irqsave(&x->wait.lock, flags);
    if (!x->done) {
        wait_queue_entry w;
        init_wait_entry(&w, WQ_FLAG_EXCLUSIVE);
        w.func = default_wake_function;
        list_add_tail(&w.entry, &x->wait.head);
        do {
            if (!timeout) break;
            __set_current_state(TASK_UNINTERRUPTIBLE);
            raw_spin_unlock_irq(&x->wait.lock);
            timeout = schedule_timeout(timeout);
            raw_spin_lock_irq(&x->wait.lock);
        } while (!x->done);
        list_del_init(&w.entry);
        if (!x->done) {
            raw_spin_unlock_irqrestore(&x->wait.lock, flags);
            return 0;
        }
    }
    if (x->done != UINT32_MAX) x->done--;
    raw_spin_unlock_irqrestore(&x->wait.lock, flags);
    return timeout ? timeout : 1;
}
}  // namespace

void wait_for_completion(completion* x) { wait_for_common(x, MAX_SCHEDULE_TIMEOUT); }

unsigned long wait_for_completion_timeout(completion* x, unsigned long timeout) {
    return (unsigned long)wait_for_common(x, long(timeout));
}

bool try_wait_for_completion(completion* x) {
    if (!READ_ONCE(x->done)) return false;
    unsigned long flags;
    raw_spin_lock_irqsave(&x->wait.lock, flags);
    bool ret = x->done != 0;
    if (ret && x->done != UINT32_MAX) x->done--;
    raw_spin_unlock_irqrestore(&x->wait.lock, flags);
    return ret;
}

bool completion_done(completion* x) {
    if (!READ_ONCE(x->done)) return false;
    // Wait for a complete() still holding the lock, as Linux does, so the completion may be freed after.
    unsigned long flags;
    raw_spin_lock_irqsave(&x->wait.lock, flags);
    raw_spin_unlock_irqrestore(&x->wait.lock, flags);
    return true;
}
