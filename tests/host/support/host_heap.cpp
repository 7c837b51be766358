// Host kmalloc/kfree: malloc/free plus the knobs declared in host_heap.h.
#include "tests/host/support/host_heap.h"
#include "kernel/slab.h"
#include <atomic>
#include <cstdlib>

namespace {
std::atomic<unsigned> fail_count{0};
std::atomic<long> live_blocks{0};
}  // namespace

void* kmalloc(size_t size) {
    unsigned n = fail_count.load();
    while (n > 0) {
        if (fail_count.compare_exchange_weak(n, n - 1)) return nullptr;
    }
    if (!size) return nullptr;
    void* p = std::aligned_alloc(16, (size + 15) & ~size_t{15});
    if (p) live_blocks++;
    return p;
}

void kfree(const void* p) {
    if (!p) return;
    live_blocks--;
    std::free(const_cast<void*>(p));
}

namespace host_heap {
void fail_next(unsigned n) { fail_count = n; }
long live() { return live_blocks.load(); }
void reset() { fail_count = 0; }
}  // namespace host_heap
