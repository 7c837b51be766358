// Bitmap page allocator (one bit per 4 KiB page, set = in use), the simplest allocator that can say for
// every page whether it is free, so double frees are caught. The Multiboot2 map (spec 3.6.8) decides
// what is RAM; everything else stays marked in use forever.
#include "mm/pmm.h"
#include "init/multiboot2.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"

extern "C" char __kernel_start[], __kernel_end[];

namespace {
constexpr uint64_t PMM_MAX_PHYS = 4ull << 30;               // the boot identity map's reach
constexpr size_t MAX_PAGES = PMM_MAX_PHYS / PMM_PAGE_SIZE;  // 1 Mi pages -> 128 KiB bitmap
constexpr uint64_t LOW_MEMORY_END = 1u << 20;               // BIOS, EBDA, VGA, option ROMs: never handed out
constexpr unsigned BITS = 64;
constexpr unsigned MAX_RAM_RANGES = 32;  // QEMU and Bochs report a handful

struct RamRange {
    uint64_t start, end;
};  // [start, end) in bytes
RamRange ram_ranges[MAX_RAM_RANGES];
unsigned nr_ram_ranges;

uint64_t bitmap[MAX_PAGES / BITS];
uint64_t mbi_start, mbi_end;                                   // the boot information, which may lie below 1 MiB
uint64_t low_reserved[LOW_MEMORY_END / PMM_PAGE_SIZE / BITS];  // pages handed out by pmm_reserve_low_page
size_t total_pages, free_pages, max_page;
raw_spinlock_t pmm_lock;

bool test(size_t pfn) { return bitmap[pfn / BITS] & (1ull << (pfn % BITS)); }
void set(size_t pfn) { bitmap[pfn / BITS] |= 1ull << (pfn % BITS); }
void clear(size_t pfn) { bitmap[pfn / BITS] &= ~(1ull << (pfn % BITS)); }

void mark_range(uint64_t start, uint64_t end, bool used) {  // [start, end) in bytes, whole pages inside
    if (end > PMM_MAX_PHYS) end = PMM_MAX_PHYS;
    for (uint64_t pfn = start / PMM_PAGE_SIZE; pfn < end / PMM_PAGE_SIZE; pfn++) {
        if (used && !test(pfn)) {
            set(pfn);
            free_pages--;
        } else if (!used && test(pfn)) {
            clear(pfn);
            free_pages++;
        }
    }
}
}  // namespace

void pmm_init(const BootInfo& boot) {
    for (auto& w : bitmap) w = ~0ull;
    free_pages = 0;
    for (uint32_t i = 0; i < boot.mmap_entries; i++) {
        const Mb2MmapEntry& e = boot.mmap_entry(i);
        if (e.type != MB2_MEMORY_AVAILABLE || e.base_addr >= PMM_MAX_PHYS) continue;
        if (nr_ram_ranges < MAX_RAM_RANGES) ram_ranges[nr_ram_ranges++] = {e.base_addr, e.base_addr + e.length};
        // Only whole pages inside the region: round the start up and the end down.
        uint64_t start = (e.base_addr + PMM_PAGE_SIZE - 1) & ~(PMM_PAGE_SIZE - 1);
        uint64_t end = (e.base_addr + e.length) & ~(PMM_PAGE_SIZE - 1);
        if (end > start) mark_range(start, end, false);
        if (end / PMM_PAGE_SIZE > max_page) max_page = end / PMM_PAGE_SIZE;
    }
    if (max_page > MAX_PAGES) max_page = MAX_PAGES;
    mark_range(0, LOW_MEMORY_END, true);
    uint64_t kstart = reinterpret_cast<uintptr_t>(__kernel_start) & ~(PMM_PAGE_SIZE - 1);
    mark_range(kstart, (reinterpret_cast<uintptr_t>(__kernel_end) + PMM_PAGE_SIZE - 1) & ~(PMM_PAGE_SIZE - 1), true);
    mark_range(boot.mbi_start & ~(PMM_PAGE_SIZE - 1), (boot.mbi_end + PMM_PAGE_SIZE - 1) & ~(PMM_PAGE_SIZE - 1), true);
    mbi_start = boot.mbi_start;
    mbi_end = boot.mbi_end;
    total_pages = free_pages;
    pr_info("pmm: %lu KiB available in %lu pages (kernel %lx-%lx)\n", (unsigned long)(total_pages * 4),
            (unsigned long)total_pages, (unsigned long)kstart,
            (unsigned long)reinterpret_cast<uintptr_t>(__kernel_end));
}

