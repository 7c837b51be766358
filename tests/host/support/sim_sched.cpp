// See sim_sched.h.
#include "tests/host/support/sim_sched.h"
#include "kernel/idle.h"
#include "kernel/kthread.h"
#include "kernel/preempt.h"
#include "kernel/spinlock.h"
#include "tests/host/support/sim_cpu.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <new>
#include <pthread.h>

namespace {
// One per task, in task->thread_sp: the gate its thread waits at while it is switched out.
struct HostCtx {
    std::mutex m;
    std::condition_variable cv;
    bool go = false;
    task_struct* last = nullptr;  // the task switched away from when this one was resumed
    unsigned cpu = 0;             // the CPU it was resumed on
};
HostCtx* ctx_of(task_struct* p) { return reinterpret_cast<HostCtx*>(p->thread_sp); }

void resume(task_struct* next, task_struct* last, unsigned cpu) {
    HostCtx* nc = ctx_of(next);
    std::lock_guard<std::mutex> g(nc->m);
    nc->last = last;
    nc->cpu = cpu;
    nc->go = true;
    nc->cv.notify_one();
}

task_struct* wait_resumed(HostCtx* c) {
    std::unique_lock<std::mutex> g(c->m);
    c->cv.wait(g, [c] { return c->go; });
    c->go = false;
    SimCpu::set_current(c->cpu);
    return c->last;
}

task_struct* host_context_switch(task_struct* prev, task_struct* next) {
    unsigned cpu = SimCpu::current();
    // A dead task is freed by the next one (schedule_tail): its thread must not touch it after the
    // hand-over, so it ends there.
    bool dead = __atomic_load_n(&prev->__state, __ATOMIC_RELAXED) == TASK_DEAD;
    HostCtx* pc = ctx_of(prev);
    resume(next, prev, cpu);
    if (dead) pthread_exit(nullptr);
    return wait_resumed(pc);
}

// A new kthread: its gate lives at the bottom of its (otherwise unused) stack, freed with it; the
// thread waits to be switched to, then enters kthread_entry as ret_from_fork would.
void host_init_task_stack(task_struct* p) {
    auto* c = new (reinterpret_cast<void*>(p->stack_lo)) HostCtx();
    p->thread_sp = reinterpret_cast<uintptr_t>(c);
    std::thread([c] {
        task_struct* last = wait_resumed(c);
        kthread_entry(last);
    }).detach();
}

void host_resched_ipi(unsigned) {}  // idle threads poll; running tasks are not interrupted on the host

uint64_t host_clock() {
    return uint64_t(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count());
}

std::vector<HostCtx>* idle_ctx;
}  // namespace

SimSched::SimSched(unsigned cpus) : cpus_(cpus), idle_(cpus) {
    SimCpu::set_online(cpus);
    sched_set_hooks(SchedHooks{host_context_switch, host_init_task_stack, host_resched_ipi, host_clock});
    idle_ctx = new std::vector<HostCtx>(cpus);
    for (unsigned c = 0; c < cpus; c++) {
        SimCpu::Scope on(c);
        idle_[c] = task_struct{};
        idle_[c].thread_sp = reinterpret_cast<uintptr_t>(&(*idle_ctx)[c]);
        sched_init_idle(c, &idle_[c]);
    }
    SimCpu::set_current(DRIVER_CPU);
    for (unsigned c = 0; c < cpus; c++) idle_threads_.emplace_back([this, c] { idle_loop(c); });
}

// Each CPU's idle task (kernel/sched/idle.cpp cpu_startup_entry without the halt, through the same
// schedule_idle): switch to whatever was woken here, and come back here when nothing is left to run.
void SimSched::idle_loop(unsigned cpu) {
    SimCpu::set_current(cpu);
    SimCpu::set_irqs_enabled(cpu, true);
    while (!stop_.load()) {
        if (need_resched()) {
            schedule_idle();
        } else {
            std::this_thread::yield();
        }
    }
}

SimSched::~SimSched() {
    stop_.store(true);
    for (auto& t : idle_threads_) t.join();
    SimCpu::set_current(0);
    // Tasks still on the list (idle ones, threads that never exited) are forgotten with the per-CPU state.
    unsigned long flags;
    raw_spin_lock_irqsave(&tasklist_lock, flags);
    INIT_LIST_HEAD(&task_list);
    raw_spin_unlock_irqrestore(&tasklist_lock, flags);
    sched_set_hooks(SchedHooks{});
    delete idle_ctx;
    idle_ctx = nullptr;
}

bool SimSched::wait_until(const std::function<bool()>& cond, unsigned ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!cond()) {
        if (std::chrono::steady_clock::now() > deadline) return cond();
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    return true;
}
