// The shell's `mem` command: physical pages (mm/pmm) and kernel heap usage (mm/heap), like a tiny
// /proc/meminfo.
#include "kernel/shell/shell.h"
#include "mm/heap.h"
#include "mm/pmm.h"

namespace {
constexpr unsigned long KIB_PER_PAGE = PMM_PAGE_SIZE / 1024;

// Process context (shell).
int cmd_mem(int, char**) {
    PmmStats p = pmm_stats();
    HeapStats h = heap_stats();
    shell_printf("MemTotal:     %8lu kB  (%lu pages)\n", p.total_pages * KIB_PER_PAGE, (unsigned long)p.total_pages);
    shell_printf("MemFree:      %8lu kB  (%lu pages)\n", p.free_pages * KIB_PER_PAGE, (unsigned long)p.free_pages);
    shell_printf("HeapArena:    %8lu kB\n", (unsigned long)(h.arena_bytes / 1024));
    shell_printf("HeapUsed:     %8lu bytes in %lu allocations\n", (unsigned long)h.used_bytes,
                 (unsigned long)h.allocations);
    shell_printf("HeapFreeBlocks: %6lu\n", (unsigned long)h.free_blocks);
    return 0;
}
}  // namespace

SHELL_COMMAND("mem", "physical pages and kernel heap usage", cmd_mem);
