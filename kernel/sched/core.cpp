// The scheduler core (see sched.h): the two classes' queues, picking, the tick, wake-ups and
// __schedule. Linux 6.12 kernel/sched/core.c, rt.c and fair.c are the reference for the rules; the fair
// class keeps CFS's virtual runtime and slice without EEVDF's lag and deadline bookkeeping.
#include "kernel/sched/sched.h"
#include "kernel/arch.h"
#include "kernel/errno.h"
#include "kernel/jiffies.h"
#include "kernel/printk.h"
#include "kernel/workqueue_internal.h"

DEFINE_PER_CPU(rq, runqueues);

namespace {

SchedHooks hooks;

// Linux kernel/sched/core.c sched_prio_to_weight: nice -20 .. 19, each step about 1.25 times the CPU.
constexpr unsigned prio_to_weight[40] = {88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916,
                                         9548,  7620,  6100,  4904,  3906,  3121,  2501,  1991,  1586,  1277,
                                         1024,  820,   655,   526,   423,   335,   272,   215,   172,   137,
                                         110,   87,    70,    56,    45,    36,    29,    23,    18,    15};

bool is_rt(const task_struct* p) { return p->prio < MAX_RT_PRIO; }

uint64_t now() { return hooks.clock ? hooks.clock() : 0; }

// ---- The real-time class: a FIFO list per priority, a bitmap of the non-empty ones.
void rt_enqueue(rq* q, task_struct* p, bool head) {
    unsigned prio = unsigned(p->prio);
    if (head)
        list_add(&p->run_list, &q->rt_queue[prio]);
    else
        list_add_tail(&p->run_list, &q->rt_queue[prio]);
    q->rt_bitmap[prio / 64] |= 1ull << (prio % 64);
    q->rt_nr_running++;
}

void rt_dequeue(rq* q, task_struct* p) {
    unsigned prio = unsigned(p->prio);
    list_del_init(&p->run_list);
    if (list_empty(&q->rt_queue[prio])) q->rt_bitmap[prio / 64] &= ~(1ull << (prio % 64));
    q->rt_nr_running--;
}

task_struct* rt_first(rq* q) {
    for (unsigned w = 0; w < 2; w++)
        if (q->rt_bitmap[w])
            return list_first_entry(&q->rt_queue[w * 64 + unsigned(__builtin_ctzll(q->rt_bitmap[w]))], task_struct,
                                    run_list);
    return nullptr;
}

// ---- The fair class: waiting tasks sorted by vruntime (a short list: few threads per CPU).
void cfs_enqueue(rq* q, task_struct* p) {
    task_struct* pos;
    list_for_each_entry(pos, &q->cfs_queue, run_list) {
        if (p->vruntime < pos->vruntime) break;  // equal vruntimes keep their arrival order
    }
    list_add_tail(&p->run_list, &pos->run_list);
    q->cfs_nr_running++;
}

void cfs_dequeue(rq* q, task_struct* p) {
    list_del_init(&p->run_list);
    q->cfs_nr_running--;
}

// Linux update_min_vruntime: never backwards; follows the smallest of the running and the first waiting.
void update_min_vruntime(rq* q) {
    uint64_t v = UINT64_MAX;
    if (q->curr && q->curr != q->idle && !is_rt(q->curr) && q->curr->on_rq) v = q->curr->vruntime;
    if (task_struct* first = list_first_entry_or_null(&q->cfs_queue, task_struct, run_list))
        v = v < first->vruntime ? v : first->vruntime;
    if (v != UINT64_MAX && v > q->min_vruntime) q->min_vruntime = v;
}

// ---- Both classes.
void enqueue_task(rq* q, task_struct* p, bool head) {
    if (is_rt(p))
        rt_enqueue(q, p, head);
    else
        cfs_enqueue(q, p);
}

void dequeue_task(rq* q, task_struct* p) {
    if (list_empty(&p->run_list)) return;  // the running task is on no queue
    if (is_rt(p))
        rt_dequeue(q, p);
    else
        cfs_dequeue(q, p);
}

// Linux update_curr: the running task's runtime, and its vruntime weighted by nice.
void update_curr(rq* q) {
    uint64_t t = now();
    task_struct* c = q->curr;
    if (t > c->exec_start) {
        uint64_t delta = t - c->exec_start;
        WRITE_ONCE(c->sum_exec_runtime, c->sum_exec_runtime + delta);  // ps reads it
        if (!is_rt(c) && c != q->idle) c->vruntime += delta * NICE_0_LOAD / c->weight;
        if (c->policy == SCHED_RR) c->rr_left = c->rr_left > delta ? c->rr_left - delta : 0;
    }
    c->exec_start = t;
    q->clock = t;
    update_min_vruntime(q);
}

task_struct* pick_next_task(rq* q) {
    task_struct* p = rt_first(q);
    if (!p) p = list_first_entry_or_null(&q->cfs_queue, task_struct, run_list);
    if (!p) return q->idle;
    dequeue_task(q, p);
    return p;
}

// Linux place_entity for a waking fair task: a sleeper gets at most a small credit against the
// queue's minimum, so sleeping cannot bank CPU time.
void place_waking(rq* q, task_struct* p) {
    uint64_t floor = q->min_vruntime > SCHED_SLEEPER_CREDIT_NS ? q->min_vruntime - SCHED_SLEEPER_CREDIT_NS : 0;
    if (p->vruntime < floor) p->vruntime = floor;
}

// Linux check_preempt_curr / wakeup_preempt: should `p`, just queued, run before the current task?
bool should_preempt(rq* q, const task_struct* p) {
    task_struct* c = q->curr;
    if (c == q->idle) return true;
    if (is_rt(p) || is_rt(c)) return p->prio < c->prio;
    return p->vruntime + SCHED_WAKEUP_GRAN_NS < c->vruntime;
}

// Put `p` on `q` as runnable (Linux activate_task + ttwu_do_wakeup), asking for a reschedule when it
// should preempt. q->lock held.
void activate_and_check(rq* q, task_struct* p) {
    update_curr(q);
    if (!is_rt(p)) place_waking(q, p);
    WRITE_ONCE(p->cpu, q->cpu);
    p->on_rq = 1;
    __atomic_store_n(&p->__state, TASK_RUNNING, __ATOMIC_RELAXED);
    enqueue_task(q, p, false);
    q->nr_running++;
    if (should_preempt(q, p)) resched_curr(q);
}

// Linux select_task_rq, simplest form: where it ran last if it may still run there, else the first
// online CPU of its mask (UINT_MAX if none).
unsigned select_task_rq(const task_struct* p) {
    unsigned online = arch::num_online_cpus();
    if (p->cpu < online && cpumask_test_cpu(p->cpu, &p->cpus_mask)) return p->cpu;
    for (unsigned c = 0; c < online; c++)
        if (cpumask_test_cpu(c, &p->cpus_mask)) return c;
    return UINT32_MAX;
}

}  // namespace

