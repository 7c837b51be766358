// Waiting for an interrupt without burning the CPU. The kernel implementation is arch/x86/idle.cpp
// (STI;HLT); the host tests provide their own in tests/host/support.
#pragma once

// Enable interrupts and sleep until the next one arrives; returns with interrupts enabled.
// To wait for a condition an interrupt handler makes true, without a lost wake-up:
//     local_irq_disable(); if (!condition) cpu_idle_once(); else local_irq_enable();
// Process context only (never with a spinlock held).
void cpu_idle_once();
