// Host tests for irq domains (kernel/irq/irqdomain.cpp), the x86 vector domain at the root
// (kernel/irq/vector_domain.cpp) and irq_set_affinity (kernel/irq/affinity.cpp): allocation and free
// through two levels, activation at request_irq assigning a vector mapped in vector_irq, the hwirq map,
// and a line moved to another CPU with an interrupt arriving on the old vector mid-move.
#include "kernel/irq/interrupt.h"
#include "kernel/irq/irqdomain.h"
#include "kernel/irq/vector_domain.h"
#include "arch/x86/irq_vectors.h"
#include "arch/x86/vector.h"
#include "kernel/preempt.h"
#include "kernel/shell/shell.h"

#include "tests/host/support/host_env.h"
#include "tests/host/support/sim_cpu.h"

#include <gtest/gtest.h>
#include <cstring>
#include <string>
#include <set>
#include <utility>
#include <vector>

namespace {

// A child controller (IO-APIC or PCI-MSI shaped): acks at the parent, moves through the parent and then
// "reprograms" its pin with the vector and CPU the vector level chose.
class ChildChip final : public IrqChip {
public:
    ChildChip() : IrqChip("CHILD", IRQCHIP_OP_ACK | IRQCHIP_OP_MASK | IRQCHIP_OP_UNMASK | IRQCHIP_OP_SET_AFFINITY) {}
    void irq_ack(irq_data* d) override { irq_chip_ack_parent(d); }
    void irq_mask(irq_data*) override {}
    void irq_unmask(irq_data*) override {}
    int irq_set_affinity(irq_data* d, const cpumask_t* dest, bool force) override {
        int ret = irq_chip_set_affinity_parent(d, dest, force);
        if (ret >= 0) programmed++;
        return ret;
    }
    unsigned programmed = 0;
};
ChildChip child_chip;

int child_alloc(irq_domain* d, unsigned virq, unsigned nr, void* arg) {
    int err = irq_domain_alloc_irqs_parent(d, virq, nr, arg);
    if (err) return err;
    unsigned long hwirq = *static_cast<unsigned long*>(arg);
    for (unsigned i = 0; i < nr; i++)
        irq_domain_set_info(d, virq + i, hwirq + i, &child_chip, nullptr, handle_edge_irq, "edge");
    return 0;
}
void child_free(irq_domain* d, unsigned virq, unsigned nr) {
    for (unsigned i = 0; i < nr; i++) irq_domain_reset_irq_data(irq_domain_get_irq_data(d, virq + i));
    irq_domain_free_irqs_parent(d, virq, nr);
}
constexpr irq_domain_ops child_ops = {.alloc = child_alloc, .free = child_free};

std::vector<std::pair<unsigned, unsigned>> ipis;  // (cpu, vector)
std::set<unsigned> irr;                           // vectors "requested" at the local APIC
unsigned handler_calls;

irqreturn_t count_handler(int, void*) {
    handler_calls++;
    return IRQ_HANDLED;
}

class IrqDomain : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        ipis.clear();
        irr.clear();
        handler_calls = 0;
        SimCpu::set_online(2);
        ASSERT_EQ(x86_vector_domain_init(true), 0);
        {
            SimCpu::Scope cpu1(1);
            lapic_online();
        }
        vector_hooks h;
        h.send_ipi = [](unsigned cpu, unsigned vector) { ipis.emplace_back(cpu, vector); };
        h.irr_pending = [](unsigned vector) { return irr.count(vector) != 0; };
        vector_set_hooks(h);
        child_ = irq_domain_create_hierarchy(x86_vector_domain, 0, 64, &child_ops, nullptr, "CHILD");
        ASSERT_NE(child_, nullptr);
    }
    void TearDown() override {
        vector_set_hooks(vector_hooks{});
        irq_domain_remove(child_);
        irq_domain_remove(x86_vector_domain);
        x86_vector_domain = nullptr;
        host_env::reset_all();
    }
    int alloc(unsigned long hwirq, unsigned nr = 1) { return irq_domain_alloc_irqs(child_, nr, &hwirq); }
    apic_chip_data* apicd(unsigned irq) { return apic_chip_data_of(irq_domain_get_irq_data(x86_vector_domain, irq)); }
    // What do_IRQ does: this CPU's vector_irq entry, its flow between irq_enter and irq_exit.
    void fire_vector(unsigned cpu, unsigned vector) {
        SimCpu::Scope on(cpu);
        unsigned long flags = arch::irq_save();
        irq_enter();
        irq_desc* desc = per_cpu(vector_irq, cpu).desc[vector];
        ASSERT_FALSE(vector_desc_is_marker(desc)) << "vector " << vector << " on CPU" << cpu;
        generic_handle_irq_desc(desc);
        irq_exit();
        arch::irq_restore(flags);
    }
    irq_domain* child_ = nullptr;
    int dev_ = 0;
};

