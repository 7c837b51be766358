// The x86 vector domain and its "APIC" chip (Linux arch/x86/kernel/apic/vector.c: x86_vector_alloc_irqs,
// x86_vector_activate, apic_set_affinity, apic_ack_edge, apic_retrigger_irq, the vector cleanup), with
// the cleanup scheme described in kernel/irq/vector_domain.h.
#include "kernel/irq/vector_domain.h"
#include "arch/x86/irq_vectors.h"
#include "arch/x86/vector.h"
#include "drivers/apic/local_apic.h"
#include "kernel/irq/internals.h"
#include "kernel/printk.h"
#include "kernel/slab.h"

irq_domain* x86_vector_domain;
irq_matrix vector_matrix;
DEFINE_PER_CPU(VectorIrqTable, vector_irq);

namespace {
raw_spinlock_t vector_lock;  // the matrix, every apic_chip_data, the cleanup lists
vector_hooks hooks;
DEFINE_PER_CPU(apic_chip_data*, cleanup_list) = nullptr;

bool irr_pending(unsigned vector) { return hooks.irr_pending && hooks.irr_pending(vector); }

void send_ipi(unsigned cpu, unsigned vector) {
    if (hooks.send_ipi) hooks.send_ipi(cpu, vector);
}

// vector_lock held. Linux chip_data_update + apic_update_vector: map the new vector, record it.
void set_vector(apic_chip_data* a, unsigned cpu, unsigned vector) {
    a->cpu = cpu;
    a->vector = vector;
    vector_irq_set(cpu, vector, int(a->irq));
    irq_desc* desc = irq_to_desc(a->irq);
    if (desc) cpumask_copy(&desc->effective_affinity, cpumask_of(cpu));
}

// vector_lock held. Release an old vector on its CPU (Linux free_moved_vector).
void free_moved_vector(apic_chip_data* a) {
    vector_irq_set(a->prev_cpu, a->prev_vector, VECTOR_UNUSED);
    irq_matrix_free(&vector_matrix, a->prev_cpu, a->prev_vector, false);
    a->prev_vector = 0;
    a->move_in_progress = false;
}

// vector_lock held: unlink from its CPU's cleanup list.
void cleanup_unlink(apic_chip_data* a) {
    if (!a->cleanup_pending) return;
    apic_chip_data** pp = &per_cpu(cleanup_list, a->prev_cpu);
    while (*pp && *pp != a) pp = &(*pp)->cleanup_next;
    if (*pp) *pp = a->cleanup_next;
    a->cleanup_next = nullptr;
    a->cleanup_pending = false;
}

// vector_lock held. Linux clear_irq_vector: the line gives up its vector(s). A released vector may
// still have an interrupt in flight: VECTOR_SHUTDOWN makes do_IRQ count it quietly.
void clear_irq_vector(apic_chip_data* a) {
    if (a->vector) {
        vector_irq_set(a->cpu, a->vector, VECTOR_SHUTDOWN);
        irq_matrix_free(&vector_matrix, a->cpu, a->vector, false);
        a->vector = 0;
    }
    if (a->prev_vector) {
        cleanup_unlink(a);
        vector_irq_set(a->prev_cpu, a->prev_vector, VECTOR_SHUTDOWN);
        irq_matrix_free(&vector_matrix, a->prev_cpu, a->prev_vector, false);
        a->prev_vector = 0;
    }
    a->move_in_progress = false;
    irq_desc* desc = irq_to_desc(a->irq);
    if (desc) cpumask_clear(&desc->effective_affinity);
}

// vector_lock held. A vector on an online CPU of `dest`: keep the current one if its CPU is in `dest`.
int assign_vector(apic_chip_data* a, const cpumask_t* dest) {
    cpumask_t online;
    if (!cpumask_and(&online, dest, cpu_online_mask)) return -EINVAL;
    if (a->vector && cpumask_test_cpu(a->cpu, &online)) return 0;
    if (a->move_in_progress || a->cleanup_pending) return -EBUSY;  // the last move is not finished
    unsigned cpu;
    int vector = irq_matrix_alloc(&vector_matrix, &online, false, &cpu);
    if (vector < 0) return vector;
    if (a->vector) {
        a->prev_vector = a->vector;
        a->prev_cpu = a->cpu;
        a->move_in_progress = true;
    }
    set_vector(a, cpu, unsigned(vector));
    return 0;
}

void cleanup_this_cpu_locked();

// Linux __vector_schedule_cleanup, on the new CPU at the first interrupt there. vector_lock held.
void schedule_cleanup(apic_chip_data* a) {
    a->move_in_progress = false;
    a->cleanup_pending = true;
    a->cleanup_next = per_cpu(cleanup_list, a->prev_cpu);
    per_cpu(cleanup_list, a->prev_cpu) = a;
    if (a->prev_cpu == smp_processor_id())
        cleanup_this_cpu_locked();
    else
        send_ipi(a->prev_cpu, IRQ_MOVE_CLEANUP_VECTOR);
}

// apic_ack_edge's work while the line moves (out of line, so that the common path needs no stack frame).
__attribute__((noinline)) void ack_during_move(apic_chip_data* a) {
    bool release_old = false;
    raw_spin_lock(&vector_lock);
    unsigned cpu = smp_processor_id();
    if (a->move_in_progress && a->cpu == cpu)
        schedule_cleanup(a);
    else if (a->cleanup_pending && a->prev_cpu == cpu)
        release_old = true;
    raw_spin_unlock(&vector_lock);
    apic_eoi();
    if (release_old) vector_cleanup_this_cpu();
}

class ApicChip final : public IrqChip {
public:
    constexpr ApicChip() : IrqChip("APIC", IRQCHIP_OP_ACK | IRQCHIP_OP_RETRIGGER | IRQCHIP_OP_SET_AFFINITY) {}
    // Linux apic_ack_edge: the first interrupt on the new CPU of a move schedules the release of the
    // old vector; a late one on the old vector, on the old CPU, releases it after its EOI. Then the
    // local APIC EOI. Hard-IRQ context; the common path reads two flags and sends the EOI.
    void irq_ack(irq_data* d) override {
        auto* a = static_cast<apic_chip_data*>(d->chip_data);
        if (unlikely(a->move_in_progress || a->cleanup_pending))
            ack_during_move(a);
        else
            apic_eoi();
    }
    // Linux apic_retrigger_irq: the vector again, by IPI to its CPU. 1: it will be re-raised.
    int irq_retrigger(irq_data* d) override {
        auto* a = static_cast<apic_chip_data*>(d->chip_data);
        if (!hooks.send_ipi || !a->vector) return 0;
        hooks.send_ipi(a->cpu, a->vector);
        return 1;
    }
    // Linux apic_set_affinity. desc->lock held.
    int irq_set_affinity(irq_data* d, const cpumask_t* dest, bool) override {
        auto* a = static_cast<apic_chip_data*>(d->chip_data);
        unsigned long flags;
        raw_spin_lock_irqsave(&vector_lock, flags);
        int ret = assign_vector(a, dest);
        raw_spin_unlock_irqrestore(&vector_lock, flags);
        return ret ? ret : IRQ_SET_MASK_OK;
    }
};
constinit ApicChip lapic_controller;

// vector_lock held: walk this CPU's list.
void cleanup_this_cpu_locked() {
    unsigned cpu = smp_processor_id();
    apic_chip_data** pp = &per_cpu(cleanup_list, cpu);
    while (apic_chip_data* a = *pp) {
        if (irr_pending(a->prev_vector)) {  // one more interrupt on the old vector: handle it first
            pp = &a->cleanup_next;
            continue;
        }
        *pp = a->cleanup_next;
        a->cleanup_next = nullptr;
        a->cleanup_pending = false;
        free_moved_vector(a);
    }
}

int vector_alloc(irq_domain* d, unsigned virq, unsigned nr, void*) {
    for (unsigned i = 0; i < nr; i++) {
        auto* a = static_cast<apic_chip_data*>(kzalloc(sizeof(apic_chip_data)));
        if (!a) {
            for (unsigned j = 0; j < i; j++) {
                irq_data* irqd = irq_domain_get_irq_data(d, virq + j);
                kfree(irqd->chip_data);
                irq_domain_reset_irq_data(irqd);
            }
            return -ENOMEM;
        }
        *a = apic_chip_data{};
        a->irq = virq + i;
        irq_domain_set_hwirq_and_chip(d, virq + i, virq + i, &lapic_controller, a);
        // Linux vector_configure_legacy: an ISA line keeps the vector it had from the 8259 days.
        unsigned long flags;
        raw_spin_lock_irqsave(&vector_lock, flags);
        unsigned isa = ISA_IRQ_VECTOR(virq + i);
        if (virq + i < NR_IRQS_LEGACY && irq_matrix_test_bit(&vector_matrix, 0, isa) &&
            vector_irq_get(0, isa) == VECTOR_UNUSED) {
            a->is_legacy = true;
            set_vector(a, 0, isa);
        }
        raw_spin_unlock_irqrestore(&vector_lock, flags);
    }
    return 0;
}

void vector_free(irq_domain* d, unsigned virq, unsigned nr) {
    for (unsigned i = 0; i < nr; i++) {
        irq_data* irqd = irq_domain_get_irq_data(d, virq + i);
        if (!irqd || !irqd->chip_data) continue;
        auto* a = static_cast<apic_chip_data*>(irqd->chip_data);
        unsigned long flags;
        raw_spin_lock_irqsave(&vector_lock, flags);
        clear_irq_vector(a);
        raw_spin_unlock_irqrestore(&vector_lock, flags);
        kfree(a);
        irq_domain_reset_irq_data(irqd);
    }
}

// Linux x86_vector_activate: a vector on an online CPU of the line's affinity (all online CPUs if the
// affinity has none online). desc->lock held.
int vector_activate(irq_domain*, irq_data* irqd, bool) {
    auto* a = static_cast<apic_chip_data*>(irqd->chip_data);
    irq_desc* desc = irq_to_desc(irqd->irq);
    unsigned long flags;
    raw_spin_lock_irqsave(&vector_lock, flags);
    int ret = assign_vector(a, &desc->affinity);
    if (ret == -EINVAL) ret = assign_vector(a, cpu_online_mask);
    raw_spin_unlock_irqrestore(&vector_lock, flags);
    return ret;
}

void vector_deactivate(irq_domain*, irq_data* irqd) {
    auto* a = static_cast<apic_chip_data*>(irqd->chip_data);
    if (a->is_legacy) return;  // Linux keeps a legacy line's vector reserved
    unsigned long flags;
    raw_spin_lock_irqsave(&vector_lock, flags);
    clear_irq_vector(a);
    raw_spin_unlock_irqrestore(&vector_lock, flags);
}

constexpr irq_domain_ops vector_domain_ops = {
    .alloc = vector_alloc,
    .free = vector_free,
    .activate = vector_activate,
    .deactivate = vector_deactivate,
};
}  // namespace

