// The physical page allocator: a bitmap over the identity-mapped first 4 GiB, filled from the Multiboot2
// memory map (available RAM only) minus the first MiB, the kernel image and the boot information.
#pragma once
#include "kernel/types.h"

struct BootInfo;

constexpr size_t PMM_PAGE_SIZE = 4096;

// Boot, before the heap; single CPU, interrupts off.
void pmm_init(const BootInfo& boot);
// `n` physically contiguous pages (identity-mapped, so the address is usable directly), or 0.
// Any context (spinlock, interrupts saved). Linear search: meant for the heap's occasional growth.
uintptr_t pmm_alloc_pages(size_t n);
// Any context. Freeing a page that is not allocated is reported with WARN and ignored.
void pmm_free_pages(uintptr_t addr, size_t n);

struct PmmStats {
    size_t total_pages;  // usable RAM pages the allocator manages (after the boot reservations)
    size_t free_pages;
};
PmmStats pmm_stats();

// Whether [addr, addr + len) lies inside one "available" range of the boot memory map, as the loader
// reported it (kept verbatim, independent of the bitmap, so tests can check the allocator against it).
// Any context; the ranges are read-only after pmm_init.
bool pmm_ram_contains(uintptr_t addr, size_t len);
