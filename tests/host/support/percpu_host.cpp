// Per-CPU copies for the host tests: the same setup_per_cpu_areas as the kernel (kernel/percpu.cpp), with
// heap memory in place of the linker's reserved range, and the simulated CPU of the calling thread
// (sim_cpu.h) choosing the copy where the kernel's GS base does.
#include "kernel/percpu.h"
#include "tests/host/support/sim_cpu.h"
#include <cstdlib>

char* arch_per_cpu_areas(size_t bytes) {
    static char* base = nullptr;
    static size_t have = 0;
    size_t want = (bytes * NR_CPUS + 4095) & ~size_t(4095);
    if (!base || have < want) {
        std::free(base);
        base = static_cast<char*>(std::aligned_alloc(4096, want));
        if (!base) std::abort();
        have = want;
    }
    return base;
}

// The first per-CPU access of the process makes the copies (a static constructor may come first).
unsigned long host_this_cpu_offset() {
    static const bool ready = (setup_per_cpu_areas(), true);
    (void)ready;
    return __per_cpu_offset[SimCpu::current()];
}
