// The idle task of each CPU and waiting for "the next interrupt" (Linux kernel/sched/idle.c do_idle,
// cpu_startup_entry). The idle task runs when nothing else may: it halts with interrupts enabled in one
// step (arch_safe_halt), so a wake-up that arrives after it checked need_resched() still ends the halt.
#include "kernel/idle.h"
#include "kernel/kthread.h"
#include "kernel/sched/wait.h"
#include "kernel/smp.h"
#include "lib/vsprintf.h"

bool sched_running = false;

namespace {
// Tasks waiting in cpu_idle_once for this CPU's next interrupt: woken when the idle loop returns from a
// halt (some interrupt arrived) and at every tick of this CPU (when other tasks keep it busy).
DEFINE_PER_CPU(wait_queue_head, irq_waiters);

void wake_irq_waiters() {
    wait_queue_head* q = this_cpu_ptr(&irq_waiters);
    if (q->head.next && waitqueue_active(q)) wake_up_all(q);  // (not set up before sched_init_idle)
}
}  // namespace

void sched_init_idle(unsigned cpu, task_struct* idle) {
    init_waitqueue_head(&per_cpu(irq_waiters, cpu));
    sched_init_cpu(cpu, idle);
    irqos::snprintf(idle->comm, sizeof idle->comm, "swapper/%u", cpu);
    idle->pid = 0;
    task_list_add(idle);
}

void sched_tick_idle_work() { wake_irq_waiters(); }

void cpu_idle_once() {
    task_struct* c = sched_current();
    if (!c || is_idle_task(c)) {
        arch_safe_halt();
        return;
    }
    // A task: sleep on this CPU's list (interrupts are still off from the caller's check, so nothing
    // is missed before the state is set) and let other tasks run.
    wait_queue_head* q = this_cpu_ptr(&irq_waiters);
    DEFINE_WAIT(w);
    prepare_to_wait(q, &w, TASK_INTERRUPTIBLE);
    schedule();
    finish_wait(q, &w);
    local_irq_enable();
}

// Linux schedule_idle: the idle task stays runnable, it only lets the woken task run.
void schedule_idle() {
    preempt_disable();
    local_irq_disable();
    __schedule(false);
    local_irq_enable();
    preempt_enable_no_resched();
}

[[noreturn]] void cpu_startup_entry() {
    unsigned cpu = smp_processor_id();
    for (;;) {
        while (!need_resched()) {
            local_irq_disable();
            if (smp_call_queue_pending(cpu)) {
                generic_smp_call_function_single_interrupt();  // queued without an IPI reaching us
                local_irq_enable();
                continue;
            }
            if (need_resched()) {
                local_irq_enable();
                break;
            }
            arch_safe_halt();
            wake_irq_waiters();
        }
        schedule_idle();
    }
}
