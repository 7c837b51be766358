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
#define READ_ONCE(x) (*(const volatile __typeof__(x)*)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x)*)&(x) = (v))

// Full compiler + CPU barrier (x86 is TSO; this orders stores against later loads too).
static inline void smp_mb() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
static inline void barrier() { __asm__ __volatile__("" ::: "memory"); }
