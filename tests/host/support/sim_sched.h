// Real scheduling on the host: every task is a host thread, and each simulated CPU (sim_cpu.h) runs one
// of them at a time. The scheduler core's context switch hook hands the CPU from one thread to the
// next and blocks the one switched away from until some CPU switches back to it (on whichever CPU that
// is: the thread takes on that CPU's number). Each CPU's idle task is a host thread polling
// need_resched(). So wait queues, completions, mutexes, kthread_stop and the bottom halves built on
// them run unchanged, concurrently, and under ThreadSanitizer.
//
// Rules for a test: the test's own thread is not a task. It acts as CPU SimSched::DRIVER_CPU (not
// online), may create and wake threads and poll for results (wait_until), but must not sleep in the
// kernel's sense (wait_for_completion, mutex_lock, kthread_stop): do that inside a kthread. Tasks are
// not preempted by a tick (there is none); they run until they sleep or reach a preemption point
// (preempt_enable with a reschedule folded in on their own CPU).
#pragma once
#include "kernel/sched/sched.h"

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

class SimSched {
public:
    static constexpr unsigned DRIVER_CPU = NR_CPUS - 1;
    // Installs the hooks, makes `cpus` CPUs online with their run queues and idle threads, and makes
    // the calling thread DRIVER_CPU. cpus < NR_CPUS.
    explicit SimSched(unsigned cpus);
    // Stops the idle threads (every task must have exited or be asleep for good) and removes the hooks.
    ~SimSched();
    SimSched(const SimSched&) = delete;
    SimSched& operator=(const SimSched&) = delete;

    // Poll `cond` (from the driver thread) until it holds or `ms` milliseconds passed.
    static bool wait_until(const std::function<bool()>& cond, unsigned ms = 10000);

private:
    unsigned cpus_;
    std::atomic<bool> stop_{false};
    std::vector<task_struct> idle_;
    std::vector<std::thread> idle_threads_;
    void idle_loop(unsigned cpu);
};