TEST_F(IrqDomain, AllocationBuildsTwoLevelsAndTheHwirqMap) {
    int irq = alloc(5, 2);
    ASSERT_GE(irq, int(NR_IRQS_LEGACY));
    for (unsigned i = 0; i < 2; i++) {
        unsigned virq = unsigned(irq) + i;
        irq_desc* desc = irq_to_desc(virq);
        EXPECT_TRUE(irq_desc_is_allocated(virq));
        EXPECT_EQ(desc->irq_data.domain, child_);
        EXPECT_EQ(desc->irq_data.chip, &child_chip);
        EXPECT_EQ(desc->irq_data.hwirq, 5 + i);
        EXPECT_EQ(desc->handle_irq, &handle_edge_irq);
        irq_data* parent = desc->irq_data.parent_data;
        ASSERT_NE(parent, nullptr);
        EXPECT_EQ(parent->domain, x86_vector_domain);
        EXPECT_STREQ(parent->chip->name(), "APIC");
        EXPECT_EQ(parent->hwirq, virq);  // the vector domain's hwirq is the IRQ number, as in Linux
        EXPECT_EQ(parent->parent_data, nullptr);
        EXPECT_EQ(irq_find_mapping(child_, 5 + i), virq);
        EXPECT_EQ(irq_domain_get_irq_data(x86_vector_domain, virq), parent);
        EXPECT_EQ(apicd(virq)->vector, 0u) << "no vector before activation";
    }
    EXPECT_EQ(irq_find_mapping(child_, 7), 0u);
    irq_domain_free_irqs(unsigned(irq), 2);
    EXPECT_FALSE(irq_desc_is_allocated(unsigned(irq)));
    EXPECT_EQ(irq_find_mapping(child_, 5), 0u);
    EXPECT_EQ(irq_to_desc(unsigned(irq))->irq_data.chip, &no_irq_chip);
    EXPECT_EQ(alloc(5), irq) << "the numbers are free again";
    irq_domain_free_irqs(unsigned(irq), 1);
}

TEST_F(IrqDomain, RequestActivatesAVectorAndFreeReleasesIt) {
    int irq = alloc(3);
    ASSERT_GE(irq, 0);
    unsigned avail = irq_matrix_available(&vector_matrix, false);
    ASSERT_EQ(request_irq(unsigned(irq), count_handler, 0, "dev", &dev_), 0);
    apic_chip_data* a = apicd(unsigned(irq));
    ASSERT_NE(a->vector, 0u);
    EXPECT_GE(a->vector, FIRST_EXTERNAL_VECTOR);
    EXPECT_LT(a->vector, FIRST_SYSTEM_VECTOR);
    EXPECT_EQ(a->cpu, 1u) << "CPU 0 carries the ISA vectors: CPU 1 is the least loaded";
    EXPECT_EQ(vector_irq_get(a->cpu, a->vector), irq);
    EXPECT_EQ(irq_matrix_available(&vector_matrix, false), avail - 1);
    EXPECT_TRUE(cpumask_equal(&irq_to_desc(unsigned(irq))->effective_affinity, cpumask_of(1)));

    fire_vector(a->cpu, a->vector);
    EXPECT_EQ(handler_calls, 1u);
    EXPECT_EQ(kstat_irqs_cpu(unsigned(irq), 1), 1u);

    unsigned cpu = a->cpu, vector = a->vector;
    free_irq(unsigned(irq), &dev_);
    EXPECT_EQ(a->vector, 0u);
    EXPECT_EQ(vector_irq_get(cpu, vector), VECTOR_SHUTDOWN) << "a late interrupt is counted quietly";
    EXPECT_EQ(irq_matrix_available(&vector_matrix, false), avail);
    irq_domain_free_irqs(unsigned(irq), 1);
}

TEST_F(IrqDomain, AllocationFailureLeavesNothing) {
    int base = alloc(0, 60);
    ASSERT_GE(base, 0);
    EXPECT_EQ(__irq_domain_alloc_irqs(child_, base, 1, nullptr), -EEXIST);
    irq_domain_free_irqs(unsigned(base), 60);
    EXPECT_EQ(irq_domain_alloc_irqs(child_, NR_IRQS, nullptr), -ENOSPC);
}

