// The per-CPU vector allocator (Linux kernel/irq/matrix.c), with allocation spread over the local APIC's
// priority classes. See kernel/irq/matrix.h.
#include "kernel/irq/matrix.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "lib/vsprintf.h"

namespace {
using bitmap = irq_matrix_bitmap;
bool test_bit(const bitmap& b, unsigned bit) { return (b.w[bit / BITS_PER_LONG] >> (bit % BITS_PER_LONG)) & 1; }
void set_bit(bitmap& b, unsigned bit) { b.w[bit / BITS_PER_LONG] |= 1ul << (bit % BITS_PER_LONG); }
void clear_bit(bitmap& b, unsigned bit) { b.w[bit / BITS_PER_LONG] &= ~(1ul << (bit % BITS_PER_LONG)); }
unsigned weight(const bitmap& b, unsigned nbits) {
    unsigned n = 0;
    for (unsigned bit = 0; bit < nbits; bit++) n += test_bit(b, bit);
    return n;
}

constexpr unsigned NO_CPU = ~0u;

// A bit no allocation may take on this CPU: a system bit, allocated, or reserved for a managed line.
bool bit_taken(const irq_matrix* m, const irq_matrix_cpumap* cm, unsigned bit) {
    return test_bit(m->system_map, bit) || test_bit(cm->alloc_map, bit) || test_bit(cm->managed_map, bit);
}

// Linux matrix_alloc_area for one bit, choosing the class: count the taken bits of each priority class
// in the allocation range and take the lowest free bit of the least loaded class (lowest class on a tie).
unsigned alloc_area(irq_matrix* m, irq_matrix_cpumap* cm, bool managed) {
    unsigned best = m->alloc_end, best_load = ~0u;
    for (unsigned cls = m->alloc_start >> IRQ_MATRIX_CLASS_SHIFT; (cls << IRQ_MATRIX_CLASS_SHIFT) < m->alloc_end;
         cls++) {
        unsigned lo = cls << IRQ_MATRIX_CLASS_SHIFT, hi = (cls + 1) << IRQ_MATRIX_CLASS_SHIFT;
        if (lo < m->alloc_start) lo = m->alloc_start;
        if (hi > m->alloc_end) hi = m->alloc_end;
        unsigned load = 0, first_free = hi;
        for (unsigned bit = lo; bit < hi; bit++) {
            if (bit_taken(m, cm, bit))
                load++;
            else if (first_free == hi)
                first_free = bit;
        }
        if (first_free < hi && load < best_load) {
            best = first_free;
            best_load = load;
        }
    }
    if (best < m->alloc_end) set_bit(managed ? cm->managed_map : cm->alloc_map, best);
    return best;
}

// Linux matrix_find_best_cpu: the online CPU of the mask with the most available vectors.
unsigned find_best_cpu(irq_matrix* m, const cpumask_t* msk) {
    unsigned best = NO_CPU, maxavl = 0;
    for_each_cpu(cpu, msk) {
        const irq_matrix_cpumap& cm = m->maps[cpu];
        if (!cm.online || cm.available <= maxavl) continue;
        best = cpu;
        maxavl = cm.available;
    }
    return best;
}

// Linux matrix_find_best_cpu_managed: the online CPU with the fewest managed allocations.
unsigned find_best_cpu_managed(irq_matrix* m, const cpumask_t* msk) {
    unsigned best = NO_CPU, allocated = ~0u;
    for_each_cpu(cpu, msk) {
        const irq_matrix_cpumap& cm = m->maps[cpu];
        if (!cm.online || cm.managed_allocated > allocated) continue;
        best = cpu;
        allocated = cm.managed_allocated;
    }
    return best;
}

// A managed bit of this CPU not yet allocated, or `end`.
unsigned free_managed_bit(const irq_matrix* m, const irq_matrix_cpumap& cm) {
    for (unsigned bit = m->alloc_start; bit < m->alloc_end; bit++)
        if (test_bit(cm.managed_map, bit) && !test_bit(cm.alloc_map, bit)) return bit;
    return m->alloc_end;
}

// "%*pbl" of a bitmap: "48-63,128".
size_t print_bits(char* buf, size_t size, const bitmap& b, unsigned nbits) {
    size_t len = 0;
    buf[0] = '\0';
    for (unsigned bit = 0; bit < nbits; bit++) {
        if (!test_bit(b, bit)) continue;
        unsigned last = bit;
        while (last + 1 < nbits && test_bit(b, last + 1)) last++;
        const char* sep = len ? "," : "";
        if (last == bit)
            len += size_t(scnprintf(buf + len, size - len, "%s%u", sep, bit));
        else
            len += size_t(scnprintf(buf + len, size - len, "%s%u-%u", sep, bit, last));
        bit = last;
    }
    return len;
}

void outf(irq_matrix_out_fn out, void* ctx, const char* fmt, ...) __printf(3, 4);
void outf(irq_matrix_out_fn out, void* ctx, const char* fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vscnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    out(buf, size_t(n), ctx);
}
}  // namespace

