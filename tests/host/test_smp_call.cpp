// Host tests for kernel/smp (Linux kernel/smp.c semantics) with simulated CPUs as threads: a CPU's
// "interrupt" is a pending-IPI flag it polls in its idle loop and while it spins with interrupts on
// (SimCpu's relax hook), so waiting callers never deadlock, as on hardware. Checked: the function runs
// on the target in hard-IRQ context, wait and no-wait, -ENXIO for an offline CPU, the caller excluded
// from "many", one IPI per CPU whose queue was empty, FIFO order, the WARN with interrupts off, the
// reschedule IPI. Names contain "Smp" so `make host-test-tsan` runs them under ThreadSanitizer.
#include "kernel/smp.h"
#include "kernel/errno.h"
#include "kernel/preempt.h"
#include "kernel/printk.h"

#include <gtest/gtest.h>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/host/support/capture_console.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/sim_cpu.h"

namespace {

std::atomic<bool> ipi_pending[NR_CPUS];
std::atomic<bool> cpu_stalled[NR_CPUS];  // a stalled CPU does not take interrupts (its IF is "off")
std::atomic<unsigned> single_ipis[NR_CPUS], mask_ipis[NR_CPUS], resched_ipis[NR_CPUS];

void raise_ipi(unsigned cpu) { ipi_pending[cpu].store(true); }
void send_single(unsigned cpu) {
    single_ipis[cpu]++;
    raise_ipi(cpu);
}
void send_mask(const cpumask_t* mask) {
    for_each_cpu(cpu, mask) {
        mask_ipis[cpu]++;
        raise_ipi(cpu);
    }
}
void send_resched(unsigned cpu) { resched_ipis[cpu]++; }
const smp_ops test_ops = {send_single, send_mask, send_resched};

// What the IPI entry does on the receiving CPU.
void take_pending_ipi(unsigned cpu) {
    if (cpu_stalled[cpu].load() || !SimCpu::irqs_enabled(cpu) || !ipi_pending[cpu].exchange(false)) return;
    unsigned long flags = arch::irq_save();
    irq_enter();
    generic_smp_call_function_single_interrupt();
    irq_exit();
    arch::irq_restore(flags);
}

class SmpCall : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        for (unsigned c = 0; c < NR_CPUS; c++) {
            ipi_pending[c] = false;
            cpu_stalled[c] = false;
            single_ipis[c] = mask_ipis[c] = resched_ipis[c] = 0;
        }
        SimCpu::set_online(4);
        SimCpu::set_relax_hook(take_pending_ipi);
        smp_set_ops(&test_ops);
    }
    void TearDown() override {
        stop_cpus();
        smp_set_ops(nullptr);
        SimCpu::set_relax_hook(nullptr);
    }
    // CPUs 1..n-1 idle in threads, taking their IPIs.
    void start_cpus(unsigned n) {
        stop = false;
        for (unsigned c = 1; c < n; c++)
            threads.emplace_back([this, c] {
                SimCpu::Scope me(c);
                while (!stop.load()) {
                    take_pending_ipi(c);
                    std::this_thread::yield();
                }
            });
    }
    void stop_cpus() {
        stop = true;
        for (auto& t : threads) t.join();
        threads.clear();
    }
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
};

struct Record {
    std::atomic<int> calls{0};
    std::atomic<int> cpu{-1};
    std::atomic<bool> in_irq{false}, irqs_off{false};
    std::mutex mu;
    std::vector<int> order;  // info values in the order the functions ran
};
Record rec;

void record_call(void* info) {
    rec.cpu = int(smp_processor_id());
    rec.in_irq = in_hardirq();
    rec.irqs_off = arch::irqs_disabled();
    {
        std::lock_guard<std::mutex> g(rec.mu);
        rec.order.push_back(int(reinterpret_cast<intptr_t>(info)));
    }
    rec.calls++;
}
void reset_record() {
    rec.calls = 0;
    rec.cpu = -1;
    rec.in_irq = rec.irqs_off = false;
    rec.order.clear();
}

void count_on_cpu(void* info) { static_cast<std::atomic<int>*>(info)[smp_processor_id()]++; }

