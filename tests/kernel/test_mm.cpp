// In-kernel tests of mm/: the kernel heap (kmalloc/kfree, kernel/slab.h: 16-byte alignment, first fit
// with coalescing, growth from the page allocator, WARNed double and foreign frees) and the bitmap page
// allocator (mm/pmm.h), checked against the boot memory map and the heap/pmm statistics.
#include "tests/kernel/ktest.h"
#include "kernel/printk.h"
#include "kernel/slab.h"
#include "lib/string.h"
#include "lib/vsprintf.h"
#include "mm/heap.h"
#include "mm/pmm.h"

extern "C" char __kernel_start[], __kernel_end[];

namespace {
constexpr size_t KMALLOC_ALIGN = 16;            // kernel/slab.h's promise
constexpr size_t HEADER_BYTES = 16;             // mm/heap.cpp block header: a 16-byte block granule
constexpr uintptr_t LOW_MEMORY_END = 1u << 20;  // pmm never hands out the first MiB
constexpr size_t NEIGHBOUR_PAYLOAD = 2000;      // bigger than any hole the boot left behind
constexpr uintptr_t UNMAPPED_POINTER = 0x20;    // page 0 is unmapped (arch/x86/paging.cpp guard)

// Sizes around the alignment granule and a few larger ones.
constexpr size_t SIZES[] = {1, 7, 15, 16, 17, 31, 32, 33, 64, 100, 255, 1000, 4096, 5000};
constexpr size_t NR_SIZES = sizeof(SIZES) / sizeof(SIZES[0]);

uint8_t pattern(size_t block, size_t i) { return uint8_t(block * 37 + i * 11 + 1); }

bool same_stats(const HeapStats& a, const HeapStats& b) {
    return a.arena_bytes == b.arena_bytes && a.used_bytes == b.used_bytes && a.allocations == b.allocations &&
           a.free_blocks == b.free_blocks;
}

// `bad_free` must WARN exactly once and log `text` exactly once more (a refused free says why, once).
template <typename F>
void expect_one_warning(const char* text, F bad_free) {
    unsigned long warns = warn_count;
    unsigned logged = ktest_log_count(text);
    bad_free();
    KEXPECT_EQ(warn_count, warns + 1);
    KEXPECT_EQ(ktest_log_count(text), logged + 1);
}

// Not from kmalloc: 16-byte aligned, with a zeroed "header" in front (what a stray pointer looks like).
alignas(KMALLOC_ALIGN) uint8_t foreign_buffer[64];
}  // namespace

KTEST(mm, kmalloc_blocks_are_aligned_disjoint_and_keep_their_contents) {
    HeapStats before = heap_stats();
    void* p[NR_SIZES];
    for (size_t b = 0; b < NR_SIZES; b++) {
        p[b] = kmalloc(SIZES[b]);
        KASSERT(p[b]);
        KEXPECT_EQ((uintptr_t)p[b] % KMALLOC_ALIGN, 0u);
        for (size_t i = 0; i < SIZES[b]; i++) static_cast<uint8_t*>(p[b])[i] = pattern(b, i);
    }
    for (size_t a = 0; a < NR_SIZES; a++)
        for (size_t b = a + 1; b < NR_SIZES; b++) {
            uintptr_t a0 = (uintptr_t)p[a], b0 = (uintptr_t)p[b];
            if (a0 < b0 + SIZES[b] && b0 < a0 + SIZES[a])
                ktest_fail(__FILE__, __LINE__, "blocks %p+%lu and %p+%lu overlap", p[a], (unsigned long)SIZES[a], p[b],
                           (unsigned long)SIZES[b]);
        }
    // Every byte still holds what was written: no block (or header) overwrote another.
    for (size_t b = 0; b < NR_SIZES; b++)
        for (size_t i = 0; i < SIZES[b]; i++)
            if (static_cast<uint8_t*>(p[b])[i] != pattern(b, i)) {
                ktest_fail(__FILE__, __LINE__, "block %lu byte %lu changed", (unsigned long)b, (unsigned long)i);
                break;
            }
    HeapStats mid = heap_stats();
    KEXPECT_EQ(mid.allocations, before.allocations + NR_SIZES);
    for (size_t b = 0; b < NR_SIZES; b++) kfree(p[b]);
    HeapStats after = heap_stats();
    KEXPECT_EQ(after.allocations, before.allocations);
    KEXPECT_EQ(after.used_bytes, before.used_bytes);
}

