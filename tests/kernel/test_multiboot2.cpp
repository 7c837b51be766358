// In-kernel tests of init/multiboot2.cpp on information blocks built here (the parser is boot code, not
// part of the host build): a command line is taken whole whatever its length, as long as its NUL lies
// inside its tag, and a tag whose string runs past its end makes the block malformed.
#include "tests/kernel/ktest.h"
#include "init/multiboot2.h"
#include "lib/string.h"

namespace {

constexpr uint32_t TAG_CMDLINE = 1, TAG_END = 0;
constexpr size_t LONG_CMDLINE = 3000;  // longer than the kernel keeps (COMMAND_LINE_SIZE): Multiboot has no limit
alignas(8) uint8_t mbi[LONG_CMDLINE + 64];

void put32(size_t at, uint32_t v) { memcpy(mbi + at, &v, sizeof v); }

// total size, reserved, a command-line tag of `tag_size` bytes holding `text` (`with_nul`), the end tag.
uintptr_t build(const char* text, size_t len, bool with_nul) {
    memset(mbi, 0, sizeof mbi);
    uint32_t tag_size = (uint32_t)(8 + len + (with_nul ? 1 : 0));
    put32(8, TAG_CMDLINE);
    put32(12, tag_size);
    memcpy(mbi + 16, text, len);
    if (!with_nul)  // the byte after the tag (padding or the next tag) is not NUL either
        mbi[16 + len] = 'x';
    size_t end = (8 + tag_size + 7) & ~(size_t)7;
    put32(end, TAG_END);
    put32(end + 4, 8);
    put32(0, (uint32_t)(end + 8));
    return (uintptr_t)mbi;
}

}  // namespace

KTEST(multiboot2, a_long_command_line_is_taken_whole) {
    static char text[LONG_CMDLINE];
    for (size_t i = 0; i < LONG_CMDLINE; i++) text[i] = (i % 10 == 9) ? ' ' : (char)('a' + i % 26);
    BootInfo info;
    KASSERT(multiboot2_parse(build(text, LONG_CMDLINE, true), &info));
    KEXPECT_EQ(info.cmdline_len, (uint32_t)LONG_CMDLINE);
    KEXPECT_EQ(strlen(info.cmdline), LONG_CMDLINE);
    KEXPECT_TRUE(memcmp(info.cmdline, text, LONG_CMDLINE) == 0);
}

KTEST(multiboot2, a_command_line_without_its_nul_is_malformed) {
    BootInfo info;
    KEXPECT_FALSE(multiboot2_parse(build("hz=250 ktest", 12, false), &info));
    KEXPECT_TRUE(multiboot2_parse(build("hz=250 ktest", 12, true), &info));
    KEXPECT_STREQ(info.cmdline, "hz=250 ktest");
}

// Tags 14 and 15 carry copies of the RSDP: the parser keeps where each copy lies and its length.
KTEST(multiboot2, the_acpi_rsdp_tags_are_kept) {
    memset(mbi, 0, sizeof mbi);
    put32(8, 14);  // ACPI old RSDP: 20 bytes
    put32(12, 8 + 20);
    memcpy(mbi + 16, "RSD PTR ", 8);
    put32(40, 15);  // ACPI new RSDP: 36 bytes, at the next 8-byte boundary (8 + 28 -> 40)
    put32(44, 8 + 36);
    memcpy(mbi + 48, "RSD PTR ", 8);
    put32(88, TAG_END);  // 40 + 44 -> 88
    put32(92, 8);
    put32(0, 96);
    BootInfo info;
    KASSERT(multiboot2_parse((uintptr_t)mbi, &info));
    KEXPECT_EQ(info.acpi_rsdp_old, (const uint8_t*)mbi + 16);
    KEXPECT_EQ(info.acpi_rsdp_old_len, 20u);
    KEXPECT_EQ(info.acpi_rsdp_new, (const uint8_t*)mbi + 48);
    KEXPECT_EQ(info.acpi_rsdp_new_len, 36u);
}
