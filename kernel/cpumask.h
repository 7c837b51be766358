// CPU masks (Linux include/linux/cpumask.h and lib/bitmap-str.c's list format): a bitmap of NR_CPUS
// bits with Linux's operations, for_each_cpu, the online and possible masks, and the "0-2,5" list
// format the shell's `irq N affinity` and the interrupts code read and print.
//
// Usage:  cpumask_t m; cpumask_clear(&m); cpumask_set_cpu(1, &m);
//         if (!cpumask_and(&m, &m, cpu_online_mask)) return -EINVAL;   // nothing online in it
//         for_each_cpu(cpu, &m) ...;
//         int err = cpulist_parse("0-2,5", &m);                       // -EINVAL, -ERANGE, -EOVERFLOW
//         char buf[CPULIST_BUF_SIZE]; cpulist_print(buf, sizeof(buf), &m);  // "0-2,5"
// Every function is callable in any context (no lock, no sleep); a mask is a plain value, and the
// caller serialises writers of a shared one.
#pragma once
#include "kernel/percpu.h"

constexpr unsigned BITS_PER_LONG = sizeof(unsigned long) * 8;
constexpr unsigned CPUMASK_LONGS = (NR_CPUS + BITS_PER_LONG - 1) / BITS_PER_LONG;
// Linux's nr_cpu_ids: the CPU numbers that can exist. What cpumask_first and friends return for "none".
constexpr unsigned nr_cpu_ids = NR_CPUS;

struct cpumask_t {
    unsigned long bits[CPUMASK_LONGS];
};
using cpumask_var_t = cpumask_t;  // Linux's off-stack variant; NR_CPUS is small, so always on the stack

static inline unsigned long cpumask_word_bit(unsigned cpu) { return 1ul << (cpu % BITS_PER_LONG); }

static inline void cpumask_clear(cpumask_t* m) {
    for (unsigned long& w : m->bits) w = 0;
}
static inline void cpumask_setall(cpumask_t* m) {
    cpumask_clear(m);
    for (unsigned cpu = 0; cpu < nr_cpu_ids; cpu++) m->bits[cpu / BITS_PER_LONG] |= cpumask_word_bit(cpu);
}
static inline void cpumask_copy(cpumask_t* dst, const cpumask_t* src) { *dst = *src; }
// A CPU number >= nr_cpu_ids is ignored by set/clear and tests false (Linux WARNs under
// CONFIG_DEBUG_PER_CPU_MAPS; callers here validate user input with cpulist_parse first).
static inline void cpumask_set_cpu(unsigned cpu, cpumask_t* m) {
    if (cpu < nr_cpu_ids) m->bits[cpu / BITS_PER_LONG] |= cpumask_word_bit(cpu);
}
static inline void cpumask_clear_cpu(unsigned cpu, cpumask_t* m) {
    if (cpu < nr_cpu_ids) m->bits[cpu / BITS_PER_LONG] &= ~cpumask_word_bit(cpu);
}
static inline bool cpumask_test_cpu(unsigned cpu, const cpumask_t* m) {
    return cpu < nr_cpu_ids && (m->bits[cpu / BITS_PER_LONG] & cpumask_word_bit(cpu)) != 0;
}
// The next set CPU after `n` (n = -1: the first), or nr_cpu_ids when there is none.
static inline unsigned cpumask_next(int n, const cpumask_t* m) {
    for (unsigned cpu = unsigned(n + 1); cpu < nr_cpu_ids; cpu++)
        if (cpumask_test_cpu(cpu, m)) return cpu;
    return nr_cpu_ids;
}
static inline unsigned cpumask_first(const cpumask_t* m) { return cpumask_next(-1, m); }
static inline unsigned cpumask_weight(const cpumask_t* m) {
    unsigned n = 0;
    for (unsigned long w : m->bits) n += unsigned(__builtin_popcountl(w));
    return n;
}
static inline bool cpumask_empty(const cpumask_t* m) {
    for (unsigned long w : m->bits)
        if (w) return false;
    return true;
}
static inline bool cpumask_equal(const cpumask_t* a, const cpumask_t* b) {
    for (unsigned i = 0; i < CPUMASK_LONGS; i++)
        if (a->bits[i] != b->bits[i]) return false;
    return true;
}
// dst = a & b; true when the result is not empty (Linux's return value).
static inline bool cpumask_and(cpumask_t* dst, const cpumask_t* a, const cpumask_t* b) {
    unsigned long any = 0;
    for (unsigned i = 0; i < CPUMASK_LONGS; i++) any |= (dst->bits[i] = a->bits[i] & b->bits[i]);
    return any != 0;
}
static inline void cpumask_or(cpumask_t* dst, const cpumask_t* a, const cpumask_t* b) {
    for (unsigned i = 0; i < CPUMASK_LONGS; i++) dst->bits[i] = a->bits[i] | b->bits[i];
}
// dst = a & ~b; true when the result is not empty.
static inline bool cpumask_andnot(cpumask_t* dst, const cpumask_t* a, const cpumask_t* b) {
    unsigned long any = 0;
    for (unsigned i = 0; i < CPUMASK_LONGS; i++) any |= (dst->bits[i] = a->bits[i] & ~b->bits[i]);
    return any != 0;
}
static inline bool cpumask_intersects(const cpumask_t* a, const cpumask_t* b) {
    for (unsigned i = 0; i < CPUMASK_LONGS; i++)
        if (a->bits[i] & b->bits[i]) return true;
    return false;
}
static inline bool cpumask_subset(const cpumask_t* a, const cpumask_t* b) {
    for (unsigned i = 0; i < CPUMASK_LONGS; i++)
        if (a->bits[i] & ~b->bits[i]) return false;
    return true;
}
// The first CPU set in both, or nr_cpu_ids.
static inline unsigned cpumask_first_and(const cpumask_t* a, const cpumask_t* b) {
    for (unsigned cpu = 0; cpu < nr_cpu_ids; cpu++)
        if (cpumask_test_cpu(cpu, a) && cpumask_test_cpu(cpu, b)) return cpu;
    return nr_cpu_ids;
}

