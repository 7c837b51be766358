// In-kernel tests of the system vector entry (arch/x86/sysvec.cpp): a vector from FIRST_SYSTEM_VECTOR up
// runs the handler installed for it in hard-IRQ context and never reaches do_IRQ; one nobody installed is
// Linux's spurious_interrupt (SPU on this CPU, "Spurious interrupt (vector 0x..) on CPU#n. Not pending!");
// the LAPIC spurious vector 0xFF counts SPU with Linux's text. Raised with INT n on the current CPU.
#include "tests/kernel/ktest.h"
#include "arch/x86/ktest_helpers.h"
#include "arch/x86/sysvec.h"
#include "arch/x86/vector.h"
#include "kernel/irq/interrupt.h"
#include "kernel/irq/irq_stat.h"
#include "kernel/preempt.h"
#include "lib/vsprintf.h"

namespace {
// A system vector nobody uses in this boot (the tests put it back as they found it).
unsigned free_system_vector() {
    for (unsigned v = FIRST_SYSTEM_VECTOR; v < NR_VECTORS; v++)
        if (!sysvec_handler(v)) return v;
    return NR_VECTORS;
}

unsigned seen_calls;
uint64_t seen_vector;
bool seen_in_irq;
void test_sysvec_handler(TrapFrame* regs) {
    seen_calls++;
    seen_vector = regs->vector;
    seen_in_irq = in_irq();
}
}  // namespace

KTEST(sysvec, installed_handler_runs_in_hardirq_and_not_through_do_irq) {
    unsigned v = free_system_vector();
    KASSERT(v < NR_VECTORS);
    unsigned cpu = smp_processor_id();
    unsigned spu = irq_stat_read(irq_spurious_count, cpu);
    unsigned unhandled = per_cpu_read(irq_unhandled_vector_count, cpu);
    unsigned long mark = ktest_log_mark();
    seen_calls = 0;
    sysvec_install(v, test_sysvec_handler);
    KEXPECT_TRUE(sysvec_handler(v) == test_sysvec_handler);
    KEXPECT_TRUE(arch_raise_vector(v));
    KEXPECT_TRUE(arch_raise_vector(v));
    sysvec_install(v, nullptr);
    KEXPECT_EQ(seen_calls, 2u);
    KEXPECT_EQ(seen_vector, uint64_t(v));
    KEXPECT_TRUE(seen_in_irq);
    KEXPECT_EQ(irq_stat_read(irq_spurious_count, cpu), spu);
    KEXPECT_EQ(per_cpu_read(irq_unhandled_vector_count, cpu), unhandled);
    KEXPECT_EQ(ktest_log_count_since(mark, "No irq handler for "), 0u);
    KEXPECT_TRUE(sysvec_handler(v) == nullptr);
}

KTEST(sysvec, uninstalled_system_vector_is_spurious_counted_and_reported) {
    unsigned v = free_system_vector();
    KASSERT(v < NR_VECTORS);
    unsigned cpu = smp_processor_id();
    unsigned spu = irq_stat_read(irq_spurious_count, cpu);
    unsigned unhandled = per_cpu_read(irq_unhandled_vector_count, cpu);
    unsigned long mark = ktest_log_mark();
    KEXPECT_TRUE(arch_raise_vector(v));
    KEXPECT_EQ(irq_stat_read(irq_spurious_count, cpu), spu + 1);
    KEXPECT_EQ(per_cpu_read(irq_unhandled_vector_count, cpu), unhandled);  // do_IRQ never saw it
    char text[80];
    snprintf(text, sizeof(text), "Spurious interrupt (vector 0x%02x) on CPU#%u. Not pending!\n", v, cpu);
    KEXPECT_EQ(ktest_log_count_since(mark, text), 1u);
    KEXPECT_EQ(ktest_log_count_since(mark, "No irq handler for "), 0u);
}

KTEST(sysvec, lapic_spurious_vector_counts_spu_with_linux_text) {
    unsigned cpu = smp_processor_id();
    unsigned spu = irq_stat_read(irq_spurious_count, cpu);
    unsigned long mark = ktest_log_mark();
    KEXPECT_TRUE(arch_raise_vector(SPURIOUS_APIC_VECTOR));
    KEXPECT_EQ(irq_stat_read(irq_spurious_count, cpu), spu + 1);
    char text[80];
    snprintf(text, sizeof(text), "Spurious APIC interrupt (vector 0xFF) on CPU#%u, should never happen.\n", cpu);
    KEXPECT_EQ(ktest_log_count_since(mark, text), 1u);
}

// Device vectors still go to do_IRQ: the highest one below the system vectors reports "No irq handler".
KTEST(sysvec, last_device_vector_still_enters_do_irq) {
    unsigned v = FIRST_SYSTEM_VECTOR - 1;
    KASSERT_EQ(vector_irq_get(0, v), VECTOR_UNUSED);
    unsigned cpu = smp_processor_id();
    unsigned spu = irq_stat_read(irq_spurious_count, cpu);
    unsigned unhandled = per_cpu_read(irq_unhandled_vector_count, cpu);
    KEXPECT_TRUE(arch_raise_vector(v));
    KEXPECT_EQ(per_cpu_read(irq_unhandled_vector_count, cpu), unhandled + 1);
    KEXPECT_EQ(irq_stat_read(irq_spurious_count, cpu), spu);
}
