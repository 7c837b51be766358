// Raw spinlocks: test-and-test-and-set on compiler atomics, with Linux's debug check for a CPU
// taking a lock it already holds (kernel/locking/spinlock_debug.c spin_bug "recursion"). Shared by
// the kernel and the host tests, where simulated CPUs are threads and the exclusion is real.
#include "kernel/spinlock.h"
#include "kernel/preempt.h"
#include "kernel/printk.h"

// A CPU that spins on a lock it owns waits for itself forever. Linux prints the report and then
// spins anyway; irqos stops the CPU instead, so the report is the last thing on the console and the
// host tests can observe it (arch::halt aborts there).
[[noreturn]] static void spin_bug_recursion(raw_spinlock_t* l, unsigned cpu) {
    printk(KERN_EMERG "BUG: spinlock recursion on CPU#%u\n", cpu);
    printk(KERN_EMERG " lock: %pS, .owner_cpu: %d\n", (void*)l, __atomic_load_n(&l->owner_cpu, __ATOMIC_RELAXED));
    arch::dump_stack();
    arch::halt();
}

// Any context. Interrupt-safety is the caller's business (the _irqsave forms): taking a lock that an
// interrupt handler on this CPU also takes, with interrupts on, is exactly the recursion reported here.
void raw_spin_lock(raw_spinlock_t* l) {
    preempt_disable();
    unsigned cpu = smp_processor_id();
    if (__atomic_load_n(&l->locked, __ATOMIC_RELAXED) && __atomic_load_n(&l->owner_cpu, __ATOMIC_RELAXED) == (int)cpu)
        spin_bug_recursion(l, cpu);
    for (;;) {
        if (!__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) break;
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED)) arch::cpu_relax();
    }
    __atomic_store_n(&l->owner_cpu, (int)cpu, __ATOMIC_RELAXED);
}

// Any context. Never spins; no recursion check (failing is the expected answer then).
bool raw_spin_trylock(raw_spinlock_t* l) {
    preempt_disable();
    if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
        preempt_enable();
        return false;
    }
    __atomic_store_n(&l->owner_cpu, (int)smp_processor_id(), __ATOMIC_RELAXED);
    return true;
}

// Any context; the lock must be held by this CPU.
void raw_spin_unlock(raw_spinlock_t* l) {
    __atomic_store_n(&l->owner_cpu, -1, __ATOMIC_RELAXED);
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
    preempt_enable();
}