void irq_matrix_init(irq_matrix* m, unsigned matrix_bits, unsigned alloc_start, unsigned alloc_end) {
    BUG_ON(matrix_bits > IRQ_MATRIX_BITS || alloc_start >= alloc_end || alloc_end > matrix_bits);
    *m = irq_matrix{};
    m->matrix_bits = matrix_bits;
    m->alloc_start = alloc_start;
    m->alloc_end = alloc_end;
    m->alloc_size = alloc_end - alloc_start;
}

void irq_matrix_online(irq_matrix* m) {
    irq_matrix_cpumap& cm = m->maps[smp_processor_id()];
    BUG_ON(cm.online);
    if (!cm.initialized) {
        cm.available = m->alloc_size - (cm.managed + m->systembits_inalloc);
        cm.initialized = true;
    }
    m->global_available += cm.available;
    cm.online = true;
    m->online_maps++;
}

void irq_matrix_offline(irq_matrix* m) {
    irq_matrix_cpumap& cm = m->maps[smp_processor_id()];
    m->global_available -= cm.available;
    cm.online = false;
    m->online_maps--;
}

void irq_matrix_assign_system(irq_matrix* m, unsigned bit, bool replace) {
    irq_matrix_cpumap& cm = m->maps[smp_processor_id()];
    BUG_ON(bit >= m->matrix_bits);
    BUG_ON(m->online_maps > 1 || (m->online_maps && !replace));
    set_bit(m->system_map, bit);
    if (replace) {
        BUG_ON(!test_bit(cm.alloc_map, bit));
        clear_bit(cm.alloc_map, bit);
        cm.allocated--;
        m->total_allocated--;
    }
    if (bit >= m->alloc_start && bit < m->alloc_end) m->systembits_inalloc++;
}

void irq_matrix_assign(irq_matrix* m, unsigned bit) {
    irq_matrix_cpumap& cm = m->maps[smp_processor_id()];
    if (WARN_ON_ONCE(bit < m->alloc_start || bit >= m->alloc_end)) return;
    if (WARN_ON_ONCE(test_bit(cm.alloc_map, bit))) return;
    set_bit(cm.alloc_map, bit);
    cm.allocated++;
    m->total_allocated++;
    cm.available--;
    m->global_available--;
}

void irq_matrix_reserve(irq_matrix* m) {
    if (m->global_reserved == m->global_available) pr_warn("Interrupt reservation exceeds available resources\n");
    m->global_reserved++;
}

void irq_matrix_remove_reserved(irq_matrix* m) { m->global_reserved--; }

int irq_matrix_alloc(irq_matrix* m, const cpumask_t* msk, bool reserved, unsigned* mapped_cpu) {
    if (cpumask_empty(msk)) return -EINVAL;
    unsigned cpu = find_best_cpu(m, msk);
    if (cpu == NO_CPU) return -ENOSPC;
    irq_matrix_cpumap& cm = m->maps[cpu];
    unsigned bit = alloc_area(m, &cm, false);
    if (bit >= m->alloc_end) return -ENOSPC;
    cm.allocated++;
    cm.available--;
    m->total_allocated++;
    m->global_available--;
    if (reserved) m->global_reserved--;
    *mapped_cpu = cpu;
    return int(bit);
}

