; The 256 interrupt entry stubs and the three common entries. Like Linux's irq_entries_start, one macro
; loop makes every stub: push a 0 where the CPU pushes no error code (so every TrapFrame has the same
; shape), push the vector number, jump to the common code. common_interrupt (device vectors),
; common_sysvec (system vectors, FIRST_SYSTEM_VECTOR and up: Linux's DEFINE_IDTENTRY_SYSVEC entries) and
; common_exception (CPU exceptions, NMI) save the GPRs into a TrapFrame (arch/x86/trapframe.h), call
; do_IRQ, common_sysvec or x86_exception_dispatch with it and return with iretq.
%include "asm-offsets.inc"

NR_VECTORS      equ 256
STUB_ALIGN      equ 16
; Vectors for which the CPU pushes an error code (Intel SDM vol. 3A, table 6-1): #DF 8, #TS 10, #NP 11,
; #SS 12, #GP 13, #PF 14, #AC 17, #CP 21, #VC 29, #SX 30. The one place they are listed.
ERRCODE_VECTORS equ (1 << 8) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 13) | (1 << 14) | (1 << 17) | (1 << 21) | (1 << 29) | (1 << 30)

; The push order below must give the TrapFrame layout the C++ side sees (checked both ways:
; static_asserts in trapframe.h, these against the generated offsets).
%if TF_RAX != TF_VECTOR - 8 || TF_RDX != TF_VECTOR - 16 || TF_VECTOR != TF_GPRS * 8
%error "TrapFrame layout in trapframe.h does not match common_interrupt's push order"
%endif
%if TF_ERROR_CODE != TF_VECTOR + 8 || TF_RIP != TF_VECTOR + 16 || TF_SIZE % 16 != 0
%error "TrapFrame tail does not match the stub/CPU pushes"
%endif

global irqos_vector_stubs, common_interrupt, common_exception, common_sysvec_entry
extern x86_exception_dispatch, do_IRQ, common_sysvec
extern hardirq_stack_ptr, hardirq_stack_inuse   ; per-CPU (arch/x86/irq_stack.cpp): gs-relative
extern __preempt_count                          ; per-CPU (kernel/preempt.h): gs-relative
extern preempt_schedule_irq

; Save the general-purpose registers below the vector and error code, in TrapFrame order, and clear DF
; (the SysV ABI wants it clear on function entry).
%macro SAVE_REGS 0
    push rax
    push rdx
    push rcx
    push rbx
    push rbp
    push rsi
    push rdi
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    cld
%endmacro

; Restore them, drop the vector and error code, return to the interrupted code.
%macro RESTORE_REGS_IRET 0
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rdi
    pop rsi
    pop rbp
    pop rbx
    pop rcx
    pop rdx
    pop rax
    add rsp, 16                     ; vector and error code
    iretq
%endmacro

section .text
bits 64
align STUB_ALIGN
irqos_vector_stub_code:
%assign v 0
%rep NR_VECTORS
    align STUB_ALIGN
vector_stub_%[v]:
%if v >= 32 || ((ERRCODE_VECTORS >> v) & 1) == 0
    push qword 0                    ; no CPU error code: keep the frame shape
%endif
    push qword v
%if v < 32
    jmp common_exception
%elif v >= FIRST_SYSTEM_VECTOR
    jmp common_sysvec_entry
%else
    jmp common_interrupt
%endif
%assign v v + 1
%endrep

; Every entry runs with interrupts off (every IDT gate is an interrupt gate) and saves the TrapFrame on
; the interrupted stack (an IST stack for #DF and NMI); device and system vectors then move to the IRQ
; stack. Device vectors (FIRST_EXTERNAL_VECTOR up to FIRST_SYSTEM_VECTOR)
; go straight to do_IRQ, system vectors to common_sysvec (arch/x86/sysvec.cpp), CPU exceptions and the
; NMI to x86_exception_dispatch (arch/x86/traps.cpp).
;
; Device and system vectors run their C++ on this CPU's IRQ stack (arch/x86/irq_stack.h; Linux
; call_on_irqstack_cond): unless the stack is already in use, mark it, keep the interrupted stack pointer
; in rbx (saved in the TrapFrame, and preserved by the callee), switch, call, switch back. The TrapFrame
; stays on the interrupted stack; its address is the handler's argument either way.
;
; Back on the interrupted stack, the interrupt may preempt the task it interrupted (Linux
; irqentry_exit_cond_resched): the per-CPU preempt count, with the need-resched bit folded in inverted
; (kernel/preempt.h), is 0 exactly when preemption is allowed and a reschedule is wanted. A nested
; entry (already on the IRQ stack) never preempts: the outer interrupt or softirq still runs.
%macro CALL_ON_IRQ_STACK 1
    mov rdi, rsp                    ; TrapFrame* (16-byte aligned, see trapframe.h)
    cmp byte [gs:hardirq_stack_inuse], 0
    jne %%nested
    mov byte [gs:hardirq_stack_inuse], 1
    mov rbx, rsp
    mov rsp, [gs:hardirq_stack_ptr]
    call %1
    mov rsp, rbx
    mov byte [gs:hardirq_stack_inuse], 0
    cmp dword [gs:__preempt_count], 0
    je %%preempt
    RESTORE_REGS_IRET
%%preempt:
    call preempt_schedule_irq       ; interrupts off; returns when this task runs again
    RESTORE_REGS_IRET
%%nested:
    call %1
    RESTORE_REGS_IRET
%endmacro

common_interrupt:
    SAVE_REGS
    CALL_ON_IRQ_STACK do_IRQ

common_sysvec_entry:
    SAVE_REGS
    CALL_ON_IRQ_STACK common_sysvec

common_exception:
    SAVE_REGS
    mov rdi, rsp
    call x86_exception_dispatch
    RESTORE_REGS_IRET

section .rodata
align 8
; Entry address of each stub, read by arch/x86/idt.cpp to fill the gates.
irqos_vector_stubs:
%assign v 0
%rep NR_VECTORS
    dq vector_stub_%[v]
%assign v v + 1
%endrep

section .note.GNU-stack noalloc noexec nowrite progbits
