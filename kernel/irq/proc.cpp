// The /proc/interrupts view: Linux kernel/irq/proc.c show_interrupts() for the per-line rows and
// arch/x86/kernel/irq.c arch_show_interrupts() for the NMI, LOC, SPU, RES, CAL, ERR and MIS rows, field for field and width
// for width, so that output reads exactly like a Linux machine's.
#include "kernel/irq/proc.h"
#include "kernel/irq/interrupt.h"
#include "kernel/irq/irq_stat.h"
#include "kernel/spinlock.h"
#include "lib/vsprintf.h"

namespace {

// The first column's width: Linux starts at 3 digits and widens while the largest IRQ number could not
// fit, capped at 10 (proc.c: prec 3, j 1000, while prec < 10 && j <= nr_irqs).
constexpr int PREC_START = 3, PREC_MAX = 10;
constexpr unsigned PREC_STEP_START = 1000, PREC_STEP_FACTOR = 10;
constexpr size_t ROW_MAX = 512;  // 8 CPU columns of 11 + chip, hwirq, flow and several action names

int first_column_width(unsigned nr_irqs) {
    int prec = PREC_START;
    for (unsigned long j = PREC_STEP_START; prec < PREC_MAX && j <= nr_irqs; prec++) j *= PREC_STEP_FACTOR;
    return prec;
}

// One row is formatted into a local buffer while the descriptor lock is held and written out after the
// lock is dropped: the output function may be a slow console and must not run with interrupts off.
struct Row {
    char buf[ROW_MAX];
    size_t len = 0;
    void add(const char* fmt, ...) __printf(2, 3) {
        va_list ap;
        va_start(ap, fmt);
        len += (size_t)vscnprintf(buf + len, sizeof(buf) - len, fmt, ap);
        va_end(ap);
    }
};

// Fills `row` for one descriptor; false when Linux would skip the line (no action or hidden).
bool format_irq_row(unsigned irq, int prec, Row& row) {
    irq_desc* desc = irq_to_desc(irq);
    if (!desc) return false;
    unsigned long flags;
    raw_spin_lock_irqsave(&desc->lock, flags);
    bool shown = desc->action && !(desc->status_use_accessors & IRQ_HIDDEN);
    if (shown) {
        row.add("%*u: ", prec, irq);
        for_each_online_cpu(cpu) row.add("%10u ", per_cpu_read(*desc->kstat_irqs, cpu));
        row.add(" %8s", irq_chip_column(desc));
        if (desc->irq_data.has_hwirq)
            row.add(" %*lu", prec, desc->irq_data.hwirq);
        else
            row.add(" %*s", prec, "");
        if (desc->name) row.add("-%-8s", desc->name);
        row.add("  %s", desc->action->name ? desc->action->name : "");
        for (const irqaction* a = desc->action->next; a; a = a->next) row.add(", %s", a->name ? a->name : "");
        row.add("\n");
    }
    raw_spin_unlock_irqrestore(&desc->lock, flags);
    return shown;
}

}  // namespace

const char* irq_chip_column(const irq_desc* desc) {
    const IrqChip* chip = desc->irq_data.chip;
    if (!chip) return "None";
    return chip->name() ? chip->name() : "-";
}

int irq_seq_printf(irq_out_fn out, void* ctx, const char* fmt, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vscnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    out(buf, (size_t)n, ctx);
    return n;
}

void show_interrupts(irq_out_fn out, void* ctx) {
    int prec = first_column_width(NR_IRQS);

    Row header;
    header.add("%*s", prec + 8, "");
    for_each_online_cpu(cpu) header.add("CPU%-8u", cpu);
    header.add("\n");
    out(header.buf, header.len, ctx);

    for (unsigned irq = 0; irq < NR_IRQS; irq++) {
        Row row;
        if (format_irq_row(irq, prec, row)) out(row.buf, row.len, ctx);
    }

    // x86 rows (arch_show_interrupts), in Linux's order and words: the per-CPU counts of irq_stat that
    // irqos has, then the two global counters.
    static constexpr struct {
        const char* name;
        unsigned irq_cpustat_t::*count;
        const char* text;
    } arch_rows[] = {
        {"NMI", &irq_cpustat_t::__nmi_count, "Non-maskable interrupts"},
        {"LOC", &irq_cpustat_t::apic_timer_irqs, "Local timer interrupts"},
        {"SPU", &irq_cpustat_t::irq_spurious_count, "Spurious interrupts"},
        {"RES", &irq_cpustat_t::irq_resched_count, "Rescheduling interrupts"},
        {"CAL", &irq_cpustat_t::irq_call_count, "Function call interrupts"},
    };
    for (const auto& r : arch_rows) {
        Row row;
        row.add("%*s: ", prec, r.name);
        for_each_online_cpu(cpu) row.add("%10u ", per_cpu_read(irq_stat.*r.count, cpu));
        row.add("  %s\n", r.text);
        out(row.buf, row.len, ctx);
    }
    irq_seq_printf(out, ctx, "%*s: %10lu\n", prec, "ERR", READ_ONCE(irq_err_count));
    irq_seq_printf(out, ctx, "%*s: %10lu\n", prec, "MIS", READ_ONCE(irq_mis_count));
}
