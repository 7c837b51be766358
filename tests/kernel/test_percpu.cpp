// The per-CPU mechanism on the real CPU: the GS base holds this CPU's per-CPU offset, so the
// gs-relative this_cpu_* instructions reach this CPU's copy, never the template.
#include "tests/kernel/ktest.h"
#include "arch/x86/cpu.h"
#include "kernel/percpu.h"
#include "kernel/preempt.h"
#include "kernel/spinlock.h"

namespace {
DEFINE_PER_CPU(unsigned, kt_counter) = 41;
}

KTEST(percpu, gs_base_is_this_cpus_offset) {
    IrqSaveGuard irqs_off;
    unsigned cpu = smp_processor_id();
    KASSERT(cpu < NR_CPUS);
    KEXPECT_EQ(x86::rdmsr(x86::MSR_GS_BASE), (uint64_t)__per_cpu_offset[cpu]);
    KEXPECT_EQ(this_cpu_read(this_cpu_off), __per_cpu_offset[cpu]);
    KEXPECT_EQ(per_cpu(cpu_number, cpu), cpu);
}

KTEST(percpu, this_cpu_ops_change_this_cpus_copy_only) {
    IrqSaveGuard irqs_off;
    unsigned cpu = smp_processor_id();
    unsigned before = this_cpu_read(kt_counter);
    this_cpu_inc(kt_counter);
    this_cpu_add(kt_counter, 5u);
    KEXPECT_EQ(per_cpu(kt_counter, cpu), before + 6);
    KEXPECT_EQ(kt_counter, 41u);  // the template keeps its initial value
    KEXPECT_EQ(per_cpu(kt_counter, (cpu + 1) % NR_CPUS), 41u);
    this_cpu_sub(kt_counter, 6u);
    KEXPECT_EQ(this_cpu_read(kt_counter), before);
    KEXPECT_EQ(preempt_count() & HARDIRQ_MASK, 0u);
}

// The debug image (KDEBUG=1) records a lock's owner for the recursion check; the default image keeps
// the lock to one exchange and never writes the owner.
KTEST(spinlock, owner_is_recorded_exactly_when_debug_spinlock_is_on) {
    raw_spinlock_t lock;
    raw_spin_lock_init(&lock);
    IrqSaveGuard irqs_off;
    raw_spin_lock(&lock);
    KEXPECT_TRUE(raw_spin_is_locked(&lock));
    KEXPECT_EQ(lock.owner_cpu, debug_spinlock ? (int)smp_processor_id() : -1);
    raw_spin_unlock(&lock);
    KEXPECT_FALSE(raw_spin_is_locked(&lock));
    KEXPECT_EQ(lock.owner_cpu, -1);
}
