// CPU exceptions (vectors 0-31) and the one C++ entry of every vector. An exception in the kernel is
// fatal: a panic report in the spirit of Linux's die()/__show_regs (arch/x86/kernel/traps.c, dumpstack.c,
// process_64.c; #PF lines from arch/x86/mm/fault.c) goes to serial and screen, then the CPU halts.
// The report is written through the polled emergency console, never printk, so a fault taken while
// printk or a console holds its lock still gets reported.
#include "arch/x86/trapframe.h"
#include "arch/x86/cpu.h"
#include "kernel/percpu.h"
#include "arch/x86/early_console.h"
#include "arch/x86/idt.h"
#include "arch/x86/irq.h"
#include "arch/x86/stacktrace.h"
#include "kernel/arch.h"
#include "kernel/irq/irq_stat.h"
#include "kernel/preempt.h"
#include "kernel/printk.h"
#include "kernel/sched/sched.h"

namespace {
struct ExceptionName {
    const char* mnemonic;
    const char* name;
};
// Intel SDM vol. 3A table 6-1.
constexpr ExceptionName exception_names[32] = {
    {"#DE", "Divide Error"},
    {"#DB", "Debug"},
    {"NMI", "Non-maskable Interrupt"},
    {"#BP", "Breakpoint"},
    {"#OF", "Overflow"},
    {"#BR", "BOUND Range Exceeded"},
    {"#UD", "Invalid Opcode"},
    {"#NM", "Device Not Available"},
    {"#DF", "Double Fault"},
    {"#MP", "Coprocessor Segment Overrun"},
    {"#TS", "Invalid TSS"},
    {"#NP", "Segment Not Present"},
    {"#SS", "Stack-Segment Fault"},
    {"#GP", "General Protection"},
    {"#PF", "Page Fault"},
    {"#15", "Reserved"},
    {"#MF", "x87 Floating-Point Error"},
    {"#AC", "Alignment Check"},
    {"#MC", "Machine Check"},
    {"#XM", "SIMD Floating-Point Exception"},
    {"#VE", "Virtualization Exception"},
    {"#CP", "Control Protection Exception"},
    {"#22", "Reserved"},
    {"#23", "Reserved"},
    {"#24", "Reserved"},
    {"#25", "Reserved"},
    {"#26", "Reserved"},
    {"#27", "Reserved"},
    {"#HV", "Hypervisor Injection"},
    {"#VC", "VMM Communication"},
    {"#SX", "Security Exception"},
    {"#31", "Reserved"},
};
constexpr unsigned PF_VECTOR = 14;
// Nested CPU exceptions being reported on this CPU: a fault inside the report is said once, then halts.
DEFINE_PER_CPU(unsigned, exception_depth);
// #PF error code bits (SDM vol. 3A 4.7; Linux enum x86_pf_error_code).
constexpr uint64_t PF_PROT = 1 << 0, PF_WRITE = 1 << 1, PF_USER = 1 << 2, PF_RSVD = 1 << 3, PF_INSTR = 1 << 4,
                   PF_PK = 1 << 5, PF_SGX = 1 << 15;
// Selector error code (#TS #NP #SS #GP; SDM 6.13): EXT, IDT, TI, index.
constexpr uint64_t SEL_EXT = 1 << 0, SEL_IDT = 1 << 1, SEL_TI = 1 << 2;

void put(const char* s) { emergency_puts(s); }
void hex16(uint64_t v) { emergency_hex(v, 16); }

void put_symbol(uintptr_t addr) {
    const char* name;
    uintptr_t off, size;
    if (arch::lookup_symbol(addr, &name, &off, &size)) {
        put(name);
        put("+0x");
        emergency_hex(off, 0);
        put("/0x");
        emergency_hex(size, 0);
    } else {
        put("?");
    }
}

void reg(const char* name, uint64_t v, bool last) {
    put(name);
    put(": ");
    hex16(v);
    put(last ? "\n" : " ");
}

void report_page_fault(const TrapFrame* f, uint64_t cr2) {
    uint64_t e = f->error_code;
    put("BUG: unable to handle page fault for address: ");
    hex16(cr2);
    put("\n");
    put("#PF: ");
    put(e & PF_USER ? "user " : "supervisor ");
    put(e & PF_INSTR ? "instruction fetch" : e & PF_WRITE ? "write access" : "read access");
    put(e & PF_USER ? " in user mode\n" : " in kernel mode\n");
    put("#PF: error_code(0x");
    emergency_hex(e, 4);
    put(") - ");
    put(!(e & PF_PROT) ? "not-present page"
        : e & PF_RSVD  ? "reserved bit violation"
        : e & PF_PK    ? "protection keys violation"
        : e & PF_SGX   ? "SGX violation"
                       : "permissions violation");
    put("\n");
}

void report_selector_error(uint64_t e) {
    if (e == 0) return;
    put(e & SEL_IDT ? "  (IDT vector 0x" : e & SEL_TI ? "  (LDT selector 0x" : "  (GDT selector 0x");
    emergency_hex(e & SEL_IDT ? (e >> 3) & 0xff : e & ~0x7ull, 4);
    put(e & SEL_EXT ? ", external event)\n" : ")\n");
}

void print_frame(uintptr_t ret, void*) {
    put(" [<");
    hex16(ret);
    put(">] ");
    put_symbol(ret);
    put("\n");
}

[[noreturn]] void die(const TrapFrame* f) {
    unsigned vector = unsigned(f->vector);
    uint64_t cr2 = x86::read_cr2();  // before anything else can fault and overwrite it
    this_cpu_inc(exception_depth);
    unsigned depth = this_cpu_read(exception_depth);
    if (depth > 1) {
        // A fault inside the report: say the least that can be said, and stop. Serial only (port I/O
        // cannot fault; the screen writer may be what faulted), and only once: if even that faults, or
        // halt's emulator exit does, halt silently instead of recursing until the stack overflows.
        if (depth == 2) {
            char num[3] = {char('0' + vector / 10), char('0' + vector % 10), '\0'};
            early_puts("\nPANIC: nested CPU exception ");
            early_puts(vector >= 10 ? num : num + 1);
            early_puts(" while reporting; halting\n");
        }
        arch::halt();
    }
    console_flush_on_panic();  // messages still queued for a console come before the report
    const ExceptionName& n = exception_names[vector];
    put("\n");
    if (vector == PF_VECTOR) report_page_fault(f, cr2);
    put("PANIC: CPU exception ");
    emergency_dec(vector);
    put(" ");
    put(n.mnemonic);
    put(" ");
    put(n.name);
    put(", error code 0x");
    emergency_hex(f->error_code, 4);
    put(" [#1]\n");
    if (vector == 10 || vector == 11 || vector == 12 || vector == 13) report_selector_error(f->error_code);
    put("CPU: ");
    emergency_dec(smp_processor_id());
    task_struct* task = sched_current();  // none yet early in boot: Linux's swapper, pid 0
    put(" PID: ");
    emergency_dec(task ? uint64_t(task->pid) : 0);
    put(" Comm: ");
    put(task ? task->comm : "swapper");
    put(" preempt_count: 0x");
    emergency_hex(preempt_count(), 8);
    put("\n");
    put("RIP: ");
    emergency_hex(f->cs, 4);
    put(":");
    hex16(f->rip);
    put(" ");
    put_symbol(f->rip);
    put("\n");
    put("RSP: ");
    emergency_hex(f->ss, 4);
    put(":");
    hex16(f->rsp);
    put(" EFLAGS: ");
    emergency_hex(f->rflags, 8);
    put("\n");
    reg("RAX", f->rax, false);
    reg("RBX", f->rbx, false);
    reg("RCX", f->rcx, true);
    reg("RDX", f->rdx, false);
    reg("RSI", f->rsi, false);
    reg("RDI", f->rdi, true);
    reg("RBP", f->rbp, false);
    reg("R08", f->r8, false);
    reg("R09", f->r9, true);
    reg("R10", f->r10, false);
    reg("R11", f->r11, false);
    reg("R12", f->r12, true);
    reg("R13", f->r13, false);
    reg("R14", f->r14, false);
    reg("R15", f->r15, true);
    reg("CR0", x86::read_cr0(), false);
    reg("CR2", cr2, false);
    reg("CR3", x86::read_cr3(), true);
    reg("CR4", x86::read_cr4(), true);
    put("Call Trace:\n");
    print_frame(f->rip, nullptr);  // the faulting function itself, then its callers
    WalkEnd end = walk_stack(f->rbp, print_frame, nullptr);
    if (end == WalkEnd::bad_frame)
        put(" (frame pointer left the kernel stacks; trace ends)\n");
    else if (end == WalkEnd::too_deep)
        put(" ...\n");
    put("Kernel panic - not syncing: Fatal exception ");
    put(n.mnemonic);
    put("\n");
    arch::halt();
}

// Linux's unknown_nmi_error: say so and carry on (no NMI sources are wired yet; watchdogs come later).
void handle_nmi(const TrapFrame* f) {
    nmi_enter();
    inc_irq_stat(__nmi_count);  // Linux exc_nmi: the NMI row of the interrupts view
    put("Uhhuh. NMI received for unknown reason on CPU ");
    emergency_dec(smp_processor_id());
    put(" at ");
    put_symbol(f->rip);
    put(".\nDazed and confused, but trying to continue\n");
    nmi_exit();
}
}  // namespace

// Called by common_exception for vectors 0-31, interrupts off, on the interrupted stack (IST for #DF and
// NMI). External interrupts enter do_IRQ directly from common_interrupt.
extern "C" void x86_exception_dispatch(TrapFrame* frame) {
    if (frame->vector == NMI_VECTOR)
        handle_nmi(frame);
    else
        die(frame);
}
