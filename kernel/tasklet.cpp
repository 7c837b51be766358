// Tasklets on the HI and TASKLET softirqs (see tasklet.h); Linux kernel/softirq.c (tasklet_vec,
// tasklet_hi_vec, tasklet_action_common, tasklet_kill, softirq_init).
//
// Each CPU has two lists, appended at the tail by tasklet_schedule on that CPU and emptied by that CPU's
// softirq. Linux guards them with "interrupts off on the owning CPU" alone; irqos adds a per-list lock,
// always taken by the owner with interrupts off, so that the `tasklets` view can read another CPU's list.
#include "kernel/tasklet.h"
#include "kernel/arch.h"
#include "kernel/percpu.h"
#include "kernel/preempt.h"
#include "kernel/printk.h"
#include "kernel/softirq.h"
#include "kernel/spinlock.h"

namespace {

struct tasklet_head {
    tasklet_struct* head = nullptr;
    tasklet_struct** tail = nullptr;  // &head when empty; set by softirq_init
    raw_spinlock_t lock;
};
DEFINE_PER_CPU(tasklet_head, tasklet_vec);
DEFINE_PER_CPU(tasklet_head, tasklet_hi_vec);

// Interrupts off, the list's lock held.
void list_append(tasklet_head* l, tasklet_struct* t) {
    t->next = nullptr;
    *l->tail = t;
    l->tail = &t->next;
}

void tasklet_schedule_common(tasklet_struct* t, tasklet_head* headp, unsigned softirq_nr) {
    unsigned long flags;
    local_irq_save(flags);
    tasklet_head* head = this_cpu_ptr(headp);
    raw_spin_lock(&head->lock);
    list_append(head, t);
    raw_spin_unlock(&head->lock);
    raise_softirq_irqoff(softirq_nr);  // may wake ksoftirqd: not under the list lock
    local_irq_restore(flags);
}

// Linux tasklet_clear_sched: true if this call cleared SCHED. Linux also wakes the waiters of
// tasklet_kill here (wake_up_var); the waits in irqos spin on the bit and need no wake-up.
bool tasklet_clear_sched(tasklet_struct* t) {
    unsigned long mask = 1ul << TASKLET_STATE_SCHED;
    if (__atomic_fetch_and(&t->state, ~mask, __ATOMIC_SEQ_CST) & mask) return true;
    WARN_ONCE(1, "tasklet SCHED state not set: %s %pS\n", t->use_callback ? "callback" : "func",
              t->use_callback ? reinterpret_cast<void*>(t->callback) : reinterpret_cast<void*>(t->func));
    return false;
}

// Softirq context, interrupts on. Take this CPU's whole list; run each tasklet that nobody runs and
// nobody disabled, and put the others back (raising the softirq again, for its next pass or ksoftirqd).
//
//   CPU 0 (TASKLET_SOFTIRQ)                CPU 1
//   takes the list: [t]                    t is running here (RUN set)
//   tasklet_trylock(t) fails
//   t back on CPU 0's list, raised         t returns, RUN cleared
//   next pass: trylock succeeds, t runs    (so a schedule during a run is never lost)
void tasklet_action_common(tasklet_head* tl_head, unsigned softirq_nr) {
    local_irq_disable();
    raw_spin_lock(&tl_head->lock);
    tasklet_struct* list = tl_head->head;
    tl_head->head = nullptr;
    tl_head->tail = &tl_head->head;
    raw_spin_unlock(&tl_head->lock);
    local_irq_enable();

    while (list) {
        tasklet_struct* t = list;
        list = list->next;  // before it runs: once SCHED is clear, t may be queued anew (next rewritten)
        if (tasklet_trylock(t)) {
            if (!__atomic_load_n(&t->count, __ATOMIC_RELAXED)) {
                if (tasklet_clear_sched(t)) {
                    if (t->use_callback)
                        t->callback(t);
                    else
                        t->func(t->data);
                }
                tasklet_unlock(t);
                continue;
            }
            tasklet_unlock(t);
        }
        local_irq_disable();
        raw_spin_lock(&tl_head->lock);
        list_append(tl_head, t);
        raw_spin_unlock(&tl_head->lock);
        __raise_softirq_irqoff(softirq_nr);
        local_irq_enable();
    }
}

void tasklet_action() { tasklet_action_common(this_cpu_ptr(&tasklet_vec), TASKLET_SOFTIRQ); }
void tasklet_hi_action() { tasklet_action_common(this_cpu_ptr(&tasklet_hi_vec), HI_SOFTIRQ); }

}  // namespace

void __tasklet_schedule(tasklet_struct* t) { tasklet_schedule_common(t, &tasklet_vec, TASKLET_SOFTIRQ); }
void __tasklet_hi_schedule(tasklet_struct* t) { tasklet_schedule_common(t, &tasklet_hi_vec, HI_SOFTIRQ); }

