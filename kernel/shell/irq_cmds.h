// The one-line state of an interrupt line that the depth commands (disable_irq, enable_irq, ...) and the
// scenarios print: depth, the disabled/masked/in-progress bits, PENDING/REPLAY/SPURIOUS_DISABLED, the
// chip, the flow and IRQ_DISABLE_UNLAZY, each by its Linux name.
#pragma once
#include "kernel/types.h"

// Longest line irq_line_state writes (all bits set), with room to spare.
constexpr size_t IRQ_LINE_STATE_MAX = 224;

// "IRQ 11: depth 1, IRQD_IRQ_DISABLED IRQD_IRQ_MASKED IRQS_PENDING [XT-PIC-lazy level]" (no newline;
// "enabled, unmasked" when no bit is set). Any context; takes the descriptor lock with interrupts saved.
// Returns the length, or -EINVAL for irq >= NR_IRQS.
int irq_line_state(unsigned irq, char* buf, size_t size);

// Is `irq` a line the depth commands accept: a descriptor with a chip (not no_irq_chip), not per-CPU?
// Process context. 0 or -EINVAL.
int irq_line_check(unsigned irq);

// `irq N affinity [CPULIST]`: with a list, irq_set_affinity(N, list) ("0-2,5", Linux's cpulist format);
// then print "IRQ N: affinity REQUESTED, effective EFFECTIVE" (an empty effective list: no vector yet).
// Errors are printed with their code: a bad list (-EINVAL, -ERANGE, -EOVERFLOW from cpulist_parse), a
// list with no online CPU, a line whose chip cannot move it (-EINVAL), a move not finished (-EBUSY).
// Process context. Returns 0 or the error.
int irq_affinity_cmd(unsigned irq, const char* cpulist);
