// The x86 vector space, the one place where vector numbers are written (Linux
// arch/x86/include/asm/irq_vectors.h). 0-31 are the CPU's exceptions; device vectors are handed out by
// the per-CPU vector allocator between FIRST_EXTERNAL_VECTOR and FIRST_SYSTEM_VECTOR; the system vectors
// at the top belong to the local APIC and the SMP code, have fixed numbers and their own entry points.
#pragma once

constexpr unsigned NR_VECTORS = 256;
// CPU exceptions that need their own IST stack (Intel SDM vol. 3A table 6-1).
constexpr unsigned NMI_VECTOR = 2;
constexpr unsigned DOUBLE_FAULT_VECTOR = 8;
constexpr unsigned FIRST_EXTERNAL_VECTOR = 0x20;  // 0-31 are exceptions
// The ISA lines' vectors on the boot CPU, as Linux places them: IRQ i at ISA_IRQ_VECTOR(i). The 8259 pair
// is programmed with ISA_IRQ_VECTOR(0) as its base; in APIC mode the IO-APIC's legacy pins start there.
constexpr unsigned ISA_IRQ_VECTOR_BASE = 0x30;
constexpr unsigned ISA_IRQ_VECTOR(unsigned irq) { return ISA_IRQ_VECTOR_BASE + irq; }
constexpr unsigned IA32_SYSCALL_VECTOR = 0x80;  // reserved, as in Linux: never given to a device

// System vectors, highest first (Linux's numbers).
constexpr unsigned SPURIOUS_APIC_VECTOR = 0xff;         // LAPIC spurious: counted in SPU, never EOI'd
constexpr unsigned ERROR_APIC_VECTOR = 0xfe;            // LAPIC error interrupt (ERR)
constexpr unsigned RESCHEDULE_VECTOR = 0xfd;            // IPI: reschedule (RES)
constexpr unsigned CALL_FUNCTION_VECTOR = 0xfc;         // IPI: smp_call_function_many (CAL)
constexpr unsigned CALL_FUNCTION_SINGLE_VECTOR = 0xfb;  // IPI: smp_call_function_single (CAL)
constexpr unsigned IRQ_MOVE_CLEANUP_VECTOR = 0xf9;      // IPI: free the old vectors after an affinity move
constexpr unsigned LOCAL_TIMER_VECTOR = 0xec;           // LAPIC timer (LOC)
constexpr unsigned FIRST_SYSTEM_VECTOR = LOCAL_TIMER_VECTOR;
