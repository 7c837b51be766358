// The interrupt descriptor table: 256 interrupt gates to the stubs of arch/x86/entry/vectors.asm
// (Intel SDM vol. 3A 6.14.1, 64-bit IDT gate descriptors). One table shared by all CPUs, as in Linux.
#pragma once

constexpr unsigned NR_VECTORS = 256;
constexpr unsigned FIRST_EXTERNAL_VECTOR = 0x20;  // Linux asm/irq_vectors.h: 0-31 are exceptions
constexpr unsigned NMI_VECTOR = 2;
constexpr unsigned DOUBLE_FAULT_VECTOR = 8;

// Fill the table (first CPU) and load it on this CPU. Boot / AP start-up, interrupts off.
void idt_init();
void idt_load();