void sched_set_hooks(const SchedHooks& h) { hooks = h; }
const SchedHooks& sched_hooks() { return hooks; }

void sched_init_cpu(unsigned cpu, task_struct* idle) {
    rq* q = cpu_rq(cpu);
    raw_spin_lock_init(&q->lock);
    q->cpu = cpu;
    for (list_head& l : q->rt_queue) INIT_LIST_HEAD(&l);
    q->rt_bitmap[0] = q->rt_bitmap[1] = 0;
    q->rt_nr_running = 0;
    INIT_LIST_HEAD(&q->cfs_queue);
    q->cfs_nr_running = 0;
    q->nr_running = 0;
    q->min_vruntime = 0;
    q->nr_switches = 0;
    raw_spin_lock_init(&idle->pi_lock);
    idle->flags |= PF_IDLE;
    idle->__state = TASK_RUNNING;
    idle->cpu = cpu;
    idle->on_cpu = 1;
    idle->prio = MAX_PRIO;  // below every class
    INIT_LIST_HEAD(&idle->run_list);
    cpumask_clear(&idle->cpus_mask);
    cpumask_set_cpu(cpu, &idle->cpus_mask);
    q->idle = q->curr = idle;
    q->clock = idle->exec_start = now();
}

namespace {
// The policy fields of `p` (Linux __setscheduler_params / set_load_weight).
int set_policy_fields(task_struct* p, int policy, int prio_or_nice) {
    if (policy == SCHED_FIFO || policy == SCHED_RR) {
        if (prio_or_nice < 1 || prio_or_nice >= MAX_RT_PRIO) return -EINVAL;
        WRITE_ONCE(p->rt_priority, unsigned(prio_or_nice));  // (ps reads these without a lock)
        WRITE_ONCE(p->prio, MAX_RT_PRIO - 1 - prio_or_nice);
        p->weight = NICE_0_LOAD;
    } else if (policy == SCHED_NORMAL) {
        if (prio_or_nice < MIN_NICE || prio_or_nice > MAX_NICE) return -EINVAL;
        WRITE_ONCE(p->rt_priority, 0u);
        WRITE_ONCE(p->prio, DEFAULT_PRIO + prio_or_nice);
        p->weight = prio_to_weight[prio_or_nice - MIN_NICE];
    } else {
        return -EINVAL;
    }
    WRITE_ONCE(p->policy, policy);
    return 0;
}
}  // namespace

