// Memory-mapped device registers as an object (the MMIO counterpart of kernel/io.h's PortIo), so a
// driver's register accesses can be faked by the host tests. Linux's ioread32/iowrite32 on an __iomem
// pointer; the real implementation is a volatile 32-bit access into the identity map, which covers the
// first 4 GiB (arch/x86/paging.h), where the firmware puts 32-bit BARs.
#pragma once
#include "kernel/types.h"

// A window of device registers. `offset` is a byte offset from the window's base, 4-byte aligned.
// Any context; an access has the device's side effects (no caching, no merging).
class IoMem {
public:
    virtual uint32_t read32(uint32_t offset) = 0;
    virtual void write32(uint32_t offset, uint32_t value) = 0;

protected:
    ~IoMem() = default;
};

// The real thing: a physical address below 4 GiB, reached through the identity map.
class DirectIoMem final : public IoMem {
public:
    DirectIoMem() = default;
    explicit DirectIoMem(uintptr_t phys) : base_(reinterpret_cast<volatile uint32_t*>(phys)) {}
    uint32_t read32(uint32_t offset) override { return base_[offset / 4]; }
    void write32(uint32_t offset, uint32_t value) override { base_[offset / 4] = value; }

private:
    volatile uint32_t* base_ = nullptr;
};