// Linux's for_each_cpu: `cpu` (declared here, unsigned) runs over the set CPUs in ascending order.
#define for_each_cpu(cpu, mask) \
    for (unsigned cpu = cpumask_first(mask); cpu < nr_cpu_ids; cpu = cpumask_next(int(cpu), mask))

// A mask with only `cpu` set (Linux cpumask_of); NULL-free: an out-of-range cpu gives the empty mask.
const cpumask_t* cpumask_of(unsigned cpu);
// Every CPU number (Linux cpu_possible_mask).
extern const cpumask_t __cpu_possible_mask;
#define cpu_possible_mask (&__cpu_possible_mask)
// The online CPUs: 0 .. arch::num_online_cpus()-1, as the rest of irqos counts them. Brought up to
// date on each use (it only changes when a CPU comes up, or a host test changes the simulated count):
// the stored mask is written only when it differs, so concurrent readers race with nothing.
const cpumask_t* cpu_online_mask_get();
#define cpu_online_mask (cpu_online_mask_get())
static inline bool cpu_online(unsigned cpu) { return cpu < arch::num_online_cpus(); }

// Linux cpulist_parse (bitmap_parselist over nr_cpu_ids bits): comma- or space-separated regions "N",
// "A-B", "A-B:used/group", "all", where "N" as a number means the last CPU. An empty list gives an empty
// mask. Errors: -EINVAL (bad format, A > B, group 0 or used > group), -ERANGE (a CPU >= nr_cpu_ids),
// -EOVERFLOW (a number that does not fit 32 bits). On error *dst holds what was parsed so far.
int cpulist_parse(const char* buf, cpumask_t* dst);
// Linux's "%*pbl": the set CPUs as ranges, "0-2,5"; the empty mask prints as "". Returns the length
// that the full text needs (snprintf style); the buffer always ends with a NUL when size > 0.
constexpr size_t CPULIST_BUF_SIZE = NR_CPUS * 4 + 1;  // enough for any mask: "0,2,4,..." at worst
int cpulist_print(char* buf, size_t size, const cpumask_t* m);
