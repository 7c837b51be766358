// Host tests for the per-CPU vector allocator (kernel/irq/matrix.cpp) laid out as the x86 vector domain
// lays it out: device vectors FIRST_EXTERNAL_VECTOR .. FIRST_SYSTEM_VECTOR-1, the syscall vector a
// system bit, the ISA vectors preallocated on CPU 0. Allocation takes the least loaded online CPU of the
// mask and spreads over priority classes; exhaustion is -ENOSPC; free gives the vector back.
#include "kernel/irq/matrix.h"
#include "arch/x86/irq_vectors.h"
#include "kernel/printk.h"

#include "tests/host/support/host_env.h"
#include "tests/host/support/sim_cpu.h"

#include <gtest/gtest.h>
#include <set>
#include <string>

namespace {

constexpr unsigned NR_ISA = 16;
constexpr unsigned DEVICE_VECTORS = FIRST_SYSTEM_VECTOR - FIRST_EXTERNAL_VECTOR;

class Matrix : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        irq_matrix_init(&m_, NR_VECTORS, FIRST_EXTERNAL_VECTOR, FIRST_SYSTEM_VECTOR);
        irq_matrix_assign_system(&m_, IA32_SYSCALL_VECTOR, false);
        irq_matrix_online(&m_);
        for (unsigned i = 0; i < NR_ISA; i++) irq_matrix_assign(&m_, ISA_IRQ_VECTOR(i));
    }
    void online(unsigned cpu) {
        SimCpu::Scope s(cpu);
        irq_matrix_online(&m_);
    }
    cpumask_t mask(const char* list) {
        cpumask_t c;
        EXPECT_EQ(cpulist_parse(list, &c), 0);
        return c;
    }
    irq_matrix m_;
};

TEST_F(Matrix, AccountingAfterBoot) {
    EXPECT_EQ(m_.maps[0].available, DEVICE_VECTORS - 1 - NR_ISA);
    EXPECT_EQ(irq_matrix_available(&m_, false), DEVICE_VECTORS - 1 - NR_ISA);
    EXPECT_EQ(irq_matrix_allocated(&m_), NR_ISA);
    EXPECT_TRUE(irq_matrix_is_system(&m_, IA32_SYSCALL_VECTOR));
    EXPECT_TRUE(irq_matrix_test_bit(&m_, 0, ISA_IRQ_VECTOR(7)));
    online(1);
    EXPECT_EQ(m_.maps[1].available, DEVICE_VECTORS - 1);
    EXPECT_EQ(irq_matrix_available(&m_, false), 2 * (DEVICE_VECTORS - 1) - NR_ISA);
}

TEST_F(Matrix, LeastLoadedCpuOfTheMaskGetsTheVector) {
    online(1);
    unsigned cpu = 99;
    int v = irq_matrix_alloc(&m_, cpu_possible_mask, false, &cpu);
    ASSERT_GE(v, 0);
    EXPECT_EQ(cpu, 1u);  // CPU 0 holds the 16 ISA vectors
    v = irq_matrix_alloc(&m_, cpumask_of(0), false, &cpu);
    ASSERT_GE(v, 0);
    EXPECT_EQ(cpu, 0u);
    EXPECT_EQ(m_.maps[0].allocated, NR_ISA + 1);
    // An offline CPU is never chosen; an empty mask is refused.
    EXPECT_EQ(irq_matrix_alloc(&m_, cpumask_of(5), false, &cpu), -ENOSPC);
    cpumask_t none;
    cpumask_clear(&none);
    EXPECT_EQ(irq_matrix_alloc(&m_, &none, false, &cpu), -EINVAL);
}

TEST_F(Matrix, SpreadsOverPriorityClassesAndSkipsReservedVectors) {
    online(1);
    std::set<unsigned> classes;
    unsigned cpu;
    const unsigned first_class = FIRST_EXTERNAL_VECTOR >> 4,
                   nr_classes = ((FIRST_SYSTEM_VECTOR - 1) >> 4) - first_class + 1;
    // Every class but the syscall vector's (already one taken) gets one line, at its first vector...
    for (unsigned i = 0; i < nr_classes - 1; i++) {
        int v = irq_matrix_alloc(&m_, cpumask_of(1), false, &cpu);
        ASSERT_GE(v, 0);
        EXPECT_EQ(unsigned(v) & 15, 0u) << v;
        EXPECT_NE(unsigned(v) >> 4, IA32_SYSCALL_VECTOR >> 4) << v;
        classes.insert(unsigned(v) >> 4);
    }
    EXPECT_EQ(classes.size(), nr_classes - 1);
    // ... then every class has one taken and the lowest class gets its second.
    EXPECT_EQ(irq_matrix_alloc(&m_, cpumask_of(1), false, &cpu), int(FIRST_EXTERNAL_VECTOR + 1));
    // On CPU 0 the ISA class is full of legacy lines: its first allocations avoid it.
    for (unsigned i = 0; i < nr_classes - 1; i++) {
        int v = irq_matrix_alloc(&m_, cpumask_of(0), false, &cpu);
        ASSERT_GE(v, 0);
        EXPECT_NE(unsigned(v) >> 4, ISA_IRQ_VECTOR(0) >> 4) << v;
    }
}