void vector_cleanup_this_cpu() {
    unsigned long flags;
    raw_spin_lock_irqsave(&vector_lock, flags);
    cleanup_this_cpu_locked();
    raw_spin_unlock_irqrestore(&vector_lock, flags);
}

int x86_vector_domain_init(bool legacy_isa) {
    if (x86_vector_domain) irq_domain_remove(x86_vector_domain);
    x86_vector_domain = nullptr;
    raw_spin_lock_init(&vector_lock);
    for_each_possible_cpu(cpu) per_cpu(cleanup_list, cpu) = nullptr;
    irq_matrix_init(&vector_matrix, NR_VECTORS, FIRST_EXTERNAL_VECTOR, FIRST_SYSTEM_VECTOR);
    irq_matrix_assign_system(&vector_matrix, IA32_SYSCALL_VECTOR, false);
    irq_matrix_online(&vector_matrix);
    if (legacy_isa)
        for (unsigned i = 0; i < NR_IRQS_LEGACY; i++) irq_matrix_assign(&vector_matrix, ISA_IRQ_VECTOR(i));
    x86_vector_domain = irq_domain_create_hierarchy(nullptr, 0, NR_IRQS, &vector_domain_ops, nullptr, "VECTOR");
    return x86_vector_domain ? 0 : -ENOMEM;
}

