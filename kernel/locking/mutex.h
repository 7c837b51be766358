// Sleeping mutexes (Linux include/linux/mutex.h, kernel/locking/mutex.c): one owner task at a time; a
// task that finds it taken sleeps on the mutex's wait list until the owner unlocks. Process context
// only (they sleep); never from interrupts or with a spinlock held. The owner, and only the owner,
// unlocks (checked, as Linux's CONFIG_DEBUG_MUTEXES does).
#pragma once
#include "kernel/sched/sched.h"

struct mutex {
    task_struct* owner = nullptr;  // written with atomics; nullptr when free
    raw_spinlock_t wait_lock;
    list_head wait_list;  // struct mutex_waiter, first come first served
    const char* name = nullptr;
};
#define DEFINE_MUTEX(m) mutex m = {nullptr, {}, LIST_HEAD_INIT((&(m))->wait_list), #m}

void __mutex_init(mutex* lock, const char* name);
#define mutex_init(m) __mutex_init((m), #m)
// Process context, may sleep.
void mutex_lock(mutex* lock);
// irqos has no signals: an interruptible sleep here is never interrupted, so this always returns 0.
int mutex_lock_interruptible(mutex* lock);
// Any process context, never sleeps: true if it took the mutex.
bool mutex_trylock(mutex* lock);
// The owner only.
void mutex_unlock(mutex* lock);
static inline bool mutex_is_locked(const mutex* lock) {
    return __atomic_load_n(&lock->owner, __ATOMIC_RELAXED) != nullptr;
}
