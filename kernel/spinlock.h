// Spinlocks and RAII guards, as on SMP from the first line (Linux include/linux/spinlock.h names).
// A test-and-test-and-set lock built on compiler atomics, so the kernel and the host tests share it;
// on the host, simulated CPUs are threads and the lock really excludes them.
#pragma once
#include "kernel/percpu.h"
#include "kernel/preempt.h"

// CONFIG_DEBUG_SPINLOCK (Linux's name): record the owner CPU and report a CPU taking a lock it already
// holds ("BUG: spinlock recursion"), at the price of a few instructions per lock on every interrupt.
// Off in the default kernel image, on in the debug image and in the host tests (`make test` runs both).
#ifndef CONFIG_DEBUG_SPINLOCK
#define CONFIG_DEBUG_SPINLOCK 0
#endif
constexpr bool debug_spinlock = CONFIG_DEBUG_SPINLOCK;

struct raw_spinlock_t {
    int locked = 0;
    int owner_cpu = -1;  // CONFIG_DEBUG_SPINLOCK only: for the recursion check and dumps
};
using spinlock_t = raw_spinlock_t;

static inline void raw_spin_lock_init(raw_spinlock_t* l) {
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&l->owner_cpu, -1, __ATOMIC_RELAXED);
}
// The out-of-line parts (kernel/spinlock.cpp): waiting for a contended lock, and the debug checks.
void raw_spin_lock_contended(raw_spinlock_t* l);
void spin_debug_lock(raw_spinlock_t* l);    // before taking it: the recursion check
void spin_debug_locked(raw_spinlock_t* l);  // after: record the owner
void spin_debug_unlock(raw_spinlock_t* l);
void spin_debug_irqs_off();  // CONFIG_DEBUG_IRQFLAGS: WARN once if interrupts are on

// Any context; spins. Interrupt-safety is the caller's business (the _irqsave forms): taking a lock
// that an interrupt handler on this CPU also takes, with interrupts on, deadlocks this CPU (reported
// as recursion under CONFIG_DEBUG_SPINLOCK). The uncontended path is inline: one preempt_count
// increment and one exchange.
static inline void raw_spin_lock(raw_spinlock_t* l) {
    preempt_disable();
    if constexpr (debug_spinlock) spin_debug_lock(l);
    if (unlikely(__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))) raw_spin_lock_contended(l);
    if constexpr (debug_spinlock) spin_debug_locked(l);
}
// Any context. Never spins; no recursion check (failing is the expected answer then).
static inline bool raw_spin_trylock(raw_spinlock_t* l) {
    preempt_disable();
    if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
        preempt_enable();
        return false;
    }
    if constexpr (debug_spinlock) spin_debug_locked(l);
    return true;
}
// Any context; the lock must be held by this CPU.
static inline void raw_spin_unlock(raw_spinlock_t* l) {
    if constexpr (debug_spinlock) spin_debug_unlock(l);
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
    preempt_enable();
}
static inline bool raw_spin_is_locked(const raw_spinlock_t* l) {
    return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) != 0;
}

// The lock operation alone, without the preempt count (Linux do_raw_spin_lock / do_raw_spin_unlock,
// what raw_spin_lock wraps in preempt_disable). Only with interrupts off, where nothing can preempt
// this CPU anyway: the interrupt flow handlers take the descriptor lock this way, which keeps the
// preemption check of the unlock (a decrement and a branch) off every interrupt's path.
static inline void do_raw_spin_lock(raw_spinlock_t* l) {
    if constexpr (debug_irqflags) spin_debug_irqs_off();
    if constexpr (debug_spinlock) spin_debug_lock(l);
    if (unlikely(__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))) raw_spin_lock_contended(l);
    if constexpr (debug_spinlock) spin_debug_locked(l);
}
static inline void do_raw_spin_unlock(raw_spinlock_t* l) {
    if constexpr (debug_spinlock) spin_debug_unlock(l);
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

#define raw_spin_lock_irqsave(l, flags) \
    do {                                \
        (flags) = arch::irq_save();     \
        raw_spin_lock(l);               \
    } while (0)
#define raw_spin_unlock_irqrestore(l, flags) \
    do {                                     \
        raw_spin_unlock(l);                  \
        arch::irq_restore(flags);            \
    } while (0)
static inline void raw_spin_lock_irq(raw_spinlock_t* l) {
    arch::irq_disable();
    raw_spin_lock(l);
}
static inline void raw_spin_unlock_irq(raw_spinlock_t* l) {
    raw_spin_unlock(l);
    arch::irq_enable();
}

// Linux's local_irq_* names, for readers of the Linux sources.
#define local_irq_save(flags) ((flags) = arch::irq_save())
#define local_irq_restore(flags) arch::irq_restore(flags)
#define local_irq_enable() arch::irq_enable()
#define local_irq_disable() arch::irq_disable()
static inline bool irqs_disabled() { return arch::irqs_disabled(); }

// RAII: interrupts off on this CPU for the guard's lifetime (restored, not blindly enabled).
class IrqSaveGuard {
public:
    IrqSaveGuard() : flags_(arch::irq_save()) {}
    ~IrqSaveGuard() { arch::irq_restore(flags_); }
    IrqSaveGuard(const IrqSaveGuard&) = delete;
    IrqSaveGuard& operator=(const IrqSaveGuard&) = delete;

private:
    unsigned long flags_;
};

// RAII: lock held; does not touch the interrupt flag.
class SpinLockGuard {
public:
    explicit SpinLockGuard(raw_spinlock_t& l) : l_(l) { raw_spin_lock(&l_); }
    ~SpinLockGuard() { raw_spin_unlock(&l_); }
    SpinLockGuard(const SpinLockGuard&) = delete;
    SpinLockGuard& operator=(const SpinLockGuard&) = delete;

private:
    raw_spinlock_t& l_;
};

// RAII: interrupts off and lock held (raw_spin_lock_irqsave / unlock_irqrestore).
class SpinLockIrqSave {
public:
    explicit SpinLockIrqSave(raw_spinlock_t& l) : l_(l) { raw_spin_lock_irqsave(&l_, flags_); }
    ~SpinLockIrqSave() { raw_spin_unlock_irqrestore(&l_, flags_); }
    SpinLockIrqSave(const SpinLockIrqSave&) = delete;
    SpinLockIrqSave& operator=(const SpinLockIrqSave&) = delete;

private:
    raw_spinlock_t& l_;
    unsigned long flags_ = 0;
};
