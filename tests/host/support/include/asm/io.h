// The host has no port space: kernel/io.h's direct branch is compiled away (arch_has_port_io is false),
// and every PortIo on the host is a fake that implements the virtual do_* functions. These definitions
// only satisfy the compiler for that discarded branch. Included by kernel/io.h only.
#pragma once
#include "kernel/types.h"

constexpr bool arch_has_port_io = false;

inline uint8_t arch_inb(uint16_t) { return 0xff; }
inline void arch_outb(uint16_t, uint8_t) {}
inline uint16_t arch_inw(uint16_t) { return 0xffff; }
inline void arch_outw(uint16_t, uint16_t) {}
inline uint32_t arch_inl(uint16_t) { return 0xffffffffu; }
inline void arch_outl(uint16_t, uint32_t) {}
