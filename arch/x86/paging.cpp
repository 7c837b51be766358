// Guard pages in the identity map. A 2 MiB page (PD entry with PS) is split into a page table of 512
// 4 KiB entries with the same attributes (SDM vol. 3A 4.5.4, tables 4-17 and 4-19), then one entry is
// cleared and its TLB entry invalidated with INVLPG.
#include "arch/x86/paging.h"
#include "arch/x86/cpu.h"
#include "arch/x86/stacktrace.h"
#include "kernel/printk.h"

extern "C" uint64_t boot_pd[];  // 4 page directories, one per GiB, back to back (boot32.asm)
extern "C" char boot_stack_guard[], boot_stack_bottom[], boot_stack_top[];

namespace {
constexpr uint64_t PTE_PRESENT = 1ull << 0, PTE_WRITE = 1ull << 1, PTE_LARGE = 1ull << 7;
constexpr uint64_t PDE_LARGE_FLAGS_MASK = 0xFFF & ~PTE_LARGE;  // P, RW, US, PWT, PCD, A, D, G
constexpr uint64_t PTE_ADDR_MASK = 0x000FFFFFFFFFF000ull;
constexpr unsigned ENTRIES = 512;
constexpr unsigned SPLIT_TABLES = 4;  // enough for a handful of guards in different 2 MiB pages

alignas(4096) uint64_t split_tables[SPLIT_TABLES][ENTRIES];
unsigned split_tables_used;
}  // namespace

bool unmap_guard_page(uintptr_t addr) {
    if (addr >= IDENTITY_MAP_END) return false;
    uint64_t& pde = boot_pd[addr / LARGE_PAGE_SIZE];
    if (pde & PTE_LARGE) {
        if (split_tables_used == SPLIT_TABLES) return false;
        uint64_t* pt = split_tables[split_tables_used++];
        uint64_t base = pde & PTE_ADDR_MASK & ~(LARGE_PAGE_SIZE - 1);
        for (unsigned i = 0; i < ENTRIES; i++) pt[i] = (base + i * PAGE_SIZE) | (pde & PDE_LARGE_FLAGS_MASK);
        // Page tables are identity-mapped, so the table's address is its physical address.
        pde = reinterpret_cast<uint64_t>(pt) | PTE_PRESENT | PTE_WRITE;
        x86::write_cr3(x86::read_cr3());  // drop the old 2 MiB translation everywhere in the TLB
    }
    uint64_t* pt = reinterpret_cast<uint64_t*>(pde & PTE_ADDR_MASK);
    pt[(addr / PAGE_SIZE) % ENTRIES] = 0;
    x86::invlpg(addr);
    return true;
}

void paging_init_guards() {
    register_kernel_stack(reinterpret_cast<uintptr_t>(boot_stack_bottom), reinterpret_cast<uintptr_t>(boot_stack_top));
    if (!unmap_guard_page(0)) pr_warn("paging: could not unmap page 0\n");
    if (!unmap_guard_page(reinterpret_cast<uintptr_t>(boot_stack_guard)))
        pr_warn("paging: could not unmap the boot stack guard page\n");
}