void lapic_online() {
    unsigned long flags;
    raw_spin_lock_irqsave(&vector_lock, flags);
    irq_matrix_online(&vector_matrix);
    raw_spin_unlock_irqrestore(&vector_lock, flags);
}

apic_chip_data* apic_chip_data_of(irq_data* d) {
    return d && d->chip == &lapic_controller ? static_cast<apic_chip_data*>(d->chip_data) : nullptr;
}

void vector_set_hooks(const vector_hooks& h) { hooks = h; }

void lock_vector_lock() { raw_spin_lock(&vector_lock); }
void unlock_vector_lock() { raw_spin_unlock(&vector_lock); }
bool lapic_vector_set_in_irr(unsigned vector) { return irr_pending(vector); }

void vector_irq_set(unsigned cpu, unsigned vector, int irq) {
    if (cpu >= NR_CPUS || vector >= NR_VECTORS) return;
    irq_desc* d = irq == VECTOR_SHUTDOWN      ? VECTOR_SHUTDOWN_DESC
                  : irq == VECTOR_RETRIGGERED ? VECTOR_RETRIGGERED_DESC
                  : irq < 0                   ? nullptr
                                              : irq_to_desc(unsigned(irq));
    WRITE_ONCE(per_cpu(vector_irq, cpu).desc[vector], d);
}

int vector_irq_get(unsigned cpu, unsigned vector) {
    if (cpu >= NR_CPUS || vector >= NR_VECTORS) return VECTOR_UNUSED;
    irq_desc* d = READ_ONCE(per_cpu(vector_irq, cpu).desc[vector]);
    if (d == VECTOR_SHUTDOWN_DESC) return VECTOR_SHUTDOWN;
    if (d == VECTOR_RETRIGGERED_DESC) return VECTOR_RETRIGGERED;
    return d ? int(irq_desc_get_irq(d)) : VECTOR_UNUSED;
}
