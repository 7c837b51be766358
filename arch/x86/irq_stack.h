// Each CPU's hard-IRQ stack (Linux arch/x86/kernel/irq_64.c and asm/irq_stack.h: hardirq_stack_ptr,
// hardirq_stack_inuse, IRQ_STACK_SIZE): common_interrupt and common_sysvec_entry
// (arch/x86/entry/vectors.asm) move to it before calling do_IRQ or the system vector's handler, unless
// this CPU is already on it (an interrupt taken while something runs on it with interrupts enabled,
// as softirqs do in Linux), so a device interrupt costs the interrupted thread's stack only its
// TrapFrame. The stack walker follows the frame chain from the IRQ stack back to the interrupted one.
#pragma once
#include "kernel/percpu.h"
#include "kernel/types.h"

constexpr size_t IRQ_STACK_SIZE = 16384;  // Linux x86-64: 16 KiB (IRQ_STACK_ORDER 2)

// The top of this CPU's IRQ stack (16-byte aligned, as the SysV ABI wants before a call), and whether
// the entry code is running on it. Read and written by the entry code with interrupts off.
DECLARE_PER_CPU(uintptr_t, hardirq_stack_ptr);
DECLARE_PER_CPU(bool, hardirq_stack_inuse);

// Boot of `cpu` (the boot CPU in kernel_main, an AP in start_secondary), interrupts off, before its
// first interrupt: its stack's top in hardirq_stack_ptr, the range known to the stack walker.
void irq_stack_init(unsigned cpu);
// The bounds of `cpu`'s IRQ stack [lo, hi). Any context.
uintptr_t irq_stack_lo(unsigned cpu);
uintptr_t irq_stack_hi(unsigned cpu);
