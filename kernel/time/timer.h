// Jiffies timers (Linux include/linux/timer.h, kernel/time/timer.c): a timer_list asks for its function
// to be called once jiffies has passed its `expires`. Armed timers wait in a per-CPU timer wheel
// (Linux's non-cascading hierarchical wheel: 64 buckets per level, each level 8 times coarser than the
// one below), and the TIMER softirq of that CPU runs the expired ones, one at a time with the wheel's
// lock dropped. A timer runs on the CPU whose wheel holds it: the CPU that armed it last (mod_timer,
// add_timer) or the one named in add_timer_on. See docs/timers.md.
//
// Also here: the tick's per-CPU work (update_process_times) and the sleeping helpers built on a timer
// (schedule_timeout, msleep).
#pragma once
#include "kernel/jiffies.h"
#include "lib/list.h"

// timer_list.flags (Linux's bit layout): the CPU whose wheel holds (or last held) the timer, a
// "moving between wheels" bit, the three behaviour flags a user may pass to timer_setup, and the wheel
// bucket of a pending timer in the top ten bits.
constexpr uint32_t TIMER_CPUMASK = 0x0003FFFF;
constexpr uint32_t TIMER_MIGRATING = 0x00040000;
constexpr uint32_t TIMER_BASEMASK = TIMER_CPUMASK | TIMER_MIGRATING;
// Linux: may wait for the next non-deferrable wake-up of an idle NO_HZ CPU. irqos ticks every CPU all
// the time, so it is accepted and behaves as a normal timer (as Linux does without CONFIG_NO_HZ_COMMON).
constexpr uint32_t TIMER_DEFERRABLE = 0x00080000;
// Expires on the CPU whose wheel it was queued on (add_timer_on sets it). A later mod_timer/add_timer
// still queues it on the calling CPU, as on Linux.
constexpr uint32_t TIMER_PINNED = 0x00100000;
// The function runs with interrupts off, so del_timer_sync may wait for it from hard-IRQ context.
constexpr uint32_t TIMER_IRQSAFE = 0x00200000;
constexpr uint32_t TIMER_INIT_FLAGS = TIMER_DEFERRABLE | TIMER_PINNED | TIMER_IRQSAFE;
constexpr uint32_t TIMER_ARRAYSHIFT = 22;
constexpr uint32_t TIMER_ARRAYMASK = 0xFFC00000;

struct timer_list {
    hlist_node entry;                         // in a wheel bucket while pending (entry.pprev != NULL)
    unsigned long expires = 0;                // absolute, in jiffies
    void (*function)(timer_list*) = nullptr;  // NULL after timer_shutdown: arming it is then ignored
    uint32_t flags = 0;                       // TIMER_* above
};

// A timer defined with its function (Linux DEFINE_TIMER): flags 0, CPU 0 until first armed.
#define DEFINE_TIMER(_name, _function) timer_list _name = {{}, 0, (_function), 0}

// Prepare a timer before any other call (Linux timer_setup): not pending, `callback`, the given
// TIMER_DEFERRABLE / TIMER_PINNED / TIMER_IRQSAFE flags (others WARN and are dropped), this CPU.
// Any context; the timer must not be in use.
void timer_setup(timer_list* timer, void (*callback)(timer_list*), uint32_t flags);
// A timer on the stack (Linux's pair for debug-object tracking, which irqos does not have).
static inline void timer_setup_on_stack(timer_list* timer, void (*callback)(timer_list*), uint32_t flags) {
    timer_setup(timer, callback, flags);
}
static inline void destroy_timer_on_stack(timer_list*) {}

// The structure that embeds the timer, from the callback's argument (Linux from_timer).
#define from_timer(var, callback_timer, timer_fieldname) \
    container_of(callback_timer, __typeof__(*(var)), timer_fieldname)

// Queued in a wheel now. Racy without the caller's own serialisation, as on Linux.
static inline int timer_pending(const timer_list* timer) { return !hlist_unhashed_lockless(&timer->entry); }

// Arm (or re-arm) for `expires` on this CPU's wheel (Linux mod_timer): returns 1 if it was pending
// (and has been moved to the new time), 0 if it was not. A timer pending on another CPU's wheel comes to
// this CPU, unless its function runs there right now (then it stays there, so it never runs twice at
// once). The only safe way for several users to re-arm one timer. Any context.
int mod_timer(timer_list* timer, unsigned long expires);
// mod_timer only if pending: 1 and re-armed, or 0 and nothing done (Linux mod_timer_pending).
int mod_timer_pending(timer_list* timer, unsigned long expires);
// mod_timer that only ever brings a pending timer's expiry earlier (Linux timer_reduce). Same returns.
int timer_reduce(timer_list* timer, unsigned long expires);
// Arm a timer that is not pending for timer->expires on this CPU's wheel (Linux add_timer); a pending
// one WARNs and is left alone. A time in the past expires at the next tick. Any context.
void add_timer(timer_list* timer);
// add_timer with TIMER_PINNED set, or cleared (Linux add_timer_local / add_timer_global).
void add_timer_local(timer_list* timer);
void add_timer_global(timer_list* timer);
// add_timer on `cpu`'s wheel, TIMER_PINNED set (Linux add_timer_on). Any context.
void add_timer_on(timer_list* timer, unsigned cpu);

