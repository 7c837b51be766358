// Softirq registration, raising and processing, local_bh_enable and the portable half of ksoftirqd (see
// softirq.h and bottom_half.h); Linux kernel/softirq.c without PREEMPT_RT, lockdep and tracing.
#include "kernel/softirq.h"
#include "kernel/smpboot.h"
#include "kernel/bottom_half.h"
#include "kernel/jiffies.h"
#include "kernel/preempt.h"
#include "kernel/printk.h"
#include "kernel/sched/sched.h"
#include "kernel/spinlock.h"
#include "lib/vsprintf.h"

DEFINE_PER_CPU(unsigned, __softirq_pending);
DEFINE_PER_CPU(kernel_stat, kstat) = {};
DEFINE_PER_CPU(task_struct*, ksoftirqd);

const char* const softirq_to_name[NR_SOFTIRQS] = {"HI",       "TIMER",   "NET_TX", "NET_RX",  "BLOCK",
                                                  "IRQ_POLL", "TASKLET", "SCHED",  "HRTIMER", "RCU"};

namespace {
softirq_action softirq_vec[NR_SOFTIRQS];

// The scheduler core asks for a reschedule through the current task's flag. A CPU that has no current
// task yet (the kernel does not hand its CPUs to the scheduler core yet: nobody calls sched_init_cpu at
// boot) has nobody to ask for one.
bool softirq_need_resched() { return sched_current() && need_resched(); }

// Put the count back to what it was before a handler that forgot to drop what it took (or dropped what
// it did not take): one add or sub of the difference, which leaves the folded need-resched bit alone
// (Linux preempt_count_set keeps it too).
void preempt_count_restore(unsigned prev) {
    unsigned now = preempt_count();
    if (now > prev)
        preempt_count_sub(now - prev);
    else
        preempt_count_add(prev - now);
}

// Linux handle_softirqs. Interrupts off on entry and on return; not in interrupt context.
//
// The pending word is taken and cleared with interrupts off, so a raise from an interrupt that arrives
// while the handlers run lands in a fresh word and is seen by the next pass (or by ksoftirqd):
//
//   CPU 0 (softirq)                        CPU 0 (an interrupt in between)
//   pending = word; word = 0; sti
//   TIMER handler runs ...                 raise_softirq_irqoff(NET_RX): word |= NET_RX
//   ... last handler returns; cli
//   word != 0: restart (limits allowing)
void handle_softirqs() {
    unsigned long end = jiffies + msecs_to_jiffies(MAX_SOFTIRQ_TIME_MS);
    int max_restart = MAX_SOFTIRQ_RESTART;
    unsigned pending = local_softirq_pending();
    preempt_count_add(SOFTIRQ_OFFSET);  // in_serving_softirq() from here on

    for (;;) {
        this_cpu_write(__softirq_pending, 0u);  // reset before interrupts come back on
        local_irq_enable();
        for (unsigned bits = pending; bits; bits &= bits - 1) {
            unsigned nr = unsigned(__builtin_ctz(bits));  // lowest number first
            unsigned prev_count = preempt_count();
            this_cpu_inc(kstat.softirqs[nr]);
            softirq_vec[nr].action();
            if (unlikely(prev_count != preempt_count())) {
                pr_err("huh, entered softirq %u %s %p with preempt_count %08x, exited with %08x?\n", nr,
                       softirq_to_name[nr], reinterpret_cast<void*>(softirq_vec[nr].action), prev_count,
                       preempt_count());
                preempt_count_restore(prev_count);
            }
        }
        local_irq_disable();
        pending = local_softirq_pending();
        if (!pending) break;
        // Linux: time_before(jiffies, end) && !need_resched() && --max_restart.
        if (time_before(jiffies, end) && !softirq_need_resched() && --max_restart) continue;
        wakeup_softirqd();
        break;
    }

    preempt_count_sub(SOFTIRQ_OFFSET);
    WARN_ON_ONCE(in_interrupt());
}
}  // namespace

void open_softirq(unsigned nr, void (*action)()) {
    if (WARN(nr >= NR_SOFTIRQS, "open_softirq: no softirq %u\n", nr)) return;
    if (WARN(softirq_vec[nr].action && softirq_vec[nr].action != action, "open_softirq: %s already has a handler\n",
             softirq_to_name[nr]))
        return;
    softirq_vec[nr].action = action;
}

void softirq_reset_handlers() {
    for (softirq_action& h : softirq_vec) h.action = nullptr;
}

void __raise_softirq_irqoff(unsigned nr) { this_cpu_or(__softirq_pending, 1u << nr); }

