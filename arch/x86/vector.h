// The per-CPU vector -> Linux IRQ number map (Linux arch/x86: DECLARE_PER_CPU(vector_irq_t, vector_irq)).
// Linux stores irq_desc pointers with markers NULL (unused), -1 (VECTOR_SHUTDOWN) and -2
// (VECTOR_RETRIGGERED); we store IRQ numbers, so our markers are negative ints: -1 unused, -2 shut down
// (an interrupt may still be in flight on the old vector), -3 retriggered.
#pragma once
#include "kernel/percpu.h"
#include "arch/x86/idt.h"

constexpr int VECTOR_UNUSED = -1;
constexpr int VECTOR_SHUTDOWN = -2;
constexpr int VECTOR_RETRIGGERED = -3;

struct VectorIrqTable {
    int irq[NR_VECTORS] = {};
    constexpr VectorIrqTable() {
        for (int& i : irq)
            i = VECTOR_UNUSED;
    }
};
DECLARE_PER_CPU(VectorIrqTable, vector_irq);

// Map `vector` on `cpu` to `irq` (or a marker). Boot or with the vector's IRQ descriptor lock held and
// interrupts off (the table is read by do_IRQ on that CPU with interrupts off).
void vector_irq_set(unsigned cpu, unsigned vector, int irq);
int vector_irq_get(unsigned cpu, unsigned vector);
