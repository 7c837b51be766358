// The interrupt descriptor: one per Linux IRQ number, owning the line's flow handler, chip, action chain,
// disable depth, state and statistics (Linux include/linux/irqdesc.h). Statically allocated.
#pragma once
#include "kernel/irq/irq.h"
#include "kernel/cpumask.h"
#include "kernel/percpu.h"
#include "kernel/spinlock.h"

struct irqaction;

constexpr unsigned NR_IRQS = 256;
constexpr unsigned NR_IRQS_LEGACY = 16;

// desc->istate: the core's private state (Linux kernel/irq/internals.h IRQS_*).
enum : unsigned {
    IRQS_AUTODETECT = 0x00000001,
    IRQS_SPURIOUS_DISABLED = 0x00000002,
    IRQS_POLL_INPROGRESS = 0x00000008,
    IRQS_ONESHOT = 0x00000020,
    IRQS_REPLAY = 0x00000040,
    IRQS_WAITING = 0x00000080,
    IRQS_PENDING = 0x00000200,
    IRQS_SUSPENDED = 0x00000800,
    IRQS_NMI = 0x00002000,
};

struct irq_desc {
    ::irq_data irq_data;             // qualified: the member name would otherwise hide the type
    unsigned* kstat_irqs = nullptr;  // per-CPU: handled-by-flow counts (the interrupts view)
    irq_flow_handler_t handle_irq = handle_bad_irq;
    irqaction* action = nullptr;        // chain; walked under lock or by the running flow
    unsigned status_use_accessors = 0;  // IRQ_* settings and the IRQ_TYPE_* of the line
    unsigned istate = 0;                // IRQS_*
    unsigned depth = 1;                 // disable depth: 1 until the first request_irq
    unsigned tot_count = 0;
    // Spurious accounting (kernel/irq/spurious.cpp, note_interrupt)
    unsigned irq_count = 0;
    unsigned irqs_unhandled = 0;
    unsigned long last_unhandled = 0;  // jiffies of the last unhandled interrupt
    unsigned long threads_oneshot = 0;
    raw_spinlock_t lock;
    const char* name = nullptr;  // flow name shown in the interrupts view ("edge", "level", ...)
    // Linux irq_common_data: the CPUs asked for (irq_set_affinity) and the one(s) the controller really
    // delivers to (set by the vector domain when it assigns a vector). Changed under desc->lock.
    cpumask_t affinity = {};
    cpumask_t effective_affinity = {};
};

// NULL for an out-of-range number. Descriptors exist for every irq < NR_IRQS (one array load).
irq_desc* irq_to_desc(unsigned irq);
// Linux irq_alloc_descs/irq_free_descs: claim `cnt` consecutive IRQ numbers (exactly `irq` when irq >= 0,
// else the first free range at or above `from`), reset to the unused state. The legacy lines 0-15 are
// always claimed (their descriptors are the ISA lines in both modes). Returns the first number,
// -EEXIST (irq >= 0 and taken), -EINVAL (cnt 0, or irq >= 0 with from > irq), -ENOSPC. Process context.
int irq_alloc_descs(int irq, unsigned from, unsigned cnt);
void irq_free_descs(unsigned from, unsigned cnt);
bool irq_desc_is_allocated(unsigned irq);
// Linux irq_data_update_effective_affinity. desc->lock held.
void irq_data_update_effective_affinity(irq_data* d, const cpumask_t* m);
static inline unsigned irq_desc_get_irq(const irq_desc* d) { return d->irq_data.irq; }
static inline irq_data* irq_desc_get_irq_data(irq_desc* d) { return &d->irq_data; }
static inline IrqChip* irq_desc_get_chip(irq_desc* d) { return d->irq_data.chip; }
static inline bool irqd_irq_disabled(const irq_data* d) { return d->state & IRQD_IRQ_DISABLED; }
static inline bool irqd_irq_masked(const irq_data* d) { return d->state & IRQD_IRQ_MASKED; }
static inline bool irqd_irq_inprogress(const irq_data* d) { return d->state & IRQD_IRQ_INPROGRESS; }
static inline bool irq_settings_is_level(const irq_desc* d) { return d->status_use_accessors & IRQ_LEVEL; }

// Reset every descriptor to the unused state (no_irq_chip, handle_bad_irq, depth 1). Boot; host tests.
void early_irq_init();
// Run the line's flow handler. Hard-IRQ context, interrupts off. -EINVAL if irq has no descriptor.
int generic_handle_irq(unsigned irq);
static inline void generic_handle_irq_desc(irq_desc* desc) { desc->handle_irq(desc); }
// Sum of a line's per-CPU counts.
unsigned kstat_irqs(unsigned irq);
unsigned kstat_irqs_cpu(unsigned irq, unsigned cpu);

// Architecture-wide error counters shown as the ERR and MIS rows (Linux arch/x86/kernel/irq.c).
// Incremented atomically from any CPU; read by the interrupts view. The per-CPU rows (NMI, LOC, SPU,
// RES, CAL) count in irq_stat (kernel/irq/irq_stat.h).
extern unsigned long irq_err_count;                     // spurious 8259 interrupts, APIC errors
extern unsigned long irq_mis_count;                     // level interrupts delivered as edge (IO-APIC)
DECLARE_PER_CPU(unsigned, irq_unhandled_vector_count);  // device vectors with no IRQ ("No irq handler")
// handle_bad_irq's last step (Linux ack_bad_irq, which on x86 does apic_eoi()): the arch sets the hook
// to acknowledge at the active interrupt controller. Hard-IRQ context; NULL (the default) acks nothing.
extern void (*arch_ack_bad_irq)(unsigned irq);
static inline void atomic_inc_ulong(unsigned long* p) { __atomic_fetch_add(p, 1, __ATOMIC_RELAXED); }
