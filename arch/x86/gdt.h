// The 64-bit GDT and TSS of each CPU (Intel SDM vol. 3A 3.4.5 segment descriptors, 7.7 the 64-bit TSS,
// 6.14.5 the interrupt stack table). Segmentation is flat; the TSS exists for its IST stacks.
#pragma once
#include "kernel/types.h"

constexpr uint16_t KERNEL_CS = 0x08;
constexpr uint16_t KERNEL_DS = 0x10;
constexpr uint16_t TSS_SELECTOR = 0x18;

// IST slots (1-based as in the IDT gate's IST field). Linux: IST_INDEX_DF, IST_INDEX_NMI.
constexpr unsigned IST_DOUBLE_FAULT = 1;
constexpr unsigned IST_NMI = 2;
constexpr unsigned IST_STACK_SIZE = 16384;

// Build and load CPU `cpu`'s GDT and TSS, register its IST stacks with the stack walker.
// Boot / AP start-up, interrupts off. Leaves the GS base alone (loading %gs would clear it).
void gdt_init(unsigned cpu);
