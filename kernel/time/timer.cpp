// Jiffies timers and the timer wheel, after Linux 6.12 kernel/time/timer.c (see timer.h and
// docs/timers.md). irqos has no NO_HZ: every online CPU takes its tick all the time, so each CPU has one
// wheel (Linux's single base without CONFIG_NO_HZ_COMMON: no separate global, local and deferrable
// bases) and nothing ever moves timers away from a CPU because it went idle. Linux 6.12 queues a timer on
// the CPU that arms it and only hands the timers of a CPU that stops its tick to the timer migration
// hierarchy (kernel/time/timer_migration.c); with a tick that never stops that hierarchy has nothing to
// do, so irqos leaves it out.
#include "kernel/time/timer.h"
#include "kernel/preempt.h"
#include "kernel/printk.h"
#include "kernel/sched/sched.h"
#include "kernel/softirq.h"
#include "kernel/spinlock.h"

namespace {

// ---- The wheel's geometry (Linux's constants). Level n has 64 buckets of 8^n jiffies each: a timer goes
// to the level whose range holds its distance from the wheel's clock, and is rounded up to a bucket
// boundary of that level. Timers are never moved down a level ("cascaded"); a far timer simply fires up
// to one bucket late, which is the price of the wheel's O(1) operations.
constexpr unsigned LVL_CLK_SHIFT = 3;  // each level's clock runs 8 times slower than the one below
constexpr unsigned long LVL_CLK_DIV = 1UL << LVL_CLK_SHIFT;
constexpr unsigned long LVL_CLK_MASK = LVL_CLK_DIV - 1;
constexpr unsigned LVL_SHIFT(unsigned n) { return n * LVL_CLK_SHIFT; }
constexpr unsigned long LVL_GRAN(unsigned n) { return 1UL << LVL_SHIFT(n); }
constexpr unsigned LVL_BITS = 6;
constexpr unsigned LVL_SIZE = 1u << LVL_BITS;
constexpr unsigned long LVL_MASK = LVL_SIZE - 1;
constexpr unsigned LVL_OFFS(unsigned n) { return n * LVL_SIZE; }
// The first distance that level n takes (n >= 1): the last distance of level n - 1, so the round-up by
// one bucket of level n never makes a timer early.
constexpr unsigned long LVL_START(unsigned n) { return (LVL_SIZE - 1) << ((n - 1) * LVL_CLK_SHIFT); }
// Linux picks LVL_DEPTH at compile time: 9 levels above HZ 100, 8 at HZ 100 (about 12 days of range either
// way at 1000 and 100). irqos chooses HZ at boot, so the arrays have room for 9 and lvl_depth() is the
// number Linux would have compiled for this HZ.
constexpr unsigned LVL_DEPTH_MAX = 9;
constexpr unsigned WHEEL_SIZE = LVL_SIZE * LVL_DEPTH_MAX;
constexpr unsigned BITS_PER_LONG = 64;
// Added to the clock for next_expiry when the wheel is empty (Linux NEXT_TIMER_MAX_DELTA).
constexpr unsigned long NEXT_TIMER_MAX_DELTA = (1UL << 30) - 1;

unsigned lvl_depth() { return HZ > 100 ? 9 : 8; }
// The capacity of the wheel: timers further away than the cutoff are queued at WHEEL_TIMEOUT_MAX.
unsigned long wheel_timeout_cutoff() { return LVL_START(lvl_depth()); }
unsigned long wheel_timeout_max() { return wheel_timeout_cutoff() - LVL_GRAN(lvl_depth() - 1); }

// One CPU's wheel (Linux struct timer_base). The lock covers the base and every timer queued on it
// (timer->flags names the CPU, so lock_timer_base finds it).
struct timer_base {
    raw_spinlock_t lock;
    // The timer whose function runs now (the lock is dropped meanwhile): del_timer_sync waits while it is
    // its timer, and mod_timer does not move it to another wheel. NULL when none runs.
    timer_list* running_timer = nullptr;
    // Its function, for the `timers` command: the timer itself may be freed by that function.
    void (*running_function)(timer_list*) = nullptr;
    // The jiffy the wheel has caught up with. During expiry it is one ahead of jiffies, so a timer that
    // re-arms itself for "now" goes to the next jiffy instead of looping.
    unsigned long clk = 0;
    // When the first non-empty bucket is due (a bucket's time, not a timer's expires). May be early
    // (never late) after a deletion emptied that bucket: next_expiry_recalc says so, and the next expiry
    // pass recomputes it. Read without the lock by this CPU's tick.
    unsigned long next_expiry = NEXT_TIMER_MAX_DELTA;
    // What this CPU's ticks saw, for timer_base_snapshot (Linux keeps the last in
    // tick_sched.last_tick_jiffies): the jiffies its last two ticks compared with next_expiry; those of
    // the tick that raised the TIMER softirq still to come (and of the tick before it); and those of the
    // raise that started the expiry pass running now or last. Written by this CPU with interrupts off,
    // read by any CPU: a timer's function can tell that its pass was raised by the first tick of its CPU
    // that reached its bucket, however long the host then kept the emulated CPU from running it.
    unsigned long last_tick_jiffies = 0, prev_tick_jiffies = 0;
    unsigned long raise_tick_jiffies = 0, raise_prev_tick_jiffies = 0;
    bool raise_recorded = false;
    unsigned long pass_tick_jiffies = 0, pass_prev_tick_jiffies = 0;
    unsigned cpu = 0;
    bool next_expiry_recalc = false;
    bool timers_pending = false;                                 // valid when !next_expiry_recalc
    unsigned long pending_map[WHEEL_SIZE / BITS_PER_LONG] = {};  // bit per bucket: not empty
    hlist_head vectors[WHEEL_SIZE];
};

DEFINE_PER_CPU_ALIGNED(timer_base, timer_bases);

// Fields that one CPU reads without the lock while another writes them under it (Linux's READ_ONCE and
// WRITE_ONCE): relaxed atomics, one plain move each on x86, and ThreadSanitizer knows they are meant.
unsigned long jiffies_now() { return __atomic_load_n(&jiffies, __ATOMIC_RELAXED); }
uint32_t tflags(const timer_list* t) { return __atomic_load_n(&t->flags, __ATOMIC_RELAXED); }
void set_tflags(timer_list* t, uint32_t f) { __atomic_store_n(&t->flags, f, __ATOMIC_RELAXED); }
unsigned long texpires(const timer_list* t) { return __atomic_load_n(&t->expires, __ATOMIC_RELAXED); }
void set_texpires(timer_list* t, unsigned long e) { __atomic_store_n(&t->expires, e, __ATOMIC_RELAXED); }
unsigned long read_next_expiry(const timer_base* b) { return __atomic_load_n(&b->next_expiry, __ATOMIC_RELAXED); }
void set_next_expiry(timer_base* b, unsigned long e) { __atomic_store_n(&b->next_expiry, e, __ATOMIC_RELAXED); }

// ---- pending_map bit operations (the base's lock held).
void set_bucket_bit(timer_base* b, unsigned idx) {
    b->pending_map[idx / BITS_PER_LONG] |= 1UL << (idx % BITS_PER_LONG);
}
bool test_and_clear_bucket_bit(timer_base* b, unsigned idx) {
    unsigned long mask = 1UL << (idx % BITS_PER_LONG);
    unsigned long& word = b->pending_map[idx / BITS_PER_LONG];
    bool was = word & mask;
    word &= ~mask;
    return was;
}
void clear_bucket_bit(timer_base* b, unsigned idx) { (void)test_and_clear_bucket_bit(b, idx); }
// The first set bit in [offset, size), or size (Linux find_next_bit).
unsigned find_next_bucket_bit(const timer_base* b, unsigned size, unsigned offset) {
    while (offset < size) {
        unsigned long word = b->pending_map[offset / BITS_PER_LONG] >> (offset % BITS_PER_LONG);
        if (word) {
            unsigned pos = offset + unsigned(__builtin_ctzl(word));
            return pos < size ? pos : size;
        }
        offset = (offset / BITS_PER_LONG + 1) * BITS_PER_LONG;
    }
    return size;
}

unsigned timer_get_idx(const timer_list* t) { return (tflags(t) & TIMER_ARRAYMASK) >> TIMER_ARRAYSHIFT; }
void timer_set_idx(timer_list* t, unsigned idx) {
    set_tflags(t, (tflags(t) & ~TIMER_ARRAYMASK) | (idx << TIMER_ARRAYSHIFT));
}

// The bucket of `expires` at level `lvl`, rounded up to the next bucket boundary: a timer armed just
// before a tick, or truncated by a coarse level, must not fire early. *bucket_expiry: when that bucket is
// due. (So even at level 0 a timer fires at the tick after `expires`, never at it: arming it may have
// happened late in the jiffy `expires` - 1 started.)
unsigned calc_index(unsigned long expires, unsigned lvl, unsigned long* bucket_expiry) {
    expires = (expires >> LVL_SHIFT(lvl)) + 1;
    *bucket_expiry = expires << LVL_SHIFT(lvl);
    return LVL_OFFS(lvl) + unsigned(expires & LVL_MASK);
}

// The bucket for a timer due at `expires` on a wheel at `clk` (Linux calc_wheel_index): the level is
// chosen by the distance; a time already past goes to the bucket due now; a distance beyond the wheel's
// capacity is capped at WHEEL_TIMEOUT_MAX (the timer then fires early, by design, as on Linux).
unsigned calc_wheel_index(unsigned long expires, unsigned long clk, unsigned long* bucket_expiry) {
    unsigned long delta = expires - clk;
    unsigned depth = lvl_depth();
    for (unsigned lvl = 0; lvl + 1 < depth; lvl++)
        if (delta < LVL_START(lvl + 1)) return calc_index(expires, lvl, bucket_expiry);
    if ((long)delta < 0) {
        *bucket_expiry = clk;
        return unsigned(clk & LVL_MASK);
    }
    if (delta >= wheel_timeout_cutoff()) expires = clk + wheel_timeout_max();
    return calc_index(expires, depth - 1, bucket_expiry);
}

// Into bucket `idx`, recorded in the timer's flags; the base's next_expiry follows the earliest bucket.
// (Linux also kicks a NO_HZ-idle target CPU here; irqos CPUs always tick.) The base's lock held.
void enqueue_timer(timer_base* base, timer_list* timer, unsigned idx, unsigned long bucket_expiry) {
    hlist_add_head(&timer->entry, base->vectors + idx);
    set_bucket_bit(base, idx);
    timer_set_idx(timer, idx);
    if (time_before(bucket_expiry, base->next_expiry)) {
        set_next_expiry(base, bucket_expiry);
        base->timers_pending = true;
        base->next_expiry_recalc = false;
    }
}

void internal_add_timer(timer_base* base, timer_list* timer) {
    unsigned long bucket_expiry;
    unsigned idx = calc_wheel_index(texpires(timer), base->clk, &bucket_expiry);
    enqueue_timer(base, timer, idx, bucket_expiry);
}

// Out of its bucket. clear_pending: it stops being pending (pprev NULL); otherwise it stays "pending"
// to lockless observers because the caller re-queues it under the same lock. next is poisoned either way.
void detach_timer(timer_list* timer, bool clear_pending) {
    hlist_node* entry = &timer->entry;
    __hlist_del(entry);
    if (clear_pending) hlist_write_once(&entry->pprev, (hlist_node**)nullptr);
    entry->next = HLIST_POISON;
}

int detach_if_pending(timer_list* timer, timer_base* base, bool clear_pending) {
    unsigned idx = timer_get_idx(timer);
    if (!timer_pending(timer)) return 0;
    if (hlist_is_singular_node(&timer->entry, base->vectors + idx)) {
        clear_bucket_bit(base, idx);
        base->next_expiry_recalc = true;
    }
    detach_timer(timer, clear_pending);
    return 1;
}

timer_base* get_timer_cpu_base(unsigned cpu) { return per_cpu_ptr(&timer_bases, cpu); }
timer_base* get_timer_this_cpu_base() { return this_cpu_ptr(&timer_bases); }
timer_base* get_timer_base(uint32_t tf) { return get_timer_cpu_base(tf & TIMER_CPUMASK); }

// Bring an idle wheel's clock up to `basej` before queueing, so the level is chosen from the real
// distance; never past the first pending bucket, never backwards (Linux __forward_timer_base).
void forward_timer_base(timer_base* base) {
    unsigned long basej = jiffies_now();
    if (time_before_eq(basej, base->clk)) return;
    if (time_after(base->next_expiry, basej)) {
        base->clk = basej;
    } else {
        if (WARN_ON_ONCE(time_before(base->next_expiry, base->clk))) return;
        base->clk = base->next_expiry;
    }
}

// Lock the wheel that holds `timer` (Linux lock_timer_base). Its CPU is in its flags, which can change
// while we wait for the lock (it moved) or be marked TIMER_MIGRATING (moving right now, between two
// locks): then try again.
timer_base* lock_timer_base(timer_list* timer, unsigned long* flags) {
    for (;;) {
        uint32_t tf = tflags(timer);
        if (!(tf & TIMER_MIGRATING)) {
            timer_base* base = get_timer_base(tf);
            raw_spin_lock_irqsave(&base->lock, *flags);
            if (tflags(timer) == tf) return base;
            raw_spin_unlock_irqrestore(&base->lock, *flags);
        }
        arch::cpu_relax();
    }
}

constexpr unsigned MOD_TIMER_PENDING_ONLY = 0x01;
constexpr unsigned MOD_TIMER_REDUCE = 0x02;
constexpr unsigned MOD_TIMER_NOTPENDING = 0x04;  // the caller knows it is not pending: skip the shortcut

// mod_timer and its relatives (Linux __mod_timer): dequeue if pending, requeue on this CPU's wheel.
int __mod_timer(timer_list* timer, unsigned long expires, unsigned options) {
    unsigned long clk = 0, flags, bucket_expiry = 0;
    unsigned idx = UINT32_MAX;
    int ret = 0;
    timer_base* base;

    if (!(options & MOD_TIMER_NOTPENDING) && timer_pending(timer)) {
        // Re-arming for the same time, or for a time that lands in the same bucket, changes nothing in
        // the wheel (networking re-arms its timers constantly). Looked at once without the lock, then
        // again under it.
        long diff = long(texpires(timer) - expires);
        if (!diff) return 1;
        if ((options & MOD_TIMER_REDUCE) && diff <= 0) return 1;

        base = lock_timer_base(timer, &flags);
        if (!timer->function) goto out_unlock;  // shut down: arming is ignored
        forward_timer_base(base);
        if (timer_pending(timer) && (options & MOD_TIMER_REDUCE) && time_before_eq(texpires(timer), expires)) {
            ret = 1;
            goto out_unlock;
        }
        clk = base->clk;
        idx = calc_wheel_index(expires, clk, &bucket_expiry);
        // Linux 6.12 compares the bucket without looking again whether the timer is still pending: one
        // that expired between the lockless look and the lock keeps its old bucket number in its flags,
        // and a new time landing on that number (64 buckets on) would be dropped with "1". irqos checks.
        if (timer_pending(timer) && idx == timer_get_idx(timer)) {
            if (!(options & MOD_TIMER_REDUCE) || time_after(texpires(timer), expires)) set_texpires(timer, expires);
            ret = 1;
            goto out_unlock;
        }
    } else {
        base = lock_timer_base(timer, &flags);
        if (!timer->function) goto out_unlock;
        forward_timer_base(base);
    }

    ret = detach_if_pending(timer, base, false);
    if (!ret && (options & MOD_TIMER_PENDING_ONLY)) goto out_unlock;

    if (timer_base* new_base = get_timer_this_cpu_base(); base != new_base) {
        // To this CPU's wheel, unless its function runs on the old one right now: del_timer_sync looks
        // for a running timer on the wheel its flags name, and a timer must never run on two CPUs at
        // once. Both locks are never held together: TIMER_MIGRATING makes lock_timer_base wait instead.
        if (likely(base->running_timer != timer)) {
            set_tflags(timer, tflags(timer) | TIMER_MIGRATING);
            raw_spin_unlock(&base->lock);
            base = new_base;
            raw_spin_lock(&base->lock);
            set_tflags(timer, (tflags(timer) & ~TIMER_BASEMASK) | base->cpu);
            forward_timer_base(base);
        }
    }

    set_texpires(timer, expires);
    // The bucket computed above still holds if the wheel's clock did not move since (same wheel, or a
    // new wheel at the same clock).
    if (idx != UINT32_MAX && clk == base->clk)
        enqueue_timer(base, timer, idx, bucket_expiry);
    else
        internal_add_timer(base, timer);

out_unlock:
    raw_spin_unlock_irqrestore(&base->lock, flags);
    return ret;
}

int __timer_delete(timer_list* timer, bool shutdown) {
    int ret = 0;
    // With shutdown the lock is taken even for a timer that looks idle: a concurrent re-arm between the
    // lockless check and the lock must not survive with a NULL function.
    if (timer_pending(timer) || shutdown) {
        unsigned long flags;
        timer_base* base = lock_timer_base(timer, &flags);
        ret = detach_if_pending(timer, base, true);
        if (shutdown) timer->function = nullptr;
        raw_spin_unlock_irqrestore(&base->lock, flags);
    }
    return ret;
}

int __try_to_del_timer_sync(timer_list* timer, bool shutdown) {
    unsigned long flags;
    timer_base* base = lock_timer_base(timer, &flags);
    int ret = -1;
    if (base->running_timer != timer) {
        ret = detach_if_pending(timer, base, true);
        if (shutdown) timer->function = nullptr;
    }
    raw_spin_unlock_irqrestore(&base->lock, flags);
    return ret;
}

int __timer_delete_sync(timer_list* timer, bool shutdown) {
    // From hard-IRQ context this could wait for a function that the interrupt itself keeps from
    // finishing (it interrupted the softirq running it, on this CPU). Only an IRQSAFE timer's function
    // runs with interrupts off, so it cannot be interrupted there.
    WARN_ON(in_hardirq() && !(tflags(timer) & TIMER_IRQSAFE));
    int ret;
    do {
        ret = __try_to_del_timer_sync(timer, shutdown);
        // Its function runs on another CPU (the softirq there, interrupts on): spin until it returned.
        // Linux does the same outside PREEMPT_RT (where it would sleep on the base's expiry lock).
        if (unlikely(ret < 0)) arch::cpu_relax();
    } while (ret < 0);
    return ret;
}

// Run one function, lock dropped by the caller. A function that returns with a different preempt count
// (a lock or preempt_disable left behind) is reported and the count put back, as Linux does, so the CPU
// survives to show it.
void call_timer_fn(timer_list* timer, void (*fn)(timer_list*)) {
    unsigned count = preempt_count();
    fn(timer);
    if (count != preempt_count()) {
        WARN_ONCE(true, "timer: %pS preempt leak: %08x -> %08x\n", reinterpret_cast<void*>(fn), count, preempt_count());
        unsigned word = this_cpu_read(__preempt_count);
        this_cpu_write(__preempt_count, (word & PREEMPT_NEED_RESCHED) | count);  // Linux preempt_count_set
    }
}

// Run the timers of one collected bucket (Linux expire_timers). The lock is held on entry and exit and
// dropped around each function: with interrupts on, or kept off for a TIMER_IRQSAFE timer.
void expire_timers(timer_base* base, hlist_head* head) {
    while (!hlist_empty(head)) {
        timer_list* timer = hlist_entry(head->first, timer_list, entry);
        base->running_timer = timer;
        detach_timer(timer, true);
        void (*fn)(timer_list*) = timer->function;
        if (WARN_ON_ONCE(!fn)) {  // a shut-down timer is never queued
            base->running_timer = nullptr;
            continue;
        }
        base->running_function = fn;
        if (tflags(timer) & TIMER_IRQSAFE) {
            raw_spin_unlock(&base->lock);
            call_timer_fn(timer, fn);
            raw_spin_lock(&base->lock);
        } else {
            raw_spin_unlock_irq(&base->lock);
            call_timer_fn(timer, fn);
            raw_spin_lock_irq(&base->lock);
        }
        base->running_timer = nullptr;
        base->running_function = nullptr;
    }
}

// Move the buckets due at next_expiry, one per level at most, to `heads`; the clock jumps there (Linux
// collect_expired_timers). A level is looked at only when the clock is at one of its bucket boundaries.
int collect_expired_timers(timer_base* base, hlist_head* heads) {
    unsigned long clk = base->clk = base->next_expiry;
    int levels = 0;
    for (unsigned i = 0; i < lvl_depth(); i++) {
        unsigned idx = unsigned(clk & LVL_MASK) + i * LVL_SIZE;
        if (test_and_clear_bucket_bit(base, idx)) {
            hlist_move_list(base->vectors + idx, heads++);
            levels++;
        }
        if (clk & LVL_CLK_MASK) break;  // not at a boundary of the next level
        clk >>= LVL_CLK_SHIFT;
    }
    return levels;
}

// Distance in buckets from `clk` to the next non-empty bucket of the level at `offset`, wrapping
// around; -1 if the level is empty.
int next_pending_bucket(const timer_base* base, unsigned offset, unsigned clk) {
    unsigned start = offset + clk, end = offset + LVL_SIZE;
    unsigned pos = find_next_bucket_bit(base, end, start);
    if (pos < end) return int(pos - start);
    pos = find_next_bucket_bit(base, start, offset);
    return pos < start ? int(pos + LVL_SIZE - start) : -1;
}

// Find the first bucket due, level by level (Linux timer_recalc_next_expiry). The base's lock held.
void timer_recalc_next_expiry(timer_base* base) {
    unsigned long clk = base->clk;
    unsigned long next = base->clk + NEXT_TIMER_MAX_DELTA;
    unsigned offset = 0;
    for (unsigned lvl = 0; lvl < lvl_depth(); lvl++, offset += LVL_SIZE) {
        int pos = next_pending_bucket(base, offset, unsigned(clk & LVL_MASK));
        unsigned long lvl_clk = clk & LVL_CLK_MASK;
        if (pos >= 0) {
            unsigned long tmp = (clk + (unsigned long)pos) << LVL_SHIFT(lvl);
            if (time_before(tmp, next)) next = tmp;
            // Due before this level's clock next reaches a boundary of the level above: nothing there
            // can come first.
            if ((unsigned long)pos <= ((LVL_CLK_DIV - lvl_clk) & LVL_CLK_MASK)) break;
        }
        // The next level's clock: this one's shifted, plus one when this one is between that level's
        // boundaries (its current bucket there has passed already).
        clk >>= LVL_CLK_SHIFT;
        clk += lvl_clk ? 1 : 0;
    }
    set_next_expiry(base, next);
    base->next_expiry_recalc = false;
    base->timers_pending = next != base->clk + NEXT_TIMER_MAX_DELTA;
}

// Run everything due (Linux __run_timers). The lock held, interrupts off. Not re-entered while a function
// of this wheel runs (running_timer set): that pass will pick up whatever is due.
void __run_timers(timer_base* base) {
    hlist_head heads[LVL_DEPTH_MAX];
    if (base->running_timer) return;
    while (time_after_eq(jiffies_now(), base->clk) && time_after_eq(jiffies_now(), base->next_expiry)) {
        int levels = collect_expired_timers(base, heads);
        // Nothing due at next_expiry can only mean it was stale (deletions) or the wheel is empty.
        WARN_ON_ONCE(!levels && !base->next_expiry_recalc && base->timers_pending);
        base->clk++;  // one ahead while the functions run: a re-arm for "now" waits for the next jiffy
        timer_recalc_next_expiry(base);
        while (levels--) expire_timers(base, heads + levels);
    }
}

void __run_timer_base(timer_base* base) {
    unsigned long flags = arch::irq_save();  // the tick writes the raise record
    if (base->raise_recorded) {
        base->raise_recorded = false;
        WRITE_ONCE(base->pass_tick_jiffies, base->raise_tick_jiffies);
        WRITE_ONCE(base->pass_prev_tick_jiffies, base->raise_prev_tick_jiffies);
    }
    arch::irq_restore(flags);
    if (time_before(jiffies_now(), read_next_expiry(base))) return;
    raw_spin_lock_irq(&base->lock);
    __run_timers(base);
    raw_spin_unlock_irq(&base->lock);
}

// The tick's question to this CPU's wheel (Linux run_local_timers): anything due? Then the softirq runs
// it after the interrupt. next_expiry may be written by another CPU queueing here (under the lock); a
// stale read costs at most one jiffy or one needless softirq, as on Linux.
void run_local_timers() {
    timer_base* base = this_cpu_ptr(&timer_bases);
    unsigned long now = jiffies_now(), prev = base->last_tick_jiffies;
    WRITE_ONCE(base->prev_tick_jiffies, prev);
    WRITE_ONCE(base->last_tick_jiffies, now);
    if (time_after_eq(now, read_next_expiry(base))) {
        if (!base->raise_recorded) {  // the first raise before the softirq runs is the one that counts
            base->raise_recorded = true;
            base->raise_tick_jiffies = now;
            base->raise_prev_tick_jiffies = prev;
        }
        raise_softirq(TIMER_SOFTIRQ);
    }
}

void init_timer_cpu(unsigned cpu) {
    timer_base* base = per_cpu_ptr(&timer_bases, cpu);
    *base = timer_base{};
    base->cpu = cpu;
    raw_spin_lock_init(&base->lock);
    base->clk = jiffies_now();
    base->next_expiry = base->clk + NEXT_TIMER_MAX_DELTA;
}

// When bucket `idx` of a wheel at `clk` comes up: the level's clock rounded up, advanced to the bucket.
unsigned long bucket_due(unsigned long clk, unsigned idx) {
    unsigned lvl = idx / LVL_SIZE;
    unsigned long lvl_clk = (clk >> LVL_SHIFT(lvl)) + ((clk & (LVL_GRAN(lvl) - 1)) ? 1 : 0);
    unsigned long ahead = ((idx % LVL_SIZE) - lvl_clk) & LVL_MASK;
    return (lvl_clk + ahead) << LVL_SHIFT(lvl);
}

}  // namespace

