// The one per-CPU mechanism (kernel/percpu.h): every CPU has its own copy of each DEFINE_PER_CPU
// variable, this_cpu_* reach the calling CPU's copy, per_cpu() any CPU's, smp_processor_id and
// preempt_count live there, and the copies start from the template's values.
#include "kernel/percpu.h"
#include "kernel/preempt.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/sim_cpu.h"
#include <thread>

namespace {
DEFINE_PER_CPU(unsigned, test_counter) = 7;
DEFINE_PER_CPU(unsigned long[4], test_array);
DEFINE_PER_CPU(bool, test_flag);

class PerCpuTest : public IrqTest {};

TEST_F(PerCpuTest, EachCpuStartsFromTheTemplateValue) {
    for_each_possible_cpu(cpu) EXPECT_EQ(per_cpu(test_counter, cpu), 7u) << "cpu " << cpu;
    EXPECT_EQ(this_cpu_read(test_counter), 7u);
}

TEST_F(PerCpuTest, ThisCpuOpsChangeOnlyTheCallersCopy) {
    {
        SimCpu::Scope on(3);
        this_cpu_inc(test_counter);
        this_cpu_add(test_counter, 10u);
        this_cpu_write(test_flag, true);
        this_cpu_write(test_array[2], 99ul);
        EXPECT_EQ(this_cpu_read(test_counter), 18u);
    }
    EXPECT_EQ(per_cpu(test_counter, 3), 18u);
    EXPECT_TRUE(per_cpu(test_flag, 3));
    EXPECT_EQ(per_cpu(test_array, 3)[2], 99ul);
    for (unsigned cpu : {0u, 1u, 2u, 4u, 7u}) {
        EXPECT_EQ(per_cpu(test_counter, cpu), 7u) << "cpu " << cpu;
        EXPECT_FALSE(per_cpu(test_flag, cpu)) << "cpu " << cpu;
        EXPECT_EQ(per_cpu(test_array, cpu)[2], 0ul) << "cpu " << cpu;
    }
    this_cpu_dec(test_counter);  // CPU 0
    EXPECT_EQ(per_cpu(test_counter, 0), 6u);
}

TEST_F(PerCpuTest, CopiesAreDistinctAndTheTemplateIsNotOneOfThem) {
    for_each_possible_cpu(cpu) {
        EXPECT_NE(per_cpu_ptr(&test_counter, cpu), &test_counter) << "cpu " << cpu;
        for (unsigned other = cpu + 1; other < NR_CPUS; other++)
            EXPECT_NE(per_cpu_ptr(&test_counter, cpu), per_cpu_ptr(&test_counter, other));
    }
    SimCpu::Scope on(5);
    EXPECT_EQ(this_cpu_ptr(&test_counter), per_cpu_ptr(&test_counter, 5));
}

TEST_F(PerCpuTest, CpuNumberAndOffsetLiveInTheArea) {
    for_each_possible_cpu(cpu) {
        SimCpu::Scope on(cpu);
        EXPECT_EQ(smp_processor_id(), cpu);
        EXPECT_EQ(this_cpu_read(this_cpu_off), __per_cpu_offset[cpu]);
    }
}

TEST_F(PerCpuTest, PreemptCountIsPerCpu) {
    preempt_disable();
    {
        SimCpu::Scope on(1);
        EXPECT_EQ(preempt_count(), 0u);
        preempt_count_add(HARDIRQ_OFFSET);
        EXPECT_TRUE(in_hardirq());
    }
    EXPECT_EQ(preempt_count(), 1u);
    EXPECT_EQ(per_cpu(__preempt_count, 1) & ~PREEMPT_NEED_RESCHED, HARDIRQ_OFFSET);
    preempt_enable();
}

// Simulated CPUs are threads: each increments its own copy with no lock and loses nothing.
TEST_F(PerCpuTest, SmpIncrementsOnTheirOwnCopiesLoseNothing) {
    constexpr unsigned ROUNDS = 20000, CPUS = 4;
    std::thread t[CPUS];
    for (unsigned c = 0; c < CPUS; c++)
        t[c] = std::thread([c] {
            SimCpu::Scope on(c);
            for (unsigned i = 0; i < ROUNDS; i++) this_cpu_inc(test_counter);
        });
    unsigned seen = 0;
    for (unsigned i = 0; i < 1000; i++) seen += per_cpu_read(test_counter, 1) >= 7 ? 0 : 1;  // racy reads
    for (auto& th : t) th.join();
    EXPECT_EQ(seen, 0u);
    for (unsigned c = 0; c < CPUS; c++) EXPECT_EQ(per_cpu(test_counter, c), 7 + ROUNDS) << "cpu " << c;
}
}  // namespace
