// Host tests of tasklets (kernel/tasklet.cpp, Linux kernel/softirq.c and include/linux/interrupt.h):
// scheduling on this CPU and coalescing, the SCHED and RUN bits around a run, a tasklet rescheduled from
// its own callback, HI before normal, disable/enable, a tasklet running on another CPU put back, Linux's
// WARN for a run without SCHED, tasklet_kill, the `tasklets` view, and (TaskletSmp, also under
// ThreadSanitizer) simulated CPUs scheduling one tasklet concurrently.
#include "kernel/tasklet.h"
#include "kernel/preempt.h"
#include "kernel/printk.h"
#include "kernel/softirq.h"
#include "kernel/spinlock.h"

#include <gtest/gtest.h>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/host/support/capture_console.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/sim_cpu.h"

namespace {

constexpr unsigned long SCHED = 1ul << TASKLET_STATE_SCHED, RUN = 1ul << TASKLET_STATE_RUN;

unsigned long state_of(const tasklet_struct* t) { return __atomic_load_n(&t->state, __ATOMIC_RELAXED); }

// What a callback saw when it ran.
struct Run {
    std::string who;
    unsigned long state;  // the tasklet's state inside the callback
    bool serving;         // in_serving_softirq()
    bool irqs_off;
    unsigned cpu;
};
std::vector<Run> g_runs;
void (*g_then)(tasklet_struct*) = nullptr;  // extra work in the callback

struct Dev {
    tasklet_struct t;
    const char* name;
};

}  // namespace

// Global functions, so that %ps finds their names in the test binary's dynamic symbols.
void tasklet_test_callback(tasklet_struct* t) {
    Dev* d = from_tasklet(d, t, t);
    g_runs.push_back({d->name, state_of(t), in_serving_softirq(), irqs_disabled(), smp_processor_id()});
    if (g_then) g_then(t);
}

void tasklet_test_func(unsigned long data) {
    g_runs.push_back({"old " + std::to_string(data), 0, in_serving_softirq(), irqs_disabled(), smp_processor_id()});
}

void tasklet_test_plain(tasklet_struct* t) {
    g_runs.push_back({"plain", state_of(t), in_serving_softirq(), irqs_disabled(), smp_processor_id()});
}

