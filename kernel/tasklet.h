// Tasklets (Linux include/linux/interrupt.h, kernel/softirq.c): a function to run soon in softirq
// context, scheduled from anywhere (typically an interrupt handler). Linux's promises:
//   - after tasklet_schedule it runs at least once, on the CPU that scheduled it (unless it was running
//     elsewhere: then later, wherever it was queued);
//   - scheduled again before it started, it still runs once (the schedules coalesce);
//   - never on two CPUs at once, but different tasklets may run in parallel.
// The HI list runs from HI_SOFTIRQ (first in each pass), the normal one from TASKLET_SOFTIRQ.
//
// Usage:  void my_bh(tasklet_struct* t);               DECLARE_TASKLET(my_tasklet, my_bh);
//         tasklet_schedule(&my_tasklet);                // in the interrupt handler
//         tasklet_kill(&my_tasklet);                    // before freeing what it uses: process context
#pragma once
#include "kernel/irq/proc.h"
#include "kernel/types.h"
#include "lib/list.h"  // container_of

struct tasklet_struct {
    tasklet_struct* next = nullptr;  // on a CPU's list while SCHED
    unsigned long state = 0;         // 1 << TASKLET_STATE_*; atomic bit operations
    int count = 0;                   // disable depth: it runs only at 0; atomic
    bool use_callback = false;       // callback(t) rather than func(data)
    // Linux keeps the two in a union; here they are apart, so DECLARE_TASKLET stays a plain aggregate.
    void (*func)(unsigned long data) = nullptr;
    void (*callback)(tasklet_struct* t) = nullptr;
    unsigned long data = 0;
};

// Bit numbers in tasklet_struct::state.
enum {
    TASKLET_STATE_SCHED,  // on a CPU's list, to run
    TASKLET_STATE_RUN     // running on some CPU now
};

#define DECLARE_TASKLET(name, _callback) \
    tasklet_struct name = {.count = 0, .use_callback = true, .callback = (_callback)}
#define DECLARE_TASKLET_DISABLED(name, _callback) \
    tasklet_struct name = {.count = 1, .use_callback = true, .callback = (_callback)}
#define DECLARE_TASKLET_OLD(name, _func) tasklet_struct name = {.count = 0, .func = (_func)}
#define DECLARE_TASKLET_DISABLED_OLD(name, _func) tasklet_struct name = {.count = 1, .func = (_func)}
// The structure a tasklet's callback is embedded in (Linux from_tasklet).
#define from_tasklet(var, callback_tasklet, tasklet_fieldname) \
    container_of(callback_tasklet, __typeof__(*var), tasklet_fieldname)

// Set up a tasklet that is not queued or running (Linux's rules: never one that is). Any context.
void tasklet_init(tasklet_struct* t, void (*func)(unsigned long), unsigned long data);
void tasklet_setup(tasklet_struct* t, void (*callback)(tasklet_struct*));

static inline bool tasklet_test_bit(const tasklet_struct* t, unsigned bit) {
    return (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) >> bit) & 1;
}
static inline bool tasklet_test_and_set_bit(tasklet_struct* t, unsigned bit) {
    return (__atomic_fetch_or(&t->state, 1ul << bit, __ATOMIC_SEQ_CST) >> bit) & 1;
}

// Queue on this CPU's list (the tail) and raise its softirq (Linux __tasklet_schedule). Only for a
// tasklet whose SCHED bit the caller just set. Any context.
void __tasklet_schedule(tasklet_struct* t);
void __tasklet_hi_schedule(tasklet_struct* t);
// Schedule `t` to run on this CPU, unless it is scheduled already. Any context (interrupts too).
static inline void tasklet_schedule(tasklet_struct* t) {
    if (!tasklet_test_and_set_bit(t, TASKLET_STATE_SCHED)) __tasklet_schedule(t);
}
static inline void tasklet_hi_schedule(tasklet_struct* t) {
    if (!tasklet_test_and_set_bit(t, TASKLET_STATE_SCHED)) __tasklet_hi_schedule(t);
}

// The RUN bit: taken by the CPU that runs it; a tasklet found running elsewhere is put back.
// Any context.
static inline bool tasklet_trylock(tasklet_struct* t) { return !tasklet_test_and_set_bit(t, TASKLET_STATE_RUN); }
void tasklet_unlock(tasklet_struct* t);
// Wait until it does not run on any CPU. Linux sleeps on a wait queue (tasklet_unlock_wait) or spins
// (tasklet_unlock_spin_wait); irqos has no wait queues yet, so both spin. Never from the tasklet
// itself, nor on its CPU with softirqs kept out while it is running there (a wait for oneself).
void tasklet_unlock_wait(tasklet_struct* t);
void tasklet_unlock_spin_wait(tasklet_struct* t);

// Keep it from running: count++ (nests). A scheduled tasklet stays queued and is put back at each
// pass until enabled. _nosync does not wait for a run in progress; tasklet_disable does (process
// context; Linux sleeps, irqos spins), tasklet_disable_in_atomic spins (any context, Linux's "do not
// use in new code").
static inline void tasklet_disable_nosync(tasklet_struct* t) { __atomic_fetch_add(&t->count, 1, __ATOMIC_SEQ_CST); }
static inline void tasklet_disable_in_atomic(tasklet_struct* t) {
    tasklet_disable_nosync(t);
    tasklet_unlock_spin_wait(t);
    smp_mb();
}
static inline void tasklet_disable(tasklet_struct* t) {
    tasklet_disable_nosync(t);
    tasklet_unlock_wait(t);
    smp_mb();
}
// count--: at 0 a queued tasklet runs at its softirq's next pass. Any context.
static inline void tasklet_enable(tasklet_struct* t) { __atomic_fetch_sub(&t->count, 1, __ATOMIC_SEQ_CST); }

// Make sure it is neither queued nor running, and keep it from being queued while this runs: it claims
// SCHED itself once the tasklet's last queued run is over, waits for RUN to clear, then clears SCHED. A
// tasklet that reschedules itself must stop doing so first. Process context: from interrupt context it
// says "Attempt to kill tasklet from interrupt" as Linux does, and may wait for ever if the tasklet is
// queued on this CPU. Linux sleeps until the state changes; irqos spins (cpu_relax), which makes progress
// because the tasklet runs meanwhile on its CPU: this CPU's pending softirqs run on the next irq_exit (or
// in its ksoftirqd), and other CPUs run theirs.
void tasklet_kill(tasklet_struct* t);

// The `tasklets` view: per online CPU, the HI and normal lists with each queued tasklet's function,
// state bits and disable count. Process context; takes each list's lock with interrupts off while it
// copies the list, and calls `out` with no lock held.
void show_tasklets(irq_out_fn out, void* ctx);
