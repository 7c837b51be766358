// Per-CPU kernel threads (see smpboot.h); Linux kernel/smpboot.c smpboot_thread_fn without CPU hotplug
// (irqos's CPUs never go offline), so there is no park/unpark.
#include "kernel/smpboot.h"
#include "kernel/err.h"
#include "kernel/errno.h"
#include "kernel/kthread.h"
#include "kernel/preempt.h"

namespace {
struct smpboot_thread_data {
    unsigned cpu;
    smp_hotplug_thread* ht;
};

// The state is set before thread_should_run is asked, and preemption is off in between, so a wake-up
// for new work (wake_up_process after raising it) either finds us running or makes schedule() return.
int smpboot_thread_fn(void* data) {
    auto* td = static_cast<smpboot_thread_data*>(data);
    smp_hotplug_thread* ht = td->ht;
    for (;;) {
        set_current_state(TASK_INTERRUPTIBLE);
        preempt_disable();
        if (kthread_should_stop()) {
            __set_current_state(TASK_RUNNING);
            preempt_enable();
            return 0;
        }
        if (!ht->thread_should_run(td->cpu)) {
            preempt_enable_no_resched();
            schedule();
        } else {
            __set_current_state(TASK_RUNNING);
            preempt_enable();
            ht->thread_fn(td->cpu);
        }
    }
}
}  // namespace

int smpboot_register_percpu_thread(smp_hotplug_thread* ht) {
    for (unsigned cpu = 0; cpu < arch::num_online_cpus(); cpu++) {
        auto* td = new smpboot_thread_data{cpu, ht};  // lives as long as the thread (CPUs never go away)
        if (!td) return -ENOMEM;
        task_struct* t = kthread_create(smpboot_thread_fn, td, "%s/%u", ht->thread_comm, cpu);
        if (IS_ERR(t)) {
            delete td;
            return int(PTR_ERR(t));
        }
        kthread_bind(t, cpu);
        *per_cpu_ptr(ht->store, cpu) = t;
        wake_up_process(t);
    }
    return 0;
}