TEST_F(SmpCall, SmpSingleWaitRunsOnTheTargetInHardIrq) {
    reset_record();
    start_cpus(4);
    EXPECT_EQ(smp_call_function_single(2, record_call, nullptr, true), 0);
    EXPECT_EQ(rec.calls.load(), 1) << "returned before the function ran";
    EXPECT_EQ(rec.cpu.load(), 2);
    EXPECT_TRUE(rec.in_irq.load());
    EXPECT_TRUE(rec.irqs_off.load());
    EXPECT_EQ(single_ipis[2].load(), 1u);
}

TEST_F(SmpCall, SmpSingleNoWaitReturnsBeforeTheTargetRan) {
    reset_record();
    cpu_stalled[1] = true;  // CPU 1 has interrupts off for now
    start_cpus(2);
    EXPECT_EQ(smp_call_function_single(1, record_call, reinterpret_cast<void*>(7), false), 0);
    EXPECT_EQ(rec.calls.load(), 0);
    EXPECT_TRUE(smp_call_queue_pending(1));
    cpu_stalled[1] = false;
    while (rec.calls.load() == 0) std::this_thread::yield();
    EXPECT_EQ(rec.cpu.load(), 1);
    EXPECT_FALSE(smp_call_queue_pending(1));
}

TEST_F(SmpCall, SmpQueuedCallsShareOneIpiAndRunInOrder) {
    reset_record();
    cpu_stalled[1] = true;
    start_cpus(2);
    // Two no-wait calls from CPU 0 (its csd is reused: the second waits until the first is taken) and
    // one from CPU 2, all to the stalled CPU 1: one IPI, since the queue was only empty once.
    EXPECT_EQ(smp_call_function_single(1, record_call, reinterpret_cast<void*>(1), false), 0);
    std::thread cpu2([] {
        SimCpu::Scope me(2);
        EXPECT_EQ(smp_call_function_single(1, record_call, reinterpret_cast<void*>(2), false), 0);
    });
    cpu2.join();
    EXPECT_EQ(single_ipis[1].load(), 1u);
    cpu_stalled[1] = false;
    EXPECT_EQ(smp_call_function_single(1, record_call, reinterpret_cast<void*>(3), true), 0);
    EXPECT_EQ(rec.calls.load(), 3);
    std::lock_guard<std::mutex> g(rec.mu);
    EXPECT_EQ(rec.order, (std::vector<int>{1, 2, 3}));
}

TEST_F(SmpCall, SmpOfflineOrInvalidCpuIsEnxioAndSendsNothing) {
    SimCpu::set_online(2);
    reset_record();
    EXPECT_EQ(smp_call_function_single(2, record_call, nullptr, true), -ENXIO);
    EXPECT_EQ(smp_call_function_single(-1, record_call, nullptr, false), -ENXIO);
    EXPECT_EQ(smp_call_function_single(int(NR_CPUS), record_call, nullptr, true), -ENXIO);
    EXPECT_EQ(rec.calls.load(), 0);
    for (unsigned c = 0; c < NR_CPUS; c++) EXPECT_EQ(single_ipis[c].load(), 0u);
    EXPECT_EQ(warn_count, 0u);
}

TEST_F(SmpCall, SmpSelfRunsAtOnceWithInterruptsOff) {
    reset_record();
    EXPECT_EQ(smp_call_function_single(0, record_call, nullptr, false), 0);
    EXPECT_EQ(rec.calls.load(), 1);
    EXPECT_EQ(rec.cpu.load(), 0);
    EXPECT_TRUE(rec.irqs_off.load());
    EXPECT_FALSE(rec.in_irq.load());
    EXPECT_FALSE(arch::irqs_disabled()) << "interrupts restored";
    EXPECT_EQ(single_ipis[0].load(), 0u);
}

TEST_F(SmpCall, SmpWarnsWhenCalledWithInterruptsOff) {
    reset_record();
    unsigned long flags = arch::irq_save();
    EXPECT_EQ(smp_call_function_single(0, record_call, nullptr, true), 0);
    arch::irq_restore(flags);
    EXPECT_EQ(warn_count, 1u);
    EXPECT_EQ(host_console::count("smp_call_function called with interrupts disabled"), 1u);
}

