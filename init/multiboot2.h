// Reading the Multiboot2 boot information GRUB leaves at `mbi` (Multiboot2 specification 3.6): the
// command line (tag 1), the boot loader's name (tag 2), the BIOS memory map (tag 6) and the copies of the
// ACPI RSDP (tag 14: ACPI 1.0, tag 15: ACPI 2.0+), which drivers/acpi searches first.
#pragma once
#include "kernel/types.h"

constexpr uint32_t MULTIBOOT2_BOOTLOADER_MAGIC = 0x36d76289;

struct Mb2MmapEntry {
    uint64_t base_addr;
    uint64_t length;
    uint32_t type;  // MB2_MEMORY_*
    uint32_t reserved;
};
enum : uint32_t {
    MB2_MEMORY_AVAILABLE = 1,
    MB2_MEMORY_RESERVED = 2,
    MB2_MEMORY_ACPI_RECLAIMABLE = 3,
    MB2_MEMORY_NVS = 4,
    MB2_MEMORY_BADRAM = 5
};

struct BootInfo {
    uintptr_t mbi_start = 0, mbi_end = 0;  // the info block itself (the page allocator keeps it)
    const char* cmdline = "";              // NUL-terminated inside its tag (any length the tag holds)
    uint32_t cmdline_len = 0;
    const char* loader_name = "";
    const uint8_t* mmap = nullptr;  // first entry; entries are mmap_entry_size bytes apart
    uint32_t mmap_entry_size = 0;
    uint32_t mmap_entries = 0;
    const uint8_t* acpi_rsdp_old = nullptr;  // tag 14's copy of the RSDP (bytes inside the information block)
    uint32_t acpi_rsdp_old_len = 0;
    const uint8_t* acpi_rsdp_new = nullptr;  // tag 15's copy
    uint32_t acpi_rsdp_new_len = 0;
    const Mb2MmapEntry& mmap_entry(uint32_t i) const {
        return *reinterpret_cast<const Mb2MmapEntry*>(mmap + uintptr_t(i) * mmap_entry_size);
    }
};

// Boot. Returns false if the block is malformed (including a command line without its NUL).
bool multiboot2_parse(uintptr_t mbi, BootInfo* out);