void timer_setup(timer_list* timer, void (*callback)(timer_list*), uint32_t flags) {
    INIT_HLIST_NODE(&timer->entry);
    timer->function = callback;
    if (WARN_ON_ONCE(flags & ~TIMER_INIT_FLAGS)) flags &= TIMER_INIT_FLAGS;
    set_tflags(timer, flags | smp_processor_id());
}

int mod_timer(timer_list* timer, unsigned long expires) { return __mod_timer(timer, expires, 0); }
int mod_timer_pending(timer_list* timer, unsigned long expires) {
    return __mod_timer(timer, expires, MOD_TIMER_PENDING_ONLY);
}
int timer_reduce(timer_list* timer, unsigned long expires) { return __mod_timer(timer, expires, MOD_TIMER_REDUCE); }

void add_timer(timer_list* timer) {
    if (WARN_ON_ONCE(timer_pending(timer))) return;
    __mod_timer(timer, texpires(timer), MOD_TIMER_NOTPENDING);
}

void add_timer_local(timer_list* timer) {
    if (WARN_ON_ONCE(timer_pending(timer))) return;
    set_tflags(timer, tflags(timer) | TIMER_PINNED);
    __mod_timer(timer, texpires(timer), MOD_TIMER_NOTPENDING);
}

void add_timer_global(timer_list* timer) {
    if (WARN_ON_ONCE(timer_pending(timer))) return;
    set_tflags(timer, tflags(timer) & ~TIMER_PINNED);
    __mod_timer(timer, texpires(timer), MOD_TIMER_NOTPENDING);
}

