// Per-CPU GDT, TSS and IST stacks. The #DF and NMI gates switch to their own stacks, so a kernel stack
// overflow (a fault that cannot push its frame) still reaches the exception report (SDM vol. 3A 6.14.5).
#include "arch/x86/gdt.h"
#include "arch/x86/stacktrace.h"
#include "kernel/percpu.h"

namespace {
// Descriptor bits (SDM vol. 3A 3.4.5, 5.2.1).
constexpr uint64_t DESC_ACCESSED = 1ull << 40, DESC_RW = 1ull << 41, DESC_EXEC = 1ull << 43;
constexpr uint64_t DESC_CODE_DATA = 1ull << 44, DESC_PRESENT = 1ull << 47, DESC_LONG = 1ull << 53;
constexpr uint64_t DESC_DB = 1ull << 54, DESC_GRAN = 1ull << 55, DESC_LIMIT_MAX = 0x000F00000000FFFFull;
constexpr uint64_t KERNEL_CODE64 =
    DESC_LIMIT_MAX | DESC_ACCESSED | DESC_RW | DESC_EXEC | DESC_CODE_DATA | DESC_PRESENT | DESC_LONG | DESC_GRAN;
constexpr uint64_t KERNEL_DATA =
    DESC_LIMIT_MAX | DESC_ACCESSED | DESC_RW | DESC_CODE_DATA | DESC_PRESENT | DESC_DB | DESC_GRAN;
constexpr uint64_t TSS_TYPE_AVAILABLE = 0x9ull << 40;  // 64-bit TSS (available)
constexpr unsigned NR_IST = 7;
constexpr unsigned IST_USED = 2;

struct [[gnu::packed]] Tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[NR_IST];  // ist[0] is IST1
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
};
static_assert(sizeof(Tss64) == 104, "SDM vol. 3A figure 7-11");

constexpr unsigned GDT_ENTRIES = 5;  // null, code, data, TSS (two slots)
struct alignas(64) CpuTables {
    uint64_t gdt[GDT_ENTRIES];
    Tss64 tss;
};
CpuTables cpu_tables[NR_CPUS];
alignas(4096) uint8_t ist_stacks[NR_CPUS][IST_USED][IST_STACK_SIZE];

struct [[gnu::packed]] DescriptorPointer {
    uint16_t limit;
    uint64_t base;
};
}  // namespace

void gdt_init(unsigned cpu) {
    CpuTables& t = cpu_tables[cpu];
    t.gdt[0] = 0;
    t.gdt[KERNEL_CS / 8] = KERNEL_CODE64;
    t.gdt[KERNEL_DS / 8] = KERNEL_DATA;
    for (unsigned i = 0; i < IST_USED; i++) {
        uintptr_t lo = reinterpret_cast<uintptr_t>(ist_stacks[cpu][i]);
        t.tss.ist[i] = lo + IST_STACK_SIZE;  // IST i+1; 16-byte aligned top
        register_kernel_stack(lo, lo + IST_STACK_SIZE);
    }
    static_assert(IST_DOUBLE_FAULT <= IST_USED && IST_NMI <= IST_USED);
    t.tss.iomap_base = sizeof(Tss64);  // no I/O permission bitmap
    uint64_t base = reinterpret_cast<uint64_t>(&t.tss);
    uint64_t limit = sizeof(Tss64) - 1;
    t.gdt[TSS_SELECTOR / 8] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | TSS_TYPE_AVAILABLE | DESC_PRESENT |
                              ((limit >> 16) & 0xF) << 48 | ((base >> 24) & 0xFF) << 56;
    t.gdt[TSS_SELECTOR / 8 + 1] = base >> 32;

    DescriptorPointer ptr = {sizeof(t.gdt) - 1, reinterpret_cast<uint64_t>(t.gdt)};
    __asm__ volatile("lgdt %0" : : "m"(ptr) : "memory");
    // Reload CS with a far return, then the data segments. FS/GS stay: a selector load would zero the
    // GS base that holds the per-CPU area.
    __asm__ volatile(
        "pushq %[cs]\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "movw %w[ds], %%ax\n\t"
        "movw %%ax, %%ds\n\t"
        "movw %%ax, %%es\n\t"
        "movw %%ax, %%ss\n\t"
        :
        : [cs] "i"(KERNEL_CS), [ds] "i"(KERNEL_DS)
        : "rax", "memory");
    __asm__ volatile("ltr %w0" : : "r"(TSS_SELECTOR) : "memory");
}