// The affinity move: new vector on the target CPU at once, old one still mapped; an interrupt that was
// already on its way to the old vector is handled there exactly once; the first interrupt on the new
// CPU sends the cleanup IPI; the old CPU releases the old vector.
TEST_F(IrqDomain, InterruptOnTheOldVectorMidMoveIsHandledOnceOnTheOldCpu) {
    int irq = alloc(9);
    ASSERT_GE(irq, 0);
    ASSERT_EQ(request_irq(unsigned(irq), count_handler, 0, "dev", &dev_), 0);
    apic_chip_data* a = apicd(unsigned(irq));
    const unsigned old_cpu = a->cpu, old_vector = a->vector, new_cpu = old_cpu ^ 1;

    ASSERT_EQ(irq_set_affinity(unsigned(irq), cpumask_of(new_cpu)), 0);
    EXPECT_EQ(a->cpu, new_cpu);
    EXPECT_TRUE(a->move_in_progress);
    EXPECT_EQ(vector_irq_get(new_cpu, a->vector), irq);
    EXPECT_EQ(vector_irq_get(old_cpu, old_vector), irq) << "old vector kept until the move completes";
    EXPECT_EQ(child_chip.programmed, 1u);
    cpumask_t req, eff;
    ASSERT_EQ(irq_get_affinity(unsigned(irq), &req, &eff), 0);
    EXPECT_TRUE(cpumask_equal(&req, cpumask_of(new_cpu)));
    EXPECT_TRUE(cpumask_equal(&eff, cpumask_of(new_cpu)));
    // A second move before the first one finished is refused.
    EXPECT_EQ(irq_set_affinity(unsigned(irq), cpumask_of(old_cpu)), -EBUSY);

    fire_vector(old_cpu, old_vector);  // in flight before the device was reprogrammed
    EXPECT_EQ(handler_calls, 1u);
    EXPECT_EQ(kstat_irqs_cpu(unsigned(irq), old_cpu), 1u);
    EXPECT_EQ(kstat_irqs_cpu(unsigned(irq), new_cpu), 0u);
    EXPECT_TRUE(a->move_in_progress) << "only an interrupt on the new CPU completes the move";
    EXPECT_TRUE(ipis.empty());

    fire_vector(new_cpu, a->vector);
    EXPECT_EQ(handler_calls, 2u);
    EXPECT_EQ(kstat_irqs_cpu(unsigned(irq), new_cpu), 1u);
    ASSERT_EQ(ipis.size(), 1u);
    EXPECT_EQ(ipis[0], std::make_pair(old_cpu, IRQ_MOVE_CLEANUP_VECTOR));
    EXPECT_TRUE(a->cleanup_pending);
    EXPECT_EQ(vector_irq_get(old_cpu, old_vector), irq);

    {  // the old CPU takes the cleanup IPI
        SimCpu::Scope on(old_cpu);
        vector_cleanup_this_cpu();
    }
    EXPECT_FALSE(a->cleanup_pending);
    EXPECT_EQ(vector_irq_get(old_cpu, old_vector), VECTOR_UNUSED);
    EXPECT_FALSE(irq_matrix_test_bit(&vector_matrix, old_cpu, old_vector));
    free_irq(unsigned(irq), &dev_);
    irq_domain_free_irqs(unsigned(irq), 1);
}

// The cleanup IPI finds the old vector still requested in the old CPU's IRR: the vector stays mapped,
// that last interrupt is handled (once, on the old CPU) and its acknowledgement releases the vector.
TEST_F(IrqDomain, OldVectorStillRequestedIsReleasedAfterItsLastInterrupt) {
    int irq = alloc(10);
    ASSERT_GE(irq, 0);
    ASSERT_EQ(request_irq(unsigned(irq), count_handler, 0, "dev", &dev_), 0);
    apic_chip_data* a = apicd(unsigned(irq));
    const unsigned old_cpu = a->cpu, old_vector = a->vector, new_cpu = old_cpu ^ 1;
    ASSERT_EQ(irq_set_affinity(unsigned(irq), cpumask_of(new_cpu)), 0);
    fire_vector(new_cpu, a->vector);
    irr.insert(old_vector);
    {
        SimCpu::Scope on(old_cpu);
        vector_cleanup_this_cpu();
    }
    EXPECT_TRUE(a->cleanup_pending);
    EXPECT_EQ(vector_irq_get(old_cpu, old_vector), irq);
    irr.clear();  // the CPU takes it
    fire_vector(old_cpu, old_vector);
    EXPECT_EQ(handler_calls, 2u);
    EXPECT_EQ(kstat_irqs_cpu(unsigned(irq), old_cpu), 1u);
    EXPECT_FALSE(a->cleanup_pending);
    EXPECT_EQ(vector_irq_get(old_cpu, old_vector), VECTOR_UNUSED);
    free_irq(unsigned(irq), &dev_);
    irq_domain_free_irqs(unsigned(irq), 1);
}

