// Sleeping mutexes (see mutex.h). The fast path is one compare-and-swap of the owner (Linux
// __mutex_trylock_fast); contended lockers queue on wait_list and sleep, and unlock wakes the first of
// them, which takes the mutex if nobody took it in between or queues again at its place. Linux adds
// optimistic spinning and a hand-off to starved waiters; irqos keeps the sleeping core.
#include "kernel/locking/mutex.h"
#include "kernel/printk.h"

namespace {
struct mutex_waiter {
    list_head list;
    task_struct* task;
};

bool try_take(mutex* lock) {
    task_struct* expected = nullptr;
    return __atomic_compare_exchange_n(&lock->owner, &expected, sched_current(), false, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED);
}
}  // namespace

void __mutex_init(mutex* lock, const char* name) {
    __atomic_store_n(&lock->owner, nullptr, __ATOMIC_RELAXED);
    raw_spin_lock_init(&lock->wait_lock);
    INIT_LIST_HEAD(&lock->wait_list);
    lock->name = name;
}

bool mutex_trylock(mutex* lock) { return try_take(lock); }

void mutex_lock(mutex* lock) {
    might_sleep();
    if (likely(try_take(lock))) return;
    // Linux reports this through lockdep ("possible recursive locking detected"); the task would sleep
    // forever waiting for itself, as it does there.
    WARN_ONCE(__atomic_load_n(&lock->owner, __ATOMIC_RELAXED) == sched_current(),
              "mutex: %s takes %s, which it holds already: it will never wake\n", sched_current()->comm,
              lock->name ? lock->name : "a mutex");
    mutex_waiter w;
    w.task = sched_current();
    unsigned long flags;
    raw_spin_lock_irqsave(&lock->wait_lock, flags);
    list_add_tail(&w.list, &lock->wait_list);
    for (;;) {
        // Checked after being queued and with the state set: an unlock from now on wakes us.
        set_current_state(TASK_UNINTERRUPTIBLE);
        if (try_take(lock)) break;
        raw_spin_unlock_irqrestore(&lock->wait_lock, flags);
        schedule();
        raw_spin_lock_irqsave(&lock->wait_lock, flags);
    }
    __set_current_state(TASK_RUNNING);
    list_del_init(&w.list);
    raw_spin_unlock_irqrestore(&lock->wait_lock, flags);
}

int mutex_lock_interruptible(mutex* lock) {
    mutex_lock(lock);
    return 0;
}

void mutex_unlock(mutex* lock) {
    task_struct* owner = __atomic_load_n(&lock->owner, __ATOMIC_RELAXED);
    // Linux CONFIG_DEBUG_MUTEXES: DEBUG_LOCKS_WARN_ON(__owner_task(owner) != current).
    // It warns and unlocks anyway; a mutex nobody holds has nothing to unlock.
    WARN(owner != sched_current(), "DEBUG_LOCKS_WARN_ON(__owner_task(owner) != current): %s unlocks %s held by %s\n",
         sched_current()->comm, lock->name ? lock->name : "a mutex", owner ? owner->comm : "nobody");
    if (!owner) return;
    __atomic_store_n(&lock->owner, nullptr, __ATOMIC_RELEASE);
    unsigned long flags;
    raw_spin_lock_irqsave(&lock->wait_lock, flags);
    if (!list_empty(&lock->wait_list)) wake_up_process(list_first_entry(&lock->wait_list, mutex_waiter, list)->task);
    raw_spin_unlock_irqrestore(&lock->wait_lock, flags);
}
