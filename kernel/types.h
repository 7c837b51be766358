// Basic types and compiler helpers shared by the kernel build and the host build.
// Only compiler built-in headers are used, so the same file works freestanding and hosted.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define __printf(a, b) __attribute__((format(printf, a, b)))
// One whole access that the compiler may neither tear, merge nor repeat (Linux READ_ONCE/WRITE_ONCE):
// a relaxed atomic access, which on x86 is the same single mov, and which ThreadSanitizer (like Linux's
// KCSAN) knows to be an intended concurrent access.
template <typename T>
[[gnu::always_inline]] static inline T __read_once(const volatile T* p) {
    T v;
    __atomic_load(p, &v, __ATOMIC_RELAXED);
    return v;
}
template <typename T, typename V>
[[gnu::always_inline]] static inline void __write_once(volatile T* p, V v) {
    T t = static_cast<T>(v);
    __atomic_store(p, &t, __ATOMIC_RELAXED);
}
#define READ_ONCE(x) __read_once(&(x))
#define WRITE_ONCE(x, v) __write_once(&(x), (v))

// Full compiler + CPU barrier (x86 is TSO; this orders stores against later loads too).
static inline void smp_mb() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
static inline void barrier() { __asm__ __volatile__("" ::: "memory"); }