int sched_task_init(task_struct* p, const char* name, int policy, int prio_or_nice) {
    if (int err = set_policy_fields(p, policy, prio_or_nice)) return err;
    raw_spin_lock_init(&p->pi_lock);
    p->__state = TASK_NEW;
    p->flags &= ~PF_IDLE;
    p->on_rq = p->on_cpu = 0;
    p->need_resched = p->rt_requeue_tail = false;
    p->sum_exec_runtime = p->slice_start = p->vruntime = 0;
    p->rr_left = RR_TIMESLICE_NS;
    p->nvcsw = p->nivcsw = 0;
    p->usage = 1;
    INIT_LIST_HEAD(&p->run_list);
    cpumask_setall(&p->cpus_mask);
    unsigned i = 0;
    for (; name && name[i] && i < TASK_COMM_LEN - 1; i++) p->comm[i] = name[i];
    p->comm[i] = '\0';
    return 0;
}

int sched_set_cpus_allowed_new(task_struct* p, const cpumask_t* mask) {
    if (__atomic_load_n(&p->__state, __ATOMIC_RELAXED) != TASK_NEW) return -EINVAL;
    bool any = false;
    for (unsigned c = 0; c < arch::num_online_cpus(); c++) any |= cpumask_test_cpu(c, mask);
    if (!any) return -EINVAL;
    cpumask_copy(&p->cpus_mask, mask);
    WRITE_ONCE(p->cpu, cpumask_first(mask));
    return 0;
}

int wake_up_new_task(task_struct* p) {
    unsigned long flags;
    raw_spin_lock_irqsave(&p->pi_lock, flags);  // against a second starter, and against wakers
    unsigned cpu = select_task_rq(p);
    if (__atomic_load_n(&p->__state, __ATOMIC_RELAXED) != TASK_NEW || cpu == UINT32_MAX) {
        raw_spin_unlock_irqrestore(&p->pi_lock, flags);
        return -EINVAL;
    }
    rq* q = cpu_rq(cpu);
    raw_spin_lock(&q->lock);
    p->vruntime = q->min_vruntime;  // Linux place_entity for a new task: start level with the queue
    activate_and_check(q, p);
    raw_spin_unlock(&q->lock);
    raw_spin_unlock_irqrestore(&p->pi_lock, flags);
    return 0;
}

bool wake_up_process(task_struct* p) {
    if (__atomic_load_n(&p->__state, __ATOMIC_RELAXED) == TASK_NEW) return wake_up_new_task(p) == 0;
    return try_to_wake_up(p, TASK_NORMAL);
}

