// A crash-style dump of one interrupt descriptor: every field the genirq core keeps, with the bit words
// decoded by name, in the spirit of Linux's kernel/irq/debugfs.c (/sys/kernel/debug/irq/irqs/N) and the
// crash utility's `irq` command. The shell's `irq N` prints it.
#include "arch/x86/irq_vectors.h"
#include "arch/x86/vector.h"
#include "kernel/irq/internals.h"
#include "kernel/irq/proc.h"
#include "kernel/spinlock.h"

namespace {

struct BitName {
    unsigned long bit;
    const char* name;
};

// Names exactly as Linux spells the constants, so a reader can grep for them in both code bases.
constexpr BitName irqd_names[] = {
    {IRQD_ACTIVATED, "IRQD_ACTIVATED"},
    {IRQD_PER_CPU, "IRQD_PER_CPU"},
    {IRQD_LEVEL, "IRQD_LEVEL"},
    {IRQD_IRQ_DISABLED, "IRQD_IRQ_DISABLED"},
    {IRQD_IRQ_MASKED, "IRQD_IRQ_MASKED"},
    {IRQD_IRQ_INPROGRESS, "IRQD_IRQ_INPROGRESS"},
    {IRQD_IRQ_STARTED, "IRQD_IRQ_STARTED"},
    {IRQD_DEFAULT_TRIGGER_SET, "IRQD_DEFAULT_TRIGGER_SET"},
    {IRQD_RESEND_WHEN_IN_PROGRESS, "IRQD_RESEND_WHEN_IN_PROGRESS"},
};
constexpr BitName irqs_names[] = {
    {IRQS_AUTODETECT, "IRQS_AUTODETECT"},
    {IRQS_SPURIOUS_DISABLED, "IRQS_SPURIOUS_DISABLED"},
    {IRQS_POLL_INPROGRESS, "IRQS_POLL_INPROGRESS"},
    {IRQS_ONESHOT, "IRQS_ONESHOT"},
    {IRQS_REPLAY, "IRQS_REPLAY"},
    {IRQS_WAITING, "IRQS_WAITING"},
    {IRQS_PENDING, "IRQS_PENDING"},
    {IRQS_SUSPENDED, "IRQS_SUSPENDED"},
    {IRQS_NMI, "IRQS_NMI"},
};
constexpr BitName status_names[] = {
    {IRQ_LEVEL, "IRQ_LEVEL"},
    {IRQ_PER_CPU, "IRQ_PER_CPU"},
    {IRQ_NOPROBE, "IRQ_NOPROBE"},
    {IRQ_NOREQUEST, "IRQ_NOREQUEST"},
    {IRQ_NOAUTOEN, "IRQ_NOAUTOEN"},
    {IRQ_NO_BALANCING, "IRQ_NO_BALANCING"},
    {IRQ_MOVE_PCNTXT, "IRQ_MOVE_PCNTXT"},
    {IRQ_NESTED_THREAD, "IRQ_NESTED_THREAD"},
    {IRQ_NOTHREAD, "IRQ_NOTHREAD"},
    {IRQ_PER_CPU_DEVID, "IRQ_PER_CPU_DEVID"},
    {IRQ_IS_POLLED, "IRQ_IS_POLLED"},
    {IRQ_DISABLE_UNLAZY, "IRQ_DISABLE_UNLAZY"},
    {IRQ_HIDDEN, "IRQ_HIDDEN"},
    {IRQ_NO_DEBUG, "IRQ_NO_DEBUG"},
};
constexpr BitName irqf_names[] = {
    {IRQF_TRIGGER_RISING, "IRQF_TRIGGER_RISING"},
    {IRQF_TRIGGER_FALLING, "IRQF_TRIGGER_FALLING"},
    {IRQF_TRIGGER_HIGH, "IRQF_TRIGGER_HIGH"},
    {IRQF_TRIGGER_LOW, "IRQF_TRIGGER_LOW"},
    {IRQF_SHARED, "IRQF_SHARED"},
    {IRQF_PROBE_SHARED, "IRQF_PROBE_SHARED"},
    {__IRQF_TIMER, "__IRQF_TIMER"},
    {IRQF_PERCPU, "IRQF_PERCPU"},
    {IRQF_NOBALANCING, "IRQF_NOBALANCING"},
    {IRQF_IRQPOLL, "IRQF_IRQPOLL"},
    {IRQF_ONESHOT, "IRQF_ONESHOT"},
    {IRQF_NO_SUSPEND, "IRQF_NO_SUSPEND"},
    {IRQF_FORCE_RESUME, "IRQF_FORCE_RESUME"},
    {IRQF_NO_THREAD, "IRQF_NO_THREAD"},
    {IRQF_EARLY_RESUME, "IRQF_EARLY_RESUME"},
    {IRQF_COND_SUSPEND, "IRQF_COND_SUSPEND"},
    {IRQF_NO_AUTOEN, "IRQF_NO_AUTOEN"},
    {IRQF_NO_DEBUG, "IRQF_NO_DEBUG"},
    {IRQF_COND_ONESHOT, "IRQF_COND_ONESHOT"},
};

// The IRQ_TYPE_* value kept in the low bits of the status and state words.
const char* trigger_name(unsigned type) {
    switch (type & IRQ_TYPE_SENSE_MASK) {
    case IRQ_TYPE_NONE:
        return "IRQ_TYPE_NONE";
    case IRQ_TYPE_EDGE_RISING:
        return "IRQ_TYPE_EDGE_RISING";
    case IRQ_TYPE_EDGE_FALLING:
        return "IRQ_TYPE_EDGE_FALLING";
    case IRQ_TYPE_EDGE_BOTH:
        return "IRQ_TYPE_EDGE_BOTH";
    case IRQ_TYPE_LEVEL_HIGH:
        return "IRQ_TYPE_LEVEL_HIGH";
    case IRQ_TYPE_LEVEL_LOW:
        return "IRQ_TYPE_LEVEL_LOW";
    default:
        return "IRQ_TYPE_(invalid)";
    }
}

// "  label: 0x%08lx" then one indented line per set bit; bits without a name are shown in hex, so a
// new flag is never invisible.
template <size_t N>
void print_bits(irq_out_fn out, void* ctx, const char* indent, const char* label, unsigned long value,
                const BitName (&names)[N], unsigned long skip_mask) {
    irq_seq_printf(out, ctx, "%s%-9s 0x%08lx\n", indent, label, value);
    unsigned long rest = value & ~skip_mask;
    for (const BitName& b : names) {
        if (value & b.bit) {
            irq_seq_printf(out, ctx, "%s            %s\n", indent, b.name);
            rest &= ~b.bit;
        }
    }
    if (rest) irq_seq_printf(out, ctx, "%s            unknown 0x%08lx\n", indent, rest);
}

constexpr unsigned MAX_DUMP_ACTIONS = 8;  // a shared line rarely has more; the rest are counted
constexpr unsigned MAX_DUMP_VECTORS = 4;  // one, or two while a move is in flight

// Everything copied under the descriptor lock, then printed without it (the console may be slow).
struct Snapshot {
    irq_flow_handler_t handle_irq;
    const char* flow_name;
    const char* chip;  // irq_chip_column
    bool has_hwirq;
    unsigned long hwirq;
    unsigned depth, status, state, istate, tot_count, irq_count, irqs_unhandled;
    unsigned long last_unhandled, threads_oneshot;
    unsigned counts[NR_CPUS];
    irqaction actions[MAX_DUMP_ACTIONS];
    unsigned nr_actions, more_actions;
    // Where the line arrives: every (CPU, vector) whose vector_irq entry names this IRQ. Two during an
    // affinity move (the old vector stays mapped until it is cleaned up).
    struct {
        unsigned cpu, vector;
    } vectors[MAX_DUMP_VECTORS];
    unsigned nr_vectors;
};

void snapshot(irq_desc* desc, Snapshot& s) {
    unsigned long flags;
    raw_spin_lock_irqsave(&desc->lock, flags);
    s.handle_irq = desc->handle_irq;
    s.flow_name = desc->name;
    s.chip = irq_chip_column(desc);
    s.has_hwirq = desc->irq_data.has_hwirq;
    s.hwirq = desc->irq_data.hwirq;
    s.depth = desc->depth;
    s.status = desc->status_use_accessors;
    s.state = desc->irq_data.state;
    s.istate = irqs_state(desc);
    s.tot_count = desc->tot_count;
    s.irq_count = racy_read(desc->irq_count);
    s.irqs_unhandled = racy_read(desc->irqs_unhandled);
    s.last_unhandled = racy_read(desc->last_unhandled);
    s.threads_oneshot = desc->threads_oneshot;
    for_each_possible_cpu(cpu) s.counts[cpu] = per_cpu_read(*desc->kstat_irqs, cpu);
    // vector_irq changes with this descriptor's lock held, so the scan sees one consistent state.
    s.nr_vectors = 0;
    for_each_online_cpu(cpu) {
        for (unsigned v = FIRST_EXTERNAL_VECTOR; v < NR_VECTORS && s.nr_vectors < MAX_DUMP_VECTORS; v++)
            if (vector_irq_get(cpu, v) == int(desc->irq_data.irq)) s.vectors[s.nr_vectors++] = {cpu, v};
    }
    s.nr_actions = s.more_actions = 0;
    for (const irqaction* a = desc->action; a; a = a->next) {
        if (s.nr_actions < MAX_DUMP_ACTIONS)
            s.actions[s.nr_actions++] = *a;
        else
            s.more_actions++;
    }
    raw_spin_unlock_irqrestore(&desc->lock, flags);
}

}  // namespace

