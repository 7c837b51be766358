// Wait queues and completions (Linux include/linux/wait.h, kernel/sched/wait.c, completion.c).
//
// A wait queue is a locked list of sleeping tasks. The waiter's side, without a lost wake-up:
//     DEFINE_WAIT(w);
//     for (;;) {
//         prepare_to_wait(&wq, &w, TASK_UNINTERRUPTIBLE);  // on the queue, state set, then...
//         if (condition) break;                             // ...the condition read after it
//         schedule();
//     }
//     finish_wait(&wq, &w);
// The waker makes the condition true first, then calls wake_up(&wq), which sets each woken task back to
// TASK_RUNNING: a wake-up between the check and schedule() only makes schedule() return at once.
// wait_event*() wrap that loop. Waiters added with the EXCLUSIVE flag (prepare_to_wait_exclusive) are
// woken one at a time by wake_up; wake_up_all wakes every waiter.
#pragma once
#include "kernel/sched/sched.h"
#include "kernel/time/timer.h"  // schedule_timeout, for the *_timeout forms

struct wait_queue_entry;
using wait_queue_func_t = int (*)(wait_queue_entry* wq_entry, unsigned mode, int flags, void* key);

constexpr unsigned WQ_FLAG_EXCLUSIVE = 0x01;
constexpr unsigned WQ_FLAG_WOKEN = 0x02;

struct wait_queue_entry {
    unsigned flags = 0;
    task_struct* task = nullptr;  // Linux's `private`
    wait_queue_func_t func = nullptr;
    list_head entry;
};

struct wait_queue_head {
    raw_spinlock_t lock;
    list_head head;
};

// A wait queue head at namespace scope, ready before any code runs (Linux DECLARE_WAIT_QUEUE_HEAD).
// (The member is reached through the object's address: clang takes `name.head` in its own initializer
// for a read of an uninitialised variable.)
#define DECLARE_WAIT_QUEUE_HEAD(name) wait_queue_head name = {{}, LIST_HEAD_INIT((&(name))->head)}
// Any context. The head must be initialised before use (a per-CPU or static one too: list heads point
// to themselves, so they cannot be constant-initialised).
void init_waitqueue_head(wait_queue_head* wq_head);
static inline bool waitqueue_active(wait_queue_head* wq_head) { return !list_empty(&wq_head->head); }

// The default wake functions: wake the entry's task (Linux default_wake_function), and also take the
// entry off the queue when woken (autoremove_wake_function, what DEFINE_WAIT uses).
int default_wake_function(wait_queue_entry* wq_entry, unsigned mode, int flags, void* key);
int autoremove_wake_function(wait_queue_entry* wq_entry, unsigned mode, int flags, void* key);
void init_wait_entry(wait_queue_entry* wq_entry, unsigned flags);
#define DEFINE_WAIT(name)  \
    wait_queue_entry name; \
    init_wait_entry(&name, 0)

// Process context for the waiter's functions; wake-ups from any context.
void add_wait_queue(wait_queue_head* wq_head, wait_queue_entry* wq_entry);
void add_wait_queue_exclusive(wait_queue_head* wq_head, wait_queue_entry* wq_entry);
void remove_wait_queue(wait_queue_head* wq_head, wait_queue_entry* wq_entry);
void prepare_to_wait(wait_queue_head* wq_head, wait_queue_entry* wq_entry, unsigned state);
void prepare_to_wait_exclusive(wait_queue_head* wq_head, wait_queue_entry* wq_entry, unsigned state);
void finish_wait(wait_queue_head* wq_head, wait_queue_entry* wq_entry);

// Wake the waiters whose state is in `mode`: every non-exclusive one and up to nr_exclusive exclusive
// ones (0: all). Returns how many were woken. Any context.
unsigned __wake_up(wait_queue_head* wq_head, unsigned mode, int nr_exclusive, void* key);
// The same with wq_head->lock already held (interrupts off).
unsigned __wake_up_locked(wait_queue_head* wq_head, unsigned mode, int nr_exclusive);
#define wake_up(x) __wake_up(x, TASK_NORMAL, 1, nullptr)
#define wake_up_nr(x, nr) __wake_up(x, TASK_NORMAL, nr, nullptr)
#define wake_up_all(x) __wake_up(x, TASK_NORMAL, 0, nullptr)
#define wake_up_interruptible(x) __wake_up(x, TASK_INTERRUPTIBLE, 1, nullptr)
#define wake_up_interruptible_all(x) __wake_up(x, TASK_INTERRUPTIBLE, 0, nullptr)

// Sleep until `condition` holds (Linux wait_event): process context, may sleep.
#define wait_event(wq_head, condition)                                      \
    do {                                                                    \
        might_sleep();                                                      \
        if (condition) break;                                               \
        DEFINE_WAIT(__wq_entry);                                            \
        for (;;) {                                                          \
            prepare_to_wait(&(wq_head), &__wq_entry, TASK_UNINTERRUPTIBLE); \
            if (condition) break;                                           \
            schedule();                                                     \
        }                                                                   \
        finish_wait(&(wq_head), &__wq_entry);                               \
    } while (0)

// The same in an interruptible sleep (Linux wait_event_interruptible; `S` rather than `D` in ps). irqos
// has no signals, so nothing interrupts it and it returns 0.
#define wait_event_interruptible(wq_head, condition)                          \
    ({                                                                        \
        might_sleep();                                                        \
        if (!(condition)) {                                                   \
            DEFINE_WAIT(__wq_entry);                                          \
            for (;;) {                                                        \
                prepare_to_wait(&(wq_head), &__wq_entry, TASK_INTERRUPTIBLE); \
                if (condition) break;                                         \
                schedule();                                                   \
            }                                                                 \
            finish_wait(&(wq_head), &__wq_entry);                             \
        }                                                                     \
        0;                                                                    \
    })

// The same, giving up after `timeout` jiffies (Linux wait_event_timeout): 0 if the condition still does
// not hold when the time is up, else the jiffies left (at least 1).
#define wait_event_timeout(wq_head, condition, timeout)                         \
    ({                                                                          \
        long __ret = (timeout);                                                 \
        might_sleep();                                                          \
        if (!(condition)) {                                                     \
            DEFINE_WAIT(__wq_entry);                                            \
            for (;;) {                                                          \
                prepare_to_wait(&(wq_head), &__wq_entry, TASK_UNINTERRUPTIBLE); \
                if (condition) {                                                \
                    if (!__ret) __ret = 1;                                      \
                    break;                                                      \
                }                                                               \
                if (!__ret) break;                                              \
                __ret = schedule_timeout(__ret);                                \
            }                                                                   \
            finish_wait(&(wq_head), &__wq_entry);                               \
            if ((condition) && !__ret) __ret = 1;                               \
        }                                                                       \
        __ret;                                                                  \
    })

// ---- Completions: a count of "done" events and the tasks waiting for one.
struct completion {
    unsigned done = 0;  // UINT_MAX after complete_all
    wait_queue_head wait;
};
void init_completion(completion* x);
static inline void reinit_completion(completion* x) { WRITE_ONCE(x->done, 0u); }
// Any context: one waiter (or the next one to wait) proceeds; complete_all: every one, for good.
void complete(completion* x);
void complete_all(completion* x);
// Process context, may sleep.
void wait_for_completion(completion* x);
// 0 on timeout, else the jiffies left (at least 1). Process context, may sleep.
unsigned long wait_for_completion_timeout(completion* x, unsigned long timeout);
// Any context: take one "done" without sleeping, if there is one.
bool try_wait_for_completion(completion* x);
bool completion_done(completion* x);
