// The x86 side of tasks (Linux arch/x86/kernel/process_64.c, smpboot.c init_idle): the scheduler's hooks
// (the context switch in arch/x86/entry/switch_to.asm, a new thread's first stack frame, the reschedule
// IPI, the clock) and each CPU's idle task, which is the code that booted the CPU, on its boot stack.
#include "arch/x86/process.h"
#include "kernel/arch.h"
#include "kernel/sched/sched.h"
#include "kernel/smp.h"

extern "C" task_struct* __switch_to_asm(task_struct* prev, task_struct* next);
extern "C" void ret_from_fork_asm();

namespace {
task_struct idle_tasks[NR_CPUS];

task_struct* x86_context_switch(task_struct* prev, task_struct* next) { return __switch_to_asm(prev, next); }

// What __switch_to_asm pops for a task that never ran: six zero callee-saved registers (rbp 0 ends the
// stack walker's chain) and ret_from_fork_asm as the return address, placed so that the stack is
// 16-byte aligned when ret_from_fork_asm calls into C++ (SysV ABI).
void x86_init_task_stack(task_struct* p) {
    constexpr unsigned SAVED_REGS = 6;
    uintptr_t after_ret = (p->stack_hi & ~uintptr_t(15)) - 16;  // rsp once ret_from_fork_asm is entered
    auto* frame = reinterpret_cast<uint64_t*>(after_ret - (SAVED_REGS + 1) * sizeof(uint64_t));
    for (unsigned i = 0; i < SAVED_REGS; i++) frame[i] = 0;
    frame[SAVED_REGS] = reinterpret_cast<uint64_t>(ret_from_fork_asm);
    p->thread_sp = reinterpret_cast<uintptr_t>(frame);
}

void x86_resched_ipi(unsigned cpu) { smp_send_reschedule(int(cpu)); }

// Nanoseconds from the TSC (under QEMU -icount shift=0 the TSC counts instructions).
uint64_t x86_sched_clock() {
    unsigned long khz = arch::cycles_khz();
    if (!khz) return 0;
    uint64_t c = arch::cycles();  // split so that nothing overflows 64 bits (khz < 2^32)
    return c / khz * 1000000u + c % khz * 1000000u / khz;
}
}  // namespace

void x86_sched_init_cpu(unsigned cpu) {
    if (cpu == 0)
        sched_set_hooks(SchedHooks{x86_context_switch, x86_init_task_stack, x86_resched_ipi, x86_sched_clock});
    sched_init_idle(cpu, &idle_tasks[cpu]);
}
