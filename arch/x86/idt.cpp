// IDT set-up. Every vector is an interrupt gate (IF cleared on entry: the genirq flows run with interrupts
// off, as Linux's do). #DF and NMI use IST stacks so they work even when the kernel stack is gone.
#include "arch/x86/idt.h"
#include "arch/x86/gdt.h"
#include "kernel/types.h"

extern "C" const uint64_t irqos_vector_stubs[NR_VECTORS];

namespace {
struct [[gnu::packed]] IdtGate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
};
static_assert(sizeof(IdtGate) == 16, "SDM vol. 3A figure 6-8");
constexpr uint8_t GATE_PRESENT = 0x80, GATE_DPL0 = 0x00, GATE_INTERRUPT64 = 0x0E;

alignas(4096) IdtGate idt_table[NR_VECTORS];

struct [[gnu::packed]] IdtPointer {
    uint16_t limit;
    uint64_t base;
};

void set_gate(unsigned vector, uint64_t handler, unsigned ist) {
    IdtGate& g = idt_table[vector];
    g.offset_low = handler & 0xFFFF;
    g.selector = KERNEL_CS;
    g.ist = uint8_t(ist);
    g.type_attr = GATE_PRESENT | GATE_DPL0 | GATE_INTERRUPT64;
    g.offset_mid = (handler >> 16) & 0xFFFF;
    g.offset_high = uint32_t(handler >> 32);
    g.reserved = 0;
}
}  // namespace

void idt_init() {
    for (unsigned v = 0; v < NR_VECTORS; v++) set_gate(v, irqos_vector_stubs[v], 0);
    set_gate(DOUBLE_FAULT_VECTOR, irqos_vector_stubs[DOUBLE_FAULT_VECTOR], IST_DOUBLE_FAULT);
    set_gate(NMI_VECTOR, irqos_vector_stubs[NMI_VECTOR], IST_NMI);
    idt_load();
}

void idt_load() {
    IdtPointer ptr = {sizeof(idt_table) - 1, reinterpret_cast<uint64_t>(idt_table)};
    __asm__ volatile("lidt %0" : : "m"(ptr) : "memory");
}
