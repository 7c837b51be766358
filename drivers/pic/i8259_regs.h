// Registers and command words of the Intel 8259A programmable interrupt controller pair of the PC/AT,
// and the ELCR of the PIIX/ICH south bridges. Values from the Intel 8259A datasheet (order no. 231468,
// "Initialization Command Words" and "Operation Command Words") and the Intel 82371AB PIIX4 datasheet
// (section 4.1.15, ELCR1/ELCR2).
#pragma once
#include "kernel/types.h"

namespace i8259 {

// I/O ports. Each 8259A decodes A0: A0=0 is the command port (ICW1, OCW2, OCW3, IRR/ISR reads),
// A0=1 the data port (ICW2-4, OCW1 = the interrupt mask register).
constexpr uint16_t PIC_MASTER_CMD = 0x20;
constexpr uint16_t PIC_MASTER_IMR = 0x21;
constexpr uint16_t PIC_SLAVE_CMD = 0xA0;
constexpr uint16_t PIC_SLAVE_IMR = 0xA1;
// Edge/Level Control Registers: bit n = 1 makes IRQ n level-triggered (active low, shareable PCI INTx).
constexpr uint16_t PIC_ELCR1 = 0x4D0;  // IRQ 0-7
constexpr uint16_t PIC_ELCR2 = 0x4D1;  // IRQ 8-15
// PIIX4 4.1.15: IRQ0, 1, 2, 8 and 13 are hard-wired edge (the ELCR bits are reserved, must be 0).
constexpr uint16_t ELCR_EDGE_ONLY = (1u << 0) | (1u << 1) | (1u << 2) | (1u << 8) | (1u << 13);

// ICW1 (command port, D4 = 1 marks it as ICW1).
constexpr uint8_t ICW1_INIT = 0x10;  // D4: this is ICW1, start the initialisation sequence
constexpr uint8_t ICW1_IC4 = 0x01;   // D0: an ICW4 follows
constexpr uint8_t ICW1_SNGL = 0x02;  // D1: single 8259 (clear: cascade mode, ICW3 follows)
constexpr uint8_t ICW1_LTIM = 0x08;  // D3: level-triggered inputs (overridden per pin by the ELCR)
// ICW2 (data port): the vector of IR0; IRn uses base + n, so the base must be a multiple of 8.
constexpr uint8_t ICW2_VECTOR_ALIGN = 8;
// ICW3 (data port). Master: a bit for each IR input that has a slave. Slave: its cascade identity.
constexpr unsigned PIC_CASCADE_IR = 2;                 // the slave hangs on the master's IR2
constexpr uint8_t ICW3_MASTER = 1u << PIC_CASCADE_IR;  // 0x04
constexpr uint8_t ICW3_SLAVE = PIC_CASCADE_IR;         // 0x02
// ICW4 (data port).
constexpr uint8_t ICW4_8086 = 0x01;  // uPM: 8086/88 mode (the CPU supplies the vector fetch cycle)
constexpr uint8_t ICW4_AEOI = 0x02;  // automatic EOI on the second INTA pulse

// OCW2 (command port, D4:D3 = 00): EOI commands.
constexpr uint8_t OCW2_SPECIFIC_EOI = 0x60;  // R=0 SL=1 EOI=1; the low 3 bits name the IR level
// OCW3 (command port, D4:D3 = 01): select what the next command-port read returns.
constexpr uint8_t OCW3_READ_IRR = 0x0A;  // RR=1 RIS=0: interrupt request register (the default)
constexpr uint8_t OCW3_READ_ISR = 0x0B;  // RR=1 RIS=1: in-service register

// The 8259A raises IR7 of the chip that saw a request vanish before INTA: the "spurious" level.
constexpr unsigned PIC_SPURIOUS_IR = 7;

constexpr unsigned PIC_NR_IRQS = 16;
// The 8259A needs time to settle after initialisation before it is unmasked (Linux waits 100 us).
constexpr unsigned PIC_INIT_SETTLE_US = 100;

}  // namespace i8259