// First fit over an address-ordered list: A, B, C come out back to back from one free run. Freeing A
// and B must merge them, so a block of their combined size fits exactly where A was, without growing.
KTEST(mm, freed_neighbours_coalesce_and_are_reused_without_growing) {
    constexpr size_t block = (NEIGHBOUR_PAYLOAD + HEADER_BYTES + KMALLOC_ALIGN - 1) & ~(KMALLOC_ALIGN - 1);
    char* a = static_cast<char*>(kmalloc(NEIGHBOUR_PAYLOAD));
    char* b = static_cast<char*>(kmalloc(NEIGHBOUR_PAYLOAD));
    char* c = static_cast<char*>(kmalloc(NEIGHBOUR_PAYLOAD));  // keeps B from merging with the tail
    KASSERT(a && b && c);
    KEXPECT_EQ((uintptr_t)b, (uintptr_t)a + block);
    KEXPECT_EQ((uintptr_t)c, (uintptr_t)b + block);
    HeapStats s0 = heap_stats();
    kfree(a);
    HeapStats s1 = heap_stats();
    KEXPECT_EQ(s1.free_blocks, s0.free_blocks + 1);  // A alone: both its neighbours are in use
    KEXPECT_EQ(s1.used_bytes, s0.used_bytes - block);
    kfree(b);
    HeapStats s2 = heap_stats();
    KEXPECT_EQ(s2.free_blocks, s1.free_blocks);  // B merged into A: still one free block
    KEXPECT_EQ(s2.allocations, s0.allocations - 2);
    // Everything before A was too small for one block when A was carved (first fit), so the merged
    // 2-block hole is the first fit for a request of exactly its size.
    char* ab = static_cast<char*>(kmalloc(2 * block - HEADER_BYTES));
    HeapStats s3 = heap_stats();
    KEXPECT_EQ((uintptr_t)ab, (uintptr_t)a);
    KEXPECT_EQ(s3.arena_bytes, s0.arena_bytes);
    KEXPECT_EQ(s3.free_blocks, s2.free_blocks - 1);  // the hole was used whole
    memset(ab, 0x5a, 2 * block - HEADER_BYTES);      // spans the old A/B boundary
    KEXPECT_EQ((uintptr_t)c, (uintptr_t)ab + 2 * block);
    kfree(ab);
    kfree(c);
    HeapStats s4 = heap_stats();
    KEXPECT_EQ(s4.allocations, s0.allocations - 3);
    KEXPECT_EQ(s4.arena_bytes, s0.arena_bytes);
}

KTEST(mm, kfree_null_is_a_no_op) {
    HeapStats before = heap_stats();
    unsigned long warns = warn_count;
    kfree(nullptr);
    KEXPECT_EQ(warn_count, warns);
    KEXPECT_TRUE(same_stats(heap_stats(), before));
}

KTEST(mm, kmalloc_zero_returns_null) {
    HeapStats before = heap_stats();
    KEXPECT_EQ(kmalloc(0), (void*)nullptr);
    KEXPECT_TRUE(same_stats(heap_stats(), before));
}

KTEST(mm, double_free_is_warned_and_leaves_the_heap_intact) {
    void* p = kmalloc(48);
    KASSERT(p);
    kfree(p);
    HeapStats before = heap_stats();
    char text[64];
    snprintf(text, sizeof(text), "kfree: double free of %p\n", p);
    expect_one_warning(text, [&] { kfree(p); });
    KEXPECT_TRUE(same_stats(heap_stats(), before));
    // The free list still works: the same-sized request gets the same (first fit) block back, once.
    void* q = kmalloc(48);
    void* r = kmalloc(48);
    KEXPECT_EQ(q, p);
    KEXPECT_TRUE(r && r != p);
    KEXPECT_EQ(heap_stats().allocations, before.allocations + 2);
    kfree(q);
    kfree(r);
    KEXPECT_TRUE(same_stats(heap_stats(), before));
}

KTEST(mm, foreign_pointers_are_warned_and_ignored) {
    char* block = static_cast<char*>(kzalloc(256));
    KASSERT(block);
    HeapStats before = heap_stats();
    const void* bad[] = {
        foreign_buffer + KMALLOC_ALIGN,                   // static data: no header
        block + 64,                                       // inside a live block (zeroed payload, not a header)
        block + 1,                                        // not even aligned
        reinterpret_cast<const void*>(UNMAPPED_POINTER),  // its "header" would be in unmapped page 0
    };
    for (const void* p : bad) {
        char text[64];
        snprintf(text, sizeof(text), "kfree: %p was not returned by kmalloc\n", p);
        expect_one_warning(text, [&] { kfree(p); });
        KEXPECT_TRUE(same_stats(heap_stats(), before));
    }
    void* other = kmalloc(256);  // the heap still hands out fresh memory, not the live block
    KEXPECT_TRUE(other && ((uintptr_t)other + 256 <= (uintptr_t)block - HEADER_BYTES ||
                           (uintptr_t)other >= (uintptr_t)block + 256));
    kfree(other);
    kfree(block);
    KEXPECT_EQ(heap_stats().allocations, before.allocations - 1);
}

