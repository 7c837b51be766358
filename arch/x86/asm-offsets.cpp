// Generates build/kernel/gen/asm-offsets.inc (not linked): the compiler computes offsetof() and the
// build turns the "->NAME value" markers of the assembly output into NASM %defines, as Linux's
// arch/x86/kernel/asm-offsets.c does. So the .asm files never hard-code a structure offset.
#include "arch/x86/irq_vectors.h"
#include "arch/x86/trapframe.h"
#include "kernel/sched/sched.h"

#define DEFINE(sym, val) __asm__ volatile("\n.ascii \"->" #sym " %c0\"" : : "i"(val))
#define OFFSET(sym, str, mem) DEFINE(sym, offsetof(str, mem))

void asm_offsets_generate();
void asm_offsets_generate() {
    OFFSET(TF_RAX, TrapFrame, rax);
    OFFSET(TF_RDX, TrapFrame, rdx);
    OFFSET(TF_VECTOR, TrapFrame, vector);
    OFFSET(TF_ERROR_CODE, TrapFrame, error_code);
    OFFSET(TF_RIP, TrapFrame, rip);
    DEFINE(TF_SIZE, sizeof(TrapFrame));
    DEFINE(TF_GPRS, TRAPFRAME_GPRS);
    DEFINE(FIRST_SYSTEM_VECTOR, FIRST_SYSTEM_VECTOR);
    OFFSET(TASK_THREAD_SP, task_struct,
           thread_sp);  // the saved stack pointer, for __switch_to_asm  // the stubs from here on enter common_sysvec
}