TEST_F(IrqDomain, AffinityRefusals) {
    int irq = alloc(11);
    ASSERT_GE(irq, 0);
    ASSERT_EQ(request_irq(unsigned(irq), count_handler, 0, "dev", &dev_), 0);
    cpumask_t offline;
    ASSERT_EQ(cpulist_parse("4-5", &offline), 0);
    EXPECT_EQ(irq_set_affinity(unsigned(irq), &offline), -EINVAL);
    EXPECT_EQ(irq_set_affinity(NR_IRQS, cpumask_of(0)), -EINVAL);
    EXPECT_EQ(irq_set_affinity(3, cpumask_of(0)), -EINVAL) << "no chip that can move it";
    // Already on a CPU of the mask: nothing moves.
    apic_chip_data* a = apicd(unsigned(irq));
    unsigned vector = a->vector;
    EXPECT_EQ(irq_set_affinity(unsigned(irq), cpu_online_mask), 0);
    EXPECT_EQ(a->vector, vector);
    EXPECT_FALSE(a->move_in_progress);
    free_irq(unsigned(irq), &dev_);
    irq_domain_free_irqs(unsigned(irq), 1);
}

std::string sh_out;
void sh_capture(const char* str, size_t n) { sh_out.append(str, n); }

// The shell's `irq N affinity [CPULIST]`: requested and effective lists, and every refusal with its code.
TEST_F(IrqDomain, ShellAffinityCommand) {
    auto previous = shell_set_output(sh_capture);
    shell_init();
    auto sh = [](const char* line) {
        sh_out.clear();
        char buf[128];
        strncpy(buf, line, sizeof(buf) - 1);
        buf[sizeof(buf) - 1] = '\0';
        return shell_execute(buf);
    };
    int irq = alloc(12);
    ASSERT_GE(irq, 0);
    ASSERT_EQ(request_irq(unsigned(irq), count_handler, 0, "dev", &dev_), 0);
    std::string n = std::to_string(irq);
    unsigned cpu = apicd(unsigned(irq))->cpu;
    EXPECT_EQ(sh(("irq " + n + " affinity").c_str()), 0);
    EXPECT_EQ(sh_out, "IRQ " + n + ": affinity 0-7, effective " + std::to_string(cpu) + "\n");
    std::string other = std::to_string(cpu ^ 1);
    EXPECT_EQ(sh(("irq " + n + " affinity " + other).c_str()), 0);
    EXPECT_EQ(sh_out, "IRQ " + n + ": affinity " + other + ", effective " + other + "\n");
    EXPECT_EQ(sh(("irq " + n + " affinity " + std::to_string(cpu)).c_str()), -EBUSY) << "the move is not finished";
    EXPECT_EQ(sh_out, "irq " + n + " affinity: irq_set_affinity failed: -16\n");
    EXPECT_EQ(sh(("irq " + n + " affinity 3-4").c_str()), -EINVAL);
    EXPECT_EQ(sh_out, "irq " + n + " affinity: no online CPU in '3-4' (online: 2 CPUs): -22\n");
    EXPECT_EQ(sh(("irq " + n + " affinity 9").c_str()), -ERANGE);
    EXPECT_EQ(sh_out, "irq " + n + " affinity: bad CPU list '9': -34\n");
    EXPECT_EQ(sh(("irq " + n + " affinity x").c_str()), -EINVAL);
    EXPECT_EQ(sh("irq 3 affinity 0"), -EINVAL);
    EXPECT_EQ(sh_out, "irq 3 affinity: irq_set_affinity failed: -22\n");
    shell_set_output(previous);
    free_irq(unsigned(irq), &dev_);
    irq_domain_free_irqs(unsigned(irq), 1);
}

}  // namespace
