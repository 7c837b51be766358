; The Multiboot2 header GRUB looks for in the first 32 KiB of the kernel file, 8-byte aligned
; (Multiboot2 specification 3.1.1-3.1.3). We ask for nothing but the ELF load: no framebuffer tag,
; so GRUB leaves the VGA text mode (0xB8000) in place for drivers/vga.

MB2_MAGIC        equ 0xE85250D6          ; header magic (spec 3.1.2)
MB2_ARCH_I386    equ 0                   ; 32-bit protected mode entry
MB2_TAG_END      equ 0

section .multiboot2 progbits alloc noexec nowrite align=8
mb2_header_start:
    dd MB2_MAGIC
    dd MB2_ARCH_I386
    dd mb2_header_end - mb2_header_start
    dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header_start)) & 0xFFFFFFFF
    ; end tag: type 0, flags 0, size 8
    align 8
    dw MB2_TAG_END
    dw 0
    dd 8
mb2_header_end:

section .note.GNU-stack noalloc noexec nowrite progbits
