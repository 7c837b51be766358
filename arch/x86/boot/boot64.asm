; First 64-bit code: flat data segments, the boot stack, the per-CPU copies and CPU 0's GS base
; (kernel/percpu.h, arch/x86/cpu_local.h), C++ global constructors (.init_array, as crt0 would run them), then kernel_main(magic, mbi) in init/main.cpp.

BOOT_DATA   equ 0x10

global long_mode_entry
extern boot_stack_top, boot_multiboot_magic, boot_multiboot_info
extern __init_array_start, __init_array_end, kernel_main
extern setup_per_cpu_areas, cpu_local_init

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

    ; Per-CPU variables (preempt_count, the CPU number, ...) work from the first line of C++ on, the
    ; constructors included: copy the template for every CPU and point CPU 0's GS base at its copy.
    call setup_per_cpu_areas
    xor edi, edi
    call cpu_local_init

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
