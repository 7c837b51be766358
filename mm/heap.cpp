// The kernel heap behind kmalloc/kfree (kernel/slab.h): first fit over an address-ordered free list,
// splitting on allocation and coalescing with both neighbours on free (the K&R malloc design), growing
// by whole page runs from mm/pmm. Every block has a 16-byte header whose magic tells allocated from
// free, so a double free is detected and WARNed instead of corrupting the list; a pointer outside every
// arena is refused before its header is read.
#include "kernel/slab.h"
#include "mm/heap.h"
#include "mm/pmm.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"

namespace {
constexpr size_t HEAP_ALIGN = 16;
constexpr uint32_t MAGIC_ALLOCATED = 0x6b6d616c;  // "kmal"
constexpr uint32_t MAGIC_FREE = 0x66726565;       // "free"
constexpr size_t GROW_MIN_PAGES = 16;             // grow by at least 64 KiB

struct BlockHeader {
    size_t size;  // whole block, header included; a multiple of HEAP_ALIGN
    uint32_t magic;
    uint32_t reserved;
};
static_assert(sizeof(BlockHeader) == HEAP_ALIGN, "payload must stay 16-byte aligned");
struct FreeBlock {
    BlockHeader hdr;
    FreeBlock* next;  // address order
};
constexpr size_t MIN_BLOCK = (sizeof(FreeBlock) + HEAP_ALIGN - 1) & ~(HEAP_ALIGN - 1);

FreeBlock* free_list;
raw_spinlock_t heap_lock;
HeapStats stats;
// Lowest and highest address of any arena: kfree checks a pointer against them before reading its
// header, so a stray pointer into unmapped memory (page 0) gets its WARN instead of a page fault.
uintptr_t arena_lo = UINTPTR_MAX, arena_hi;

// Insert in address order and merge with the neighbours that touch it. Heap lock held.
void insert_free(FreeBlock* b) {
    b->hdr.magic = MAGIC_FREE;
    FreeBlock** link = &free_list;
    FreeBlock* prev = nullptr;
    while (*link && *link < b) {
        prev = *link;
        link = &(*link)->next;
    }
    b->next = *link;
    *link = b;
    stats.free_blocks++;
    if (b->next && reinterpret_cast<char*>(b) + b->hdr.size == reinterpret_cast<char*>(b->next)) {
        b->hdr.size += b->next->hdr.size;
        b->next = b->next->next;
        stats.free_blocks--;
    }
    if (prev && reinterpret_cast<char*>(prev) + prev->hdr.size == reinterpret_cast<char*>(b)) {
        prev->hdr.size += b->hdr.size;
        prev->next = b->next;
        stats.free_blocks--;
    }
}

// Heap lock held. Adds a run of pages big enough for a `need`-byte block.
bool grow(size_t need) {
    size_t pages = (need + PMM_PAGE_SIZE - 1) / PMM_PAGE_SIZE;
    if (pages < GROW_MIN_PAGES) pages = GROW_MIN_PAGES;
    uintptr_t mem = pmm_alloc_pages(pages);
    if (!mem) return false;
    auto* b = reinterpret_cast<FreeBlock*>(mem);
    b->hdr.size = pages * PMM_PAGE_SIZE;
    stats.arena_bytes += b->hdr.size;
    if (mem < arena_lo) arena_lo = mem;
    if (mem + b->hdr.size > arena_hi) arena_hi = mem + b->hdr.size;
    insert_free(b);
    return true;
}
}  // namespace

void* kmalloc(size_t size) {
    if (size == 0 || size > (1ull << 40)) return nullptr;
    size_t need = (size + sizeof(BlockHeader) + HEAP_ALIGN - 1) & ~(HEAP_ALIGN - 1);
    if (need < MIN_BLOCK) need = MIN_BLOCK;
    unsigned long flags;
    raw_spin_lock_irqsave(&heap_lock, flags);
    for (int attempt = 0; attempt < 2; attempt++) {
        for (FreeBlock** link = &free_list; *link; link = &(*link)->next) {
            FreeBlock* b = *link;
            if (b->hdr.size < need) continue;
            if (b->hdr.size - need >= MIN_BLOCK) {  // split: the tail stays free
                auto* rest = reinterpret_cast<FreeBlock*>(reinterpret_cast<char*>(b) + need);
                rest->hdr.size = b->hdr.size - need;
                rest->hdr.magic = MAGIC_FREE;
                rest->next = b->next;
                *link = rest;
                b->hdr.size = need;
            } else {
                *link = b->next;
                stats.free_blocks--;
            }
            b->hdr.magic = MAGIC_ALLOCATED;
            stats.used_bytes += b->hdr.size;
            stats.allocations++;
            raw_spin_unlock_irqrestore(&heap_lock, flags);
            return reinterpret_cast<char*>(b) + sizeof(BlockHeader);
        }
        if (!grow(need)) break;
    }
    raw_spin_unlock_irqrestore(&heap_lock, flags);
    return nullptr;
}

void kfree(const void* p) {
    if (!p) return;
    auto* b = reinterpret_cast<FreeBlock*>(const_cast<char*>(static_cast<const char*>(p)) - sizeof(BlockHeader));
    if (WARN(reinterpret_cast<uintptr_t>(p) % HEAP_ALIGN != 0, "kfree: %p was not returned by kmalloc\n", p)) return;
    unsigned long flags;
    raw_spin_lock_irqsave(&heap_lock, flags);
    uintptr_t addr = reinterpret_cast<uintptr_t>(b);
    uint32_t magic = addr >= arena_lo && addr < arena_hi ? b->hdr.magic : 0;
    if (magic != MAGIC_ALLOCATED) {
        raw_spin_unlock_irqrestore(&heap_lock, flags);
        WARN(true, magic == MAGIC_FREE ? "kfree: double free of %p\n" : "kfree: %p was not returned by kmalloc\n", p);
        return;
    }
    stats.used_bytes -= b->hdr.size;
    stats.allocations--;
    insert_free(b);
    raw_spin_unlock_irqrestore(&heap_lock, flags);
}

HeapStats heap_stats() {
    unsigned long flags;
    raw_spin_lock_irqsave(&heap_lock, flags);
    HeapStats s = stats;
    raw_spin_unlock_irqrestore(&heap_lock, flags);
    return s;
}