int sched_setscheduler(task_struct* p, int policy, int prio_or_nice) {
    if (p != sched_current()) {
        unsigned long flags;
        raw_spin_lock_irqsave(&p->pi_lock, flags);
        int err = __atomic_load_n(&p->__state, __ATOMIC_RELAXED) == TASK_NEW
                      ? set_policy_fields(p, policy, prio_or_nice)
                      : -EINVAL;
        raw_spin_unlock_irqrestore(&p->pi_lock, flags);
        return err;
    }
    // The caller runs, so it is on no queue: its fields change under its run queue's lock, and a
    // reschedule lets the picking see its new class.
    rq* q = cpu_rq(smp_processor_id());
    unsigned long flags;
    raw_spin_lock_irqsave(&q->lock, flags);
    update_curr(q);
    bool was_rt = is_rt(p);
    int err = set_policy_fields(p, policy, prio_or_nice);
    if (!err && was_rt && !is_rt(p)) p->vruntime = q->min_vruntime;
    if (!err) resched_curr(q);
    raw_spin_unlock_irqrestore(&q->lock, flags);
    return err;
}

bool try_to_wake_up(task_struct* p, unsigned state) {
    unsigned long flags;
    raw_spin_lock_irqsave(&p->pi_lock, flags);  // one waker at a time
    if (!(__atomic_load_n(&p->__state, __ATOMIC_RELAXED) & state)) {
        raw_spin_unlock_irqrestore(&p->pi_lock, flags);
        return false;
    }
    rq* q = cpu_rq(READ_ONCE(p->cpu));
    raw_spin_lock(&q->lock);
    if (p->on_rq) {
        // Linux ttwu_runnable: it set its state but has not switched away yet; it simply keeps running.
        // (__schedule reads the state under this lock, so it sees TASK_RUNNING and keeps it queued.)
        __atomic_store_n(&p->__state, TASK_RUNNING, __ATOMIC_RELAXED);
        raw_spin_unlock(&q->lock);
        raw_spin_unlock_irqrestore(&p->pi_lock, flags);
        return true;
    }
    __atomic_store_n(&p->__state, TASK_WAKING, __ATOMIC_RELAXED);
    uint64_t rel = p->vruntime > q->min_vruntime ? p->vruntime - q->min_vruntime : 0;
    raw_spin_unlock(&q->lock);
    unsigned cpu = select_task_rq(p);
    if (cpu == UINT32_MAX) {
        __atomic_store_n(&p->__state, TASK_UNINTERRUPTIBLE, __ATOMIC_RELAXED);
        raw_spin_unlock_irqrestore(&p->pi_lock, flags);
        WARN(true, "sched: %s may run on no online CPU\n", p->comm);
        return false;
    }
    // It may still be switching away on its CPU: it must be off that CPU before it runs anywhere (Linux
    // waits on p->on_cpu the same way).
    while (__atomic_load_n(&p->on_cpu, __ATOMIC_ACQUIRE)) arch::cpu_relax();
    q = cpu_rq(cpu);
    raw_spin_lock(&q->lock);
    // Its vruntime is kept relative to the queues' minimums when it moves (Linux migrate_task_rq_fair).
    if (cpu != p->cpu) p->vruntime = q->min_vruntime + rel;
    activate_and_check(q, p);
    raw_spin_unlock(&q->lock);
    raw_spin_unlock_irqrestore(&p->pi_lock, flags);
    return true;
}

void resched_curr(rq* q) {
    task_struct* c = q->curr;
    if (c->need_resched) return;
    WRITE_ONCE(c->need_resched, true);
    if (q->cpu == smp_processor_id())
        set_preempt_need_resched();  // folded: the next preempt_enable or interrupt return sees it
    else if (hooks.resched_cpu_ipi)
        hooks.resched_cpu_ipi(q->cpu);  // that CPU folds it in scheduler_ipi
}

void scheduler_ipi() {
    if (need_resched()) set_preempt_need_resched();
}

