// x86 port I/O instructions (Intel SDM vol. 2A "IN", vol. 2B "OUT"), inline, for kernel/io.h's PortIo
// when the object is the machine's own port space. Included by kernel/io.h only.
#pragma once
#include "kernel/types.h"

constexpr bool arch_has_port_io = true;

[[gnu::always_inline]] inline uint8_t arch_inb(uint16_t port) {
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
[[gnu::always_inline]] inline void arch_outb(uint16_t port, uint8_t v) {
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
[[gnu::always_inline]] inline uint16_t arch_inw(uint16_t port) {
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
[[gnu::always_inline]] inline void arch_outw(uint16_t port, uint16_t v) {
    __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
[[gnu::always_inline]] inline uint32_t arch_inl(uint16_t port) {
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
[[gnu::always_inline]] inline void arch_outl(uint16_t port, uint32_t v) {
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
