// Waiting for an interrupt without burning the CPU. The kernel implementation is arch/x86/idle.cpp
// (STI;HLT); the host tests provide their own in tests/host/support.
#pragma once

// Enable interrupts and sleep until the next one arrives; returns with interrupts enabled.
// To wait for a condition an interrupt handler makes true, without a lost wake-up:
//     local_irq_disable(); if (!condition) cpu_idle_once(); else local_irq_enable();
// Process context only (never with a spinlock held). In a task once the scheduler runs
// (kernel/sched/idle.cpp) the task sleeps, and other tasks run, until this CPU's idle loop has seen an
// interrupt or this CPU's next timer tick; before that, and in an idle task, the CPU halts.
void cpu_idle_once();
// The architecture's halt: enable interrupts and halt until the next one, with no window in between
// (x86: sti; hlt). Interrupts off on entry, on at return.
void arch_safe_halt();

// Idle with interrupts on until cond(arg) holds (checked with interrupts off, so no wake-up is lost) or
// jiffies is past `deadline`. Returns cond's last value (false for a null cond). Needs the timer
// interrupt. Process context only.
bool idle_until(bool (*cond)(void*), void* arg, unsigned long deadline);
// Idle with interrupts on until `ms` milliseconds of jiffies have passed (at least that long: one tick
// more than msecs_to_jiffies rounds to).
void idle_ms(unsigned long ms);
