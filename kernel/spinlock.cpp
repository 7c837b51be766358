// The out-of-line halves of the raw spinlocks (kernel/spinlock.h): the wait for a contended lock
// (test-and-test-and-set, so waiters spin on a shared cache line without writing it) and Linux's
// CONFIG_DEBUG_SPINLOCK checks (kernel/locking/spinlock_debug.c spin_bug "recursion"). Shared by the
// kernel and the host tests, where simulated CPUs are threads and the exclusion is real.
#include "kernel/spinlock.h"
#include "kernel/printk.h"

// Any context, preemption already disabled by raw_spin_lock.
void spin_debug_irqs_off() { WARN_ON_ONCE(!arch::irqs_disabled()); }

void raw_spin_lock_contended(raw_spinlock_t* l) {
    do {
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED)) arch::cpu_relax();
    } while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE));
}

// A CPU that spins on a lock it owns waits for itself forever. Linux prints the report and then
// spins anyway; irqos stops the CPU instead, so the report is the last thing on the console and the
// host tests can observe it (arch::halt aborts there).
[[noreturn]] static void spin_bug_recursion(raw_spinlock_t* l, unsigned cpu) {
    printk(KERN_EMERG "BUG: spinlock recursion on CPU#%u\n", cpu);
    printk(KERN_EMERG " lock: %pS, .owner_cpu: %d\n", (void*)l, __atomic_load_n(&l->owner_cpu, __ATOMIC_RELAXED));
    dump_stack();
    arch::halt();
}

void spin_debug_lock(raw_spinlock_t* l) {
    unsigned cpu = smp_processor_id();
    if (__atomic_load_n(&l->locked, __ATOMIC_RELAXED) && __atomic_load_n(&l->owner_cpu, __ATOMIC_RELAXED) == (int)cpu)
        spin_bug_recursion(l, cpu);
}

void spin_debug_locked(raw_spinlock_t* l) {
    __atomic_store_n(&l->owner_cpu, (int)smp_processor_id(), __ATOMIC_RELAXED);
}

void spin_debug_unlock(raw_spinlock_t* l) { __atomic_store_n(&l->owner_cpu, -1, __ATOMIC_RELAXED); }