void raise_softirq_irqoff(unsigned nr) {
    __raise_softirq_irqoff(nr);
    // In an interrupt or a softirq (or with bottom halves disabled: the same count) it runs on the way
    // out of it. Otherwise nothing is coming that would run it: ksoftirqd will.
    if (!in_interrupt()) wakeup_softirqd();
}

void raise_softirq(unsigned nr) {
    unsigned long flags;
    local_irq_save(flags);
    raise_softirq_irqoff(nr);
    local_irq_restore(flags);
}

void __do_softirq() { handle_softirqs(); }

// Linux runs it on a softirq stack of its own here (do_softirq_own_stack), since the caller's stack may
// be deep already; irqos runs it on the caller's.
void do_softirq() {
    if (in_interrupt()) return;
    unsigned long flags;
    local_irq_save(flags);
    if (local_softirq_pending()) __do_softirq();
    local_irq_restore(flags);
}

// On x86-64 irq_exit runs on the IRQ stack (arch/x86/entry: the stack stays marked in use until the
// interrupt returns), which is nearly empty now: the handlers run right there, and an interrupt that
// comes meanwhile nests on the same stack.
void invoke_softirq() { __do_softirq(); }

void __local_bh_enable_ip(unsigned cnt) {
    WARN_ON_ONCE(in_hardirq());
    WARN_ON_ONCE(irqs_disabled());
    // Keep preemption off until the softirqs ran: they must run on this CPU.
    preempt_count_sub(cnt - 1);
    if (unlikely(!in_interrupt() && local_softirq_pending())) do_softirq();
    preempt_count_sub(1);
    preempt_check_resched();
}

void _local_bh_enable() {
    WARN_ON_ONCE(in_hardirq());
    preempt_count_sub(SOFTIRQ_DISABLE_OFFSET);
}

// Linux 6.12 calls wake_up_process whenever the thread exists; try_to_wake_up then finds a running one
// TASK_RUNNING and returns. Checking the state first spares that its pi_lock, and loses no wake-up: the
// thread is bound to this CPU, which has interrupts off here, so the thread is not halfway through a
// step: either it has not set TASK_INTERRUPTIBLE yet (then it still checks ksoftirqd_should_run before
// it sleeps) or it has (then this wakes it).
void wakeup_softirqd() {
    task_struct* tsk = this_cpu_read(ksoftirqd);
    if (tsk && READ_ONCE(tsk->__state) != TASK_RUNNING) wake_up_process(tsk);
}

bool ksoftirqd_should_run(unsigned) { return local_softirq_pending() != 0; }

// Linux run_ksoftirqd. Its cond_resched() afterwards is empty in a preemptible kernel (irqos is one);
// the reschedule a softirq asked for while interrupts were off is taken here instead of at the next
// interrupt.
void run_ksoftirqd(unsigned) {
    local_irq_disable();
    if (local_softirq_pending()) handle_softirqs();
    local_irq_enable();
    preempt_check_resched();
}

void show_softirqs(irq_out_fn out, void* ctx) {
    constexpr size_t ROW_MAX = 32 + NR_CPUS * 11;  // 20 blanks and "CPU%-8u" per CPU; "%12s:" and " %10u" per CPU
    char row[ROW_MAX];
    size_t len = (size_t)scnprintf(row, sizeof(row), "%20s", "");
    for_each_online_cpu(cpu) len += (size_t)scnprintf(row + len, sizeof(row) - len, "CPU%-8u", cpu);
    len += (size_t)scnprintf(row + len, sizeof(row) - len, "\n");
    out(row, len, ctx);
    for (unsigned nr = 0; nr < NR_SOFTIRQS; nr++) {
        len = (size_t)scnprintf(row, sizeof(row), "%12s:", softirq_to_name[nr]);
        for_each_online_cpu(cpu) len +=
            (size_t)scnprintf(row + len, sizeof(row) - len, " %10u", kstat_softirqs_cpu(nr, cpu));
        len += (size_t)scnprintf(row + len, sizeof(row) - len, "\n");
        out(row, len, ctx);
    }
}

namespace {
int ksoftirqd_should_run_hook(unsigned cpu) { return ksoftirqd_should_run(cpu) ? 1 : 0; }
smp_hotplug_thread softirq_threads = {&ksoftirqd, ksoftirqd_should_run_hook, run_ksoftirqd, "ksoftirqd"};
}  // namespace

// Linux spawn_ksoftirqd (an early_initcall there).
int spawn_ksoftirqd() { return smpboot_register_percpu_thread(&softirq_threads); }
