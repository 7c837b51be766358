// Memory-mapped I/O as an object handed to drivers, the twin of kernel/io.h's PortIo (Linux readl/writel).
// A "direct" object is a window onto real device memory: its accessors are one volatile load or store with
// a compiler barrier on each side, so the compiler neither reorders other memory accesses around a device
// register access nor merges or drops one (x86 keeps uncached MMIO in program order, so no fence is
// needed). Any other object is a fake (host tests) and goes through the virtual do_* functions, which
// can record each access and fail on an unexpected offset. Offsets are in bytes from the window's base.
#pragma once
#include "kernel/types.h"

class Mmio {
public:
    uint32_t readl(uintptr_t offset) {
        if (!base_) return do_readl(offset);
        __asm__ volatile("" ::: "memory");
        uint32_t v = *reinterpret_cast<volatile uint32_t*>(base_ + offset);
        __asm__ volatile("" ::: "memory");
        return v;
    }
    void writel(uintptr_t offset, uint32_t value) {
        if (!base_) return do_writel(offset, value);
        __asm__ volatile("" ::: "memory");
        *reinterpret_cast<volatile uint32_t*>(base_ + offset) = value;
        __asm__ volatile("" ::: "memory");
    }
    // The window's physical (= identity-mapped virtual) base; 0 for a fake.
    uintptr_t base() const { return base_; }
    // The address of the register at `offset` for mmio_writel_direct, or 0 for a fake (whose accesses
    // must go through the object).
    uintptr_t direct_reg(uintptr_t offset) const { return base_ ? base_ + offset : 0; }

protected:
    explicit constexpr Mmio(uintptr_t base = 0) : base_(base) {}
    ~Mmio() = default;
    virtual uint32_t do_readl(uintptr_t) { return 0xffffffffu; }  // what a read of nothing returns
    virtual void do_writel(uintptr_t, uint32_t) {}

private:
    const uintptr_t base_;
};

// A store to a register address taken from Mmio::direct_reg, with the same barriers as writel: for a hot
// path that keeps the address instead of the object (the local APIC's EOI).
static inline void mmio_writel_direct(uintptr_t reg, uint32_t value) {
    __asm__ volatile("" ::: "memory");
    *reinterpret_cast<volatile uint32_t*>(reg) = value;
    __asm__ volatile("" ::: "memory");
}

// A direct window at a fixed address (the kernel's LAPIC and IO-APIC windows). The address must be
// mapped uncached.
class MmioWindow final : public Mmio {
public:
    explicit constexpr MmioWindow(uintptr_t base) : Mmio(base) {}
};
