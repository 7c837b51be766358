// Spinlocks and RAII guards, as on SMP from the first line (Linux include/linux/spinlock.h names).
// A test-and-test-and-set lock built on compiler atomics, so the kernel and the host tests share it;
// on the host, simulated CPUs are threads and the lock really excludes them.
#pragma once
#include "kernel/percpu.h"

struct raw_spinlock_t {
    volatile int locked = 0;
    volatile int owner_cpu = -1;   // for debugging dumps and the recursion check
};
using spinlock_t = raw_spinlock_t;

static inline void raw_spin_lock_init(raw_spinlock_t* l) { l->locked = 0; l->owner_cpu = -1; }
void raw_spin_lock(raw_spinlock_t* l);      // spins; reports "BUG: spinlock recursion" on self-deadlock
bool raw_spin_trylock(raw_spinlock_t* l);
void raw_spin_unlock(raw_spinlock_t* l);
static inline bool raw_spin_is_locked(const raw_spinlock_t* l) { return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) != 0; }

#define raw_spin_lock_irqsave(l, flags) do { (flags) = arch::irq_save(); raw_spin_lock(l); } while (0)
#define raw_spin_unlock_irqrestore(l, flags) do { raw_spin_unlock(l); arch::irq_restore(flags); } while (0)
static inline void raw_spin_lock_irq(raw_spinlock_t* l) { arch::irq_disable(); raw_spin_lock(l); }
static inline void raw_spin_unlock_irq(raw_spinlock_t* l) { raw_spin_unlock(l); arch::irq_enable(); }

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
