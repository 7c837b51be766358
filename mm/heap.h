// Kernel heap statistics (the allocator itself is kmalloc/kfree in kernel/slab.h, mm/heap.cpp).
#pragma once
#include "kernel/types.h"

struct HeapStats {
    size_t arena_bytes;  // taken from the page allocator
    size_t used_bytes;   // handed out, including block headers
    size_t allocations;  // live kmalloc blocks
    size_t free_blocks;  // blocks on the free list (fragmentation)
};
HeapStats heap_stats();
