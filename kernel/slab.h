// Kernel heap allocation (Linux's kmalloc/kfree names). The kernel build has a first-fit heap with
// coalescing on pages from the physical page allocator (mm/heap.cpp); the host build maps these to
// malloc/free in tests/host/support.
#pragma once
#include "kernel/types.h"
#include "lib/string.h"

// Any context (takes the heap spinlock with interrupts saved). Returns 16-byte aligned memory, or
// nullptr when memory is exhausted (or size is 0). Contents are uninitialised.
void* kmalloc(size_t size);
// Any context. kfree(nullptr) does nothing; a double free or a pointer kmalloc did not return is
// reported with WARN and otherwise ignored.
void kfree(const void* p);
// kmalloc and zero the memory (inline, so both builds get it from kmalloc).
static inline void* kzalloc(size_t size) {
    void* p = kmalloc(size);
    if (p) memset(p, 0, size);
    return p;
}