void tasklet_setup(tasklet_struct* t, void (*callback)(tasklet_struct*)) {
    t->next = nullptr;
    __atomic_store_n(&t->state, 0ul, __ATOMIC_RELAXED);
    __atomic_store_n(&t->count, 0, __ATOMIC_RELAXED);
    t->callback = callback;
    t->func = nullptr;
    t->use_callback = true;
    t->data = 0;
}

void tasklet_init(tasklet_struct* t, void (*func)(unsigned long), unsigned long data) {
    t->next = nullptr;
    __atomic_store_n(&t->state, 0ul, __ATOMIC_RELAXED);
    __atomic_store_n(&t->count, 0, __ATOMIC_RELAXED);
    t->func = func;
    t->callback = nullptr;
    t->use_callback = false;
    t->data = data;
}

void tasklet_unlock(tasklet_struct* t) { __atomic_fetch_and(&t->state, ~(1ul << TASKLET_STATE_RUN), __ATOMIC_SEQ_CST); }

void tasklet_unlock_spin_wait(tasklet_struct* t) {
    while (tasklet_test_bit(t, TASKLET_STATE_RUN)) arch::cpu_relax();
}

// Linux waits on the tasklet's state word (wait_var_event); a spin until wait queues exist.
void tasklet_unlock_wait(tasklet_struct* t) { tasklet_unlock_spin_wait(t); }

void tasklet_kill(tasklet_struct* t) {
    if (in_interrupt()) pr_notice("Attempt to kill tasklet from interrupt\n");
    // Linux: wait_var_event(&t->state, !SCHED) between the attempts; a spin here (see tasklet.h).
    while (tasklet_test_and_set_bit(t, TASKLET_STATE_SCHED))
        while (tasklet_test_bit(t, TASKLET_STATE_SCHED)) arch::cpu_relax();
    tasklet_unlock_wait(t);
    tasklet_clear_sched(t);
}

void softirq_init() {
    for_each_possible_cpu(cpu) {
        tasklet_head* lists[] = {&per_cpu(tasklet_vec, cpu), &per_cpu(tasklet_hi_vec, cpu)};
        for (tasklet_head* l : lists) {
            raw_spin_lock_init(&l->lock);
            l->head = nullptr;
            l->tail = &l->head;
        }
    }
    open_softirq(TASKLET_SOFTIRQ, tasklet_action);
    open_softirq(HI_SOFTIRQ, tasklet_hi_action);
}

// ---- The `tasklets` view.

namespace {
constexpr unsigned VIEW_MAX = 16;  // tasklets shown per list; more are counted

struct ListCopy {
    struct Entry {
        void* fn;
        bool use_callback;
        unsigned long state;
        int count;
    } e[VIEW_MAX];
    unsigned shown = 0, total = 0;
};

// A queued tasklet cannot go away while the lock is held: it is SCHED, so tasklet_kill on it still waits.
void copy_list(tasklet_head* l, ListCopy* c) {
    unsigned long flags;
    raw_spin_lock_irqsave(&l->lock, flags);
    for (tasklet_struct* t = l->head; t; t = t->next, c->total++) {
        if (c->shown == VIEW_MAX) continue;
        c->e[c->shown++] = {t->use_callback ? reinterpret_cast<void*>(t->callback) : reinterpret_cast<void*>(t->func),
                            t->use_callback, __atomic_load_n(&t->state, __ATOMIC_RELAXED),
                            __atomic_load_n(&t->count, __ATOMIC_RELAXED)};
    }
    raw_spin_unlock_irqrestore(&l->lock, flags);
}
}  // namespace

void show_tasklets(irq_out_fn out, void* ctx) {
    for_each_online_cpu(cpu) {
        static constexpr struct {
            const char* name;
            tasklet_head* list;
        } lists[] = {{"HI", &tasklet_hi_vec}, {"TASKLET", &tasklet_vec}};
        for (const auto& l : lists) {
            ListCopy c;
            copy_list(&per_cpu(*l.list, cpu), &c);
            irq_seq_printf(out, ctx, "CPU%u %-7s %u queued\n", cpu, l.name, c.total);
            for (unsigned i = 0; i < c.shown; i++) {
                const ListCopy::Entry& e = c.e[i];
                irq_seq_printf(out, ctx, "  %-24ps %-8s %s%s count %d%s\n", e.fn, e.use_callback ? "callback" : "func",
                               e.state & (1ul << TASKLET_STATE_SCHED) ? "SCHED" : "-",
                               e.state & (1ul << TASKLET_STATE_RUN) ? " RUN" : "", e.count,
                               e.count ? " (disabled)" : "");
            }
            if (c.total > c.shown) irq_seq_printf(out, ctx, "  ... %u more\n", c.total - c.shown);
        }
    }
}
