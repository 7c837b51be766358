// Workqueues (see workqueue.h and docs/workqueues.md): Linux 6.12 kernel/workqueue.c's concurrency-
// managed per-CPU worker pools, with the same names, data word, flush colours and locking, without the
// unbound pools, BH workqueues, rescuers, CPU hotplug, idle worker reaping (it needs timers) and the
// CPU-intensive autodetection.
//
// Locking (Linux's letters): L pool->lock (raw, interrupts off: works are queued from interrupts);
// K only the worker itself; WQ wq->mutex; PR wq_pool_mutex. A work's data word is changed with atomics
// by whoever owns its PENDING bit, and under the pool's lock while it is queued.
#include "kernel/workqueue.h"
#include "kernel/err.h"
#include "kernel/errno.h"
#include "kernel/idle.h"
#include "kernel/kthread.h"
#include "kernel/locking/mutex.h"
#include "kernel/preempt.h"
#include "kernel/printk.h"
#include "kernel/sched/wait.h"
#include "kernel/slab.h"
#include "kernel/spinlock.h"
#include "kernel/workqueue_internal.h"
#include "lib/string.h"
#include "lib/vsprintf.h"

#include <stdarg.h>

workqueue_struct* system_wq;
workqueue_struct* system_highpri_wq;

namespace {
constexpr unsigned NR_STD_WORKER_POOLS = 2;  // per CPU: normal, highpri
constexpr int HIGHPRI_NICE_LEVEL = MIN_NICE;
constexpr unsigned NO_COLOR = 0x7fffffff;  // a worker's current_color while it runs nothing (INT_MAX)

constexpr unsigned POOL_MANAGER_ACTIVE = 1u << 0;  // pool->flags: a worker is creating workers

// worker->flags (Linux values). Workers with a NOT_RUNNING flag do not count in pool->nr_running: a
// new or idle worker (PREP) and one running a WQ_CPU_INTENSIVE work.
constexpr unsigned WORKER_IDLE = 1u << 2;
constexpr unsigned WORKER_PREP = 1u << 3;
constexpr unsigned WORKER_CPU_INTENSIVE = 1u << 6;
constexpr unsigned WORKER_NOT_RUNNING = WORKER_PREP | WORKER_CPU_INTENSIVE;

struct worker_pool;
struct pool_workqueue;

// A kworker (Linux kernel/workqueue_internal.h struct worker).
struct worker {
    list_head entry;              // L: on pool->idle_list while idle, on pool->busy_list while busy
    work_struct* current_work;    // L (K to read): the work it runs
    work_func_t current_func;     // L: and its function (a recycled work address is a different work)
    pool_workqueue* current_pwq;  // L: and the pwq it was queued on
    unsigned current_color;       // L: and its flush colour
    int sleeping;                 // K: it went to sleep inside a work (wq_worker_sleeping)
    list_head scheduled;          // L: works handed to this worker (linked works, non-reentrancy)
    task_struct* task;
    worker_pool* pool;
    list_head node;  // on pool->workers
    unsigned flags;  // L to write; WORKER_*
    int id;
    char desc[WQ_NAME_LEN];  // L: the workqueue of its current or last work (ps: +name / -name)
};

// A CPU's pool (Linux struct worker_pool): the works ready to run there and the kworkers running them.
struct worker_pool {
    raw_spinlock_t lock;
    int cpu;
    unsigned id;  // cpu * NR_STD_WORKER_POOLS + highpri: what work->data keeps off queue
    int nice;
    unsigned flags;       // L: POOL_*
    int nr_running;       // busy workers not asleep: atomics (changed only on the pool's CPU)
    list_head worklist;   // L: works ready to run
    int nr_workers;       // L
    int nr_idle;          // L
    list_head idle_list;  // L: idle workers, the most recently idle first
    list_head busy_list;  // L: workers running a work (Linux keeps them in busy_hash)
    worker* manager;      // L: the worker creating workers, if any
    list_head workers;    // L: every worker of the pool
    int next_worker_id;   // the manager's (or workqueue_init's) alone: workers are never freed
};

// A workqueue's part on one pool (Linux struct pool_workqueue). Its address goes into work->data with
// the colour and flags below it, hence the alignment.
struct alignas(1ul << WORK_STRUCT_PWQ_SHIFT) pool_workqueue {
    worker_pool* pool;
    workqueue_struct* wq;
    int work_color;                    // L: colour given to works queued now
    int flush_color;                   // L: colour being flushed, -1 if none
    int nr_in_flight[WORK_NR_COLORS];  // L: works queued or running, by colour
    int nr_active;                     // L: works on the worklist or running (max_active)
    list_head inactive_works;          // L: works waiting for nr_active < max_active
};

// One __flush_workqueue caller (Linux struct wq_flusher).
struct wq_flusher {
    list_head list;  // WQ: on wq->flusher_queue or flusher_overflow
    int flush_color;
    completion done;
};

// flush_work's marker work, queued right after the target (Linux struct wq_barrier).
struct wq_barrier {
    work_struct work;
    completion done;
    task_struct* task;  // who waits (informational)
};
}  // namespace

struct workqueue_struct {
    list_head list;  // PR: on workqueues
    struct mutex mutex;
    int work_color;              // WQ: colour of works queued now
    int flush_color;             // WQ: colour being flushed
    int nr_pwqs_to_flush;        // atomic: pwqs the first flusher still waits for
    wq_flusher* first_flusher;   // WQ (read without it by the last pwq to finish)
    list_head flusher_queue;     // WQ: flushers waiting for their colour
    list_head flusher_overflow;  // WQ: flushers waiting for a free colour
    int nr_drainers;             // WQ
    int max_active;              // per CPU
    unsigned flags;              // WQ to write, read anywhere (READ_ONCE): WQ_* and __WQ_*
    char name[WQ_NAME_LEN];
    pool_workqueue* cpu_pwq[NR_CPUS];  // its pool workqueues, one per possible CPU (Linux wq->pwqs)
    void* pwq_mem;                     // the allocation they live in
};

// Linux for_each_pwq (an array here: a list head inside the workqueue would not be 256-aligned).
#define for_each_pwq(pwq, wq) \
    for (unsigned pwq_cpu_ = 0; pwq_cpu_ < NR_CPUS && ((pwq) = (wq)->cpu_pwq[pwq_cpu_], true); pwq_cpu_++)

