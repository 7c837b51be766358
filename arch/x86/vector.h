// The per-CPU vector -> interrupt descriptor map (Linux arch/x86: DECLARE_PER_CPU(vector_irq_t,
// vector_irq)). As in Linux it holds irq_desc pointers, so do_IRQ goes from the vector to the flow handler
// with one gs-relative load; besides real descriptors an entry may be NULL (unused) or one of two markers:
// VECTOR_SHUTDOWN_DESC (the vector was released while an interrupt may still be in flight on it) and
// VECTOR_RETRIGGERED_DESC. The accessors below speak IRQ numbers: an IRQ number, or VECTOR_UNUSED,
// VECTOR_SHUTDOWN, VECTOR_RETRIGGERED.
#pragma once
#include "kernel/percpu.h"
#include "arch/x86/idt.h"

struct irq_desc;

constexpr int VECTOR_UNUSED = -1;
constexpr int VECTOR_SHUTDOWN = -2;
constexpr int VECTOR_RETRIGGERED = -3;
inline irq_desc* const VECTOR_SHUTDOWN_DESC = reinterpret_cast<irq_desc*>(uintptr_t(-1));
inline irq_desc* const VECTOR_RETRIGGERED_DESC = reinterpret_cast<irq_desc*>(uintptr_t(-2));
// NULL or a marker: no descriptor to run (Linux IS_ERR_OR_NULL on the entry).
static inline bool vector_desc_is_marker(const irq_desc* d) { return uintptr_t(d) - 1 >= uintptr_t(-3); }

struct VectorIrqTable {
    irq_desc* desc[NR_VECTORS] = {};
};
DECLARE_PER_CPU(VectorIrqTable, vector_irq);

// Map `vector` on `cpu` to `irq` (or a marker). Boot or with the vector's IRQ descriptor lock held and
// interrupts off (the table is read by do_IRQ on that CPU with interrupts off).
void vector_irq_set(unsigned cpu, unsigned vector, int irq);
int vector_irq_get(unsigned cpu, unsigned vector);
