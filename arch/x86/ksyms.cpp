// arch::lookup_symbol over the generated table (arch/x86/ksyms.h): a binary search by address, as Linux's
// kallsyms_lookup does. The table is sorted by address (nm -n) and read-only, so no lock is needed.
#include "arch/x86/ksyms.h"
#include "kernel/arch.h"

namespace arch {

// Any context (used from exception reports); never faults on a well-formed table.
bool lookup_symbol(uintptr_t addr, const char** name, uintptr_t* offset, uintptr_t* size) {
    unsigned long lo = 0, hi = ksym_count;
    while (lo < hi) {  // first entry with addr > target
        unsigned long mid = lo + (hi - lo) / 2;
        if (ksym_table[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0) return false;
    const KsymEntry& e = ksym_table[lo - 1];
    if (addr - e.addr >= e.size)  // past the end of the nearest symbol: not ours to name
        return false;
    if (name) *name = &ksym_names[e.name_offset];
    if (offset) *offset = addr - e.addr;
    if (size) *size = e.size;
    return true;
}

}  // namespace arch