TEST_F(Matrix, ExhaustionIsEnospcAndFreeGivesTheVectorBack) {
    unsigned cpu;
    std::set<int> got;
    for (;;) {
        int v = irq_matrix_alloc(&m_, cpumask_of(0), false, &cpu);
        if (v < 0) {
            EXPECT_EQ(v, -ENOSPC);
            break;
        }
        EXPECT_GE(v, int(FIRST_EXTERNAL_VECTOR));
        EXPECT_LT(v, int(FIRST_SYSTEM_VECTOR));
        EXPECT_NE(v, int(IA32_SYSCALL_VECTOR));
        EXPECT_FALSE(v >= int(ISA_IRQ_VECTOR(0)) && v <= int(ISA_IRQ_VECTOR(15))) << v;
        EXPECT_TRUE(got.insert(v).second) << "twice: " << v;
    }
    EXPECT_EQ(got.size(), DEVICE_VECTORS - 1 - NR_ISA);
    EXPECT_EQ(irq_matrix_available(&m_, false), 0u);
    irq_matrix_free(&m_, 0, 0x61, false);
    EXPECT_EQ(irq_matrix_available(&m_, false), 1u);
    EXPECT_EQ(irq_matrix_alloc(&m_, cpumask_of(0), false, &cpu), 0x61);
    // A legacy line's vector can be freed and reused like any other.
    irq_matrix_free(&m_, 0, ISA_IRQ_VECTOR(4), false);
    EXPECT_EQ(irq_matrix_alloc(&m_, cpumask_of(0), false, &cpu), int(ISA_IRQ_VECTOR(4)));
}

// Linux WARNs once per call site; what matters here is that nothing changes.
TEST_F(Matrix, BadFreeChangesNothing) {
    unsigned avl = irq_matrix_available(&m_, false), allocated = irq_matrix_allocated(&m_);
    irq_matrix_free(&m_, 0, 0x70, false);                  // never allocated
    irq_matrix_free(&m_, 0, IA32_SYSCALL_VECTOR, false);   // a system bit
    irq_matrix_free(&m_, 0, SPURIOUS_APIC_VECTOR, false);  // outside the allocation range
    irq_matrix_assign(&m_, ISA_IRQ_VECTOR(3));             // already assigned
    EXPECT_EQ(irq_matrix_available(&m_, false), avl);
    EXPECT_EQ(irq_matrix_allocated(&m_), allocated);
    EXPECT_TRUE(irq_matrix_is_system(&m_, IA32_SYSCALL_VECTOR));
    EXPECT_FALSE(irq_matrix_test_bit(&m_, 0, IA32_SYSCALL_VECTOR));
    EXPECT_GE(warn_count, 1u);
}

TEST_F(Matrix, ReservedAndManagedCounts) {
    online(1);
    irq_matrix_reserve(&m_);
    irq_matrix_reserve(&m_);
    EXPECT_EQ(irq_matrix_reserved(&m_), 2u);
    unsigned cpu;
    ASSERT_GE(irq_matrix_alloc(&m_, cpumask_of(1), true, &cpu), 0);
    EXPECT_EQ(irq_matrix_reserved(&m_), 1u);
    irq_matrix_remove_reserved(&m_);
    EXPECT_EQ(irq_matrix_reserved(&m_), 0u);

    unsigned avl = irq_matrix_available(&m_, false);
    cpumask_t both = mask("0-1");
    ASSERT_EQ(irq_matrix_reserve_managed(&m_, &both), 0);
    EXPECT_EQ(irq_matrix_available(&m_, false), avl - 2);
    EXPECT_EQ(m_.maps[1].managed, 1u);
    int v = irq_matrix_alloc_managed(&m_, &both, &cpu);
    ASSERT_GE(v, 0);
    EXPECT_EQ(m_.maps[cpu].managed_allocated, 1u);
    SimCpu::Scope s(cpu);
    unsigned alloc_nm = irq_matrix_allocated(&m_);
    irq_matrix_free(&m_, cpu, unsigned(v), true);
    EXPECT_EQ(irq_matrix_allocated(&m_), alloc_nm);  // managed ones are not in the non-managed count
    irq_matrix_remove_managed(&m_, &both);
    EXPECT_EQ(irq_matrix_available(&m_, false), avl);
}

void append(const char* s, size_t n, void* ctx) { static_cast<std::string*>(ctx)->append(s, n); }

TEST_F(Matrix, DebugShowListsSystemBitsAndEachCpu) {
    online(1);
    SimCpu::set_online(2);
    unsigned cpu;
    ASSERT_EQ(irq_matrix_alloc(&m_, cpumask_of(1), false, &cpu), 0x20);
    std::string s;
    irq_matrix_debug_show(&m_, append, &s, 1);
    EXPECT_EQ(s,
              "Online bitmaps:        2\n"
              "Global available:    389\n"
              "Global reserved:       0\n"
              "Total allocated:      17\n"
              "System: 1: 128\n"
              " | CPU | avl | man | mac | act | vectors\n"
              "     0   187     0     0   16  48-63\n"
              "     1   202     0     0    1  32\n");
}

}  // namespace