void add_timer_on(timer_list* timer, unsigned cpu) {
    if (WARN_ON_ONCE(timer_pending(timer))) return;
    if (WARN_ON_ONCE(cpu >= NR_CPUS)) return;  // Linux trusts the caller; a wild base would be worse
    set_tflags(timer, tflags(timer) | TIMER_PINNED);
    timer_base* new_base = get_timer_cpu_base(cpu);
    unsigned long flags;
    // Moved with the old wheel locked, so nobody works on it through the wrong lock meanwhile.
    timer_base* base = lock_timer_base(timer, &flags);
    if (timer->function) {
        if (base != new_base) {
            set_tflags(timer, tflags(timer) | TIMER_MIGRATING);
            raw_spin_unlock(&base->lock);
            base = new_base;
            raw_spin_lock(&base->lock);
            set_tflags(timer, (tflags(timer) & ~TIMER_BASEMASK) | cpu);
        }
        forward_timer_base(base);
        internal_add_timer(base, timer);
    }
    raw_spin_unlock_irqrestore(&base->lock, flags);
}

int timer_delete(timer_list* timer) { return __timer_delete(timer, false); }
int timer_shutdown(timer_list* timer) { return __timer_delete(timer, true); }
int try_to_del_timer_sync(timer_list* timer) { return __try_to_del_timer_sync(timer, false); }
int timer_delete_sync(timer_list* timer) { return __timer_delete_sync(timer, false); }
int timer_shutdown_sync(timer_list* timer) { return __timer_delete_sync(timer, true); }

