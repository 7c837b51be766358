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

// One page of RAM below 1 MiB for real-mode code (the SMP trampoline: a STARTUP IPI can only start a CPU
// in the first MiB, at a page boundary). The lowest page from 0x1000 up that the memory map calls
// available and that holds neither the kernel nor the boot information; never handed out by
// pmm_alloc_pages (the first MiB never is) nor twice by this function. Linux reserve_real_mode does the
// same with memblock. Boot, single CPU. 0 when there is none.
uintptr_t pmm_reserve_low_page();
// Whether `addr`'s page below 1 MiB was reserved by pmm_reserve_low_page. Any context.
bool pmm_low_page_reserved(uintptr_t addr);

struct PmmStats {
    size_t total_pages;  // usable RAM pages the allocator manages (after the boot reservations)
    size_t free_pages;
};
PmmStats pmm_stats();

// Whether [addr, addr + len) lies inside one "available" range of the boot memory map, as the loader
// reported it (kept verbatim, independent of the bitmap, so tests can check the allocator against it).
// Any context; the ranges are read-only after pmm_init.
bool pmm_ram_contains(uintptr_t addr, size_t len);
