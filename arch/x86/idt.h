// The interrupt descriptor table: 256 interrupt gates to the stubs of arch/x86/entry/vectors.asm
// (Intel SDM vol. 3A 6.14.1, 64-bit IDT gate descriptors). One table shared by all CPUs, as in Linux.
#pragma once
#include "arch/x86/irq_vectors.h"

// Fill the table (first CPU) and load it on this CPU. Boot / AP start-up, interrupts off.
void idt_init();
void idt_load();