void scheduler_tick() {
    sched_tick_idle_work();
    rq* q = cpu_rq(smp_processor_id());
    raw_spin_lock(&q->lock);
    update_curr(q);
    task_struct* c = q->curr;
    if (c == q->idle) {
        // Nothing runs: a queued task would have preempted the idle task at its wake-up already.
    } else if (c->policy == SCHED_RR) {
        if (c->rr_left == 0) {
            // Linux task_tick_rt: a new quantum, and the back of its priority if others share it.
            c->rr_left = RR_TIMESLICE_NS;
            if (!list_empty(&q->rt_queue[c->prio])) {
                c->rt_requeue_tail = true;
                resched_curr(q);
            }
        }
    } else if (!is_rt(c)) {
        // Linux task_tick_fair: a real-time task waiting, or the slice used up with another fair task
        // waiting, ends this turn. SCHED_FIFO is never ended by the tick.
        if (rt_first(q) || (q->cfs_nr_running > 0 && c->sum_exec_runtime - c->slice_start >= SCHED_BASE_SLICE_NS))
            resched_curr(q);
    }
    raw_spin_unlock(&q->lock);
}

void schedule_tail(task_struct* last) {
    // Read the state before on_cpu drops: from then on a waker or kthread_stop may own the task.
    bool dead = __atomic_load_n(&last->__state, __ATOMIC_RELAXED) == TASK_DEAD;
    __atomic_store_n(&last->on_cpu, 0, __ATOMIC_RELEASE);
    raw_spin_unlock(&cpu_rq(smp_processor_id())->lock);
    // Linux finish_task_switch: a task that exited is off every CPU now; drop its own reference (its
    // stack is freed here, never while it runs on it).
    if (dead) put_task_struct(last);
}

void put_task_struct(task_struct* p) {
    if (__atomic_sub_fetch(&p->usage, 1, __ATOMIC_ACQ_REL) == 0 && p->release) p->release(p);
}

void __schedule(bool preempt) {
    rq* q = cpu_rq(smp_processor_id());
    raw_spin_lock(&q->lock);
    task_struct* prev = q->curr;
    update_curr(q);
    bool sleeps = !preempt && __atomic_load_n(&prev->__state, __ATOMIC_RELAXED) != TASK_RUNNING && prev != q->idle;
    if (sleeps) {
        prev->on_rq = 0;  // Linux deactivate_task: off the queue until try_to_wake_up
        q->nr_running--;
    } else if (prev != q->idle) {
        // Still runnable: back on its queue. A preempted real-time task keeps its place at the head.
        enqueue_task(q, prev, is_rt(prev) && !prev->rt_requeue_tail);
    }
    prev->rt_requeue_tail = false;
    task_struct* next = pick_next_task(q);
    WRITE_ONCE(prev->need_resched, false);
    clear_preempt_need_resched();
    if (next == prev) {
        raw_spin_unlock(&q->lock);
        return;
    }
    if (sleeps)
        WRITE_ONCE(prev->nvcsw, prev->nvcsw + 1);  // ps reads the counts
    else
        WRITE_ONCE(prev->nivcsw, prev->nivcsw + 1);
    q->nr_switches++;
    q->curr = next;
    next->exec_start = q->clock;
    next->slice_start = next->sum_exec_runtime;
    WRITE_ONCE(next->cpu, q->cpu);
    __atomic_store_n(&next->on_cpu, 1, __ATOMIC_RELAXED);
    update_min_vruntime(q);
    // Returns in this task when it runs again, perhaps on another CPU, with that CPU's run queue lock
    // held by the switch that resumed it.
    task_struct* last = hooks.context_switch ? hooks.context_switch(prev, next) : prev;
    schedule_tail(last);
}

namespace {
// Linux sched_submit_work: a workqueue worker about to sleep lets its pool keep the CPU busy (the pool
// wakes an idle worker if work waits and no other worker of it runs). Before the run queue lock: it
// takes the pool's lock and may wake a task.
void sched_submit_work(task_struct* tsk) {
    if (tsk->flags & PF_WQ_WORKER) wq_worker_sleeping(tsk);
}
// Linux sched_update_worker: the worker runs again and counts as running for its pool.
void sched_update_worker(task_struct* tsk) {
    if (tsk->flags & PF_WQ_WORKER) wq_worker_running(tsk);
}
}  // namespace

