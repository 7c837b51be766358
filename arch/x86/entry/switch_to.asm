; The context switch (Linux arch/x86/entry/entry_64.S __switch_to_asm and ret_from_fork_asm), minimal:
; only the callee-saved registers need saving, because the switch is a function call (the compiler
; keeps everything else around the call). The kernel uses no FPU/SSE, and the per-CPU GS base belongs
; to the CPU, not the task, so the stack pointer is the whole of a task's saved CPU state.
%include "asm-offsets.inc"

global __switch_to_asm, ret_from_fork_asm
extern kthread_entry

section .text
bits 64

; task_struct* __switch_to_asm(task_struct* prev [rdi], task_struct* next [rsi])
; Saves prev's callee-saved registers on its stack and its stack pointer in prev->thread_sp, loads
; next's, and returns on next's stack: into next's own call of __switch_to_asm (returning the task that
; ran before it on this CPU, Linux's `last`: the prev of the switch that resumed it), or, for a new
; task, into ret_from_fork_asm.
__switch_to_asm:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [rdi + TASK_THREAD_SP], rsp
    mov rsp, [rsi + TASK_THREAD_SP]
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    mov rax, rdi
    ret

; A new task's first instructions (its first stack frame is built by arch/x86/process.cpp
; init_task_stack): `last` is in rax. rbp is 0, so the stack walker ends the chain here.
ret_from_fork_asm:
    mov rdi, rax
    call kthread_entry
    ud2                             ; kthread_entry never returns

section .note.GNU-stack noalloc noexec nowrite progbits
