// Test-only access to the CPU for tests/kernel (which may not use inline assembly itself): raise an
// interrupt vector in software with INT n (Intel SDM vol. 2A "INT n"), the way the in-kernel tests reach
// do_IRQ on vectors no device drives ("No irq handler for vector", a fake spurious IRQ7, test lines).
#pragma once
#include "kernel/types.h"

constexpr unsigned ARCH_RAISE_VECTOR_MIN = 0x20;  // below: exceptions, some with a CPU-pushed error code

// Execute INT `vector` on this CPU (0x20..0xFF; others are refused and return false). Process context;
// the handler runs before this returns, even with interrupts disabled (INT n ignores RFLAGS.IF).
bool arch_raise_vector(unsigned vector);