void schedule() {
    task_struct* tsk = sched_current();
    if (tsk && __atomic_load_n(&tsk->__state, __ATOMIC_RELAXED) != TASK_RUNNING) sched_submit_work(tsk);
    // Linux schedule_debug: sleeping in atomic context is a bug, reported with who and the count.
    if (unlikely(preempt_count() != 0 && sched_current() != cpu_rq(smp_processor_id())->idle)) {
        pr_err("BUG: scheduling while atomic: %s/%d/0x%08x\n", sched_current()->comm, sched_current()->pid,
               preempt_count());
        dump_stack();
    }
    preempt_disable();
    unsigned long flags;
    local_irq_save(flags);
    __schedule(false);
    local_irq_restore(flags);
    preempt_enable_no_resched();
    if (tsk) sched_update_worker(tsk);
}

// Linux preempt_schedule: preemption points (preempt_enable, preempt_check_resched) land here with the
// count zero and a reschedule wanted. Nothing happens with interrupts off, or before this CPU has a
// scheduler (its run queue has no current task yet).
void preempt_schedule() {
    if (preempt_count() || irqs_disabled() || !cpu_rq(smp_processor_id())->curr) return;
    do {
        preempt_disable();
        local_irq_disable();
        __schedule(true);
        local_irq_enable();
        preempt_enable_no_resched();
    } while (need_resched());
}

// Linux preempt_schedule_irq: the return from an interrupt to preemptible code, interrupts off.
void preempt_schedule_irq() {
    do {
        preempt_disable();
        __schedule(true);
        preempt_enable_no_resched();
    } while (need_resched());
}

task_struct* sched_current() { return READ_ONCE(cpu_rq(smp_processor_id())->curr); }
bool need_resched() {
    task_struct* c = sched_current();
    return c && READ_ONCE(c->need_resched);
}

void sched_for_each_task_on(unsigned cpu, void (*fn)(task_struct* p, bool running, void* ctx), void* ctx) {
    rq* q = cpu_rq(cpu);
    unsigned long flags;
    raw_spin_lock_irqsave(&q->lock, flags);
    fn(q->curr, true, ctx);
    for (list_head& l : q->rt_queue) {
        task_struct* p;
        list_for_each_entry(p, &l, run_list) fn(p, false, ctx);
    }
    task_struct* p;
    list_for_each_entry(p, &q->cfs_queue, run_list) fn(p, false, ctx);
    raw_spin_unlock_irqrestore(&q->lock, flags);
}

namespace {
unsigned long might_sleep_count;
unsigned long might_sleep_last_jiffy;
}  // namespace

unsigned long might_sleep_reports() { return __atomic_load_n(&might_sleep_count, __ATOMIC_RELAXED); }

// Linux __might_resched: atomic context (preemption disabled, interrupts off) or the idle task. Printed
// at most once a second (jiffies), like Linux; counted every time.
void __might_sleep(const char* file, int line) {
    if (!READ_ONCE(sched_running)) return;
    task_struct* c = sched_current();
    unsigned pc = preempt_count();
    bool irqs_off = irqs_disabled();
    if (pc == 0 && !irqs_off && c && !is_idle_task(c)) return;
    __atomic_fetch_add(&might_sleep_count, 1, __ATOMIC_RELAXED);
    unsigned long now_j = READ_ONCE(jiffies);
    unsigned long last = READ_ONCE(might_sleep_last_jiffy);
    if (last && time_before(now_j, last + HZ)) return;
    WRITE_ONCE(might_sleep_last_jiffy, now_j ? now_j : 1);
    pr_err("BUG: sleeping function called from invalid context at %s:%d\n", file, line);
    pr_err("in_atomic(): %d, irqs_disabled(): %d, non_block: %d, pid: %d, name: %s\n", pc != 0, irqs_off, 0,
           c ? c->pid : -1, c ? c->comm : "?");
    pr_err("preempt_count: %x, expected: %x\n", pc, 0u);
    dump_stack();
}

void might_sleep_ratelimit_reset() { WRITE_ONCE(might_sleep_last_jiffy, 0ul); }
