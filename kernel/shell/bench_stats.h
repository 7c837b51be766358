// Samples of the in-guest benchmarks (schedbench, bhbench): sorted, then printed as the line
// tools/bench.py parses, "NAME: WHAT over N: min X median Y max Z TSC cycles".
#pragma once
#include "kernel/shell/shell.h"
#include "kernel/types.h"

static inline void bench_sort(uint64_t* v, unsigned long n) {
    for (unsigned long i = 1; i < n; i++)  // insertion sort: n is small
        for (unsigned long j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

// Sorts v[0..n) (n >= 1) and prints the summary line.
static inline void bench_report(const char* name, const char* what, uint64_t* v, unsigned long n) {
    bench_sort(v, n);
    shell_printf("%s: %s over %lu: min %llu median %llu max %llu TSC cycles\n", name, what, n, (unsigned long long)v[0],
                 (unsigned long long)v[n / 2], (unsigned long long)v[n - 1]);
}