int irq_desc_dump(unsigned irq, irq_out_fn out, void* ctx) {
    irq_desc* desc = irq_to_desc(irq);
    if (!desc) return -EINVAL;
    static Snapshot s;  // large; the dump is process context and not reentrant (the shell)
    snapshot(desc, s);

    irq_seq_printf(out, ctx, "irq %u:\n", irq);
    irq_seq_printf(out, ctx, "  %-9s %ps\n", "handler:", reinterpret_cast<void*>(s.handle_irq));
    irq_seq_printf(out, ctx, "  %-9s %s\n", "flow:", s.flow_name ? s.flow_name : "(none)");
    irq_seq_printf(out, ctx, "  %-9s %s\n", "chip:", s.chip);
    if (s.has_hwirq)
        irq_seq_printf(out, ctx, "  %-9s %lu\n", "hwirq:", s.hwirq);
    else
        irq_seq_printf(out, ctx, "  %-9s (none)\n", "hwirq:");
    irq_seq_printf(out, ctx, "  %-9s %u\n", "depth:", s.depth);
    irq_seq_printf(out, ctx, "  %-9s %s\n", "trigger:", trigger_name(s.state & IRQD_TRIGGER_MASK));
    print_bits(out, ctx, "  ", "dstate:", s.state, irqd_names, IRQD_TRIGGER_MASK);
    print_bits(out, ctx, "  ", "istate:", s.istate, irqs_names, 0);
    print_bits(out, ctx, "  ", "status:", s.status, status_names, IRQ_TYPE_SENSE_MASK);

    irq_seq_printf(out, ctx, "  %-9s", "vector:");
    if (!s.nr_vectors) irq_seq_printf(out, ctx, " (none)");
    for (unsigned i = 0; i < s.nr_vectors; i++)
        irq_seq_printf(out, ctx, " CPU%u:0x%02x", s.vectors[i].cpu, s.vectors[i].vector);
    irq_seq_printf(out, ctx, "\n");
    irq_seq_printf(out, ctx, "  %-9s", "count:");
    for_each_online_cpu(cpu) irq_seq_printf(out, ctx, " CPU%u=%u", cpu, s.counts[cpu]);
    irq_seq_printf(out, ctx, "\n  %-9s %u\n", "tot:", s.tot_count);
    irq_seq_printf(out, ctx, "  %-9s irq_count %u, irqs_unhandled %u, last_unhandled %lu\n", "spurious:", s.irq_count,
                   s.irqs_unhandled, s.last_unhandled);
    irq_seq_printf(out, ctx, "  %-9s 0x%lx\n", "oneshot:", s.threads_oneshot);

    if (s.nr_actions == 0) irq_seq_printf(out, ctx, "  %-9s (none)\n", "actions:");
    for (unsigned i = 0; i < s.nr_actions; i++) {
        const irqaction& a = s.actions[i];
        irq_seq_printf(out, ctx, "  action %u: %s\n", i, a.name ? a.name : "(null)");
        irq_seq_printf(out, ctx, "    %-9s %ps [<%p>]\n", "handler:", reinterpret_cast<void*>(a.handler),
                       reinterpret_cast<void*>(a.handler));
        print_bits(out, ctx, "    ", "flags:", a.flags, irqf_names, 0);
        irq_seq_printf(out, ctx, "    %-9s %p\n", "dev_id:", a.dev_id);
    }
    if (s.more_actions) irq_seq_printf(out, ctx, "  ... and %u more action(s)\n", s.more_actions);
    return 0;
}