void irq_matrix_free(irq_matrix* m, unsigned cpu, unsigned bit, bool managed) {
    if (WARN_ON_ONCE(cpu >= NR_CPUS || bit < m->alloc_start || bit >= m->alloc_end)) return;
    irq_matrix_cpumap& cm = m->maps[cpu];
    if (WARN_ON_ONCE(!test_bit(cm.alloc_map, bit))) return;
    clear_bit(cm.alloc_map, bit);
    cm.allocated--;
    if (managed) cm.managed_allocated--;
    if (cm.online) m->total_allocated--;
    if (!managed) {
        cm.available++;
        if (cm.online) m->global_available++;
    }
}

int irq_matrix_reserve_managed(irq_matrix* m, const cpumask_t* msk) {
    for_each_cpu(cpu, msk) {
        irq_matrix_cpumap& cm = m->maps[cpu];
        if (alloc_area(m, &cm, true) >= m->alloc_end) {
            for_each_cpu(done, msk) {  // undo the CPUs before the one that failed
                if (done == cpu) break;
                irq_matrix_remove_managed(m, cpumask_of(done));
            }
            return -ENOSPC;
        }
        cm.managed++;
        if (cm.online) {
            cm.available--;
            m->global_available--;
        }
    }
    return 0;
}

void irq_matrix_remove_managed(irq_matrix* m, const cpumask_t* msk) {
    for_each_cpu(cpu, msk) {
        irq_matrix_cpumap& cm = m->maps[cpu];
        if (WARN_ON_ONCE(!cm.managed)) continue;
        unsigned bit = free_managed_bit(m, cm);
        if (WARN_ON_ONCE(bit >= m->alloc_end)) continue;
        clear_bit(cm.managed_map, bit);
        cm.managed--;
        if (cm.online) {
            cm.available++;
            m->global_available++;
        }
    }
}

int irq_matrix_alloc_managed(irq_matrix* m, const cpumask_t* msk, unsigned* mapped_cpu) {
    if (cpumask_empty(msk)) return -EINVAL;
    unsigned cpu = find_best_cpu_managed(m, msk);
    if (cpu == NO_CPU) return -ENOSPC;
    irq_matrix_cpumap& cm = m->maps[cpu];
    unsigned bit = free_managed_bit(m, cm);
    if (bit >= m->alloc_end) return -ENOSPC;
    set_bit(cm.alloc_map, bit);
    cm.allocated++;
    cm.managed_allocated++;
    m->total_allocated++;
    *mapped_cpu = cpu;
    return int(bit);
}

unsigned irq_matrix_available(const irq_matrix* m, bool cpudown) {
    if (!cpudown) return m->global_available;
    return m->global_available - m->maps[smp_processor_id()].available;
}

unsigned irq_matrix_reserved(const irq_matrix* m) { return m->global_reserved; }

unsigned irq_matrix_allocated(const irq_matrix* m) {
    const irq_matrix_cpumap& cm = m->maps[smp_processor_id()];
    return cm.allocated - cm.managed_allocated;
}

bool irq_matrix_test_bit(const irq_matrix* m, unsigned cpu, unsigned bit) {
    return cpu < NR_CPUS && bit < m->matrix_bits && test_bit(m->maps[cpu].alloc_map, bit);
}

bool irq_matrix_is_system(const irq_matrix* m, unsigned bit) {
    return bit < m->matrix_bits && test_bit(m->system_map, bit);
}

void irq_matrix_debug_show(const irq_matrix* m, irq_matrix_out_fn out, void* ctx, int ind) {
    char list[IRQ_MATRIX_BITS * 4];
    outf(out, ctx, "Online bitmaps:   %6u\n", m->online_maps);
    outf(out, ctx, "Global available: %6u\n", m->global_available);
    outf(out, ctx, "Global reserved:  %6u\n", m->global_reserved);
    outf(out, ctx, "Total allocated:  %6u\n", m->total_allocated);
    print_bits(list, sizeof(list), m->system_map, m->matrix_bits);
    outf(out, ctx, "System: %u: %s\n", weight(m->system_map, m->matrix_bits), list);
    outf(out, ctx, "%*s| CPU | avl | man | mac | act | vectors\n", ind, " ");
    for_each_online_cpu(cpu) {
        const irq_matrix_cpumap& cm = m->maps[cpu];
        print_bits(list, sizeof(list), cm.alloc_map, m->matrix_bits);
        outf(out, ctx, "%*s %4u  %4u  %4u  %4u %4u  %s\n", ind, " ", cpu, cm.available, cm.managed,
             cm.managed_allocated, cm.allocated, list);
    }
}
