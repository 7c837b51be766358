// Kernel threads (see kthread.h); Linux kernel/kthread.c. Linux creates threads through kthreadd; here
// kthread_create builds the task itself: its stack, its scheduling fields, and a first stack frame (the
// architecture's init_task_stack hook) that makes the first switch to it enter ret_from_fork, which
// calls kthread_entry.
#include "kernel/kthread.h"
#include "kernel/err.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "kernel/sched/wait.h"
#include "kernel/slab.h"
#include "lib/vsprintf.h"

#include <stdarg.h>

raw_spinlock_t tasklist_lock;
list_head task_list = LIST_HEAD_INIT(task_list);

namespace {
struct kthread {
    task_struct task;
    int (*threadfn)(void*) = nullptr;
    void* data = nullptr;
    bool should_stop = false;  // set by kthread_stop
    int result = 0;
    completion exited;
    void* stack = nullptr;
};

int next_pid = 1;  // under tasklist_lock

kthread* to_kthread(task_struct* p) { return static_cast<kthread*>(p->kthread); }

// The last reference is gone: off the task list, stack and structure freed (never while it runs on the
// stack: the scheduler drops the thread's own reference after switching away from it for good).
void kthread_release(task_struct* p) {
    kthread* k = to_kthread(p);
    unsigned long flags;
    raw_spin_lock_irqsave(&tasklist_lock, flags);
    list_del_init(&p->tasks);
    raw_spin_unlock_irqrestore(&tasklist_lock, flags);
    kfree(k->stack);
    delete k;
}
}  // namespace

void task_list_add(task_struct* p) {
    unsigned long flags;
    raw_spin_lock_irqsave(&tasklist_lock, flags);
    if (p->pid < 0) p->pid = next_pid++;
    list_add_tail(&p->tasks, &task_list);
    raw_spin_unlock_irqrestore(&tasklist_lock, flags);
}

namespace {
task_struct* kthread_create_named(int (*threadfn)(void*), void* data, const char* name) {
    kthread* k = new kthread();
    if (!k) return ERR_PTR<task_struct>(-ENOMEM);
    k->stack = kmalloc(THREAD_SIZE);
    if (!k->stack) {
        delete k;
        return ERR_PTR<task_struct>(-ENOMEM);
    }
    k->threadfn = threadfn;
    k->data = data;
    init_completion(&k->exited);
    task_struct* p = &k->task;
    sched_task_init(p, name, SCHED_NORMAL, 0);
    p->kthread = k;
    p->flags |= PF_KTHREAD;
    p->release = kthread_release;
    p->stack_lo = reinterpret_cast<uintptr_t>(k->stack);
    p->stack_hi = p->stack_lo + THREAD_SIZE;
    if (sched_hooks().init_task_stack) sched_hooks().init_task_stack(p);
    p->pid = -1;
    task_list_add(p);
    return p;
}
}  // namespace

task_struct* kthread_create(int (*threadfn)(void*), void* data, const char* namefmt, ...) {
    char name[TASK_COMM_LEN];
    va_list ap;
    va_start(ap, namefmt);
    irqos::vsnprintf(name, sizeof name, namefmt, ap);
    va_end(ap);
    return kthread_create_named(threadfn, data, name);
}

task_struct* kthread_create_on_cpu(int (*threadfn)(void*), void* data, unsigned cpu, const char* namefmt) {
    char name[TASK_COMM_LEN];
    irqos::snprintf(name, sizeof name, namefmt, cpu);
    task_struct* p = kthread_create_named(threadfn, data, name);
    if (!IS_ERR(p)) kthread_bind(p, cpu);
    return p;
}

task_struct* kthread_run_on_cpu(int (*threadfn)(void*), void* data, unsigned cpu, const char* namefmt) {
    task_struct* p = kthread_create_on_cpu(threadfn, data, cpu, namefmt);
    if (!IS_ERR(p)) wake_up_process(p);
    return p;
}

void kthread_bind(task_struct* k, unsigned cpu) {
    if (cpu >= arch::num_online_cpus()) {
        WARN(true, "kthread_bind: %s to CPU%u, which is not online\n", k->comm, cpu);
        return;
    }
    int err = sched_set_cpus_allowed_new(k, cpumask_of(cpu));
    WARN(err, "kthread_bind: %s is running already\n", k->comm);                  // Linux: wait_task_inactive fails
    if (!err) __atomic_fetch_or(&k->flags, PF_NO_SETAFFINITY, __ATOMIC_RELAXED);  // ps may read flags meanwhile
}

bool kthread_should_stop() {
    task_struct* c = sched_current();
    return c->kthread && READ_ONCE(to_kthread(c)->should_stop);
}

void* kthread_data(task_struct* k) { return to_kthread(k)->data; }

int kthread_stop(task_struct* p) {
    might_sleep();
    kthread* k = to_kthread(p);
    if (WARN(!k, "kthread_stop: %s is not a kernel thread\n", p->comm)) return -EINVAL;
    get_task_struct(p);
    WRITE_ONCE(k->should_stop, true);
    wake_up_process(p);
    wait_for_completion(&k->exited);
    int ret = k->result;
    put_task_struct(p);
    return ret;
}

[[noreturn]] void kthread_exit(int result) {
    task_struct* c = sched_current();
    kthread* k = to_kthread(c);
    BUG_ON(!k);
    k->result = result;
    // Linux do_task_dead: the last switch away; the scheduler drops the thread's own reference after it.
    preempt_disable();
    complete(&k->exited);
    // Under pi_lock (Linux set_special_state): a waker still holding it, about to release it after
    // waking us, must be done with the task before it can be freed.
    local_irq_disable();
    raw_spin_lock(&c->pi_lock);
    __atomic_store_n(&c->__state, TASK_DEAD, __ATOMIC_RELAXED);
    raw_spin_unlock(&c->pi_lock);
    __schedule(false);
    BUG();
    for (;;) {}
}

[[noreturn]] void kthread_entry(task_struct* last) {
    schedule_tail(last);
    // A new task starts with the switch's count (Linux FORK_PREEMPT_COUNT): the lock the switch held is
    // released by schedule_tail, the preemption disable of schedule() is dropped here.
    preempt_enable_no_resched();
    local_irq_enable();
    task_struct* c = sched_current();
    kthread* k = to_kthread(c);
    int ret = -EINTR;
    if (!READ_ONCE(k->should_stop)) {
        ret = k->threadfn(k->data);
    }
    kthread_exit(ret);
}
