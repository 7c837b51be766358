// Multiboot2 information walk (specification 3.6.1-3.6.8): a u32 total size and a reserved u32, then
// tags of {u32 type, u32 size, payload}, each starting 8-byte aligned, ended by a type-0 tag. Strings are
// checked to end inside their tag, so nothing reads past the information block; the RSDP copies (tags 14
// and 15, 3.6.15-3.6.16) are kept with the length their tag gives.
#include "init/multiboot2.h"

namespace {
enum : uint32_t {
    TAG_END = 0,
    TAG_CMDLINE = 1,
    TAG_LOADER_NAME = 2,
    TAG_MMAP = 6,
    TAG_ACPI_OLD = 14,
    TAG_ACPI_NEW = 15
};
constexpr uint32_t TAG_ALIGN = 8;
constexpr uint32_t MAX_INFO_SIZE = 1u << 20;  // sanity bound on total_size
struct Tag {
    uint32_t type, size;
};
struct MmapTag {
    uint32_t type, size, entry_size, entry_version;
};
}  // namespace

bool multiboot2_parse(uintptr_t mbi, BootInfo* out) {
    uint32_t total = *reinterpret_cast<const uint32_t*>(mbi);
    if (total < 16 || total > MAX_INFO_SIZE) return false;
    out->mbi_start = mbi;
    out->mbi_end = mbi + total;
    uintptr_t p = mbi + 8;
    while (p + sizeof(Tag) <= out->mbi_end) {
        const Tag* tag = reinterpret_cast<const Tag*>(p);
        if (tag->type == TAG_END) return true;
        if (tag->size < sizeof(Tag) || p + tag->size > out->mbi_end) return false;
        const char* payload = reinterpret_cast<const char*>(p + sizeof(Tag));
        switch (tag->type) {
        case TAG_CMDLINE: {
            // The string must end inside its tag; the tag's size is the only bound on its length.
            uint32_t room = tag->size - (uint32_t)sizeof(Tag);
            uint32_t len = 0;
            while (len < room && payload[len]) len++;
            if (len == room) return false;
            out->cmdline = payload;
            out->cmdline_len = len;
            break;
        }
        case TAG_LOADER_NAME:
            out->loader_name = payload;
            break;
        case TAG_MMAP: {
            const MmapTag* m = reinterpret_cast<const MmapTag*>(p);
            if (m->entry_size >= sizeof(Mb2MmapEntry)) {
                out->mmap = reinterpret_cast<const uint8_t*>(p + sizeof(MmapTag));
                out->mmap_entry_size = m->entry_size;
                out->mmap_entries = (m->size - sizeof(MmapTag)) / m->entry_size;
            }
            break;
        }
        case TAG_ACPI_OLD:  // the payload is a copy of the RSDP (its checksums are drivers/acpi's business)
            out->acpi_rsdp_old = reinterpret_cast<const uint8_t*>(payload);
            out->acpi_rsdp_old_len = tag->size - (uint32_t)sizeof(Tag);
            break;
        case TAG_ACPI_NEW:
            out->acpi_rsdp_new = reinterpret_cast<const uint8_t*>(payload);
            out->acpi_rsdp_new_len = tag->size - (uint32_t)sizeof(Tag);
            break;
        default:
            break;
        }
        p += (tag->size + TAG_ALIGN - 1) & ~(TAG_ALIGN - 1);
    }
    return false;
}
