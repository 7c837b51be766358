; First 64-bit code: flat data segments, the boot stack, this CPU's GS base (per-CPU area, arch/x86/cpu_local.h),
; C++ global constructors (.init_array, as crt0 would run them), then kernel_main(magic, mbi) in init/main.cpp.

MSR_GS_BASE equ 0xC0000101                  ; Intel SDM vol. 4, IA32_GS_BASE
BOOT_DATA   equ 0x10

global long_mode_entry
extern boot_stack_top, boot_multiboot_magic, boot_multiboot_info
extern __init_array_start, __init_array_end, kernel_main, irqos_cpu_area

section .text
bits 64
long_mode_entry:
    mov ax, BOOT_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rsp, boot_stack_top
    xor ebp, ebp                                ; the stack walker stops at a zero frame pointer

    ; CPU 0's per-CPU area, so the interrupt entry can store its timestamps from the first exception on.
    lea rax, [rel irqos_cpu_area]
    mov rdx, rax
    shr rdx, 32
    mov ecx, MSR_GS_BASE
    wrmsr

    lea rbx, [rel __init_array_start]
.ctors:
    lea rax, [rel __init_array_end]
    cmp rbx, rax
    jae .ctors_done
    call [rbx]
    add rbx, 8
    jmp .ctors
.ctors_done:
    mov edi, [rel boot_multiboot_magic]
    mov esi, [rel boot_multiboot_info]
    call kernel_main
.halt:
    cli
    hlt
    jmp .halt

section .note.GNU-stack noalloc noexec nowrite progbits