uintptr_t pmm_alloc_pages(size_t n) {
    if (n == 0) return 0;
    unsigned long flags;
    raw_spin_lock_irqsave(&pmm_lock, flags);
    uintptr_t result = 0;
    size_t run = 0;
    for (size_t pfn = LOW_MEMORY_END / PMM_PAGE_SIZE; pfn < max_page; pfn++) {
        run = test(pfn) ? 0 : run + 1;
        if (run == n) {
            size_t first = pfn + 1 - n;
            for (size_t p = first; p <= pfn; p++) set(p);
            free_pages -= n;
            result = first * PMM_PAGE_SIZE;
            break;
        }
    }
    raw_spin_unlock_irqrestore(&pmm_lock, flags);
    return result;
}

void pmm_free_pages(uintptr_t addr, size_t n) {
    unsigned long flags;
    raw_spin_lock_irqsave(&pmm_lock, flags);
    for (size_t pfn = addr / PMM_PAGE_SIZE; pfn < addr / PMM_PAGE_SIZE + n; pfn++) {
        if (WARN(pfn >= max_page || !test(pfn) || (addr % PMM_PAGE_SIZE) != 0,
                 "pmm: freeing page %lx that is not allocated\n", (unsigned long)(pfn * PMM_PAGE_SIZE)))
            continue;
        clear(pfn);
        free_pages++;
    }
    raw_spin_unlock_irqrestore(&pmm_lock, flags);
}

uintptr_t pmm_reserve_low_page() {
    uint64_t kstart = reinterpret_cast<uintptr_t>(__kernel_start), kend = reinterpret_cast<uintptr_t>(__kernel_end);
    for (uint64_t page = PMM_PAGE_SIZE; page < LOW_MEMORY_END; page += PMM_PAGE_SIZE) {
        size_t pfn = page / PMM_PAGE_SIZE;
        bool overlaps_mbi = page < mbi_end && page + PMM_PAGE_SIZE > mbi_start;
        bool overlaps_kernel = page < kend && page + PMM_PAGE_SIZE > kstart;
        if ((low_reserved[pfn / BITS] >> (pfn % BITS)) & 1 || overlaps_mbi || overlaps_kernel ||
            !pmm_ram_contains(page, PMM_PAGE_SIZE))
            continue;
        low_reserved[pfn / BITS] |= 1ull << (pfn % BITS);
        return page;
    }
    return 0;
}

bool pmm_low_page_reserved(uintptr_t addr) {
    if (addr >= LOW_MEMORY_END) return false;
    size_t pfn = addr / PMM_PAGE_SIZE;
    return (low_reserved[pfn / BITS] >> (pfn % BITS)) & 1;
}

PmmStats pmm_stats() {
    unsigned long flags;
    raw_spin_lock_irqsave(&pmm_lock, flags);
    PmmStats s = {total_pages, free_pages};
    raw_spin_unlock_irqrestore(&pmm_lock, flags);
    return s;
}

bool pmm_ram_contains(uintptr_t addr, size_t len) {
    for (unsigned i = 0; i < nr_ram_ranges; i++)
        if (addr >= ram_ranges[i].start && addr < ram_ranges[i].end && len <= ram_ranges[i].end - addr) return true;
    return false;
}