void init_timers() {
    for_each_possible_cpu(cpu) init_timer_cpu(cpu);
    open_softirq(TIMER_SOFTIRQ, run_timer_softirq);
}

void run_timer_softirq() { __run_timer_base(this_cpu_ptr(&timer_bases)); }

// Linux also accounts the tick to the task (account_process_tick), runs hrtimers, RCU, irq_work and POSIX
// CPU timers here; irqos has none of those yet.
void update_process_times(int user_tick) {
    (void)user_tick;
    run_local_timers();
    // scheduler_tick takes this CPU's run queue lock and accounts its current task: both exist only once
    // sched_init_cpu ran for this CPU. Until the kernel starts its scheduler (and on a CPU not yet that
    // far in its start-up), the run queue has no current task and the scheduler's tick is skipped.
    if (READ_ONCE(cpu_rq(smp_processor_id())->curr)) scheduler_tick();
}

// ---- Sleeping with a timeout.

namespace {
// The on-stack timer of schedule_timeout and the task it wakes (Linux struct process_timer).
struct process_timer {
    timer_list timer;
    task_struct* task;
};

void process_timeout(timer_list* t) {
    process_timer* timeout = from_timer(timeout, t, timer);
    wake_up_process(timeout->task);
}
}  // namespace

long schedule_timeout(long timeout) {
    if (timeout == MAX_SCHEDULE_TIMEOUT) {
        schedule();  // no timer: only a wake-up ends it
        return MAX_SCHEDULE_TIMEOUT;
    }
    if (timeout < 0) {
        printk(KERN_ERR "schedule_timeout: wrong timeout value %lx\n", (unsigned long)timeout);
        dump_stack();
        __set_current_state(TASK_RUNNING);
        return 0;
    }
    unsigned long expire = (unsigned long)timeout + jiffies_now();
    process_timer timer;
    timer.task = sched_current();
    timer_setup_on_stack(&timer.timer, process_timeout, 0);
    __mod_timer(&timer.timer, expire, MOD_TIMER_NOTPENDING);
    schedule();
    // Woken by the timer or by anybody else: either way the timer must be gone (and its function done,
    // on whatever CPU) before this stack frame is.
    del_timer_sync(&timer.timer);
    destroy_timer_on_stack(&timer.timer);
    timeout = long(expire - jiffies_now());
    return timeout < 0 ? 0 : timeout;
}

