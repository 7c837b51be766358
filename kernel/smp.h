// Cross-CPU function calls and the reschedule IPI (Linux kernel/smp.c, include/linux/smp.h): each CPU
// has a lock-free queue of call_single_data (Linux's call_single_queue); a caller locks a csd (CSD_FLAG_LOCK),
// fills it, queues it on the target and sends that CPU an IPI only when its queue was empty; the target's
// IPI handler flushes its queue, runs each function and unlocks each csd, which is what a waiting caller
// spins on. The IPIs themselves are the architecture's (smp_ops: x86 sends CALL_FUNCTION_SINGLE_VECTOR,
// CALL_FUNCTION_VECTOR and RESCHEDULE_VECTOR through the local APIC; the host tests deliver to threads).
//
// Usage:  int err = smp_call_function_single(1, fn, &arg, true);   // fn(&arg) ran on CPU 1
//         smp_call_function_many(cpu_online_mask, fn, &arg, true);  // on every other online CPU
#pragma once
#include "kernel/cpumask.h"

using smp_call_func_t = void (*)(void* info);

// Linux's call_single_data_t: a queue link, the function, its argument and the flags (CSD_FLAG_LOCK:
// in use; CSD_TYPE_SYNC: the caller waits, so unlock only after the function returned).
struct call_single_data {
    call_single_data* next = nullptr;
    smp_call_func_t func = nullptr;
    void* info = nullptr;
    unsigned flags = 0;
};
constexpr unsigned CSD_FLAG_LOCK = 0x01;
constexpr unsigned CSD_TYPE_SYNC = 0x10;

// Run func(info) on `cpu`. On the calling CPU: at once, with interrupts off. On another online CPU: by
// IPI; with `wait`, return after func returned there, else as soon as it is queued (the per-CPU csd is
// then reused by the next no-wait call, which waits for the previous one to be taken). Returns 0, or
// -ENXIO when `cpu` is not an online CPU. Process context with interrupts on: called with interrupts
// off or from an interrupt it WARNs once (Linux: it can deadlock against a CPU calling back).
int smp_call_function_single(int cpu, smp_call_func_t func, void* info, bool wait);
// Run func(info) on every online CPU of `mask` except the calling one (Linux's semantics: the caller is
// not included), by IPI; with `wait`, return after all of them ran it. One IPI per CPU whose queue was
// empty (the single vector for one target, the many vector for several). Same context rules.
void smp_call_function_many(const cpumask_t* mask, smp_call_func_t func, void* info, bool wait);
// smp_call_function_many on every online CPU but the caller.
void smp_call_function(smp_call_func_t func, void* info, bool wait);
// Linux on_each_cpu: the others by IPI, then the caller with interrupts off.
void on_each_cpu(smp_call_func_t func, void* info, bool wait);

// Ask `cpu` to reschedule (RESCHEDULE_VECTOR; counted RES there). irqos has no scheduler: the IPI's only
// effect is to wake the CPU from hlt. Any context. An offline CPU is reported (WARN) and not sent to.
void smp_send_reschedule(int cpu);

// The IPI handlers' work: flush this CPU's call queue (Linux generic_smp_call_function_single_interrupt;
// the "many" IPI does the same). Hard-IRQ context, interrupts off, on the CPU that took the IPI.
void generic_smp_call_function_single_interrupt();
void generic_smp_call_function_interrupt();
// Whether this CPU's call queue holds work (the idle loop checks it with interrupts off). Any context.
bool smp_call_queue_pending(unsigned cpu);

// The architecture's IPI senders, installed at boot before the second CPU comes up (x86:
// arch/x86/smp_ipi.cpp). Any context with interrupts off; the mask never contains the caller.
struct smp_ops {
    void (*send_call_function_single_ipi)(unsigned cpu);
    void (*send_call_function_ipi_mask)(const cpumask_t* mask);
    void (*send_reschedule)(unsigned cpu);
};
void smp_set_ops(const smp_ops* ops);  // NULL: none (one CPU; the host tests between cases)
