// The descriptor table: one statically allocated irq_desc per Linux IRQ number, its reset to the
// "unused line" state, lookup, dispatch entry and statistics (Linux kernel/irq/irqdesc.c with
// !CONFIG_SPARSE_IRQ). Also home of the architecture-wide ERR/MIS/SPU counters, kept portable here.
#include "kernel/irq/internals.h"
#include "kernel/irq/irq_stat.h"

namespace {
irq_desc irq_descs[NR_IRQS];
// Which IRQ numbers irq_alloc_descs handed out (Linux's allocated_irqs bitmap), under alloc_lock.
bool allocated_irqs[NR_IRQS];
raw_spinlock_t alloc_lock;
// Each descriptor's kstat_irqs points at its slot here (Linux allocates them with alloc_percpu).
DEFINE_PER_CPU(unsigned[NR_IRQS], kstat_irqs_all);
}  // namespace

unsigned long irq_err_count;
unsigned long irq_mis_count;
DEFINE_PER_CPU(unsigned, irq_unhandled_vector_count);
void (*arch_ack_bad_irq)(unsigned irq);

// Linux desc_set_defaults: no chip, handle_bad_irq, depth 1, logically disabled and (as far as the
// core knows) masked, so the first request_irq starts from a known state.
static void desc_set_defaults(unsigned irq, irq_desc* desc) {
    raw_spin_lock_init(&desc->lock);
    desc->irq_data = irq_data{};
    desc->irq_data.irq = irq;
    desc->irq_data.chip = &no_irq_chip;
    desc->irq_data.state = IRQD_IRQ_DISABLED | IRQD_IRQ_MASKED;
    desc->kstat_irqs = &kstat_irqs_all[irq];
    for_each_possible_cpu(cpu) * per_cpu_ptr(desc->kstat_irqs, cpu) = 0;
    desc->handle_irq = handle_bad_irq;
    desc->action = nullptr;
    desc->status_use_accessors = 0;  // x86: ARCH_IRQ_INIT_FLAGS is 0, every line may be requested
    desc->istate = 0;
    desc->depth = 1;
    desc->tot_count = 0;
    desc->irq_count = 0;
    desc->irqs_unhandled = 0;
    desc->last_unhandled = 0;
    desc->threads_oneshot = 0;
    desc->name = nullptr;
    desc->irq_data.domain = nullptr;
    desc->irq_data.parent_data = nullptr;
    cpumask_setall(&desc->affinity);  // Linux: irq_default_affinity, every CPU
    cpumask_clear(&desc->effective_affinity);
}

// Boot (one CPU, interrupts off) or between host tests. Forgets every action without freeing it:
// at boot there are none; a host test owns whatever it allocated.
void early_irq_init() {
    for (unsigned irq = 0; irq < NR_IRQS; irq++) {
        desc_set_defaults(irq, &irq_descs[irq]);
        allocated_irqs[irq] = irq < NR_IRQS_LEGACY;
    }
    irq_resend_reset();
    irq_handle_reset();
    irq_spurious_reset();
    irq_err_count = 0;
    irq_mis_count = 0;
    irq_stat_reset();
    for_each_possible_cpu(cpu) { per_cpu(irq_unhandled_vector_count, cpu) = 0; }
}

// Any context. The table is static, so the pointer stays valid forever.
irq_desc* irq_to_desc(unsigned irq) { return irq < NR_IRQS ? &irq_descs[irq] : nullptr; }

// Hard-IRQ context, interrupts off (do_IRQ, or a test's simulated interrupt).
int generic_handle_irq(unsigned irq) {
    irq_desc* desc = irq_to_desc(irq);
    if (!desc) return -EINVAL;
    generic_handle_irq_desc(desc);
    return 0;
}

// Any context; a racy but tear-free sum, as Linux's /proc/interrupts reads it.
unsigned kstat_irqs_cpu(unsigned irq, unsigned cpu) {
    irq_desc* desc = irq_to_desc(irq);
    if (!desc || cpu >= NR_CPUS) return 0;
    return per_cpu_read(*desc->kstat_irqs, cpu);
}

unsigned kstat_irqs(unsigned irq) {
    unsigned sum = 0;
    for_each_possible_cpu(cpu) sum += kstat_irqs_cpu(irq, cpu);
    return sum;
}

int irq_alloc_descs(int irq, unsigned from, unsigned cnt) {
    if (!cnt) return -EINVAL;
    if (irq >= 0) {
        if (from > unsigned(irq)) return -EINVAL;
        from = unsigned(irq);
    }
    unsigned long flags;
    raw_spin_lock_irqsave(&alloc_lock, flags);
    int ret = -ENOSPC;
    for (unsigned start = from; start + cnt <= NR_IRQS; start++) {
        unsigned i = 0;
        while (i < cnt && !allocated_irqs[start + i]) i++;
        if (i == cnt) {
            for (i = 0; i < cnt; i++) allocated_irqs[start + i] = true;
            ret = int(start);
            break;
        }
        if (irq >= 0) {
            ret = -EEXIST;
            break;
        }
        start += i;  // skip past the taken one
    }
    raw_spin_unlock_irqrestore(&alloc_lock, flags);
    if (ret >= 0)
        for (unsigned i = 0; i < cnt; i++) desc_set_defaults(unsigned(ret) + i, &irq_descs[unsigned(ret) + i]);
    return ret;
}

void irq_free_descs(unsigned from, unsigned cnt) {
    if (from >= NR_IRQS || cnt > NR_IRQS - from) return;
    for (unsigned i = 0; i < cnt; i++) {
        if (from + i < NR_IRQS_LEGACY) continue;  // the ISA lines stay
        desc_set_defaults(from + i, &irq_descs[from + i]);
        unsigned long flags;
        raw_spin_lock_irqsave(&alloc_lock, flags);
        allocated_irqs[from + i] = false;
        raw_spin_unlock_irqrestore(&alloc_lock, flags);
    }
}

bool irq_desc_is_allocated(unsigned irq) { return irq < NR_IRQS && READ_ONCE(allocated_irqs[irq]); }

void irq_data_update_effective_affinity(irq_data* d, const cpumask_t* m) {
    irq_desc* desc = irq_to_desc(d->irq);
    if (desc) cpumask_copy(&desc->effective_affinity, m);
}