namespace {
DEFINE_PER_CPU(worker_pool[NR_STD_WORKER_POOLS], cpu_worker_pools) = {};
mutex wq_pool_mutex;  // protects `workqueues` (set up by workqueue_init_early)
list_head workqueues = LIST_HEAD_INIT(workqueues);
bool wq_online;  // the first workers exist: flushes may wait

#define wq_pr_err_once(fmt, ...)                                       \
    do {                                                               \
        static bool _said __attribute__((section("irqos_warn_once"))); \
        if (!_said) {                                                  \
            _said = true;                                              \
            pr_err(fmt, ##__VA_ARGS__);                                \
        }                                                              \
    } while (0)

void copy_name(char* dst, const char* src, size_t size) {
    size_t i = 0;
    for (; src[i] && i + 1 < size; i++) dst[i] = src[i];
    dst[i] = '\0';
}

worker_pool* cpu_pool(unsigned cpu, bool highpri) { return &per_cpu(cpu_worker_pools, cpu)[highpri ? 1 : 0]; }
worker_pool* pool_by_id(unsigned long id) {
    if (WARN_ON_ONCE(id >= (unsigned long)NR_CPUS * NR_STD_WORKER_POOLS)) return nullptr;
    return cpu_pool(unsigned(id / NR_STD_WORKER_POOLS), id % NR_STD_WORKER_POOLS != 0);
}

// ---- The data word. Acquire/release so that whoever finds a pwq or pool in it also sees what was
// written before it was stored (ThreadSanitizer checks this on the host).
unsigned long work_data(const work_struct* work) { return __atomic_load_n(&work->data, __ATOMIC_ACQUIRE); }
bool test_and_set_pending(work_struct* work) {
    return __atomic_fetch_or(&work->data, WORK_STRUCT_PENDING, __ATOMIC_SEQ_CST) & WORK_STRUCT_PENDING;
}
unsigned work_color_to_flags(int color) { return unsigned(color) << WORK_STRUCT_COLOR_SHIFT; }
int get_work_color(unsigned long data) {
    return int((data >> WORK_STRUCT_COLOR_SHIFT) & ((1u << WORK_STRUCT_COLOR_BITS) - 1));
}
int work_next_color(int color) { return (color + 1) % int(WORK_NR_COLORS); }

// Only the owner of PENDING changes the data word (Linux set_work_data).
void set_work_data(work_struct* work, unsigned long data) {
    WARN_ON_ONCE(!work_pending(work));
    __atomic_store_n(&work->data, data, __ATOMIC_RELEASE);
}
void set_work_pwq(work_struct* work, pool_workqueue* pwq, unsigned long flags) {
    set_work_data(work, reinterpret_cast<unsigned long>(pwq) | WORK_STRUCT_PENDING | WORK_STRUCT_PWQ | flags);
}
void set_work_pool_and_keep_pending(work_struct* work, unsigned long pool_id, unsigned long flags) {
    set_work_data(work, (pool_id << WORK_OFFQ_POOL_SHIFT) | WORK_STRUCT_PENDING | flags);
}
// The release is Linux's smp_wmb (what the owner wrote is seen by the next owner); the full barrier after
// keeps the function's first loads after the clear: an event stored before a queue_work that found
// PENDING still set is then seen by this run (Linux's comment in set_work_pool_and_clear_pending).
void set_work_pool_and_clear_pending(work_struct* work, unsigned long pool_id, unsigned long flags) {
    set_work_data(work, (pool_id << WORK_OFFQ_POOL_SHIFT) | flags);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

pool_workqueue* work_struct_pwq(unsigned long data) {
    return reinterpret_cast<pool_workqueue*>(data & WORK_STRUCT_PWQ_MASK);
}
pool_workqueue* get_work_pwq(const work_struct* work) {
    unsigned long data = work_data(work);
    return (data & WORK_STRUCT_PWQ) ? work_struct_pwq(data) : nullptr;
}
// The pool the work is queued on or last ran on; NULL if it never was queued.
worker_pool* get_work_pool(const work_struct* work) {
    unsigned long data = work_data(work);
    if (data & WORK_STRUCT_PWQ) return work_struct_pwq(data)->pool;
    unsigned long pool_id = (data >> WORK_OFFQ_POOL_SHIFT) & WORK_OFFQ_POOL_NONE;
    if (pool_id == WORK_OFFQ_POOL_NONE) return nullptr;
    return pool_by_id(pool_id);
}

struct work_offq_data {
    unsigned long pool_id;
    unsigned long disable;
};
work_offq_data work_offqd_unpack(unsigned long data) {
    WARN_ON_ONCE(data & WORK_STRUCT_PWQ);
    return {(data >> WORK_OFFQ_POOL_SHIFT) & WORK_OFFQ_POOL_NONE,
            (data & WORK_OFFQ_DISABLE_MASK) >> WORK_OFFQ_DISABLE_SHIFT};
}
unsigned long work_offqd_pack_flags(const work_offq_data& offqd) { return offqd.disable << WORK_OFFQ_DISABLE_SHIFT; }

// ---- Pool policy (Linux's need_more_worker & co.). pool->lock held.
int nr_running(const worker_pool* pool) { return __atomic_load_n(&pool->nr_running, __ATOMIC_RELAXED); }
void nr_running_add(worker_pool* pool, int delta) { __atomic_add_fetch(&pool->nr_running, delta, __ATOMIC_RELAXED); }

// Work waits and no worker runs: wake one.
bool need_more_worker(const worker_pool* pool) { return !list_empty(&pool->worklist) && !nr_running(pool); }
// A worker may start on the worklist only while another stays idle (to take over if it sleeps).
bool may_start_working(const worker_pool* pool) { return pool->nr_idle != 0; }
// A running worker takes the next work unless another worker runs too.
bool keep_working(const worker_pool* pool) { return !list_empty(&pool->worklist) && nr_running(pool) <= 1; }
bool need_to_create_worker(const worker_pool* pool) { return need_more_worker(pool) && !may_start_working(pool); }

// Linux worker_set_flags / worker_clr_flags: nr_running follows the NOT_RUNNING flags. The worker
// itself, pool->lock held.
void worker_set_flags(worker* w, unsigned flags) {
    if ((flags & WORKER_NOT_RUNNING) && !(w->flags & WORKER_NOT_RUNNING)) nr_running_add(w->pool, -1);
    w->flags |= flags;
}
void worker_clr_flags(worker* w, unsigned flags) {
    unsigned oflags = w->flags;
    w->flags &= ~flags;
    if ((flags & WORKER_NOT_RUNNING) && (oflags & WORKER_NOT_RUNNING) && !(w->flags & WORKER_NOT_RUNNING))
        nr_running_add(w->pool, 1);
}

worker* first_idle_worker(worker_pool* pool) { return list_first_entry_or_null(&pool->idle_list, worker, entry); }

void worker_enter_idle(worker* w) {
    worker_pool* pool = w->pool;
    if (WARN_ON_ONCE(w->flags & WORKER_IDLE)) return;
    w->flags |= WORKER_IDLE;
    pool->nr_idle++;
    list_add(&w->entry, &pool->idle_list);  // LIFO: the most recently idle is woken first
    // (Linux arms the idle timer here when too_many_workers(); irqos keeps its idle workers.)
    WARN_ON_ONCE(pool->nr_workers == pool->nr_idle && nr_running(pool));
}

void worker_leave_idle(worker* w) {
    if (WARN_ON_ONCE(!(w->flags & WORKER_IDLE))) return;
    worker_clr_flags(w, WORKER_IDLE);
    w->pool->nr_idle--;
    list_del_init(&w->entry);
}

// The worker of `pool` running `work` now, if any: same address and same function (a work freed and
// its memory reused for another work is not the same work). pool->lock held.
worker* find_worker_executing_work(worker_pool* pool, const work_struct* work) {
    worker* w;
    list_for_each_entry(w, &pool->busy_list, entry) {
        if (w->current_work == work && w->current_func == work->func) return w;
    }
    return nullptr;
}

// Move `work` and the works linked after it (flush barriers) to the tail of `head`. pool->lock held.
void move_linked_works(work_struct* work, list_head* head) {
    for (;;) {
        work_struct* next = list_entry(work->entry.next, work_struct, entry);
        bool linked = work_data(work) & WORK_STRUCT_LINKED;
        list_move_tail(&work->entry, head);
        if (!linked) break;
        work = next;
    }
}

// Give `work` (with its linked works) to `w`, or to the worker of the pool already running it: a pool
// never runs one work on two workers at once. True if `w` got it. pool->lock held.
bool assign_work(work_struct* work, worker* w) {
    worker* collision = find_worker_executing_work(w->pool, work);
    if (unlikely(collision)) {
        move_linked_works(work, &collision->scheduled);
        return false;
    }
    move_linked_works(work, &w->scheduled);
    return true;
}

// Wake an idle worker if work waits and nobody runs. pool->lock held.
bool kick_pool(worker_pool* pool) {
    worker* w = first_idle_worker(pool);
    if (!need_more_worker(pool) || !w) return false;
    wake_up_process(w->task);
    return true;
}

// ---- max_active and the in-flight counts. pool->lock held.
bool pwq_tryinc_nr_active(pool_workqueue* pwq) {
    if (pwq->nr_active >= READ_ONCE(pwq->wq->max_active)) return false;
    pwq->nr_active++;
    return true;
}

void pwq_activate_work(pool_workqueue* pwq, work_struct* work) {
    WARN_ON_ONCE(!(work_data(work) & WORK_STRUCT_INACTIVE));
    move_linked_works(work, &pwq->pool->worklist);
    __atomic_fetch_and(&work->data, ~WORK_STRUCT_INACTIVE, __ATOMIC_RELAXED);
}

// The oldest inactive work becomes active if max_active allows.
bool pwq_activate_first_inactive(pool_workqueue* pwq) {
    work_struct* work = list_first_entry_or_null(&pwq->inactive_works, work_struct, entry);
    if (!work || !pwq_tryinc_nr_active(pwq)) return false;
    pwq_activate_work(pwq, work);
    return true;
}

void pwq_dec_nr_active(pool_workqueue* pwq) {
    pwq->nr_active--;
    pwq_activate_first_inactive(pwq);
}

// A work left the queue (ran, or was cancelled): its active slot, its colour's count, and the flush
// it may have been the last one of (Linux pwq_dec_nr_in_flight). The last step on the pwq: after it a
// flusher or destroy_workqueue may go on.
void pwq_dec_nr_in_flight(pool_workqueue* pwq, unsigned long data) {
    int color = get_work_color(data);
    if (!(data & WORK_STRUCT_INACTIVE)) pwq_dec_nr_active(pwq);
    pwq->nr_in_flight[color]--;
    if (likely(pwq->flush_color != color)) return;  // no flush of this colour in progress
    if (pwq->nr_in_flight[color]) return;
    pwq->flush_color = -1;  // this pwq is done; the last pwq wakes the first flusher
    if (__atomic_sub_fetch(&pwq->wq->nr_pwqs_to_flush, 1, __ATOMIC_ACQ_REL) == 0)
        complete(&READ_ONCE(pwq->wq->first_flusher)->done);
}

void insert_work(pool_workqueue* pwq, work_struct* work, list_head* head, unsigned long extra_flags) {
    set_work_pwq(work, pwq, extra_flags);
    list_add_tail(&work->entry, head);
}

worker* current_wq_worker() {
    task_struct* c = sched_current();
    if (in_task() && c && (__atomic_load_n(&c->flags, __ATOMIC_ACQUIRE) & PF_WQ_WORKER))
        return static_cast<worker*>(kthread_data(c));
    return nullptr;
}

// Queued from a work of `wq` itself (allowed while it drains).
bool is_chained_work(workqueue_struct* wq) {
    worker* w = current_wq_worker();
    return w && w->current_pwq && w->current_pwq->wq == wq;
}

}  // namespace

// ---- Queueing, grabbing PENDING, flushing and cancelling one work (workqueue_internal.h: delayed work
// builds on these).

// Linux __queue_work: the caller owns PENDING, interrupts off.
void __queue_work(int cpu, workqueue_struct* wq, work_struct* work) {
    // A draining (or dying) workqueue takes works only from its own works. Linux drops the rest with a
    // WARN and leaves them PENDING; so does irqos.
    if (unlikely((READ_ONCE(wq->flags) & (__WQ_DESTROYING | __WQ_DRAINING)) && WARN_ON_ONCE(!is_chained_work(wq))))
        return;
    if (cpu == WORK_CPU_UNBOUND) cpu = int(smp_processor_id());
    // Linux runs works queued on an offline CPU on its pool's unbound workers, anywhere; irqos has no
    // CPU hotplug, so such a CPU never had workers: say so and use CPU 0.
    if (unlikely(cpu < 0 || unsigned(cpu) >= arch::num_online_cpus())) {
        WARN_ONCE(true, "workqueue: %s: work %ps queued on CPU%d, which is not online; CPU0 runs it\n", wq->name,
                  reinterpret_cast<void*>(work->func), cpu);
        cpu = 0;
    }
    pool_workqueue* pwq = wq->cpu_pwq[cpu];
    worker_pool* pool = pwq->pool;
    // Non-reentrancy: if the work still runs on the pool it ran on last, it goes there.
    worker_pool* last_pool = get_work_pool(work);
    if (last_pool && last_pool != pool) {
        raw_spin_lock(&last_pool->lock);
        worker* w = find_worker_executing_work(last_pool, work);
        if (w && w->current_pwq->wq == wq) {
            pwq = w->current_pwq;
            pool = pwq->pool;
            WARN_ON_ONCE(pool != last_pool);
        } else {
            raw_spin_unlock(&last_pool->lock);
            raw_spin_lock(&pool->lock);
        }
    } else {
        raw_spin_lock(&pool->lock);
    }
    if (WARN_ON(!list_empty(&work->entry))) {
        raw_spin_unlock(&pool->lock);
        return;
    }
    pwq->nr_in_flight[pwq->work_color]++;
    unsigned long work_flags = work_color_to_flags(pwq->work_color);
    // Behind the inactive works, to keep the queueing order, or active if max_active allows.
    if (list_empty(&pwq->inactive_works) && pwq_tryinc_nr_active(pwq)) {
        insert_work(pwq, work, &pool->worklist, work_flags);
        kick_pool(pool);
    } else {
        insert_work(pwq, work, &pwq->inactive_works, work_flags | WORK_STRUCT_INACTIVE);
    }
    raw_spin_unlock(&pool->lock);
}

// A disabled work took PENDING: give it back (Linux clear_pending_if_disabled).
bool clear_pending_if_disabled(work_struct* work) {
    unsigned long data = work_data(work);
    if (likely((data & WORK_STRUCT_PWQ) || !(data & WORK_OFFQ_DISABLE_MASK))) return false;
    work_offq_data offqd = work_offqd_unpack(data);
    set_work_pool_and_clear_pending(work, offqd.pool_id, work_offqd_pack_flags(offqd));
    return true;
}

// Linux try_to_grab_pending: 1 if the work was queued and is taken off its queue, 0 if it was idle and
// PENDING is ours now, -EAGAIN if somebody is queueing it (or it just started running) and a retry
// will do. On >= 0 the caller owns PENDING with interrupts off (restored from *irq_flags later).
int try_to_grab_pending(work_struct* work, work_steal_fn steal, unsigned long* irq_flags) {
    local_irq_save(*irq_flags);
    // A delayed work on its timer: deleting the timer gives us its PENDING (Linux WORK_CANCEL_DELAYED).
    if (steal && steal(work)) return 1;
    if (!test_and_set_pending(work)) return 0;
    worker_pool* pool = get_work_pool(work);
    if (pool) {
        raw_spin_lock(&pool->lock);
        // data points to a pwq of this (locked) pool only while the work is queued on it.
        pool_workqueue* pwq = get_work_pwq(work);
        if (pwq && pwq->pool == pool) {
            unsigned long data = work_data(work);
            // An inactive work may have barriers linked after it: they go to the worklist, and the
            // work keeps INACTIVE in `data` so it gives back no active slot.
            if (data & WORK_STRUCT_INACTIVE) move_linked_works(work, &pool->worklist);
            list_del_init(&work->entry);
            set_work_pool_and_keep_pending(work, pool->id, 0);
            pwq_dec_nr_in_flight(pwq, data);
            raw_spin_unlock(&pool->lock);
            return 1;
        }
        raw_spin_unlock(&pool->lock);
    }
    local_irq_restore(*irq_flags);
    return -EAGAIN;
}

bool work_grab_pending(work_struct* work, work_steal_fn steal, unsigned long* irq_flags) {
    for (;;) {
        int ret = try_to_grab_pending(work, steal, irq_flags);
        if (ret >= 0) return ret != 0;
        arch::cpu_relax();
    }
}

static void work_offqd_disable(work_offq_data* offqd) {
    if (likely(offqd->disable < (1ul << WORK_OFFQ_DISABLE_BITS) - 1))
        offqd->disable++;
    else
        WARN_ONCE(true, "workqueue: work disable count overflowed\n");
}
static void work_offqd_enable(work_offq_data* offqd) {
    if (likely(offqd->disable > 0))
        offqd->disable--;
    else
        WARN_ONCE(true, "workqueue: work disable count underflowed\n");
}

// ---- flush_work's barrier.
static void wq_barrier_func(work_struct* work) { complete(&container_of(work, wq_barrier, work)->done); }

// Queue `barr` right after `target`: on the worker running it (its scheduled list, first) or after it on
// its queue, linked so that it moves with it. It counts in the target's colour and never in nr_active.
// pool->lock held.
static void insert_wq_barrier(pool_workqueue* pwq, wq_barrier* barr, work_struct* target, worker* w) {
    INIT_WORK(&barr->work, wq_barrier_func);
    __atomic_fetch_or(&barr->work.data, WORK_STRUCT_PENDING, __ATOMIC_RELAXED);
    init_completion(&barr->done);
    barr->task = sched_current();
    unsigned long work_flags = WORK_STRUCT_INACTIVE;
    int color;
    list_head* head;
    if (w) {
        head = w->scheduled.next;
        color = int(w->current_color);
    } else {
        unsigned long bits = work_data(target);
        head = target->entry.next;
        work_flags |= bits & WORK_STRUCT_LINKED;  // other barriers may be linked already: stay in the chain
        color = get_work_color(bits);
        __atomic_fetch_or(&target->data, WORK_STRUCT_LINKED, __ATOMIC_RELAXED);
    }
    pwq->nr_in_flight[color]++;
    work_flags |= work_color_to_flags(color);
    insert_work(pwq, &barr->work, head, work_flags);
}

static bool start_flush_work(work_struct* work, wq_barrier* barr) {
    worker_pool* pool = get_work_pool(work);
    if (!pool) return false;
    raw_spin_lock_irq(&pool->lock);
    pool_workqueue* pwq = get_work_pwq(work);
    worker* w = nullptr;
    if (pwq) {
        if (unlikely(pwq->pool != pool)) goto already_gone;  // requeued elsewhere meanwhile
    } else {
        w = find_worker_executing_work(pool, work);
        if (!w) goto already_gone;
        pwq = w->current_pwq;
    }
    insert_wq_barrier(pwq, barr, work, w);
    raw_spin_unlock_irq(&pool->lock);
    return true;
already_gone:
    raw_spin_unlock_irq(&pool->lock);
    return false;
}

bool __flush_work(work_struct* work) {
    if (WARN_ON(!READ_ONCE(wq_online))) return false;
    if (WARN_ON(!work->func)) return false;
    wq_barrier barr;
    if (!start_flush_work(work, &barr)) return false;
    wait_for_completion(&barr.done);
    return true;
}

bool __cancel_work(work_struct* work, unsigned cflags, work_steal_fn steal) {
    unsigned long irq_flags;
    bool ret = work_grab_pending(work, steal, &irq_flags);
    work_offq_data offqd = work_offqd_unpack(work_data(work));
    if (cflags & WORK_CANCEL_DISABLE) work_offqd_disable(&offqd);
    set_work_pool_and_clear_pending(work, offqd.pool_id, work_offqd_pack_flags(offqd));
    local_irq_restore(irq_flags);
    return ret;
}

// Linux 6.12 __cancel_work_sync: disabled while it waits, so neither the running instance nor anybody
// else can queue it again before the flush returns (earlier Linux kept PENDING with WORK_OFFQ_CANCELING
// for the same purpose); enabled again after unless the caller wants it disabled.
bool __cancel_work_sync(work_struct* work, unsigned cflags, work_steal_fn steal) {
    bool ret = __cancel_work(work, cflags | WORK_CANCEL_DISABLE, steal);
    might_sleep();
    if (READ_ONCE(wq_online)) __flush_work(work);
    if (!(cflags & WORK_CANCEL_DISABLE)) enable_work(work);
    return ret;
}

namespace {

// ---- Workers.
void process_one_work(worker* w, work_struct* work);

void process_scheduled_works(worker* w) {
    while (work_struct* work = list_first_entry_or_null(&w->scheduled, work_struct, entry)) process_one_work(w, work);
}

// Run one work (Linux process_one_work). pool->lock held, interrupts off; released around the call.
void process_one_work(worker* w, work_struct* work) {
    pool_workqueue* pwq = get_work_pwq(work);
    worker_pool* pool = w->pool;
    WARN_ON_ONCE(smp_processor_id() != unsigned(pool->cpu));
    list_add(&w->entry, &pool->busy_list);
    w->current_work = work;
    w->current_func = work->func;
    w->current_pwq = pwq;
    unsigned long data = work_data(work);
    w->current_color = unsigned(get_work_color(data));
    copy_name(w->desc, pwq->wq->name, sizeof w->desc);
    list_del_init(&work->entry);
    // A CPU-intensive work leaves concurrency management; the next work may start beside it.
    if (unlikely(READ_ONCE(pwq->wq->flags) & WQ_CPU_INTENSIVE)) worker_set_flags(w, WORKER_CPU_INTENSIVE);
    kick_pool(pool);
    // The last change to the work before its function runs: from here it may be queued again (and it
    // records the pool for non-reentrancy), with its queued state changed under the pool's lock.
    set_work_pool_and_clear_pending(work, pool->id, 0);
    raw_spin_unlock_irq(&pool->lock);

    w->current_func(work);

    if (unlikely(preempt_count() != 0)) {
        pr_err("BUG: workqueue leaked atomic, lock or RCU: %s[%d]\n     preempt=0x%08x workfn=%ps\n", w->task->comm,
               w->task->pid, preempt_count(), reinterpret_cast<void*>(w->current_func));
        dump_stack();
    }
    raw_spin_lock_irq(&pool->lock);
    worker_clr_flags(w, WORKER_CPU_INTENSIVE);
    list_del_init(&w->entry);
    w->current_work = nullptr;
    w->current_func = nullptr;
    w->current_pwq = nullptr;
    w->current_color = NO_COLOR;
    pwq_dec_nr_in_flight(pwq, data);
}

int worker_thread(void* arg);

// A new idle worker for `pool`, started (Linux create_worker). Process context, no lock held.
worker* create_worker(worker_pool* pool) {
    auto* w = static_cast<worker*>(kzalloc(sizeof(worker)));
    if (!w) {
        wq_pr_err_once("workqueue: Failed to allocate a worker\n");
        return nullptr;
    }
    INIT_LIST_HEAD(&w->entry);
    INIT_LIST_HEAD(&w->scheduled);
    INIT_LIST_HEAD(&w->node);
    w->flags = WORKER_PREP;
    w->current_color = NO_COLOR;
    w->id = pool->next_worker_id;
    w->pool = pool;
    task_struct* task = kthread_create(worker_thread, w, "kworker/%d:%d%s", pool->cpu, w->id,
                                       pool->nice == HIGHPRI_NICE_LEVEL ? "H" : "");
    if (IS_ERR(task)) {
        wq_pr_err_once("workqueue: Failed to create a worker thread: %ld\n", PTR_ERR(task));
        kfree(w);
        return nullptr;
    }
    pool->next_worker_id++;
    sched_setscheduler(task, SCHED_NORMAL, pool->nice);  // Linux set_user_nice
    kthread_bind(task, unsigned(pool->cpu));
    w->task = task;
    // Set before it ever runs (Linux sets it first thing in worker_thread): its schedule() calls tell
    // the pool from the start; release, so that ps finding the flag finds the worker complete.
    __atomic_fetch_or(&task->flags, PF_WQ_WORKER, __ATOMIC_RELEASE);
    unsigned long flags;
    raw_spin_lock_irqsave(&pool->lock, flags);
    list_add_tail(&w->node, &pool->workers);
    pool->nr_workers++;
    worker_enter_idle(w);
    wake_up_process(task);  // it finds nothing to do, or the work that made the manager create it
    raw_spin_unlock_irqrestore(&pool->lock, flags);
    return w;
}

bool need_to_create_worker_unlocked(worker_pool* pool) {
    raw_spin_lock_irq(&pool->lock);
    bool need = need_to_create_worker(pool);
    raw_spin_unlock_irq(&pool->lock);
    return need;
}

// Create workers until one is idle (Linux maybe_create_worker). pool->lock held, dropped meanwhile.
void maybe_create_worker(worker_pool* pool) {
    do {
        raw_spin_unlock_irq(&pool->lock);
        for (;;) {
            if (create_worker(pool) || !need_to_create_worker_unlocked(pool)) break;
            // Linux sleeps CREATE_COOLDOWN (1 s) before trying again. irqos has no timers here yet:
            // wait for this CPU's next interrupt (a tick at the latest).
            local_irq_disable();
            cpu_idle_once();
            if (!need_to_create_worker_unlocked(pool)) break;
        }
        raw_spin_lock_irq(&pool->lock);
        // The new worker may have become busy already while the lock was dropped.
    } while (need_to_create_worker(pool));
}

// Become the pool's manager and make sure it has an idle worker (Linux manage_workers). False if
// another worker manages already (the caller may start working: it will be handled). pool->lock held.
bool manage_workers(worker* w) {
    worker_pool* pool = w->pool;
    if (pool->flags & POOL_MANAGER_ACTIVE) return false;
    pool->flags |= POOL_MANAGER_ACTIVE;
    pool->manager = w;
    maybe_create_worker(pool);
    pool->manager = nullptr;
    pool->flags &= ~POOL_MANAGER_ACTIVE;
    return true;
}

// Every kworker's loop (Linux worker_thread).
int worker_thread(void* arg) {
    auto* w = static_cast<worker*>(arg);
    worker_pool* pool = w->pool;
    for (;;) {
        raw_spin_lock_irq(&pool->lock);
        worker_leave_idle(w);
        for (;;) {
            if (!need_more_worker(pool)) break;
            // Before starting, make sure an idle worker stays behind to take over if this one sleeps.
            if (unlikely(!may_start_working(pool)) && manage_workers(w)) continue;
            WARN_ON_ONCE(!list_empty(&w->scheduled));
            // From here it counts as running for concurrency management.
            worker_clr_flags(w, WORKER_PREP);
            do {
                work_struct* work = list_first_entry(&pool->worklist, work_struct, entry);
                if (assign_work(work, w)) process_scheduled_works(w);
            } while (keep_working(pool));
            worker_set_flags(w, WORKER_PREP);
            break;
        }
        // Nothing to do. Wake-ups come under pool->lock, so the state set before it is released is
        // never missed.
        worker_enter_idle(w);
        __set_current_state(TASK_IDLE);
        raw_spin_unlock_irq(&pool->lock);
        schedule();
    }
    return 0;
}

// ---- Flushing a workqueue: Linux's flush colours. Works get the workqueue's current colour when
// queued; a flush advances the colour and waits until no work of the old colour is in flight on any
// pwq. Later works (even ones queued by the flushed works) have the new colour and are not waited for.
// Flushers queue up, the first one per colour waits for the pwqs and then completes every flusher
// of its colour and starts the flush of the next; with all colours in use, new flushers wait on the
// overflow list for a free one.

// Arm the pwqs for flushing `flush_color` (>= 0) and/or give them the new `work_color` (>= 0). True if
// some pwq has works of flush_color in flight. wq->mutex held.
bool flush_workqueue_prep_pwqs(workqueue_struct* wq, int flush_color, int work_color) {
    bool wait = false;
    if (flush_color >= 0) {
        WARN_ON_ONCE(__atomic_load_n(&wq->nr_pwqs_to_flush, __ATOMIC_RELAXED));
        __atomic_store_n(&wq->nr_pwqs_to_flush, 1, __ATOMIC_RELAXED);
    }
    pool_workqueue* pwq;
    for_each_pwq(pwq, wq) {
        worker_pool* pool = pwq->pool;
        raw_spin_lock_irq(&pool->lock);
        if (flush_color >= 0) {
            WARN_ON_ONCE(pwq->flush_color != -1);
            if (pwq->nr_in_flight[flush_color]) {
                pwq->flush_color = flush_color;
                __atomic_add_fetch(&wq->nr_pwqs_to_flush, 1, __ATOMIC_RELAXED);
                wait = true;
            }
        }
        if (work_color >= 0) {
            WARN_ON_ONCE(work_color != work_next_color(pwq->work_color));
            pwq->work_color = work_color;
        }
        raw_spin_unlock_irq(&pool->lock);
    }
    if (flush_color >= 0 && __atomic_sub_fetch(&wq->nr_pwqs_to_flush, 1, __ATOMIC_ACQ_REL) == 0)
        complete(&wq->first_flusher->done);
    return wait;
}

bool pwq_is_empty(const pool_workqueue* pwq) { return !pwq->nr_active && list_empty(&pwq->inactive_works); }

bool pwq_busy(const pool_workqueue* pwq) {
    for (int n : pwq->nr_in_flight)
        if (n) return true;
    return !pwq_is_empty(pwq);
}

int wq_clamp_max_active(int max_active, const char* name) {
    if (max_active < 1 || max_active > WQ_MAX_ACTIVE) {
        pr_warn("workqueue: max_active %d requested for %s is out of range, clamping between %d and %d\n", max_active,
                name, 1, WQ_MAX_ACTIVE);
        max_active = max_active < 1 ? 1 : WQ_MAX_ACTIVE;
    }
    return max_active;
}

void init_cpu_worker_pool(worker_pool* pool, unsigned cpu, bool highpri) {
    raw_spin_lock_init(&pool->lock);
    pool->cpu = int(cpu);
    pool->id = cpu * NR_STD_WORKER_POOLS + (highpri ? 1 : 0);
    pool->nice = highpri ? HIGHPRI_NICE_LEVEL : 0;
    pool->flags = 0;
    __atomic_store_n(&pool->nr_running, 0, __ATOMIC_RELAXED);
    INIT_LIST_HEAD(&pool->worklist);
    pool->nr_workers = pool->nr_idle = 0;
    INIT_LIST_HEAD(&pool->idle_list);
    INIT_LIST_HEAD(&pool->busy_list);
    pool->manager = nullptr;
    INIT_LIST_HEAD(&pool->workers);
    pool->next_worker_id = 0;
}
}  // namespace

// ---- The API (workqueue.h).
bool queue_work_on(int cpu, workqueue_struct* wq, work_struct* work) {
    bool ret = false;
    unsigned long irq_flags;
    local_irq_save(irq_flags);  // PENDING and off queue: not for long, never interrupted here
    if (!test_and_set_pending(work) && !clear_pending_if_disabled(work)) {
        __queue_work(cpu, wq, work);
        ret = true;
    }
    local_irq_restore(irq_flags);
    return ret;
}

bool flush_work(work_struct* work) {
    might_sleep();
    return __flush_work(work);
}

bool cancel_work(work_struct* work) { return __cancel_work(work, 0, nullptr); }
bool cancel_work_sync(work_struct* work) { return __cancel_work_sync(work, 0, nullptr); }
bool disable_work(work_struct* work) { return __cancel_work(work, WORK_CANCEL_DISABLE, nullptr); }
bool disable_work_sync(work_struct* work) { return __cancel_work_sync(work, WORK_CANCEL_DISABLE, nullptr); }

bool enable_work(work_struct* work) {
    unsigned long irq_flags;
    work_grab_pending(work, nullptr, &irq_flags);
    work_offq_data offqd = work_offqd_unpack(work_data(work));
    work_offqd_enable(&offqd);
    set_work_pool_and_clear_pending(work, offqd.pool_id, work_offqd_pack_flags(offqd));
    local_irq_restore(irq_flags);
    return offqd.disable == 0;
}

work_struct* current_work() {
    worker* w = current_wq_worker();
    return w ? w->current_work : nullptr;
}

void __flush_workqueue(workqueue_struct* wq) {
    wq_flusher this_flusher;
    INIT_LIST_HEAD(&this_flusher.list);
    this_flusher.flush_color = -1;
    init_completion(&this_flusher.done);
    if (WARN_ON(!READ_ONCE(wq_online))) return;

    mutex_lock(&wq->mutex);
    // Start-to-wait: take the current colour if a colour is free, else wait for one on the overflow list.
    int next_color = work_next_color(wq->work_color);
    if (next_color != wq->flush_color) {
        WARN_ON_ONCE(!list_empty(&wq->flusher_overflow));
        this_flusher.flush_color = wq->work_color;
        wq->work_color = next_color;
        if (!wq->first_flusher) {
            // No flush in progress: become the first flusher.
            WARN_ON_ONCE(wq->flush_color != this_flusher.flush_color);
            WRITE_ONCE(wq->first_flusher, &this_flusher);
            if (!flush_workqueue_prep_pwqs(wq, wq->flush_color, wq->work_color)) {
                // Nothing in flight of that colour: done.
                wq->flush_color = next_color;
                WRITE_ONCE(wq->first_flusher, nullptr);
                mutex_unlock(&wq->mutex);
                return;
            }
        } else {
            // Wait in line; the works queued from now on get the next colour.
            WARN_ON_ONCE(wq->flush_color == this_flusher.flush_color);
            list_add_tail(&this_flusher.list, &wq->flusher_queue);
            flush_workqueue_prep_pwqs(wq, -1, wq->work_color);
        }
    } else {
        // Every colour is in use: the next flush completion gives us one.
        list_add_tail(&this_flusher.list, &wq->flusher_overflow);
    }
    mutex_unlock(&wq->mutex);

    wait_for_completion(&this_flusher.done);

    // Wake-up-and-cascade: only the first flusher has more to do.
    if (READ_ONCE(wq->first_flusher) != &this_flusher) return;
    mutex_lock(&wq->mutex);
    if (wq->first_flusher != &this_flusher) {  // raced: somebody else took over
        mutex_unlock(&wq->mutex);
        return;
    }
    WRITE_ONCE(wq->first_flusher, nullptr);
    WARN_ON_ONCE(!list_empty(&this_flusher.list));
    WARN_ON_ONCE(wq->flush_color != this_flusher.flush_color);
    for (;;) {
        // Complete every flusher of the colour just flushed.
        wq_flusher *next, *tmp;
        list_for_each_entry_safe(next, tmp, &wq->flusher_queue, list) {
            if (next->flush_color != wq->flush_color) break;
            list_del_init(&next->list);
            complete(&next->done);
        }
        WARN_ON_ONCE(!list_empty(&wq->flusher_overflow) && wq->flush_color != work_next_color(wq->work_color));
        wq->flush_color = work_next_color(wq->flush_color);
        // A colour is free: the overflowed flushers take it and join the queue.
        if (!list_empty(&wq->flusher_overflow)) {
            list_for_each_entry(tmp, &wq->flusher_overflow, list) tmp->flush_color = wq->work_color;
            wq->work_color = work_next_color(wq->work_color);
            while (!list_empty(&wq->flusher_overflow)) list_move_tail(wq->flusher_overflow.next, &wq->flusher_queue);
            flush_workqueue_prep_pwqs(wq, -1, wq->work_color);
        }
        if (list_empty(&wq->flusher_queue)) {
            WARN_ON_ONCE(wq->flush_color != wq->work_color);
            break;
        }
        // Flush the next colour: its first flusher becomes the first flusher.
        WARN_ON_ONCE(wq->flush_color == wq->work_color);
        next = list_first_entry(&wq->flusher_queue, wq_flusher, list);
        WARN_ON_ONCE(wq->flush_color != next->flush_color);
        list_del_init(&next->list);
        WRITE_ONCE(wq->first_flusher, next);
        if (flush_workqueue_prep_pwqs(wq, wq->flush_color, -1)) break;
        // That colour has nothing in flight either: go on.
        WRITE_ONCE(wq->first_flusher, nullptr);
    }
    mutex_unlock(&wq->mutex);
}

void drain_workqueue(workqueue_struct* wq) {
    unsigned flush_cnt = 0;
    mutex_lock(&wq->mutex);
    if (!wq->nr_drainers++) WRITE_ONCE(wq->flags, wq->flags | __WQ_DRAINING);
    mutex_unlock(&wq->mutex);
    for (;;) {
        __flush_workqueue(wq);
        mutex_lock(&wq->mutex);
        bool drained = true;
        pool_workqueue* pwq;
        for_each_pwq(pwq, wq) {
            raw_spin_lock_irq(&pwq->pool->lock);
            drained = pwq_is_empty(pwq);
            raw_spin_unlock_irq(&pwq->pool->lock);
            if (!drained) break;
        }
        if (drained) break;
        if (++flush_cnt == 10 || (flush_cnt % 100 == 0 && flush_cnt <= 1000))
            pr_warn("workqueue %s: %s() isn't complete after %u tries\n", wq->name, __func__, flush_cnt);
        mutex_unlock(&wq->mutex);
    }
    if (!--wq->nr_drainers) WRITE_ONCE(wq->flags, wq->flags & ~__WQ_DRAINING);
    mutex_unlock(&wq->mutex);
}

workqueue_struct* alloc_workqueue(const char* fmt, unsigned flags, int max_active, ...) {
    auto* wq = static_cast<workqueue_struct*>(kzalloc(sizeof(workqueue_struct)));
    if (!wq) return nullptr;
    va_list ap;
    va_start(ap, max_active);
    int name_len = irqos::vsnprintf(wq->name, sizeof wq->name, fmt, ap);
    va_end(ap);
    if (name_len >= int(WQ_NAME_LEN)) pr_warn("workqueue: name exceeds WQ_NAME_LEN. Truncating to: %s\n", wq->name);
    if (flags & (WQ_UNBOUND | WQ_BH)) {
        pr_err("workqueue: %s: %s workqueues are not implemented in irqos\n", wq->name,
               (flags & WQ_BH) ? "WQ_BH" : "WQ_UNBOUND");
        kfree(wq);
        return nullptr;
    }
    // The pwqs, 256-aligned for work->data, in one allocation.
    constexpr size_t align = alignof(pool_workqueue);
    wq->pwq_mem = kzalloc(NR_CPUS * sizeof(pool_workqueue) + align - 1);
    if (!wq->pwq_mem) {
        kfree(wq);
        return nullptr;
    }
    max_active = wq_clamp_max_active(max_active ? max_active : WQ_DFL_ACTIVE, wq->name);
    wq->flags = flags;
    wq->max_active = max_active;
    __mutex_init(&wq->mutex, "wq->mutex");
    INIT_LIST_HEAD(&wq->list);
    INIT_LIST_HEAD(&wq->flusher_queue);
    INIT_LIST_HEAD(&wq->flusher_overflow);
    char* mem = static_cast<char*>(wq->pwq_mem);
    auto* pwqs = reinterpret_cast<pool_workqueue*>(mem + (align - reinterpret_cast<uintptr_t>(mem) % align) % align);
    for_each_possible_cpu(cpu) {
        pool_workqueue* pwq = &pwqs[cpu];
        pwq->pool = cpu_pool(cpu, flags & WQ_HIGHPRI);
        pwq->wq = wq;
        pwq->work_color = wq->work_color;
        pwq->flush_color = -1;
        INIT_LIST_HEAD(&pwq->inactive_works);
        wq->cpu_pwq[cpu] = pwq;
    }
    mutex_lock(&wq_pool_mutex);
    list_add_tail(&wq->list, &workqueues);
    mutex_unlock(&wq_pool_mutex);
    return wq;
}

void destroy_workqueue(workqueue_struct* wq) {
    mutex_lock(&wq->mutex);
    WRITE_ONCE(wq->flags, wq->flags | __WQ_DESTROYING);
    mutex_unlock(&wq->mutex);
    drain_workqueue(wq);
    // Sanity checks, each under its pool's lock: that also waits for a worker still inside the critical
    // section in which its last work of this workqueue left the pwq.
    mutex_lock(&wq_pool_mutex);
    mutex_lock(&wq->mutex);
    pool_workqueue* pwq;
    for_each_pwq(pwq, wq) {
        raw_spin_lock_irq(&pwq->pool->lock);
        bool busy = pwq_busy(pwq);
        raw_spin_unlock_irq(&pwq->pool->lock);
        if (WARN_ON(busy)) {
            pr_warn("%s: %s has a busy pwq on CPU%d: it is not freed\n", __func__, wq->name, pwq->pool->cpu);
            mutex_unlock(&wq->mutex);
            mutex_unlock(&wq_pool_mutex);
            return;
        }
    }
    mutex_unlock(&wq->mutex);
    list_del_init(&wq->list);
    mutex_unlock(&wq_pool_mutex);
    kfree(wq->pwq_mem);
    kfree(wq);
}

// ---- Concurrency management (called by schedule(), see workqueue_internal.h).
void wq_worker_running(task_struct* task) {
    auto* w = static_cast<worker*>(kthread_data(task));
    if (!READ_ONCE(w->sleeping)) return;
    preempt_disable();
    if (!(w->flags & WORKER_NOT_RUNNING)) nr_running_add(w->pool, 1);
    preempt_enable();
    WRITE_ONCE(w->sleeping, 0);
}

void wq_worker_sleeping(task_struct* task) {
    auto* w = static_cast<worker*>(kthread_data(task));
    // Idle, new and CPU-intensive workers do not count; nor does one preempted before it was counted
    // running again after its last sleep.
    if (w->flags & WORKER_NOT_RUNNING) return;
    if (READ_ONCE(w->sleeping)) return;
    WRITE_ONCE(w->sleeping, 1);
    worker_pool* pool = w->pool;
    unsigned long flags;
    raw_spin_lock_irqsave(&pool->lock, flags);
    nr_running_add(pool, -1);
    kick_pool(pool);  // the last running worker sleeps with work waiting: wake an idle one
    raw_spin_unlock_irqrestore(&pool->lock, flags);
}

// ---- Views.
void wq_worker_comm(char* buf, size_t size, task_struct* task) {
    copy_name(buf, task->comm, size);
    if (!(__atomic_load_n(&task->flags, __ATOMIC_ACQUIRE) & PF_WQ_WORKER)) return;
    auto* w = static_cast<worker*>(kthread_data(task));
    worker_pool* pool = w->pool;
    unsigned long flags;
    raw_spin_lock_irqsave(&pool->lock, flags);
    if (w->desc[0]) {
        size_t off = strlen(buf);
        irqos::snprintf(buf + off, size - off, "%c%s", w->current_work ? '+' : '-', w->desc);
    }
    raw_spin_unlock_irqrestore(&pool->lock, flags);
}

void wq_pool_view_get(unsigned cpu, bool highpri, wq_pool_view* out) {
    worker_pool* pool = cpu_pool(cpu, highpri);
    unsigned long flags;
    raw_spin_lock_irqsave(&pool->lock, flags);
    out->cpu = cpu;
    out->nice = pool->nice;
    out->nr_workers = pool->nr_workers;
    out->nr_idle = pool->nr_idle;
    out->nr_running = nr_running(pool);
    out->nr_pending = 0;
    for (list_head* p = pool->worklist.next; p && p != &pool->worklist; p = p->next) out->nr_pending++;
    out->nr_busy = 0;
    worker* w;
    if (pool->busy_list.next) {
        list_for_each_entry(w, &pool->busy_list, entry) {
            if (out->nr_busy < WQ_VIEW_BUSY_MAX) {
                wq_busy_view& b = out->busy[out->nr_busy];
                b.pid = w->task->pid;
                copy_name(b.comm, w->task->comm, sizeof b.comm);
                b.func = w->current_func;
                copy_name(b.wq, w->current_pwq->wq->name, sizeof b.wq);
            }
            out->nr_busy++;
        }
    }
    raw_spin_unlock_irqrestore(&pool->lock, flags);
}

void wq_for_each_view(void (*fn)(const wq_view* v, void* ctx), void* ctx) {
    mutex_lock(&wq_pool_mutex);
    workqueue_struct* wq;
    list_for_each_entry(wq, &workqueues, list) {
        wq_view v;
        copy_name(v.name, wq->name, sizeof v.name);
        v.flags = READ_ONCE(wq->flags);
        v.max_active = wq->max_active;
        v.nr_active = v.nr_inactive = 0;
        pool_workqueue* pwq;
        for_each_pwq(pwq, wq) {
            raw_spin_lock_irq(&pwq->pool->lock);
            v.nr_active += pwq->nr_active;
            for (list_head* p = pwq->inactive_works.next; p != &pwq->inactive_works; p = p->next) v.nr_inactive++;
            raw_spin_unlock_irq(&pwq->pool->lock);
        }
        fn(&v, ctx);
    }
    mutex_unlock(&wq_pool_mutex);
}

// ---- Boot (Linux workqueue_init_early / workqueue_init). Also called again by the host tests, which
// start each test from fresh per-CPU state.
void workqueue_init_early() {
    INIT_LIST_HEAD(&workqueues);
    __mutex_init(&wq_pool_mutex, "wq_pool_mutex");
    WRITE_ONCE(wq_online, false);
    for_each_possible_cpu(cpu) {
        init_cpu_worker_pool(cpu_pool(cpu, false), cpu, false);
        init_cpu_worker_pool(cpu_pool(cpu, true), cpu, true);
    }
    system_wq = alloc_workqueue("events", 0, 0);
    system_highpri_wq = alloc_workqueue("events_highpri", WQ_HIGHPRI, 0);
    BUG_ON(!system_wq || !system_highpri_wq);
}

void workqueue_init() {
    mutex_lock(&wq_pool_mutex);
    for_each_online_cpu(cpu) {
        BUG_ON(!create_worker(cpu_pool(cpu, false)));
        BUG_ON(!create_worker(cpu_pool(cpu, true)));
    }
    WRITE_ONCE(wq_online, true);
    mutex_unlock(&wq_pool_mutex);
    pr_info("workqueue: %u CPUs, 2 pools each, system_wq \"%s\" and system_highpri_wq \"%s\"\n",
            arch::num_online_cpus(), system_wq->name, system_highpri_wq->name);
}
