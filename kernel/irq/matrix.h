// The per-CPU vector allocator (Linux kernel/irq/matrix.c): one bitmap of vectors per CPU, a system map
// of bits no CPU may hand out, and the global accounting (available, reserved, allocated, managed).
// Portable: the x86 vector domain (arch/x86/vector_domain.cpp) owns the one instance, sized to the x86
// vector space, and serialises every call with its vector_lock; the matrix itself takes no lock.
//
// Usage (what the x86 vector domain does):
//     irq_matrix_init(&m, NR_VECTORS, FIRST_EXTERNAL_VECTOR, FIRST_SYSTEM_VECTOR);
//     irq_matrix_assign_system(&m, IA32_SYSCALL_VECTOR, false);  // never handed out, on any CPU
//     irq_matrix_online(&m);                                     // on each CPU as it comes up
//     irq_matrix_assign(&m, ISA_IRQ_VECTOR(1));                  // boot CPU: the legacy line keeps its vector
//     unsigned cpu; int vec = irq_matrix_alloc(&m, cpu_online_mask, false, &cpu);  // -ENOSPC when full
//     irq_matrix_free(&m, cpu, vec, false);
// Allocation picks the online CPU of the mask with the most available vectors (Linux), and on it the
// free vector in the least used priority class (vector >> 4), lowest first: lines spread over the
// classes, as Linux's pre-4.15 allocator did by stepping 16, so that the local APIC (which keeps one
// interrupt in service and one pending per class) holds more lines in flight at once.
#pragma once
#include "kernel/cpumask.h"

constexpr unsigned IRQ_MATRIX_BITS = 256;  // Linux: NR_VECTORS
constexpr unsigned IRQ_MATRIX_LONGS = IRQ_MATRIX_BITS / BITS_PER_LONG;
constexpr unsigned IRQ_MATRIX_CLASS_SHIFT = 4;  // a local APIC priority class is 16 vectors

struct irq_matrix_bitmap {
    unsigned long w[IRQ_MATRIX_LONGS];
};

// One CPU's map (Linux struct cpumap).
struct irq_matrix_cpumap {
    unsigned available;          // free vectors (not allocated, not managed-reserved, not system)
    unsigned allocated;          // vectors allocated, managed ones included
    unsigned managed;            // managed vectors reserved
    unsigned managed_allocated;  // of those, allocated
    bool initialized;
    bool online;
    irq_matrix_bitmap alloc_map;
    irq_matrix_bitmap managed_map;
};

struct irq_matrix {
    unsigned matrix_bits;
    unsigned alloc_start;  // first bit the allocator may hand out
    unsigned alloc_end;    // first bit it may not
    unsigned alloc_size;
    unsigned global_available;
    unsigned global_reserved;
    unsigned systembits_inalloc;
    unsigned total_allocated;
    unsigned online_maps;
    irq_matrix_bitmap system_map;
    irq_matrix_cpumap maps[NR_CPUS];
};

// Every function: the caller serialises calls on one matrix (the vector domain's lock, interrupts off);
// none sleeps. "This CPU" is smp_processor_id().

// Reset `m` to empty with allocation in [alloc_start, alloc_end). Boot (or host tests).
void irq_matrix_init(irq_matrix* m, unsigned matrix_bits, unsigned alloc_start, unsigned alloc_end);
// Bring this CPU's map online (its available vectors join the global count) / take it offline.
void irq_matrix_online(irq_matrix* m);
void irq_matrix_offline(irq_matrix* m);
// Make `bit` a system bit on every CPU. Only before a second CPU is online; `replace` turns this CPU's
// allocated bit into a system bit. Misuse is a BUG, as in Linux.
void irq_matrix_assign_system(irq_matrix* m, unsigned bit, bool replace);
// Mark a preallocated vector allocated in this CPU's map (the legacy lines' ISA vectors on the boot CPU).
// WARN and nothing done for a bit outside the allocation range or already allocated.
void irq_matrix_assign(irq_matrix* m, unsigned bit);
// Book-keeping only: count a line that will need a vector when activated, or forget one.
void irq_matrix_reserve(irq_matrix* m);
void irq_matrix_remove_reserved(irq_matrix* m);
// Allocate one vector on the best online CPU of `msk` (see above); *mapped_cpu gets the CPU. `reserved`:
// the line had called irq_matrix_reserve. Returns the vector, -EINVAL for an empty mask, -ENOSPC when no
// online CPU of the mask has one free.
int irq_matrix_alloc(irq_matrix* m, const cpumask_t* msk, bool reserved, unsigned* mapped_cpu);
// Return `bit` on `cpu`. WARN and nothing done if it was not allocated there.
void irq_matrix_free(irq_matrix* m, unsigned cpu, unsigned bit, bool managed);
// Managed interrupts (Linux): one bit reserved per CPU of the mask, allocated later on the CPU with the
// fewest managed allocations. -ENOSPC (nothing kept) / -EINVAL as irq_matrix_alloc.
int irq_matrix_reserve_managed(irq_matrix* m, const cpumask_t* msk);
void irq_matrix_remove_managed(irq_matrix* m, const cpumask_t* msk);
int irq_matrix_alloc_managed(irq_matrix* m, const cpumask_t* msk, unsigned* mapped_cpu);
// Counts: global available (minus this CPU's when `cpudown`), global reserved, this CPU's non-managed
// allocations; and one CPU's map for views and tests.
unsigned irq_matrix_available(const irq_matrix* m, bool cpudown);
unsigned irq_matrix_reserved(const irq_matrix* m);
unsigned irq_matrix_allocated(const irq_matrix* m);
bool irq_matrix_test_bit(const irq_matrix* m, unsigned cpu, unsigned bit);  // allocated on cpu
bool irq_matrix_is_system(const irq_matrix* m, unsigned bit);

// Linux irq_matrix_debug_show: totals, the system bits as a list, then one row per online CPU
// (available, managed, managed allocated, allocated, the allocated vectors as a list). Process context.
using irq_matrix_out_fn = void (*)(const char* s, size_t n, void* ctx);
void irq_matrix_debug_show(const irq_matrix* m, irq_matrix_out_fn out, void* ctx, int indent);