TEST_F(SmpCall, SmpManyWaitRunsOnEveryOtherOnlineCpu) {
    std::atomic<int> per_cpu_calls[NR_CPUS] = {};
    start_cpus(4);
    cpumask_t all;
    cpumask_setall(&all);  // includes offline CPUs 4-7 and the caller: both left out
    smp_call_function_many(&all, count_on_cpu, per_cpu_calls, true);
    EXPECT_EQ(per_cpu_calls[0].load(), 0);
    for (unsigned c = 1; c < 4; c++) EXPECT_EQ(per_cpu_calls[c].load(), 1) << "cpu " << c;
    for (unsigned c = 4; c < NR_CPUS; c++) EXPECT_EQ(per_cpu_calls[c].load(), 0);
    // Several targets: the "many" IPI to each, none of the single ones.
    for (unsigned c = 1; c < 4; c++) EXPECT_EQ(mask_ipis[c].load(), 1u);
    EXPECT_EQ(single_ipis[1].load() + single_ipis[2].load() + single_ipis[3].load(), 0u);
}

TEST_F(SmpCall, SmpManyWithOneTargetUsesTheSingleIpi) {
    std::atomic<int> per_cpu_calls[NR_CPUS] = {};
    start_cpus(4);
    cpumask_t m;
    cpumask_clear(&m);
    cpumask_set_cpu(0, &m);
    cpumask_set_cpu(3, &m);
    smp_call_function_many(&m, count_on_cpu, per_cpu_calls, true);
    EXPECT_EQ(per_cpu_calls[3].load(), 1);
    EXPECT_EQ(per_cpu_calls[0].load(), 0);
    EXPECT_EQ(single_ipis[3].load(), 1u);
    EXPECT_EQ(mask_ipis[3].load(), 0u);
}

TEST_F(SmpCall, SmpManyNoWaitEventuallyRunsEverywhere) {
    std::atomic<int> per_cpu_calls[NR_CPUS] = {};
    start_cpus(4);
    for (int i = 0; i < 10; i++) smp_call_function(count_on_cpu, per_cpu_calls, false);
    for (unsigned c = 1; c < 4; c++)
        while (per_cpu_calls[c].load() < 10) std::this_thread::yield();
    // A last waiting call: every csd released again.
    smp_call_function(count_on_cpu, per_cpu_calls, true);
    for (unsigned c = 1; c < 4; c++) EXPECT_EQ(per_cpu_calls[c].load(), 11);
    EXPECT_EQ(per_cpu_calls[0].load(), 0);
}

TEST_F(SmpCall, SmpOnEachCpuIncludesTheCaller) {
    std::atomic<int> per_cpu_calls[NR_CPUS] = {};
    start_cpus(3);
    SimCpu::set_online(3);
    on_each_cpu(count_on_cpu, per_cpu_calls, true);
    for (unsigned c = 0; c < 3; c++) EXPECT_EQ(per_cpu_calls[c].load(), 1);
}

TEST_F(SmpCall, SmpCpusCallingEachOtherConcurrently) {
    constexpr int ROUNDS = 300;
    std::atomic<int> per_cpu_calls[NR_CPUS] = {};
    std::atomic<unsigned> finished{0};
    std::vector<std::thread> callers;
    for (unsigned c = 0; c < 4; c++)
        callers.emplace_back([&, c] {
            SimCpu::Scope me(c);
            for (int i = 0; i < ROUNDS; i++) {
                unsigned target = (c + 1 + unsigned(i) % 3) % 4;
                EXPECT_EQ(smp_call_function_single(int(target), count_on_cpu, per_cpu_calls, i % 2 == 0), 0);
                if (i % 50 == 0) smp_call_function(count_on_cpu, per_cpu_calls, true);
                take_pending_ipi(c);
            }
            // Keep taking IPIs until every caller finished: another may still wait for this CPU.
            finished++;
            while (finished.load() < 4) {
                take_pending_ipi(c);
                std::this_thread::yield();
            }
        });
    for (auto& t : callers) t.join();
    // Drain what is left: each CPU flushes its own queue.
    for (unsigned c = 0; c < 4; c++) {
        SimCpu::Scope me(c);
        ipi_pending[c] = true;
        take_pending_ipi(c);
    }
    int total = 0;
    for (unsigned c = 0; c < 4; c++) total += per_cpu_calls[c].load();
    EXPECT_EQ(total, 4 * ROUNDS + 4 * (ROUNDS / 50) * 3);
}

TEST_F(SmpCall, SmpRescheduleGoesToOnlineCpusOnly) {
    smp_send_reschedule(2);
    EXPECT_EQ(resched_ipis[2].load(), 1u);
    smp_send_reschedule(5);  // offline
    EXPECT_EQ(resched_ipis[5].load(), 0u);
    EXPECT_EQ(warn_count, 1u);
}

}  // namespace
