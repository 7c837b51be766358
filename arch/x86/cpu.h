// Single-instruction CPU accessors (Intel SDM vol. 2 for each instruction; control registers: vol. 3A 2.5,
// MSRs: vol. 4). The only place besides arch/x86/portio.h where kernel C++ uses inline assembly.
#pragma once
#include "kernel/types.h"

namespace x86 {

constexpr uint32_t MSR_EFER = 0xC0000080;
constexpr uint32_t MSR_FS_BASE = 0xC0000100;
constexpr uint32_t MSR_GS_BASE = 0xC0000101;
constexpr unsigned long RFLAGS_IF = 1ul << 9;  // SDM vol. 1 3.4.3: interrupt enable flag

// Time-stamp counter. Any context. Under QEMU -icount shift=0 it advances by one per instruction.
static inline uint64_t rdtsc() {
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t(hi) << 32) | lo;
}
static inline uint64_t read_cr0() {
    uint64_t v;
    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}
static inline uint64_t read_cr2() {
    uint64_t v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}
static inline uint64_t read_cr3() {
    uint64_t v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}
static inline uint64_t read_cr4() {
    uint64_t v;
    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}
static inline void write_cr3(uint64_t v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline uint64_t read_rflags() {
    uint64_t f;
    __asm__ volatile("pushfq; pop %0" : "=r"(f) : : "memory");
    return f;
}
static inline uint64_t read_rbp() {
    uint64_t v;
    __asm__ volatile("mov %%rbp, %0" : "=r"(v));
    return v;
}
static inline uint64_t rdmsr(uint32_t msr) {
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t(hi) << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v) {
    __asm__ volatile("wrmsr" : : "c"(msr), "a"(uint32_t(v)), "d"(uint32_t(v >> 32)) : "memory");
}
static inline void invlpg(uintptr_t addr) { __asm__ volatile("invlpg (%0)" : : "r"(addr) : "memory"); }
static inline void cli() { __asm__ volatile("cli" : : : "memory"); }
static inline void sti() { __asm__ volatile("sti" : : : "memory"); }
static inline void hlt() { __asm__ volatile("hlt" : : : "memory"); }
static inline void pause() { __asm__ volatile("pause" : : : "memory"); }

}  // namespace x86

// Portable code that measures time in TSC ticks (tests, calibration) uses this name.
using x86::rdtsc;
