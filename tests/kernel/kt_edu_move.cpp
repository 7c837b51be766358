// kt_edu_move_and_count (see kt_edu_move.h).
#include "tests/kernel/kt_edu_move.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/kt_hw.h"
#include "kernel/cpumask.h"
#include "kernel/irq/interrupt.h"
#include "kernel/spinlock.h"

namespace {
constexpr unsigned RAISE_TIMEOUT_MS = 1000;
constexpr uint64_t QUIET_US = 20000;  // long enough for an interrupt in flight to land
}  // namespace

void kt_edu_move_and_count(edu_device* dev, unsigned irq, unsigned target, unsigned raises,
                           void (*check_hw)(unsigned irq, unsigned target)) {
    unsigned before[2] = {kstat_irqs_cpu(irq, 0), kstat_irqs_cpu(irq, 1)};
    edu_stats s0 = edu_get_stats(dev);
    unsigned long flags;
    local_irq_save(flags);
    edu_raise_irq(dev);  // sent on the line's current vector; this CPU takes it only after the move
    int ret = irq_set_affinity(irq, cpumask_of(target));
    local_irq_restore(flags);
    KEXPECT_EQ(ret, 0);
    kt_settle_us(QUIET_US);
    KEXPECT_EQ(edu_get_stats(dev).handled - s0.handled, 1ul);
    cpumask_t eff;
    if (KEXPECT_EQ(irq_get_affinity(irq, nullptr, &eff), 0)) KEXPECT_TRUE(cpumask_equal(&eff, cpumask_of(target)));
    check_hw(irq, target);
    KEXPECT_EQ(edu_raise(dev, raises, RAISE_TIMEOUT_MS), 0);
    kt_settle_us(QUIET_US);
    edu_stats s1 = edu_get_stats(dev);
    KEXPECT_EQ(s1.handled - s0.handled, (unsigned long)raises + 1);
    KEXPECT_EQ(s1.calls - s0.calls, (unsigned long)raises + 1);
    unsigned on_target = kstat_irqs_cpu(irq, target) - before[target];
    unsigned on_other = kstat_irqs_cpu(irq, target ^ 1) - before[target ^ 1];
    KEXPECT_EQ(on_target + on_other, raises + 1);
    if (!KEXPECT_TRUE(on_target >= raises))  // the one in flight may come on either CPU
        ktest_fail(__FILE__, __LINE__, "to CPU%u: %u there, %u on CPU%u", target, on_target, on_other, target ^ 1);
}
