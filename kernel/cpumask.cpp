// CPU masks: the constant masks, the online mask and the list format (Linux kernel/cpu.c
// cpu_possible_mask / cpu_online_mask, lib/cpumask.c, lib/bitmap-str.c bitmap_parselist and
// bitmap_print_to_pagebuf's list form). See kernel/cpumask.h.
#include "kernel/cpumask.h"
#include "kernel/errno.h"
#include "lib/vsprintf.h"

namespace {
constexpr cpumask_t mask_of(unsigned cpu) {
    cpumask_t m{};
    m.bits[cpu / BITS_PER_LONG] = 1ul << (cpu % BITS_PER_LONG);
    return m;
}
constexpr cpumask_t all_cpus() {
    cpumask_t m{};
    for (unsigned cpu = 0; cpu < nr_cpu_ids; cpu++) m.bits[cpu / BITS_PER_LONG] |= 1ul << (cpu % BITS_PER_LONG);
    return m;
}
struct MaskTable {
    cpumask_t masks[NR_CPUS];
};
constexpr MaskTable make_table() {
    MaskTable t{};
    for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) t.masks[cpu] = mask_of(cpu);
    return t;
}
constexpr MaskTable cpu_bit_masks = make_table();
constexpr cpumask_t empty_mask{};

cpumask_t online_mask;  // words accessed atomically: see cpu_online_mask_get

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }
bool end_of_str(char c) { return c == '\0' || c == '\n'; }
bool region_gap(char c) { return is_space(c) || c == ','; }
bool end_of_region(char c) { return region_gap(c) || end_of_str(c); }

// One decimal number, or "N" for the last CPU. Returns the text after it, or NULL with *err set.
const char* get_number(const char* s, unsigned* num, int* err) {
    if (*s == 'N') {
        *num = nr_cpu_ids - 1;
        return s + 1;
    }
    if (*s < '0' || *s > '9') {
        *err = -EINVAL;
        return nullptr;
    }
    unsigned long long n = 0;
    bool overflow = false;
    for (; *s >= '0' && *s <= '9'; s++) {
        n = n * 10 + unsigned(*s - '0');
        if (n > 0xFFFFFFFFull) overflow = true;  // keep scanning: the whole number is consumed
        if (overflow) n = 0x100000000ull;
    }
    if (overflow) {
        *err = -EOVERFLOW;
        return nullptr;
    }
    *num = unsigned(n);
    return s;
}

struct Region {
    unsigned start, end, used, group;
};

// "A", "A-B", "A-B:used/group" or "all[:used/group]". Returns the text after the region, or NULL.
const char* parse_region(const char* s, Region* r, int* err) {
    bool all = (s[0] == 'a' || s[0] == 'A') && (s[1] == 'l' || s[1] == 'L') && (s[2] == 'l' || s[2] == 'L');
    if (all) {
        r->start = 0;
        r->end = nr_cpu_ids - 1;
        s += 3;
    } else {
        if (!(s = get_number(s, &r->start, err))) return nullptr;
        r->end = r->start;
        if (!end_of_region(*s)) {
            if (*s != '-') {
                *err = -EINVAL;
                return nullptr;
            }
            if (!(s = get_number(s + 1, &r->end, err))) return nullptr;
        }
    }
    r->used = r->group = r->end + 1;  // no pattern: every CPU of the range
    if (end_of_region(*s)) return s;
    if (*s != ':') {
        *err = -EINVAL;
        return nullptr;
    }
    if (!(s = get_number(s + 1, &r->used, err))) return nullptr;
    if (*s != '/') {
        *err = -EINVAL;
        return nullptr;
    }
    if (!(s = get_number(s + 1, &r->group, err))) return nullptr;
    if (!end_of_region(*s)) {
        *err = -EINVAL;
        return nullptr;
    }
    return s;
}
}  // namespace

const cpumask_t __cpu_possible_mask = all_cpus();

const cpumask_t* cpumask_of(unsigned cpu) { return cpu < NR_CPUS ? &cpu_bit_masks.masks[cpu] : &empty_mask; }

const cpumask_t* cpu_online_mask_get() {
    unsigned n = arch::num_online_cpus();
    for (unsigned i = 0; i < CPUMASK_LONGS; i++) {
        unsigned long want = 0;
        for (unsigned cpu = i * BITS_PER_LONG; cpu < n && cpu < (i + 1) * BITS_PER_LONG; cpu++)
            want |= 1ul << (cpu % BITS_PER_LONG);
        if (__atomic_load_n(&online_mask.bits[i], __ATOMIC_RELAXED) != want)
            __atomic_store_n(&online_mask.bits[i], want, __ATOMIC_RELAXED);
    }
    return &online_mask;
}

int cpulist_parse(const char* buf, cpumask_t* dst) {
    cpumask_clear(dst);
    const char* s = buf;
    for (;;) {
        while (region_gap(*s)) s++;
        if (end_of_str(*s)) return 0;
        Region r;
        int err = 0;
        s = parse_region(s, &r, &err);
        if (!s) return err;
        if (r.start > r.end || r.group == 0 || r.used > r.group) return -EINVAL;
        if (r.end >= nr_cpu_ids) return -ERANGE;
        for (unsigned base = r.start; base <= r.end; base += r.group)
            for (unsigned cpu = base; cpu < base + r.used && cpu <= r.end; cpu++) cpumask_set_cpu(cpu, dst);
    }
}

int cpulist_print(char* buf, size_t size, const cpumask_t* m) {
    int len = 0;
    if (size) buf[0] = '\0';
    for (unsigned cpu = cpumask_first(m); cpu < nr_cpu_ids;) {
        unsigned last = cpu;
        while (last + 1 < nr_cpu_ids && cpumask_test_cpu(last + 1, m)) last++;
        size_t off = size_t(len) < size ? size_t(len) : size;
        const char* sep = len ? "," : "";
        if (last == cpu)
            len += snprintf(buf + off, size - off, "%s%u", sep, cpu);
        else
            len += snprintf(buf + off, size - off, "%s%u-%u", sep, cpu, last);
        cpu = cpumask_next(int(last), m);
    }
    return len;
}
