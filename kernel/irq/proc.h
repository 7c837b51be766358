// Text views of the interrupt descriptors: the /proc/interrupts table (Linux kernel/irq/proc.c
// show_interrupts plus arch/x86/kernel/irq.c arch_show_interrupts) and a crash-style dump of one
// descriptor (the fields Linux's kernel/irq/debugfs.c shows). Output goes to a caller's function.
#pragma once
#include "kernel/types.h"

// Receives a piece of text (not NUL-terminated, no line buffering implied).
using irq_out_fn = void (*)(const char* s, size_t n, void* ctx);

struct irq_desc;

// The chip column both views print: the chip's name, "-" for a chip without one, "None" for no chip.
// Caller holds desc->lock.
const char* irq_chip_column(const irq_desc* desc);

// printf into `out` (Linux's seq_printf). Lines up to 256 bytes; longer output is truncated.
int irq_seq_printf(irq_out_fn out, void* ctx, const char* fmt, ...) __printf(3, 4);

// The /proc/interrupts layout: a header with one CPU column per online CPU, one row per line that has an
// action, then the x86 rows NMI, LOC, SPU, RES, CAL (per CPU, Linux's
// texts), ERR and MIS. Process context; takes each descriptor's lock
// (interrupts off) while reading it, so `out` runs with no lock held only between rows. Never fails.
void show_interrupts(irq_out_fn out, void* ctx);

// Every field of one descriptor, decoded by name: flow handler, chip, hwirq, depth, IRQD_* state,
// IRQS_* istate, IRQ_* settings, per-CPU counts and spurious accounting, then each action (handler
// symbol, IRQF_* flags, dev_id, name). Same context as show_interrupts. -EINVAL for irq >= NR_IRQS.
int irq_desc_dump(unsigned irq, irq_out_fn out, void* ctx);
