// Softirqs (Linux include/linux/interrupt.h, kernel/softirq.c): ten statically numbered deferred-work
// vectors per CPU. An interrupt handler raises one (a bit in this CPU's pending word); the handlers of
// the raised ones run later on the same CPU, with interrupts on, in softirq context: on the way out of
// the outermost interrupt (irq_exit), when bottom halves are re-enabled (local_bh_enable, see
// kernel/bottom_half.h), or in this CPU's ksoftirqd thread when they keep coming back.
// Tasklets, built on the HI and TASKLET softirqs, are in kernel/tasklet.h.
#pragma once
#include "kernel/irq/proc.h"
#include "kernel/percpu.h"

struct task_struct;

// Linux's order; a lower number runs first in each pass.
enum {
    HI_SOFTIRQ = 0,
    TIMER_SOFTIRQ,
    NET_TX_SOFTIRQ,
    NET_RX_SOFTIRQ,
    BLOCK_SOFTIRQ,
    IRQ_POLL_SOFTIRQ,
    TASKLET_SOFTIRQ,
    SCHED_SOFTIRQ,
    HRTIMER_SOFTIRQ,
    RCU_SOFTIRQ,
    NR_SOFTIRQS
};

// Linux's names, as /proc/softirqs prints them.
extern const char* const softirq_to_name[NR_SOFTIRQS];

struct softirq_action {
    void (*action)() = nullptr;
};

// The limits of one run of handle_softirqs (Linux kernel/softirq.c): at most this many passes over the
// pending word, and no new pass once 2 ms of jiffies have gone by (msecs_to_jiffies(2): HZ is chosen at
// boot here, so the jiffies count is too) or a reschedule is wanted. What is still pending then is left
// to ksoftirqd.
constexpr int MAX_SOFTIRQ_RESTART = 10;
constexpr unsigned long MAX_SOFTIRQ_TIME_MS = 2;

// This CPU's raised-but-not-run softirqs, one bit per number (Linux irq_stat.__softirq_pending).
DECLARE_PER_CPU(unsigned, __softirq_pending);
static inline unsigned local_softirq_pending() { return this_cpu_read(__softirq_pending); }

// How often each softirq ran on each CPU (Linux struct kernel_stat's softirqs[], /proc/softirqs).
struct kernel_stat {
    unsigned softirqs[NR_SOFTIRQS];
};
DECLARE_PER_CPU(kernel_stat, kstat);
// Another CPU's count of softirq `nr`: racy but tear-free, as /proc reads it. Any context.
static inline unsigned kstat_softirqs_cpu(unsigned nr, unsigned cpu) { return per_cpu_read(kstat.softirqs[nr], cpu); }

// Install the handler of softirq `nr` (boot, before it is raised). A second registration of a number
// replaces nothing: it WARNs and is ignored.
void open_softirq(unsigned nr, void (*action)());
// Mark `nr` pending on this CPU. _irqoff: interrupts are off already (hard-IRQ context). raise_softirq
// saves and restores the interrupt flag itself. Outside interrupt context (no irq_exit is coming to run
// it, and bottom halves are not disabled either) the raise also wakes this CPU's ksoftirqd, as Linux does.
void raise_softirq_irqoff(unsigned nr);
void raise_softirq(unsigned nr);
// Only set the bit (Linux __raise_softirq_irqoff): interrupts off, and the caller knows it will be run.
void __raise_softirq_irqoff(unsigned nr);

// Run this CPU's pending softirqs (Linux __do_softirq / handle_softirqs): interrupts off on entry and on
// return, on with SOFTIRQ_OFFSET in the preempt count while the handlers run; not in interrupt context
// (irq_exit calls it once the hard-IRQ count is gone). What the limits leave pending wakes ksoftirqd.
void __do_softirq();
// The same from process context (Linux do_softirq): does nothing in interrupt context, or when nothing
// is pending. Any interrupt state; restores it.
void do_softirq();
// irq_exit's part (Linux invoke_softirq, as on x86-64 where irq_exit runs on the IRQ stack, without the
// threadirqs variant): hard-IRQ count gone, interrupts off, something pending.
void invoke_softirq();

// Boot (Linux start_kernel calls it), once, before interrupts are enabled: every possible CPU's tasklet
// lists empty, and the HI and TASKLET softirqs' handlers installed (kernel/tasklet.cpp). The host tests
// call it again after softirq_reset_handlers, to start each test clean.
void softirq_init();
// Forget every softirq handler: the host tests, between tests (the kernel registers once, at boot).
void softirq_reset_handlers();

// ---- ksoftirqd. Each CPU gets a thread "ksoftirqd/N" that runs what the limits above left pending, or
// what was raised outside interrupt context: spawn_ksoftirqd (boot, once every CPU runs) creates them
// through kernel/smpboot.h, which stores each in its CPU's ksoftirqd slot and runs Linux's
// smpboot_thread_fn loop with the two functions below: sleep (TASK_INTERRUPTIBLE) until woken while
// !ksoftirqd_should_run(cpu), else run_ksoftirqd(cpu). Before the threads exist (early boot, and the host
// tests that store none), a wake-up does nothing and the pending softirqs wait for the next irq_exit or
// local_bh_enable on that CPU.
int spawn_ksoftirqd();
DECLARE_PER_CPU(task_struct*, ksoftirqd);
// Wake this CPU's ksoftirqd if it exists and is not running. Interrupts off.
void wakeup_softirqd();
// Something pending on `cpu` (the calling CPU, the thread's own). Any context.
bool ksoftirqd_should_run(unsigned cpu);
// One round of the thread on its CPU (`cpu` is the caller's own): interrupts off, the pending softirqs
// run as __do_softirq runs them, interrupts on again. Process context (the ksoftirqd thread), bottom
// halves and interrupts enabled.
void run_ksoftirqd(unsigned cpu);

// The /proc/softirqs layout (Linux fs/proc/softirqs.c): a header with "CPU%-8d" per CPU after 20 blanks,
// then one row per softirq, "%12s:" and " %10u" per CPU. One column per online CPU (Linux prints every
// possible CPU; irqos' possible mask is always NR_CPUS, so it counts the online ones as its interrupts
// view does). Any context where `out` may run; takes no lock.
void show_softirqs(irq_out_fn out, void* ctx);
