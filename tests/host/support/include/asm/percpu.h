// Host per-CPU accessors for the simulated CPUs of the tests (tests/host/support/sim_cpu.h): the same API
// as arch/x86/include/asm/percpu.h, with the current simulated CPU's offset in place of the GS base.
// Accesses are relaxed atomics: on the real CPU each is one instruction, and a reader on another CPU
// (per_cpu) must not be reported as a data race by ThreadSanitizer for that. Included by kernel/percpu.h.
#pragma once

// __per_cpu_offset of the calling thread's simulated CPU (tests/host/support/percpu_host.cpp).
unsigned long host_this_cpu_offset();

template <typename T>
static inline T* this_cpu_ptr(T* ptr) {
    return reinterpret_cast<T*>(reinterpret_cast<uintptr_t>(ptr) + host_this_cpu_offset());
}

template <typename T>
static inline T this_cpu_read(const T& var) {
    T v;
    __atomic_load(this_cpu_ptr(&var), &v, __ATOMIC_RELAXED);
    return v;
}

template <typename T, typename V>
static inline void this_cpu_write(T& var, V value) {
    T v = static_cast<T>(value);
    __atomic_store(this_cpu_ptr(&var), &v, __ATOMIC_RELAXED);
}

template <typename T, typename V>
static inline void this_cpu_add(T& var, V value) {
    __atomic_fetch_add(this_cpu_ptr(&var), static_cast<T>(value), __ATOMIC_RELAXED);
}

template <typename T, typename V>
static inline void this_cpu_sub(T& var, V value) {
    __atomic_fetch_sub(this_cpu_ptr(&var), static_cast<T>(value), __ATOMIC_RELAXED);
}

template <typename T, typename V>
static inline void this_cpu_and(T& var, V value) {
    __atomic_fetch_and(this_cpu_ptr(&var), static_cast<T>(value), __ATOMIC_RELAXED);
}

template <typename T, typename V>
static inline void this_cpu_or(T& var, V value) {
    __atomic_fetch_or(this_cpu_ptr(&var), static_cast<T>(value), __ATOMIC_RELAXED);
}

template <typename T>
static inline bool this_cpu_dec_and_test(T& var) {
    return __atomic_sub_fetch(this_cpu_ptr(&var), T(1), __ATOMIC_RELAXED) == 0;
}
