// Per-CPU kernel threads (Linux include/linux/smpboot.h, kernel/smpboot.c): one thread per online CPU,
// bound to it, that sleeps until thread_should_run(cpu) says there is work and then calls
// thread_fn(cpu), in a loop. ksoftirqd/N is one.
#pragma once
#include "kernel/sched/sched.h"

struct smp_hotplug_thread {
    task_struct** store;                     // a per-CPU variable (template address) receiving each thread
    int (*thread_should_run)(unsigned cpu);  // called with preemption off; nonzero: call thread_fn
    void (*thread_fn)(unsigned cpu);         // preemptible, may sleep
    const char* thread_comm;                 // "ksoftirqd" → "ksoftirqd/0", "ksoftirqd/1", ...
};

// Create, bind and start the thread of every online CPU (boot, after the scheduler runs on all CPUs;
// process context). 0 or -ENOMEM (threads created so far keep running).
int smpboot_register_percpu_thread(smp_hotplug_thread* ht);
