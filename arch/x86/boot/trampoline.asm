; The real-mode trampoline of the application processors (Linux arch/x86/realmode/rm/trampoline_64.S;
; Intel SDM vol. 3A 8.4.4.1 "Typical BSP Initialization Sequence" and 9.8.5 "Initializing IA-32e Mode").
; A STARTUP IPI starts an AP in real mode at CS = vector << 8, IP = 0, so this blob is position
; independent: arch/x86/smpboot.cpp copies it to a page below 1 MiB, fills the parameter block at its end
; (page tables, EFER bits, the 64-bit entry, the stack, the CPU number) and sends INIT-SIPI-SIPI. The AP
; then goes real mode -> protected mode -> long mode with the boot CPU's page tables and jumps to
; ap_entry64 (below, in the kernel image), which loads the stack and calls start_secondary(cpu).
; Each step in words: docs/smp.md.

CR0_PE          equ 1 << 0
CR0_WP          equ 1 << 16
CR0_PG          equ 1 << 31
CR4_PAE         equ 1 << 5
MSR_EFER        equ 0xC0000080
TR_CODE32       equ 0x08
TR_DATA         equ 0x10
TR_CODE64       equ 0x18

global trampoline_start, trampoline_end
global trampoline_cr3, trampoline_efer, trampoline_entry, trampoline_stack, trampoline_cpu
global ap_entry64
extern start_secondary

; Offsets inside the blob (NASM resolves the difference of two labels of one section to a constant).
%define OFF(label) (label - trampoline_start)

section .rodata
align 16
bits 16
trampoline_start:
    cli
    cld
    mov ax, cs
    mov ds, ax
    movzx ebx, ax
    shl ebx, 4                                  ; ebx = the blob's physical address, for every later step
    ; The blob patches its own absolute addresses: the GDT base and the two far-jump targets.
    lea eax, [ebx + OFF(tr_gdt)]
    mov [OFF(tr_gdtr) + 2], eax
    lea eax, [ebx + OFF(tr_pm32)]
    mov [OFF(tr_pm32_ptr)], eax
    lea eax, [ebx + OFF(tr_lm64)]
    mov [OFF(tr_lm64_ptr)], eax
    lgdt [OFF(tr_gdtr)]
    mov eax, cr0
    or eax, CR0_PE
    mov cr0, eax
    o32 jmp far [OFF(tr_pm32_ptr)]              ; flat 32-bit code segment

bits 32
tr_pm32:
    mov ax, TR_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, [ebx + OFF(trampoline_cr3)]        ; the boot CPU's page tables (identity map, below 4 GiB)
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, [ebx + OFF(trampoline_efer)]        ; LME, and NXE when the boot CPU has it
    wrmsr
    mov eax, cr0
    or eax, CR0_PG | CR0_WP
    mov cr0, eax                                ; IA-32e mode, compatibility submode
    jmp far [ebx + OFF(tr_lm64_ptr)]            ; CS.L = 1: 64-bit mode

bits 64
tr_lm64:
    mov ebx, ebx                                ; zero-extend the blob address
    mov rax, [rbx + OFF(trampoline_entry)]
    jmp rax

align 8
tr_gdt:
    dq 0
    dq 0x00CF9A000000FFFF                       ; 0x08: 32-bit code, flat
    dq 0x00CF92000000FFFF                       ; 0x10: data, flat (the kernel's KERNEL_DS too)
    dq 0x00AF9A000000FFFF                       ; 0x18: 64-bit code
tr_gdt_end:
tr_gdtr:
    dw tr_gdt_end - tr_gdt - 1
    dd 0                                        ; patched: physical address of tr_gdt
tr_pm32_ptr:
    dd 0                                        ; patched
    dw TR_CODE32
tr_lm64_ptr:
    dd 0                                        ; patched
    dw TR_CODE64

; The parameter block, filled by arch/x86/smpboot.cpp in the copy before each start-up.
align 8
trampoline_entry: dq 0                          ; ap_entry64
trampoline_stack: dq 0                          ; top of the AP's kernel stack
trampoline_cr3:   dd 0
trampoline_efer:  dd 0
trampoline_cpu:   dd 0                          ; the CPU number the AP becomes
trampoline_end:

; In the kernel image: the AP's first instructions at their linked address (still the trampoline's GDT,
; rbx = the blob). Data segments flat, FS/GS null (cpu_local_init then sets the GS base), the AP's stack,
; then start_secondary(cpu) in arch/x86/smpboot.cpp, which never returns.
section .text
bits 64
ap_entry64:
    mov ax, TR_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rsp, [rbx + OFF(trampoline_stack)]
    xor ebp, ebp                                ; the stack walker stops at a zero frame pointer
    mov edi, [rbx + OFF(trampoline_cpu)]
    call start_secondary
.halt:
    cli
    hlt
    jmp .halt

section .note.GNU-stack noalloc noexec nowrite progbits
