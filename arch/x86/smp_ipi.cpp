// The x86 inter-processor interrupts (Linux arch/x86/kernel/smp.c: native_smp_send_reschedule,
// native_send_call_func_ipi, sysvec_reschedule_ipi, sysvec_call_function(_single)): the senders behind
// kernel/smp.h's smp_ops, fixed IPIs in physical destination mode through the local APIC, and the
// handlers, which EOI first and count RES or CAL on the CPU that took them.
#include "arch/x86/smp.h"
#include "arch/x86/sysvec.h"
#include "drivers/apic/local_apic.h"
#include "kernel/irq/irq_stat.h"
#include "kernel/printk.h"
#include "kernel/sched/sched.h"
#include "kernel/smp.h"

namespace {
void send_to(unsigned cpu, unsigned vector) {
    LocalApic* apic = local_apic();
    if (!apic) return;
    unsigned long flags = arch::irq_save();  // the ICR pair is this CPU's: no IPI from an interrupt in between
    int err = apic->send_ipi(per_cpu(x86_cpu_to_apicid, cpu), vector);
    arch::irq_restore(flags);
    if (err) pr_err_ratelimited("smp: IPI 0x%02x to CPU%u not sent: ICR busy (%d)\n", vector, cpu, err);
}

void send_call_function_single_ipi(unsigned cpu) { send_to(cpu, CALL_FUNCTION_SINGLE_VECTOR); }
void send_call_function_ipi_mask(const cpumask_t* mask) { for_each_cpu(cpu, mask) send_to(cpu, CALL_FUNCTION_VECTOR); }
void send_reschedule(unsigned cpu) { send_to(cpu, RESCHEDULE_VECTOR); }
const smp_ops x86_smp_ops = {send_call_function_single_ipi, send_call_function_ipi_mask, send_reschedule};

void sysvec_reschedule_ipi(TrapFrame*) {
    apic_eoi();
    inc_irq_stat(irq_resched_count);
    scheduler_ipi();  // the interrupt return then preempts, if the woken task should run
}
void sysvec_call_function(TrapFrame*) {
    apic_eoi();
    inc_irq_stat(irq_call_count);
    generic_smp_call_function_interrupt();
}
void sysvec_call_function_single(TrapFrame*) {
    apic_eoi();
    inc_irq_stat(irq_call_count);
    generic_smp_call_function_single_interrupt();
}
}  // namespace

void smp_ipi_init() {
    sysvec_install(RESCHEDULE_VECTOR, sysvec_reschedule_ipi);
    sysvec_install(CALL_FUNCTION_VECTOR, sysvec_call_function);
    sysvec_install(CALL_FUNCTION_SINGLE_VECTOR, sysvec_call_function_single);
    smp_set_ops(&x86_smp_ops);
}