namespace {

std::vector<std::string> who_ran() {
    std::vector<std::string> v;
    for (const Run& r : g_runs) v.push_back(r.who);
    return v;
}

class Tasklet : public IrqTest {
protected:
    Dev a{{}, "a"}, b{{}, "b"};
    void SetUp() override {
        IrqTest::SetUp();
        g_runs.clear();
        g_then = nullptr;
        tasklet_setup(&a.t, tasklet_test_callback);
        tasklet_setup(&b.t, tasklet_test_callback);
    }
    void TearDown() override { g_then = nullptr; }
};

TEST_F(Tasklet, ScheduleQueuesItOnThisCpuAndTheSoftirqRunsItOnce) {
    tasklet_schedule(&a.t);
    EXPECT_EQ(state_of(&a.t), SCHED);
    EXPECT_EQ(local_softirq_pending(), 1u << TASKLET_SOFTIRQ);
    EXPECT_TRUE(g_runs.empty());
    host_env::empty_interrupt();
    ASSERT_EQ(who_ran(), (std::vector<std::string>{"a"}));
    EXPECT_EQ(g_runs[0].state, RUN) << "SCHED cleared before the callback, RUN held during it";
    EXPECT_TRUE(g_runs[0].serving);
    EXPECT_FALSE(g_runs[0].irqs_off);
    EXPECT_EQ(state_of(&a.t), 0ul);
    EXPECT_EQ(kstat_softirqs_cpu(TASKLET_SOFTIRQ, 0), 1u);
    host_env::empty_interrupt();
    EXPECT_EQ(g_runs.size(), 1u) << "not queued any more";
}

TEST_F(Tasklet, SchedulesBeforeItRunsCoalesce) {
    tasklet_schedule(&a.t);
    tasklet_schedule(&a.t);
    tasklet_hi_schedule(&a.t);  // already SCHED: not queued on the HI list either
    EXPECT_EQ(local_softirq_pending(), 1u << TASKLET_SOFTIRQ);
    host_env::empty_interrupt();
    EXPECT_EQ(who_ran(), (std::vector<std::string>{"a"}));
}

TEST_F(Tasklet, RescheduledFromItsOwnCallbackItRunsAgainInTheNextPass) {
    g_then = [](tasklet_struct* t) {
        if (g_runs.size() == 1) tasklet_schedule(t);  // possible because SCHED is already clear
    };
    host_env::empty_interrupt();
    tasklet_schedule(&a.t);
    host_env::empty_interrupt();
    EXPECT_EQ(who_ran(), (std::vector<std::string>{"a", "a"}));
    EXPECT_EQ(kstat_softirqs_cpu(TASKLET_SOFTIRQ, 0), 2u) << "two passes of one irq_exit";
    EXPECT_EQ(state_of(&a.t), 0ul);
}

TEST_F(Tasklet, OldStyleFunctionsGetTheirData) {
    tasklet_struct t;
    tasklet_init(&t, tasklet_test_func, 42);
    DECLARE_TASKLET_OLD(declared, tasklet_test_func);
    tasklet_schedule(&t);
    tasklet_schedule(&declared);
    host_env::empty_interrupt();
    EXPECT_EQ(who_ran(), (std::vector<std::string>{"old 42", "old 0"})) << "in the order they were queued";
}

TEST_F(Tasklet, HiTaskletsRunBeforeNormalOnes) {
    tasklet_schedule(&a.t);
    tasklet_hi_schedule(&b.t);
    EXPECT_EQ(local_softirq_pending(), (1u << TASKLET_SOFTIRQ) | (1u << HI_SOFTIRQ));
    host_env::empty_interrupt();
    EXPECT_EQ(who_ran(), (std::vector<std::string>{"b", "a"}));
    EXPECT_EQ(kstat_softirqs_cpu(HI_SOFTIRQ, 0), 1u);
}

// A disabled tasklet is put back and its softirq raised again: the run goes on until the restart limit
// and leaves it pending for ksoftirqd, as on Linux.
TEST_F(Tasklet, ADisabledTaskletStaysQueuedAndRunsOnceEnabled) {
    tasklet_disable_nosync(&a.t);
    tasklet_schedule(&a.t);
    host_env::empty_interrupt();
    EXPECT_TRUE(g_runs.empty());
    EXPECT_EQ(state_of(&a.t), SCHED);
    EXPECT_EQ(kstat_softirqs_cpu(TASKLET_SOFTIRQ, 0), unsigned(MAX_SOFTIRQ_RESTART));
    EXPECT_EQ(local_softirq_pending(), 1u << TASKLET_SOFTIRQ);
    tasklet_disable(&a.t);  // nests; not running, so no wait
    tasklet_enable(&a.t);
    host_env::empty_interrupt();
    EXPECT_TRUE(g_runs.empty()) << "still disabled once";
    tasklet_enable(&a.t);
    host_env::empty_interrupt();
    EXPECT_EQ(who_ran(), (std::vector<std::string>{"a"}));
    EXPECT_EQ(local_softirq_pending(), 0u);

    DECLARE_TASKLET_DISABLED(born_disabled, tasklet_test_plain);
    tasklet_schedule(&born_disabled);
    host_env::empty_interrupt();
    EXPECT_EQ(g_runs.size(), 1u);
    EXPECT_EQ(state_of(&born_disabled), SCHED);
    tasklet_enable(&born_disabled);
    host_env::empty_interrupt();
    EXPECT_EQ(who_ran(), (std::vector<std::string>{"a", "plain"}));
}

TEST_F(Tasklet, RunningOnAnotherCpuItIsPutBackAndRunsWhenThatEnds) {
    ASSERT_TRUE(tasklet_trylock(&a.t));  // as if CPU 1 were running it
    EXPECT_FALSE(tasklet_trylock(&a.t));
    tasklet_schedule(&a.t);
    host_env::empty_interrupt();
    EXPECT_TRUE(g_runs.empty()) << "never on two CPUs at once";
    EXPECT_EQ(state_of(&a.t), SCHED | RUN);
    EXPECT_EQ(local_softirq_pending(), 1u << TASKLET_SOFTIRQ);
    tasklet_unlock(&a.t);
    host_env::empty_interrupt();
    EXPECT_EQ(who_ran(), (std::vector<std::string>{"a"}));
    EXPECT_EQ(state_of(&a.t), 0ul);
}

TEST_F(Tasklet, ARunWithoutSchedWarnsAndSkipsTheCallback) {
    tasklet_schedule(&a.t);
    __atomic_fetch_and(&a.t.state, ~SCHED, __ATOMIC_RELAXED);  // someone cleared it behind the list's back
    host_env::empty_interrupt();
    EXPECT_TRUE(g_runs.empty());
    EXPECT_EQ(warn_count, 1ul);
    EXPECT_EQ(host_console::count("tasklet SCHED state not set: callback tasklet_test_callback"), 1u)
        << host_console::text();
    EXPECT_EQ(state_of(&a.t), 0ul) << "RUN released";
}

// ---- tasklet_kill and the waits: they spin, and the simulated CPU's cpu_relax is where the test lets
// the rest of the world move (an interrupt on this CPU, or the other CPU finishing its run).

tasklet_struct* g_kill_target;
unsigned g_relax_calls;

TEST_F(Tasklet, KillWaitsForTheQueuedRunToEnd) {
    g_kill_target = &a.t;
    g_relax_calls = 0;
    tasklet_schedule(&a.t);
    SimCpu::set_relax_hook([](unsigned) {
        if (++g_relax_calls == 3) host_env::empty_interrupt();  // the tick comes: the queued run happens
    });
    tasklet_kill(&a.t);
    SimCpu::set_relax_hook(nullptr);
    EXPECT_EQ(who_ran(), (std::vector<std::string>{"a"}));
    EXPECT_GE(g_relax_calls, 3u) << "it waited for the run";
    EXPECT_EQ(state_of(&a.t), 0ul);
    EXPECT_EQ(local_softirq_pending(), 0u);
    EXPECT_EQ(host_console::count("Attempt to kill tasklet"), 0u);
}

// While it waits for a run on another CPU to end, the killer holds SCHED: a schedule meanwhile (here from
// an interrupt on this CPU) is swallowed, and nothing is queued once kill returns.
TEST_F(Tasklet, KillHoldsSchedWhileItWaitsForTheRunSoNothingIsQueuedAfterIt) {
    g_kill_target = &a.t;
    g_relax_calls = 0;
    ASSERT_TRUE(tasklet_trylock(&a.t));  // running on "CPU 1"
    SimCpu::set_relax_hook([](unsigned) {
        if (++g_relax_calls == 2) {
            unsigned long flags;
            local_irq_save(flags);
            irq_enter();
            tasklet_schedule(g_kill_target);
            irq_exit();
            local_irq_restore(flags);
        }
        if (g_relax_calls == 5) tasklet_unlock(g_kill_target);  // "CPU 1" returns from it
    });
    tasklet_kill(&a.t);
    SimCpu::set_relax_hook(nullptr);
    EXPECT_EQ(g_relax_calls, 5u);
    EXPECT_TRUE(g_runs.empty());
    EXPECT_EQ(state_of(&a.t), 0ul);
    EXPECT_EQ(local_softirq_pending(), 0u) << "the schedule found SCHED set: nothing was queued";
    tasklet_schedule(&a.t);  // usable again
    host_env::empty_interrupt();
    EXPECT_EQ(g_runs.size(), 1u);
}

TEST_F(Tasklet, KillFromInterruptContextSaysSo) {
    unsigned long flags;
    local_irq_save(flags);
    irq_enter();
    tasklet_kill(&a.t);
    irq_exit();
    local_irq_restore(flags);
    EXPECT_EQ(host_console::count("Attempt to kill tasklet from interrupt\n"), 1u);
    EXPECT_EQ(state_of(&a.t), 0ul);
}

// ---- The view.

TEST_F(Tasklet, TheViewListsEachCpusQueuedTasklets) {
    SimCpu::set_online(2);
    tasklet_struct t;
    tasklet_init(&t, tasklet_test_func, 7);
    tasklet_disable_nosync(&t);
    tasklet_schedule(&a.t);
    tasklet_schedule(&t);
    {
        SimCpu::Scope cpu1(1);
        tasklet_hi_schedule(&b.t);
    }
    std::string text;
    show_tasklets([](const char* s, size_t n, void* ctx) { static_cast<std::string*>(ctx)->append(s, n); }, &text);
    EXPECT_EQ(text,
              "CPU0 HI      0 queued\n"
              "CPU0 TASKLET 2 queued\n"
              "  tasklet_test_callback    callback SCHED count 0\n"
              "  tasklet_test_func        func     SCHED count 1 (disabled)\n"
              "CPU1 HI      1 queued\n"
              "  tasklet_test_callback    callback SCHED count 0\n"
              "CPU1 TASKLET 0 queued\n");
    tasklet_enable(&t);
    host_env::empty_interrupt();
    {
        SimCpu::Scope cpu1(1);
        host_env::empty_interrupt();
    }
    EXPECT_EQ(g_runs.size(), 3u);
}

// ---- Simulated CPUs (threads). Every CPU schedules one tasklet over and over and runs its own
// softirqs (an interrupt's exit) while it waits for a run that started after its schedule.

constexpr unsigned SMP_CPUS = 4, SMP_ROUNDS = 300;
constexpr auto SMP_WAIT_LIMIT = std::chrono::seconds(5);  // per schedule; a lost one would wait for ever

std::atomic<uint64_t> g_seq;         // one clock for schedules and run starts
std::atomic<uint64_t> g_last_start;  // the latest run's start
std::atomic<bool> g_running;
std::atomic<unsigned> g_overlaps, g_smp_runs, g_lost, g_done;
std::atomic<unsigned> g_ran_on[SMP_CPUS];

void smp_callback(tasklet_struct*) {
    if (g_running.exchange(true)) g_overlaps++;
    uint64_t start = ++g_seq;
    uint64_t prev = g_last_start.load();
    while (prev < start && !g_last_start.compare_exchange_weak(prev, start)) {}
    g_ran_on[smp_processor_id()]++;
    std::this_thread::yield();  // stay a little, so other CPUs find it running
    g_smp_runs++;
    g_running.store(false);
}

TEST(TaskletSmp, ConcurrentSchedulesNeverRunItTwiceAtOnceAndNeverGetLost) {
    host_env::reset_all();
    SimCpu::set_online(SMP_CPUS);
    static tasklet_struct t;
    tasklet_setup(&t, smp_callback);
    g_seq = 0;
    g_last_start = 0;
    g_running = false;
    g_overlaps = g_smp_runs = g_lost = g_done = 0;
    for (auto& n : g_ran_on) n = 0;

    std::vector<std::thread> cpus;
    for (unsigned cpu = 0; cpu < SMP_CPUS; cpu++) {
        cpus.emplace_back([cpu] {
            SimCpu::Scope me(cpu);
            for (unsigned i = 0; i < SMP_ROUNDS && !g_lost.load(); i++) {  // one loss is enough to fail
                uint64_t s = ++g_seq;  // before the call: the run must start after the call began
                if (i % 2)
                    tasklet_schedule(&t);
                else {
                    unsigned long flags;  // from an interrupt handler, as drivers do
                    local_irq_save(flags);
                    irq_enter();
                    tasklet_schedule(&t);
                    irq_exit();
                    local_irq_restore(flags);
                }
                auto deadline = std::chrono::steady_clock::now() + SMP_WAIT_LIMIT;
                while (g_last_start.load() < s) {
                    host_env::empty_interrupt();
                    arch::cpu_relax();
                    if (std::chrono::steady_clock::now() > deadline) {
                        g_lost++;
                        break;
                    }
                }
            }
            // A CPU keeps taking interrupts after its own rounds: what others wait for may be queued here.
            g_done++;
            while (g_done.load() < SMP_CPUS) {
                host_env::empty_interrupt();
                arch::cpu_relax();
            }
        });
    }
    for (auto& th : cpus) th.join();
    // What the last rounds left queued runs at each CPU's next interrupt.
    for (unsigned cpu = 0; cpu < SMP_CPUS; cpu++) {
        SimCpu::Scope me(cpu);
        host_env::empty_interrupt();
        EXPECT_EQ(local_softirq_pending(), 0u) << "CPU " << cpu;
    }

    EXPECT_EQ(g_overlaps.load(), 0u) << "ran on two CPUs at once";
    EXPECT_EQ(g_lost.load(), 0u) << "a schedule not followed by a run";
    EXPECT_EQ(state_of(&t), 0ul);
    EXPECT_GE(g_smp_runs.load(), SMP_ROUNDS) << "one CPU's schedules alone need that many";
    EXPECT_LE(g_smp_runs.load(), SMP_CPUS * SMP_ROUNDS) << "never more runs than schedules";
    unsigned cpus_that_ran = 0;
    for (auto& n : g_ran_on) cpus_that_ran += n.load() > 0;
    EXPECT_GT(cpus_that_ran, 1u) << "it ran where it was scheduled, on several CPUs";
}

}  // namespace
