// Changes to the boot identity map (arch/x86/boot/boot32.asm: first 4 GiB, 2 MiB pages; Intel SDM vol. 3A
// 4.5 4-level paging). Only what the kernel needs now: unmapping single 4 KiB pages as guards.
#pragma once
#include "kernel/types.h"

constexpr uintptr_t PAGE_SIZE = 4096;
constexpr uintptr_t LARGE_PAGE_SIZE = 2 * 1024 * 1024;
constexpr uintptr_t IDENTITY_MAP_END = 4ull << 30;

// Remove the 4 KiB page at `addr` from the identity map, splitting its 2 MiB page if needed, so any
// access faults (#PF). Boot, interrupts off, single CPU (no TLB shootdown yet). False if out of range
// or out of page tables.
bool unmap_guard_page(uintptr_t addr);
// Unmap page 0 (NULL dereferences fault) and the page below the boot stack (overflow -> #DF report).
void paging_init_guards();
