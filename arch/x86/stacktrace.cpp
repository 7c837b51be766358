// Frame-pointer unwinding and arch::dump_stack (Linux arch/x86/kernel/dumpstack.c prints the same
// "Call Trace:" block; it unwinds with ORC, we follow rbp as its frame-pointer unwinder does).
#include "arch/x86/stacktrace.h"
#include "kernel/sched/sched.h"
#include "arch/x86/cpu.h"
#include "kernel/arch.h"
#include "kernel/printk.h"

namespace {
// The boot stack, per CPU (NR_CPUS = 8) two IST stacks and an IRQ stack, the APs' stacks; task stacks later.
constexpr unsigned MAX_STACKS = 48;
struct StackRange {
    uintptr_t lo, hi;
};
StackRange stacks[MAX_STACKS];
unsigned nr_stacks;

void print_frame(uintptr_t ret, void*) { printk(" [<%016lx>] %pS\n", (unsigned long)ret, (void*)ret); }
}  // namespace

// One writer at a time (boot, then each AP's start-up in turn); readers on other CPUs (a stack walk in an
// interrupt) see an entry only after it is complete: the count is published with release.
void register_kernel_stack(uintptr_t lo, uintptr_t hi) {
    unsigned n = __atomic_load_n(&nr_stacks, __ATOMIC_RELAXED);
    if (n >= MAX_STACKS) return;
    stacks[n] = {lo, hi};
    __atomic_store_n(&nr_stacks, n + 1, __ATOMIC_RELEASE);
}

namespace {
// The index of the registered stack holding [addr, addr + len), or -1.
// The current task's own stack (a kernel thread's) counts as index MAX_STACKS.
int stack_of(uintptr_t addr, size_t len) {
    unsigned n = __atomic_load_n(&nr_stacks, __ATOMIC_ACQUIRE);
    for (unsigned i = 0; i < n; i++)
        if (addr >= stacks[i].lo && addr <= stacks[i].hi && len <= stacks[i].hi - addr) return int(i);
    if (const task_struct* t = sched_current();
        t && t->stack_lo && addr >= t->stack_lo && addr <= t->stack_hi && len <= t->stack_hi - addr)
        return int(MAX_STACKS);
    return -1;
}
}  // namespace

bool on_kernel_stack(uintptr_t addr, size_t len) { return stack_of(addr, len) >= 0; }

// Any context. The frame must be 8-byte aligned, on a known stack, and above the previous frame
// (stacks grow down, so callers' frames are at higher addresses) unless the chain moves to another
// stack: an interrupt handler's frames on the IRQ stack lead back to the interrupted code's stack.
WalkEnd walk_stack(uintptr_t rbp, void (*out)(uintptr_t ret, void* ctx), void* ctx) {
    uintptr_t prev = 0;
    int prev_stack = -1;
    for (unsigned depth = 0; depth < STACKTRACE_MAX_FRAMES; depth++) {
        if (rbp == 0) return WalkEnd::end_of_chain;
        int stack = stack_of(rbp, 2 * sizeof(uintptr_t));
        if ((rbp & 7) != 0 || stack < 0 || (stack == prev_stack && rbp <= prev)) return WalkEnd::bad_frame;
        const uintptr_t* frame = reinterpret_cast<const uintptr_t*>(rbp);
        uintptr_t ret = frame[1];
        if (ret == 0) return WalkEnd::end_of_chain;
        out(ret, ctx);
        prev = rbp;
        prev_stack = stack;
        rbp = frame[0];
    }
    return WalkEnd::too_deep;
}

namespace arch {

// Any context (WARN, "nobody cared"); prints through printk at the default level, lines as Linux:
// "Call Trace:" then " [<address>] symbol+0xoff/0xsize" per frame, innermost first.
void dump_stack() {
    printk("Call Trace:\n");
    // Start at our own frame: its return address is dump_stack's caller.
    WalkEnd end = walk_stack(x86::read_rbp(), print_frame, nullptr);
    if (end == WalkEnd::too_deep) printk(" ...\n");
}

}  // namespace arch
