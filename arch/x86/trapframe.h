// The register frame common_interrupt (arch/x86/entry/vectors.asm) builds on the stack for every vector:
// the GPRs it pushes, the vector and error code the stub pushes, then what the CPU pushed (Intel SDM vol. 3A
// 6.14.2 "64-Bit Mode Stack Frame"). Field order is the reverse of the push order; the static_asserts
// below and arch/x86/asm-offsets.cpp (which generates the NASM constants) keep both sides in step.
#pragma once
#include "kernel/types.h"

struct TrapFrame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rdi, rsi, rbp, rbx, rcx, rdx, rax;
    uint64_t vector;                    // pushed by the stub
    uint64_t error_code;                // pushed by the CPU, or a 0 pushed by the stub
    uint64_t rip, cs, rflags, rsp, ss;  // pushed by the CPU
};

// The layout common_interrupt assumes (push order rax, rdx, rcx, rbx, rbp, rsi, rdi, r8 .. r15).
static_assert(offsetof(TrapFrame, r15) == 0x00);
static_assert(offsetof(TrapFrame, r8) == 0x38);
static_assert(offsetof(TrapFrame, rdi) == 0x40);
static_assert(offsetof(TrapFrame, rbp) == 0x50);
static_assert(offsetof(TrapFrame, rdx) == 0x68);
static_assert(offsetof(TrapFrame, rax) == 0x70);
static_assert(offsetof(TrapFrame, vector) == 0x78);
static_assert(offsetof(TrapFrame, error_code) == 0x80);
static_assert(offsetof(TrapFrame, rip) == 0x88);
static_assert(offsetof(TrapFrame, ss) == 0xA8);
static_assert(sizeof(TrapFrame) == 0xB0);
// The CPU aligns RSP to 16 before pushing its 5 words (SDM 6.14.2); 0xB0 keeps the C call 16-byte aligned.
static_assert(sizeof(TrapFrame) % 16 == 0);

// Number of GPR slots common_interrupt and common_exception push (everything above `vector` is stub/CPU).
constexpr unsigned TRAPFRAME_GPRS = 15;
static_assert(offsetof(TrapFrame, vector) == TRAPFRAME_GPRS * 8);

// The C++ entry for vectors 0-31 (from common_exception, interrupts off); do_IRQ (arch/x86/irq.h) is the
// one for external interrupts.
extern "C" void x86_exception_dispatch(TrapFrame* frame);
