// In-kernel tests of the workqueues on the real machine (1 and 4 CPUs): a work runs in process context
// on a kworker bound to the CPU it was queued on (comm "kworker/N:..."), queue_work from a thread runs
// on that thread's CPU, the highpri pool's kworkers run at nice -20, a work that sleeps does not hold
// back the other works of its CPU (concurrency management starts another kworker), flush_work and
// flush_workqueue wait for what they should and no more, cancel_work_sync stops a self-requeueing
// work, destroy_workqueue drains, and a stress of threads on every CPU (and hard interrupts on the
// other CPUs) queueing, cancelling and flushing the same works: every instance queued and not
// cancelled runs exactly once, never on two CPUs at once. Every wait is bounded (jiffies).
#include "tests/kernel/ktest.h"
#include "kernel/err.h"
#include "kernel/jiffies.h"
#include "kernel/kthread.h"
#include "kernel/printk.h"
#include "kernel/preempt.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/wait.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "kernel/workqueue.h"
#include "kernel/workqueue_internal.h"
#include "lib/string.h"
#include "lib/vsprintf.h"

namespace {
constexpr unsigned long WAIT_MS = 5000;  // generous: TCG on a busy host
constexpr unsigned long SETTLE_MS = 30;  // how long "does not happen" is watched for

int load(const int* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
void store(int* p, int v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
int inc(int* p) { return __atomic_add_fetch(p, 1, __ATOMIC_ACQ_REL); }

struct IntAtLeast {
    const int* p;
    int want;
};
bool at_least(void* arg) {
    auto* w = static_cast<IntAtLeast*>(arg);
    return load(w->p) >= w->want;
}
// Wait until *p >= want (bounded); the final answer.
bool wait_at_least(const int* p, int want, unsigned long ms = WAIT_MS) {
    IntAtLeast w{p, want};
    return ktest_wait_jiffies(at_least, &w, msecs_to_jiffies(ms));
}

unsigned this_cpu() {
    preempt_disable();
    unsigned cpu = smp_processor_id();
    preempt_enable();
    return cpu;
}

// A work with the bookkeeping the tests read.
struct KWork {
    work_struct work;
    workqueue_struct* wq = nullptr;
    int runs = 0;
    int inside = 0;
    int max_inside = 0;
    int entered = 0;       // runs that reached the gate
    int hold_run = 0;      // the run (1-based) that waits on `gate`
    int requeue_upto = 0;  // requeue itself while runs < this
    int requeue_false = 0;
    int cpu = -1;
    int in_task = -1;
    int irqs_on = -1;
    int preempt = -1;
    int is_worker = -1;
    int prio = -1;
    char comm[TASK_COMM_LEN] = {};
    completion gate;
};

void kwork_fn(work_struct* work) {
    KWork* k = container_of(work, KWork, work);
    int in = inc(&k->inside);
    if (in > load(&k->max_inside)) store(&k->max_inside, in);
    task_struct* c = sched_current();
    store(&k->cpu, int(this_cpu()));
    store(&k->in_task, in_task());
    store(&k->irqs_on, !irqs_disabled());
    store(&k->preempt, int(preempt_count()));
    store(&k->is_worker, (c->flags & PF_WQ_WORKER) != 0);
    store(&k->prio, c->prio);
    memcpy(k->comm, c->comm, TASK_COMM_LEN);
    int run = inc(&k->runs);
    if (run == load(&k->hold_run)) {
        inc(&k->entered);
        wait_for_completion(&k->gate);
    }
    __atomic_sub_fetch(&k->inside, 1, __ATOMIC_ACQ_REL);
    if (run < load(&k->requeue_upto) && !queue_work(k->wq, work)) inc(&k->requeue_false);
}

void kwork_init(KWork* k, workqueue_struct* wq) {
    INIT_WORK(&k->work, kwork_fn);
    k->wq = wq;
    init_completion(&k->gate);
}

// "kworker/N:" with N the CPU.
bool comm_is_kworker_of(const char* comm, unsigned cpu) {
    const char* prefix = "kworker/";
    size_t n = strlen(prefix);
    for (size_t i = 0; i < n; i++)
        if (comm[i] != prefix[i]) return false;
    unsigned v = 0;
    const char* p = comm + n;
    if (*p < '0' || *p > '9') return false;
    while (*p >= '0' && *p <= '9') v = v * 10 + unsigned(*p++ - '0');
    return v == cpu && *p == ':';
}

// A function run on a kthread bound to a CPU, with a flag when it returned.
struct Call {
    void (*fn)(void*);
    void* arg;
    int done = 0;
};
int call_fn(void* data) {
    Call* c = static_cast<Call*>(data);
    c->fn(c->arg);
    store(&c->done, 1);
    return 0;
}
task_struct* start_call(Call* c, unsigned cpu, const char* name) {
    task_struct* t = kthread_create(call_fn, c, "%s", name);
    if (IS_ERR(t)) return t;
    get_task_struct(t);
    kthread_bind(t, cpu);
    wake_up_process(t);
    return t;
}
bool asleep(void* p) {
    auto* t = static_cast<task_struct*>(p);
    return __atomic_load_n(&t->__state, __ATOMIC_RELAXED) == TASK_UNINTERRUPTIBLE &&
           !__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE);
}
bool wait_asleep(task_struct* t) { return ktest_wait_jiffies(asleep, t, msecs_to_jiffies(WAIT_MS)); }
}  // namespace

KTEST(workqueue, work_runs_in_process_context_on_a_kworker_of_its_cpu) {
    for (unsigned cpu = 0; cpu < arch::num_online_cpus(); cpu++) {
        KWork k;
        kwork_init(&k, system_wq);
        KASSERT(queue_work_on(int(cpu), system_wq, &k.work));
        KASSERT(wait_at_least(&k.runs, 1));
        flush_work(&k.work);
        KEXPECT_EQ(k.cpu, int(cpu));
        KEXPECT_EQ(k.in_task, 1);
        KEXPECT_EQ(k.irqs_on, 1);
        KEXPECT_EQ(k.preempt, 0);
        KEXPECT_EQ(k.is_worker, 1);
        KEXPECT_EQ(k.prio, DEFAULT_PRIO);  // the normal pool: nice 0
        if (!KEXPECT_TRUE(comm_is_kworker_of(k.comm, cpu))) ktest_fail(__FILE__, __LINE__, "comm %s", k.comm);
    }
}

KTEST(workqueue, highpri_works_run_on_nice_minus_20_kworkers) {
    unsigned cpu = arch::num_online_cpus() - 1;
    KWork k;
    kwork_init(&k, system_highpri_wq);
    KASSERT(queue_work_on(int(cpu), system_highpri_wq, &k.work));
    KASSERT(wait_at_least(&k.runs, 1));
    flush_work(&k.work);
    KEXPECT_EQ(k.cpu, int(cpu));
    KEXPECT_EQ(k.prio, DEFAULT_PRIO + MIN_NICE);
    KEXPECT_TRUE(comm_is_kworker_of(k.comm, cpu));
    KEXPECT_EQ(k.comm[strlen(k.comm) - 1], 'H');
}

namespace {
struct LocalQueue {
    KWork* k;
    int ret;
};
void queue_local(void* arg) {
    auto* q = static_cast<LocalQueue*>(arg);
    q->ret = queue_work(system_wq, &q->k->work) ? 1 : 0;  // WORK_CPU_UNBOUND: this thread's CPU
}
}  // namespace

KTEST(workqueue, queue_work_runs_on_the_queueing_cpu) {
    for (unsigned cpu = 0; cpu < arch::num_online_cpus(); cpu++) {
        KWork k;
        kwork_init(&k, system_wq);
        LocalQueue q{&k, -1};
        Call c{queue_local, &q};
        task_struct* t = start_call(&c, cpu, "kt-wq-local");
        KASSERT(!IS_ERR(t));
        KASSERT(wait_at_least(&c.done, 1));
        put_task_struct(t);
        KEXPECT_EQ(q.ret, 1);
        KASSERT(wait_at_least(&k.runs, 1));
        flush_work(&k.work);
        KEXPECT_EQ(k.cpu, int(cpu));
    }
}

KTEST(workqueue, a_sleeping_work_does_not_block_other_work_on_its_cpu) {
    unsigned cpu = arch::num_online_cpus() - 1;
    KWork sleeper, other;
    kwork_init(&sleeper, system_wq);
    kwork_init(&other, system_wq);
    sleeper.hold_run = 1;
    KASSERT(queue_work_on(int(cpu), system_wq, &sleeper.work));
    KASSERT(wait_at_least(&sleeper.entered, 1));
    KASSERT(queue_work_on(int(cpu), system_wq, &other.work));
    // The sleeper's kworker left nobody running on its pool: another kworker takes the work.
    bool ran = wait_at_least(&other.runs, 1);
    KEXPECT_TRUE(ran);
    KEXPECT_EQ(load(&sleeper.runs), 1);
    KEXPECT_EQ(load(&sleeper.inside), 1);  // still asleep in its work meanwhile
    KEXPECT_EQ(other.cpu, int(cpu));
    KEXPECT_TRUE(comm_is_kworker_of(other.comm, cpu));
    KEXPECT_TRUE(strcmp(other.comm, sleeper.comm) != 0);
    wq_pool_view v;
    wq_pool_view_get(cpu, false, &v);
    KEXPECT_TRUE(v.nr_idle >= 1);  // and one stays idle for the next sleeper
    complete(&sleeper.gate);
    flush_work(&sleeper.work);
    flush_work(&other.work);
}

namespace {
struct FlushCase {
    work_struct* work;
    workqueue_struct* wq;
    int ret = -1;
};
void do_flush_work(void* arg) {
    auto* f = static_cast<FlushCase*>(arg);
    f->ret = flush_work(f->work) ? 1 : 0;
}
void do_flush_wq(void* arg) {
    auto* f = static_cast<FlushCase*>(arg);
    flush_workqueue(f->wq);
    f->ret = 1;
}
void do_cancel_sync(void* arg) {
    auto* f = static_cast<FlushCase*>(arg);
    f->ret = cancel_work_sync(f->work) ? 1 : 0;
}
void do_destroy(void* arg) {
    auto* f = static_cast<FlushCase*>(arg);
    destroy_workqueue(f->wq);
    f->ret = 1;
}
}  // namespace

KTEST(workqueue, flush_work_waits_for_the_running_instance) {
    unsigned cpu = arch::num_online_cpus() > 1 ? 1 : 0;
    KWork k;
    kwork_init(&k, system_wq);
    k.hold_run = 1;
    KASSERT(queue_work_on(int(cpu), system_wq, &k.work));
    KASSERT(wait_at_least(&k.entered, 1));
    FlushCase f{&k.work, nullptr};
    Call c{do_flush_work, &f};
    task_struct* t = start_call(&c, 0, "kt-wq-flush");
    KASSERT(!IS_ERR(t));
    KEXPECT_TRUE(wait_asleep(t));
    KEXPECT_EQ(load(&c.done), 0);
    complete(&k.gate);
    KEXPECT_TRUE(wait_at_least(&c.done, 1));
    put_task_struct(t);
    KEXPECT_EQ(f.ret, 1);
    KEXPECT_EQ(load(&k.inside), 0);
    KEXPECT_FALSE(flush_work(&k.work));  // idle now
}

KTEST(workqueue, flush_workqueue_waits_only_for_works_queued_before_it) {
    workqueue_struct* wq = alloc_workqueue("kt-flush", 0, 0);
    KASSERT(wq);
    unsigned cpus = arch::num_online_cpus();
    KWork a, b;
    kwork_init(&a, wq);
    kwork_init(&b, wq);
    a.hold_run = 1;
    a.requeue_upto = 2;  // its second run is queued by itself after the flush began
    b.hold_run = 1;
    KASSERT(queue_work_on(int(1 % cpus), wq, &a.work));
    KASSERT(wait_at_least(&a.entered, 1));
    FlushCase f{nullptr, wq};
    Call c{do_flush_wq, &f};
    task_struct* t = start_call(&c, 0, "kt-wq-flushwq");
    KASSERT(!IS_ERR(t));
    KASSERT(wait_asleep(t));
    KASSERT(queue_work_on(int(cpus - 1), wq, &b.work));
    KASSERT(wait_at_least(&b.entered, 1));
    KEXPECT_FALSE(wait_at_least(&c.done, 1, SETTLE_MS));  // a still runs
    store(&a.hold_run, 2);
    complete(&a.gate);
    KEXPECT_TRUE(wait_at_least(&c.done, 1));  // b and a's second run are still in flight
    put_task_struct(t);
    KEXPECT_TRUE(wait_at_least(&a.entered, 2));
    KEXPECT_EQ(load(&b.inside), 1);
    complete(&a.gate);
    complete(&b.gate);
    destroy_workqueue(wq);
    KEXPECT_EQ(a.runs, 2);
    KEXPECT_EQ(b.runs, 1);
}

KTEST(workqueue, cancel_work_sync_stops_a_self_requeueing_work) {
    unsigned cpu = arch::num_online_cpus() - 1;
    KWork k;
    kwork_init(&k, system_wq);
    k.requeue_upto = 1 << 30;
    k.hold_run = 50;
    KASSERT(queue_work_on(int(cpu), system_wq, &k.work));
    KASSERT(wait_at_least(&k.entered, 1));
    FlushCase f{&k.work, nullptr};
    Call c{do_cancel_sync, &f};
    task_struct* t = start_call(&c, 0, "kt-wq-cancel");
    KASSERT(!IS_ERR(t));
    KEXPECT_TRUE(wait_asleep(t));  // waits for the running instance
    KEXPECT_EQ(load(&c.done), 0);
    complete(&k.gate);
    KEXPECT_TRUE(wait_at_least(&c.done, 1));
    put_task_struct(t);
    KEXPECT_EQ(f.ret, 0);                   // it was running, not pending
    KEXPECT_EQ(load(&k.requeue_false), 1);  // its requeue meanwhile was refused
    KEXPECT_FALSE(wait_at_least(&k.runs, 51, SETTLE_MS));
    KEXPECT_FALSE(work_pending(&k.work));
    // A pending one: cancelled before it ran, and cancel says so.
    workqueue_struct* wq = alloc_workqueue("kt-cancel", 0, 1);
    KASSERT(wq);
    KWork blocker, p;
    kwork_init(&blocker, wq);
    kwork_init(&p, wq);
    blocker.hold_run = 1;
    KASSERT(queue_work_on(int(cpu), wq, &blocker.work));
    KASSERT(wait_at_least(&blocker.entered, 1));
    KASSERT(queue_work_on(int(cpu), wq, &p.work));
    KEXPECT_TRUE(cancel_work_sync(&p.work));
    KEXPECT_FALSE(cancel_work_sync(&p.work));
    complete(&blocker.gate);
    destroy_workqueue(wq);
    KEXPECT_EQ(p.runs, 0);
}

KTEST(workqueue, max_active_one_runs_works_one_at_a_time) {
    workqueue_struct* wq = alloc_workqueue("kt-serial", 0, 1);
    KASSERT(wq);
    constexpr int N = 3;
    KWork k[N];
    for (KWork& w : k) {
        kwork_init(&w, wq);
        w.hold_run = 1;
        KASSERT(queue_work_on(0, wq, &w.work));
    }
    for (int i = 0; i < N; i++) {
        KASSERT(wait_at_least(&k[i].entered, 1));
        if (i + 1 < N) KEXPECT_FALSE(wait_at_least(&k[i + 1].runs, 1, SETTLE_MS));
        complete(&k[i].gate);
    }
    destroy_workqueue(wq);
    for (KWork& w : k) KEXPECT_EQ(w.runs, 1);
}

namespace {
struct Chain {
    work_struct work;
    workqueue_struct* wq;
    int runs = 0;
    completion gate;
};
void chain_fn(work_struct* work) {
    Chain* c = container_of(work, Chain, work);
    int run = inc(&c->runs);
    if (run == 1) wait_for_completion(&c->gate);
    if (run < 5) queue_work(c->wq, work);  // chained: allowed while the workqueue drains
}
}  // namespace

KTEST(workqueue, destroy_workqueue_drains_and_refuses_outsiders) {
    workqueue_struct* wq = alloc_workqueue("kt-destroy", 0, 0);
    KASSERT(wq);
    Chain ch;
    INIT_WORK(&ch.work, chain_fn);
    ch.wq = wq;
    init_completion(&ch.gate);
    KWork outsider;
    kwork_init(&outsider, wq);
    KASSERT(queue_work_on(int(arch::num_online_cpus() - 1), wq, &ch.work));
    KASSERT(wait_at_least(&ch.runs, 1));
    FlushCase f{nullptr, wq};
    Call c{do_destroy, &f};
    task_struct* t = start_call(&c, 0, "kt-wq-destroy");
    KASSERT(!IS_ERR(t));
    KASSERT(wait_asleep(t));
    unsigned long warns = warn_count;
    queue_work_on(0, wq, &outsider.work);  // refused with a WARN: not one of its own works
    KEXPECT_EQ(warn_count, warns + 1);
    char where[64];  // the WARN names the task that queued: this test's
    snprintf(where, sizeof where, " PID: %d at kernel/workqueue.cpp", sched_current()->pid);
    KEXPECT_EQ(ktest_log_count(where), 1u);
    complete(&ch.gate);
    KEXPECT_TRUE(wait_at_least(&c.done, 1));
    put_task_struct(t);
    KEXPECT_EQ(ch.runs, 5);
    KEXPECT_EQ(outsider.runs, 0);
}

// ---- The stress: threads on every CPU and cross-CPU calls (the IPI's hard-IRQ context, or the target's
// idle loop with interrupts off when it finds the call queued first) queue, cancel and flush the same works.
namespace {
constexpr int STRESS_WORKS = 6;
constexpr int STRESS_THREADS_PER_CPU = 2;
constexpr int STRESS_ROUNDS = 1000;

struct Stress {
    KWork w[STRESS_WORKS];
    int queued = 0;
    int cancelled = 0;
    int irq_queued = 0;  // of `queued`, from hard-IRQ context
    int irq_calls = 0;
    int in_hardirq = 0;  // of irq_calls, those run by the IPI (the target's idle loop may run one first)
    int irqs_on = 0;     // calls that found interrupts enabled (never: IPI or idle loop, both with them off)
    int finished = 0;
};
struct StressThread {
    Stress* s;
    unsigned seed;
};
struct IrqQueue {
    Stress* s;
    int idx;
};

unsigned next_rand(unsigned* seed) {
    *seed = *seed * 1103515245u + 12345u;
    return (*seed >> 16) & 0x7fff;
}

void irq_queue_fn(void* info) {
    auto* q = static_cast<IrqQueue*>(info);
    if (in_hardirq()) inc(&q->s->in_hardirq);
    if (!irqs_disabled()) inc(&q->s->irqs_on);
    inc(&q->s->irq_calls);
    if (queue_work(system_wq, &q->s->w[q->idx].work)) {  // this CPU's pool, from its interrupt
        inc(&q->s->queued);
        inc(&q->s->irq_queued);
    }
}

int stress_fn(void* data) {
    auto* st = static_cast<StressThread*>(data);
    Stress* s = st->s;
    unsigned cpus = arch::num_online_cpus();
    for (int i = 0; i < STRESS_ROUNDS; i++) {
        unsigned r = next_rand(&st->seed);
        KWork& w = s->w[r % STRESS_WORKS];
        switch ((r >> 4) % 10) {
        case 0:
            if (cancel_work(&w.work)) inc(&s->cancelled);
            break;
        case 1:
            if (cancel_work_sync(&w.work)) inc(&s->cancelled);
            break;
        case 2:
            flush_work(&w.work);
            break;
        case 3:
            if (cpus > 1) {
                unsigned me = this_cpu();
                IrqQueue q{s, int(r % STRESS_WORKS)};
                smp_call_function_single(int((me + 1) % cpus), irq_queue_fn, &q, true);
                break;
            }
            [[fallthrough]];
        default:
            if (queue_work_on(int((r >> 8) % cpus), system_wq, &w.work)) inc(&s->queued);
            break;
        }
        if (i % 16 == 0) schedule();  // let this CPU's kworkers in now and then
    }
    inc(&s->finished);
    return 0;
}
}  // namespace

KTEST(workqueue, stress_every_queued_instance_runs_exactly_once) {
    static Stress s;  // large; the test runs once
    s = Stress{};
    for (KWork& w : s.w) kwork_init(&w, system_wq);
    unsigned cpus = arch::num_online_cpus();
    static StressThread st[NR_CPUS * STRESS_THREADS_PER_CPU];
    int threads = 0;
    for (unsigned cpu = 0; cpu < cpus; cpu++) {
        for (int j = 0; j < STRESS_THREADS_PER_CPU; j++, threads++) {
            st[threads] = StressThread{&s, 7919u * unsigned(threads + 1)};
            KASSERT(!IS_ERR(kthread_run_on_cpu(stress_fn, &st[threads], cpu, "kt-wq-stress/%u")));
        }
    }
    KASSERT(wait_at_least(&s.finished, threads, 6 * WAIT_MS));
    for (KWork& w : s.w) flush_work(&w.work);
    int runs = 0;
    for (KWork& w : s.w) {
        runs += w.runs;
        KEXPECT_EQ(w.max_inside, 1);
        KEXPECT_FALSE(work_pending(&w.work));
    }
    KEXPECT_EQ(runs, s.queued - s.cancelled);
    KEXPECT_TRUE(s.queued > STRESS_WORKS);
    KEXPECT_EQ(s.irqs_on, 0);
    if (cpus > 1) KEXPECT_TRUE(s.in_hardirq > 0);
    printk(KERN_INFO
           "    # stress: %d queued (%d by cross-CPU calls, %d of %d calls in hard IRQs), %d cancelled, %d runs on %u "
           "CPUs\n",
           s.queued, s.irq_queued, s.in_hardirq, s.irq_calls, s.cancelled, runs, cpus);
}

KTEST(workqueue, ps_and_the_shell_view_name_the_kworkers) {
    // Every online CPU has both pools with at least one kworker each.
    for (unsigned cpu = 0; cpu < arch::num_online_cpus(); cpu++) {
        wq_pool_view v;
        wq_pool_view_get(cpu, false, &v);
        KEXPECT_TRUE(v.nr_workers >= 1);
        KEXPECT_EQ(v.nice, 0);
        wq_pool_view_get(cpu, true, &v);
        KEXPECT_TRUE(v.nr_workers >= 1);
        KEXPECT_EQ(v.nice, MIN_NICE);
    }
    // The kworkers are on the task list under their Linux names.
    unsigned found = 0;
    unsigned long flags;
    raw_spin_lock_irqsave(&tasklist_lock, flags);
    task_struct* p;
    list_for_each_entry(p, &task_list, tasks) {
        if (p->flags & PF_WQ_WORKER) {
            found++;
            if (!comm_is_kworker_of(p->comm, p->cpu)) found += 1000;  // named after another CPU
        }
    }
    raw_spin_unlock_irqrestore(&tasklist_lock, flags);
    KEXPECT_TRUE(found >= 2 * arch::num_online_cpus());
    KEXPECT_TRUE(found < 1000);
}