long schedule_timeout_interruptible(long timeout) {
    __set_current_state(TASK_INTERRUPTIBLE);
    return schedule_timeout(timeout);
}

long schedule_timeout_uninterruptible(long timeout) {
    __set_current_state(TASK_UNINTERRUPTIBLE);
    return schedule_timeout(timeout);
}

// Linux 6.12 sleeps exactly msecs_to_jiffies(msecs): the wheel's round-up by one bucket already keeps the
// sleep from ending early when it starts late in a jiffy (older kernels added one jiffy here for that).
void msleep(unsigned int msecs) {
    might_sleep();
    unsigned long timeout = msecs_to_jiffies(msecs);
    while (timeout) timeout = (unsigned long)schedule_timeout_uninterruptible(long(timeout));
}

// Linux loops `while (timeout && !signal_pending(current))`; irqos tasks have no signals yet, so only an
// explicit wake-up ends one round early, and the loop sleeps again for the rest.
unsigned long msleep_interruptible(unsigned int msecs) {
    might_sleep();
    unsigned long timeout = msecs_to_jiffies(msecs);
    while (timeout) timeout = (unsigned long)schedule_timeout_interruptible(long(timeout));
    return jiffies_to_msecs(timeout);
}

// ---- Introspection.

unsigned timer_base_snapshot(unsigned cpu, timer_base_info* info, timer_snapshot* out, unsigned max) {
    timer_base* base = get_timer_cpu_base(cpu);
    unsigned long flags;
    unsigned copied = 0, pending = 0;
    raw_spin_lock_irqsave(&base->lock, flags);
    for (unsigned idx = 0; idx < WHEEL_SIZE; idx++) {
        timer_list* t;
        hlist_for_each_entry(t, &base->vectors[idx], entry) {
            pending++;
            if (copied < max)
                out[copied++] = {t, texpires(t), bucket_due(base->clk, idx), t->function, tflags(t), idx / LVL_SIZE};
        }
    }
    if (info) {
        info->clk = base->clk;
        info->next_expiry = base->next_expiry;
        info->running = base->running_function;
        info->nr_pending = pending;
        info->last_tick_jiffies = READ_ONCE(base->last_tick_jiffies);
        info->prev_tick_jiffies = READ_ONCE(base->prev_tick_jiffies);
        info->pass_tick_jiffies = READ_ONCE(base->pass_tick_jiffies);
        info->pass_prev_tick_jiffies = READ_ONCE(base->pass_prev_tick_jiffies);
    }
    raw_spin_unlock_irqrestore(&base->lock, flags);
    return copied;
}

unsigned timer_wheel_levels() { return lvl_depth(); }
unsigned long timer_wheel_granularity(unsigned level) { return LVL_GRAN(level); }
unsigned long timer_wheel_timeout_max() { return wheel_timeout_max(); }
