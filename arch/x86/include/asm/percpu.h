// x86_64 per-CPU accessors (Linux arch/x86/include/asm/percpu.h): the GS base of each CPU holds that CPU's
// __per_cpu_offset, so "%gs:var" addresses the current CPU's copy of `var` in one instruction, whatever
// the addressing mode the compiler picks for `var` (var(%rip), var(,%rax,4), (%rdx)). The instruction
// is also atomic with respect to interrupts on this CPU, which is what makes this_cpu_inc safe to use
// with interrupts on (Linux's this_cpu_* guarantee); other CPUs read the counters with per_cpu().
// Included by kernel/percpu.h only.
#pragma once

namespace x86_percpu {
template <typename T>
constexpr bool is_word = sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8;
}  // namespace x86_percpu

#define IRQOS_PERCPU_SIZED(T, insn, ...)                                        \
    do {                                                                        \
        static_assert(x86_percpu::is_word<T>, "per-CPU op on a non-word type"); \
        if constexpr (sizeof(T) == 1)                                           \
            __asm__ volatile(insn "b " __VA_ARGS__);                            \
        else if constexpr (sizeof(T) == 2)                                      \
            __asm__ volatile(insn "w " __VA_ARGS__);                            \
        else if constexpr (sizeof(T) == 4)                                      \
            __asm__ volatile(insn "l " __VA_ARGS__);                            \
        else                                                                    \
            __asm__ volatile(insn "q " __VA_ARGS__);                            \
    } while (0)

template <typename T>
[[gnu::always_inline]] static inline T this_cpu_read(const T& var) {
    T v;
    IRQOS_PERCPU_SIZED(T, "mov", "%%gs:%1, %0" : "=r"(v) : "m"(var));
    return v;
}

template <typename T, typename V>
[[gnu::always_inline]] static inline void this_cpu_write(T& var, V value) {
    T v = static_cast<T>(value);
    IRQOS_PERCPU_SIZED(T, "mov", "%1, %%gs:%0" : "=m"(var) : "er"(v));
}

template <typename T, typename V>
[[gnu::always_inline]] static inline void this_cpu_add(T& var, V value) {
    T v = static_cast<T>(value);
    if (__builtin_constant_p(value) && value == 1)
        IRQOS_PERCPU_SIZED(T, "inc", "%%gs:%0" : "+m"(var));
    else
        IRQOS_PERCPU_SIZED(T, "add", "%1, %%gs:%0" : "+m"(var) : "er"(v));
}

template <typename T, typename V>
[[gnu::always_inline]] static inline void this_cpu_sub(T& var, V value) {
    T v = static_cast<T>(value);
    if (__builtin_constant_p(value) && value == 1)
        IRQOS_PERCPU_SIZED(T, "dec", "%%gs:%0" : "+m"(var));
    else
        IRQOS_PERCPU_SIZED(T, "sub", "%1, %%gs:%0" : "+m"(var) : "er"(v));
}

template <typename T, typename V>
[[gnu::always_inline]] static inline void this_cpu_and(T& var, V value) {
    T v = static_cast<T>(value);
    IRQOS_PERCPU_SIZED(T, "and", "%1, %%gs:%0" : "+m"(var) : "er"(v));
}

template <typename T, typename V>
[[gnu::always_inline]] static inline void this_cpu_or(T& var, V value) {
    T v = static_cast<T>(value);
    IRQOS_PERCPU_SIZED(T, "or", "%1, %%gs:%0" : "+m"(var) : "er"(v));
}

// Decrement and report whether the result is zero: one `dec` and one conditional jump (asm goto), as
// Linux's __preempt_count_dec_and_test. 4-byte variables only (the preempt count).
template <typename T>
[[gnu::always_inline]] static inline bool this_cpu_dec_and_test(T& var) {
    static_assert(sizeof(T) == 4, "this_cpu_dec_and_test: 4-byte variables only");
    __asm__ goto("decl %%gs:%0\n\tje %l[zero]" : : "m"(var) : "memory", "cc" : zero);
    return false;
zero:
    return true;
}

// The current CPU's copy of a per-CPU object, as an ordinary pointer (Linux this_cpu_ptr).
template <typename T>
[[gnu::always_inline]] static inline T* this_cpu_ptr(T* ptr) {
    return reinterpret_cast<T*>(reinterpret_cast<uintptr_t>(ptr) + this_cpu_read(this_cpu_off));
}