// Dequeue a pending timer (Linux timer_delete / del_timer): 1 if it was pending, 0 if not. Does not
// wait for a function already running on another CPU, and does not stop it re-arming. Any context.
int timer_delete(timer_list* timer);
static inline int del_timer(timer_list* timer) { return timer_delete(timer); }
// timer_delete that also makes every later arming a no-op (function set to NULL; Linux timer_shutdown).
int timer_shutdown(timer_list* timer);
// Dequeue unless its function runs right now: 1 dequeued, 0 was not pending, -1 running elsewhere
// (Linux try_to_del_timer_sync). Any context.
int try_to_del_timer_sync(timer_list* timer);
// Dequeue and wait until its function, if running on any CPU, has returned (Linux timer_delete_sync /
// del_timer_sync): on return it is neither queued nor running, unless someone else re-arms it. 1 if it
// was pending, 0 if not. Not from hard-IRQ context unless TIMER_IRQSAFE (a WARN, as Linux), and not
// while holding a lock the function takes. May spin.
int timer_delete_sync(timer_list* timer);
static inline int del_timer_sync(timer_list* timer) { return timer_delete_sync(timer); }
// timer_delete_sync that also makes every later arming a no-op (Linux timer_shutdown_sync), for teardown.
int timer_shutdown_sync(timer_list* timer);

// Boot, one CPU, interrupts off, before the first tick: every CPU's wheel at the current jiffies, and
// the TIMER softirq's handler (Linux init_timers). The host tests call it between tests.
void init_timers();
// The TIMER softirq's handler (Linux keeps it static): run this CPU's expired timers. Softirq context,
// interrupts on. Exposed for the host tests, which run it where irq_exit would.
void run_timer_softirq();
// The tick's per-CPU work (Linux update_process_times, called by tick_periodic on every CPU each tick):
// raise the TIMER softirq when this CPU's wheel has a timer due, then the scheduler's tick. user_tick: the
// tick interrupted user mode (irqos has none yet: always 0). Hard-IRQ context, interrupts off.
void update_process_times(int user_tick);

// Sleeping on a timer (Linux kernel/time/timer.c in 6.12). The caller sets its task state first (or uses
// the _interruptible / _uninterruptible forms); schedule_timeout arms an on-stack timer whose function
// wakes it, calls schedule() and, once running again, cancels the timer. Returns the jiffies left (0 when
// the time elapsed), MAX_SCHEDULE_TIMEOUT for MAX_SCHEDULE_TIMEOUT (no timer at all), and 0 after a
// KERN_ERR message for a negative timeout. Process context on a CPU whose scheduler runs (sched_init_cpu).
constexpr long MAX_SCHEDULE_TIMEOUT = __LONG_MAX__;
long schedule_timeout(long timeout);
long schedule_timeout_interruptible(long timeout);
long schedule_timeout_uninterruptible(long timeout);
// Sleep at least `msecs` milliseconds (Linux msleep): schedule_timeout_uninterruptible again until the
// whole time has passed. Process context.
void msleep(unsigned int msecs);
// Linux's version stops early for a pending signal and returns the milliseconds left. irqos has no
// signals yet, so it always sleeps the whole time and returns 0.
unsigned long msleep_interruptible(unsigned int msecs);

// Introspection for the `timers` shell command and the tests (Linux /proc/timer_list, reduced to the
// wheel). One pending timer as seen under its wheel's lock:
struct timer_snapshot {
    const timer_list* timer;
    unsigned long expires;
    unsigned long bucket_expiry;  // when its bucket is due: expires rounded up to its level's granularity
    void (*function)(timer_list*);
    uint32_t flags;
    unsigned level;
};
struct timer_base_info {
    unsigned long clk;                // the wheel's clock (jiffies it has caught up with)
    unsigned long next_expiry;        // the first bucket due (may be stale-early after deletions, as on Linux)
    void (*running)(timer_list*);     // the function of the timer running now, or NULL
    unsigned nr_pending;              // all pending timers, also those beyond `max`
    unsigned long last_tick_jiffies;  // jiffies as this CPU's last tick compared them with next_expiry
    unsigned long prev_tick_jiffies;  // and as the tick before it did
    // The same two for the expiry pass running now (or last): the tick that raised its TIMER softirq,
    // and the tick before that one.
    unsigned long pass_tick_jiffies;
    unsigned long pass_prev_tick_jiffies;
};
// Copy the wheel of `cpu`: up to `max` pending timers into `out` (bucket order) and the base's state
// into *base. Returns how many were copied. Any context; takes that wheel's lock with interrupts off.
unsigned timer_base_snapshot(unsigned cpu, timer_base_info* base, timer_snapshot* out, unsigned max);
// Wheel geometry at the current HZ (Linux's LVL_DEPTH is 9 above HZ 100, else 8; LVL_BITS 6, LVL_CLK_SHIFT 3).
unsigned timer_wheel_levels();
unsigned long timer_wheel_granularity(unsigned level);  // jiffies per bucket: 8^level
unsigned long timer_wheel_timeout_max();                // the longest timeout queued as asked; longer ones are capped
