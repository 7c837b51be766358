; 32-bit entry from GRUB and the trampoline to long mode (Intel SDM vol. 3A 9.8.5 "Initializing IA-32e Mode").
; GRUB enters in flat protected mode with paging off, eax = 0x36d76289 and ebx = the Multiboot2 info
; (Multiboot2 spec 3.3). We check both, identity-map the first 4 GiB with 2 MiB pages (so the LAPIC and
; IO-APIC MMIO stay reachable later), enable PAE, EFER.LME and paging, and far-jump into 64-bit code.

MB2_BOOTLOADER_MAGIC equ 0x36D76289
CR0_PE          equ 1 << 0
CR0_WP          equ 1 << 16
CR0_PG          equ 1 << 31
CR4_PAE         equ 1 << 5
MSR_EFER        equ 0xC0000080
EFER_LME        equ 1 << 8
EFER_NXE        equ 1 << 11
PTE_PRESENT     equ 1 << 0
PTE_WRITE       equ 1 << 1
PTE_LARGE       equ 1 << 7              ; PS bit in a PD entry: 2 MiB page
CPUID_EXT_MAX   equ 0x80000000
CPUID_EXT_FEAT  equ 0x80000001
CPUID_EDX_LM    equ 1 << 29             ; long mode supported
CPUID_EDX_NX    equ 1 << 20
COM1            equ 0x3F8
DEBUGCON        equ 0xE9                ; QEMU isa-debugcon / Bochs port_e9_hack
BOOT_STACK_SIZE equ 32768
IDENTITY_GIB    equ 4

global _start32, boot_pml4, boot_pdpt, boot_pd, boot_stack_bottom, boot_stack_top, boot_stack_guard
global boot_multiboot_magic, boot_multiboot_info
extern long_mode_entry, __bss_start, __bss_end

section .text.boot progbits alloc exec nowrite align=16
bits 32
_start32:
    cli
    cld
    mov [boot_multiboot_magic_tmp], eax        ; .data: survives the .bss clearing below
    mov [boot_multiboot_info_tmp], ebx
    mov esp, boot_stack_top

    cmp eax, MB2_BOOTLOADER_MAGIC
    jne .bad_magic

    ; Clear .bss ourselves rather than rely on the loader (stack, page tables, every static object).
    mov edi, __bss_start
    mov ecx, __bss_end
    sub ecx, edi
    shr ecx, 2
    xor eax, eax
    rep stosd
    mov eax, [boot_multiboot_magic_tmp]
    mov [boot_multiboot_magic], eax
    mov eax, [boot_multiboot_info_tmp]
    mov [boot_multiboot_info], eax

    ; CPUID: long mode must exist (Intel SDM vol. 2A, CPUID leaf 80000001h EDX bit 29).
    mov eax, CPUID_EXT_MAX
    cpuid
    cmp eax, CPUID_EXT_FEAT
    jb .no_long_mode
    mov eax, CPUID_EXT_FEAT
    cpuid
    test edx, CPUID_EDX_LM
    jz .no_long_mode

    ; PML4[0] -> PDPT, PDPT[0..3] -> four page directories, each 512 x 2 MiB = 1 GiB.
    mov eax, boot_pdpt
    or eax, PTE_PRESENT | PTE_WRITE
    mov [boot_pml4], eax
    mov edi, boot_pdpt
    mov eax, boot_pd
    or eax, PTE_PRESENT | PTE_WRITE
    mov ecx, IDENTITY_GIB
.fill_pdpt:
    mov [edi], eax
    add edi, 8
    add eax, 4096
    loop .fill_pdpt
    mov edi, boot_pd
    xor eax, eax                               ; physical address of the low 32 bits
    xor edx, edx                               ; high 32 bits stay 0 below 4 GiB
    mov ecx, 512 * IDENTITY_GIB
.fill_pd:
    mov ebx, eax
    or ebx, PTE_PRESENT | PTE_WRITE | PTE_LARGE
    mov [edi], ebx
    mov [edi + 4], edx
    add edi, 8
    add eax, 0x200000
    loop .fill_pd

    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, boot_pml4
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME
    wrmsr
    mov eax, cr0
    or eax, CR0_PG | CR0_PE | CR0_WP
    mov cr0, eax                               ; now in IA-32e compatibility mode
    lgdt [boot_gdt_ptr]
    jmp BOOT_CODE64:long_mode_entry            ; CS.L = 1: 64-bit mode

.bad_magic:
    mov esi, msg_bad_magic
    jmp .fail
.no_long_mode:
    mov esi, msg_no_long_mode
.fail:
    ; Polled output on the debug port and COM1 (whatever the firmware left COM1 at), then stop.
.next:
    lodsb
    test al, al
    jz .stop
    out DEBUGCON, al
    mov ah, al
    mov dx, COM1 + 5                           ; line status register
.wait_thr:
    in al, dx
    test al, 0x20                              ; THR empty
    jz .wait_thr
    mov dx, COM1
    mov al, ah
    out dx, al
    jmp .next
.stop:
    cli
    hlt
    jmp .stop

section .rodata
msg_bad_magic:    db "irqos: not loaded by a Multiboot2 loader (bad eax magic), halting", 13, 10, 0
msg_no_long_mode: db "irqos: this CPU has no long mode (x86_64), halting", 13, 10, 0

; The boot GDT: just enough for the jump to 64-bit code. arch/x86/gdt.cpp loads the real one (with a TSS).
BOOT_CODE64 equ 0x08
align 8
boot_gdt:
    dq 0
    dq 0x00AF9A000000FFFF                      ; 0x08: 64-bit code, present, DPL 0, L=1
    dq 0x00CF92000000FFFF                      ; 0x10: data, present, DPL 0, writable
boot_gdt_end:
boot_gdt_ptr:
    dw boot_gdt_end - boot_gdt - 1
    dd boot_gdt

section .data
boot_multiboot_magic_tmp: dd 0
boot_multiboot_info_tmp:  dd 0

section .bss.page_aligned nobits alloc noexec write align=4096
boot_pml4:  resb 4096
boot_pdpt:  resb 4096
boot_pd:    resb 4096 * IDENTITY_GIB
; An unmapped guard page below the boot stack (arch/x86/paging.cpp removes its mapping), so an
; overflow faults, the #PF cannot be delivered on the dead stack, and #DF reports it on IST1.
boot_stack_guard:   resb 4096
boot_stack_bottom:  resb BOOT_STACK_SIZE
boot_stack_top:

section .bss
boot_multiboot_magic: resd 1
boot_multiboot_info:  resd 1

section .note.GNU-stack noalloc noexec nowrite progbits
