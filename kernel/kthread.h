// Kernel threads (Linux include/linux/kthread.h, kernel/kthread.c). A kernel thread runs threadfn(data)
// on its own stack, scheduled like any task, until the function returns or it calls kthread_exit.
//
//     task_struct* t = kthread_create(fn, data, "worker/%u", cpu);   // created, not running yet
//     kthread_bind(t, cpu);                                          // optional: only this CPU
//     wake_up_process(t);                                            // now it runs
//     (the three in one: kthread_run_on_cpu(fn, data, cpu, "worker/%u"))
//     ...
//     int ret = kthread_stop(t);   // asks it to stop (kthread_should_stop() turns true), waits, gets its
//                                  // return value
// A thread meant to be stopped loops on kthread_should_stop() and sleeps in between. A thread that
// returns on its own may be stopped only by someone holding a reference (get_task_struct), as in Linux.
#pragma once
#include "kernel/sched/sched.h"

constexpr size_t THREAD_SIZE = 16384;  // Linux x86-64: 16 KiB stacks

// Create a thread named by printf-style `namefmt` (at most 15 characters kept), SCHED_NORMAL nice 0,
// allowed on every CPU, not started. Returns the task or ERR_PTR(-ENOMEM). Process context (it allocates).
task_struct* kthread_create(int (*threadfn)(void* data), void* data, const char* namefmt, ...)
    __attribute__((format(printf, 3, 4)));
// kthread_create and wake_up_process.
#define kthread_run(threadfn, data, ...)                                \
    ({                                                                  \
        task_struct* __k = kthread_create(threadfn, data, __VA_ARGS__); \
        if (!IS_ERR(__k)) wake_up_process(__k);                         \
        __k;                                                            \
    })
// Only `cpu` (before the first wake_up_process). WARNs and does nothing for a started thread.
void kthread_bind(task_struct* k, unsigned cpu);
// A thread bound to `cpu`, named by `namefmt` with the CPU number as its one argument ("worker/%u"), not
// started (Linux kthread_create_on_cpu). Returns the task or ERR_PTR(-ENOMEM). Process context.
task_struct* kthread_create_on_cpu(int (*threadfn)(void* data), void* data, unsigned cpu, const char* namefmt);
// kthread_create_on_cpu and wake_up_process (Linux kthread_run_on_cpu).
task_struct* kthread_run_on_cpu(int (*threadfn)(void* data), void* data, unsigned cpu, const char* namefmt);
// Set it on the thread itself: ask it to stop, wake it, wait until it exited; its return value (or
// -EINTR if it was stopped before it ever ran threadfn). Process context, sleeps.
int kthread_stop(task_struct* k);
// In the thread: whether kthread_stop has been called for it.
bool kthread_should_stop();
// The `data` a kernel thread was created with (Linux kthread_data; the workqueue finds a kworker's
// struct worker this way). Any context; `k` must be a kernel thread.
void* kthread_data(task_struct* k);
// End the current kernel thread with `result` (also what returning from threadfn does).
[[noreturn]] void kthread_exit(int result);

// Every task, idle tasks included (ps). Walk with tasklist_lock held (interrupts off).
extern raw_spinlock_t tasklist_lock;
extern list_head task_list;
// The boot and idle tasks join the list here (an idle task is created by the architecture's boot code).
void task_list_add(task_struct* p);

// The architecture's first C++ in a new thread (from ret_from_fork): finish the switch and run the
// thread's function. Never returns.
extern "C" [[noreturn]] void kthread_entry(task_struct* last);