// A request bigger than the whole arena cannot fit: the heap must take pages from pmm for it, and a
// second request of the same size after kfree must reuse them instead of growing again.
KTEST(mm, large_allocation_grows_the_arena_from_the_page_allocator) {
    HeapStats h0 = heap_stats();
    PmmStats p0 = pmm_stats();
    size_t size = h0.arena_bytes + PMM_PAGE_SIZE;
    char* big = static_cast<char*>(kmalloc(size));
    KASSERT(big);
    HeapStats h1 = heap_stats();
    PmmStats p1 = pmm_stats();
    // At most arena - used bytes were free before, so the arena grew by at least the shortfall.
    KEXPECT_TRUE(h1.arena_bytes + (h0.arena_bytes - h0.used_bytes) >= h0.arena_bytes + size + HEADER_BYTES);
    KEXPECT_EQ(h1.arena_bytes % PMM_PAGE_SIZE, 0u);
    KEXPECT_EQ(p0.free_pages - p1.free_pages, (h1.arena_bytes - h0.arena_bytes) / PMM_PAGE_SIZE);
    KEXPECT_TRUE(pmm_ram_contains((uintptr_t)big - HEADER_BYTES, size + HEADER_BYTES));
    memset(big, 0xa5, size);  // all of it is mapped and ours
    KEXPECT_EQ((uint8_t)big[0], 0xa5);
    KEXPECT_EQ((uint8_t)big[size - 1], 0xa5);
    kfree(big);
    char* again = static_cast<char*>(kmalloc(size));
    KEXPECT_TRUE(again != nullptr);
    KEXPECT_EQ(heap_stats().arena_bytes, h1.arena_bytes);
    KEXPECT_EQ(pmm_stats().free_pages, p1.free_pages);
    kfree(again);
    KEXPECT_EQ(heap_stats().allocations, h0.allocations);
    // More than there is RAM: nullptr, and nothing taken.
    KEXPECT_EQ(kmalloc(p1.total_pages * PMM_PAGE_SIZE + PMM_PAGE_SIZE), (void*)nullptr);
    KEXPECT_EQ(pmm_stats().free_pages, p1.free_pages);
}

KTEST(mm, pmm_pages_are_aligned_usable_ram_and_counted) {
    PmmStats s0 = pmm_stats();
    KASSERT(s0.free_pages > 8 && s0.free_pages <= s0.total_pages);
    uintptr_t one = pmm_alloc_pages(1);
    uintptr_t run = pmm_alloc_pages(3);
    KASSERT(one && run);
    PmmStats s1 = pmm_stats();
    KEXPECT_EQ(s1.free_pages, s0.free_pages - 4);
    KEXPECT_EQ(s1.total_pages, s0.total_pages);
    uintptr_t kstart = (uintptr_t)__kernel_start, kend = (uintptr_t)__kernel_end;
    struct {
        uintptr_t addr;
        size_t n;
    } got[] = {{one, 1}, {run, 3}};
    for (auto& g : got) {
        size_t len = g.n * PMM_PAGE_SIZE;
        KEXPECT_EQ(g.addr % PMM_PAGE_SIZE, 0u);
        KEXPECT_TRUE(g.addr >= LOW_MEMORY_END);
        KEXPECT_TRUE(pmm_ram_contains(g.addr, len));
        KEXPECT_TRUE(g.addr + len <= kstart || g.addr >= kend);  // not the kernel image
        memset(reinterpret_cast<void*>(g.addr), 0xc3, len);
    }
    KEXPECT_TRUE(run > one);  // `one` was the lowest free page, so the run lies above it
    pmm_free_pages(run, 3);
    KEXPECT_EQ(pmm_stats().free_pages, s0.free_pages - 1);
    pmm_free_pages(one, 1);
    KEXPECT_EQ(pmm_stats().free_pages, s0.free_pages);
    // A page freed twice is reported and not counted twice.
    char text[64];
    snprintf(text, sizeof(text), "pmm: freeing page %lx that is not allocated\n", (unsigned long)one);
    expect_one_warning(text, [&] { pmm_free_pages(one, 1); });
    KEXPECT_EQ(pmm_stats().free_pages, s0.free_pages);
    // Freed pages are handed out again (first fit from the bottom).
    uintptr_t again = pmm_alloc_pages(1);
    KEXPECT_EQ(again, one);
    pmm_free_pages(again, 1);
    KEXPECT_EQ(pmm_stats().free_pages, s0.free_pages);
}
