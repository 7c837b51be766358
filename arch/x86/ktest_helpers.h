// Test-only access to the CPU for tests/kernel (which may not use inline assembly itself): raise an
// interrupt vector in software with INT n (Intel SDM vol. 2A "INT n"), the way the in-kernel tests reach
// do_IRQ on vectors no device drives ("No irq handler for vector", a fake spurious IRQ7, test lines).
#pragma once
#include "arch/x86/irq_vectors.h"
#include "kernel/types.h"

constexpr unsigned ARCH_RAISE_VECTOR_MIN = FIRST_EXTERNAL_VECTOR;  // below: exceptions, some push an error code

// Execute INT `vector` on this CPU (ARCH_RAISE_VECTOR_MIN .. NR_VECTORS-1; others are refused and return false). Process context;
// the handler runs before this returns, even with interrupts disabled (INT n ignores RFLAGS.IF).
bool arch_raise_vector(unsigned vector);
