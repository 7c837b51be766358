// In-kernel tests of the per-CPU IRQ stacks (arch/x86/irq_stack.h): a device interrupt's handler runs on
// this CPU's IRQ stack and the interrupted stack gets it back; an interrupt raised while the IRQ stack is
// in use stays on it (no second switch); the stack walk from a handler crosses back to the interrupted
// code; a call-function IPI on another CPU runs on that CPU's own IRQ stack. The test line takes its IRQ
// number from irq_alloc_descs and its vector from the vector allocator.
#include "tests/kernel/ktest.h"
#include "tests/kernel/kt_hw.h"
#include "arch/x86/irq_stack.h"
#include "arch/x86/ktest_helpers.h"
#include "arch/x86/stacktrace.h"
#include "arch/x86/vector.h"
#include "kernel/arch.h"
#include "kernel/irq/interrupt.h"
#include "kernel/preempt.h"
#include "kernel/smp.h"

namespace {

struct Seen {
    uintptr_t frame = 0;  // the handler's frame address
    bool inuse = false;   // hardirq_stack_inuse while it ran
    unsigned cpu = 0;
    int runs = 0;
    bool in_irq = false;  // by the IPI; else the target's idle loop found the call queued first
};

bool on_irq_stack_of(unsigned cpu, uintptr_t addr) { return addr >= irq_stack_lo(cpu) && addr < irq_stack_hi(cpu); }

struct Line {
    unsigned irq = 0, vector = 0, cpu = 0;
    bool up = false;
};

// A line on dummy_irq_chip with `handler`, reached by INT vector on this CPU.
bool line_up(Line* l, irq_handler_t handler, void* dev) {
    int irq = irq_alloc_descs(-1, NR_IRQS_LEGACY, 1);
    if (irq < 0) return false;
    int vector = kt_vector_alloc(&l->cpu);
    if (vector < 0) {
        irq_free_descs(unsigned(irq), 1);
        return false;
    }
    l->irq = unsigned(irq);
    l->vector = unsigned(vector);
    irq_set_chip_and_handler_name(l->irq, &dummy_irq_chip, handle_simple_irq, "simple");
    vector_irq_set(l->cpu, l->vector, int(l->irq));
    l->up = request_irq(l->irq, handler, 0, "ktest-irqstack", dev) == 0;
    return l->up;
}

void line_down(Line* l, void* dev) {
    if (l->up) free_irq(l->irq, dev);
    kt_vector_free(l->cpu, l->vector);
    irq_free_descs(l->irq, 1);
}

Seen outer_seen, inner_seen;
Line inner_line;

irqreturn_t record(int, void* dev_id) {
    auto* s = static_cast<Seen*>(dev_id);
    s->frame = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
    s->inuse = this_cpu_read(hardirq_stack_inuse);
    s->cpu = smp_processor_id();
    s->runs++;
    return IRQ_HANDLED;
}

// The outer handler raises the inner line's vector while it is on the IRQ stack.
irqreturn_t record_and_nest(int irq, void* dev_id) {
    irqreturn_t r = record(irq, dev_id);
    arch_raise_vector(inner_line.vector);
    return r;
}

// The walk from inside a handler: does it reach `want` (a return address on the interrupted stack)?
struct WalkFind {
    uintptr_t want = 0;
    bool found = false;
    WalkEnd end = WalkEnd::bad_frame;
};
WalkFind walk_find;

void walk_out(uintptr_t ret, void*) {
    if (ret == walk_find.want) walk_find.found = true;
}

irqreturn_t walk_from_handler(int irq, void* dev_id) {
    walk_find.end = walk_stack(reinterpret_cast<uintptr_t>(__builtin_frame_address(0)), walk_out, nullptr);
    return record(irq, dev_id);
}

void where_ran(void* info) {
    auto* s = static_cast<Seen*>(info);
    s->frame = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
    s->inuse = this_cpu_read(hardirq_stack_inuse);
    s->cpu = smp_processor_id();
    s->in_irq = in_hardirq();
    s->runs++;
}

}  // namespace

KTEST(irq_stack, a_device_handler_runs_on_this_cpus_irq_stack) {
    Line l;
    Seen s;
    KASSERT(line_up(&l, record, &s));
    uintptr_t here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
    KEXPECT_FALSE(on_irq_stack_of(l.cpu, here));  // the test itself runs on a thread's stack
    KEXPECT_FALSE(this_cpu_read(hardirq_stack_inuse));
    KEXPECT_TRUE(arch_raise_vector(l.vector));
    KEXPECT_EQ(s.runs, 1);
    KEXPECT_EQ(s.cpu, l.cpu);
    KEXPECT_TRUE(on_irq_stack_of(l.cpu, s.frame));
    KEXPECT_TRUE(s.inuse);
    KEXPECT_FALSE(this_cpu_read(hardirq_stack_inuse));  // released on the way out
    KEXPECT_EQ(reinterpret_cast<uintptr_t>(__builtin_frame_address(0)), here);
    line_down(&l, &s);
}

KTEST(irq_stack, an_interrupt_taken_on_the_irq_stack_stays_on_it) {
    Line outer;
    outer_seen = inner_seen = Seen{};
    KASSERT(line_up(&inner_line, record, &inner_seen));
    if (!line_up(&outer, record_and_nest, &outer_seen)) {
        line_down(&inner_line, &inner_seen);
        KASSERT(false);
    }
    KEXPECT_TRUE(arch_raise_vector(outer.vector));
    KEXPECT_EQ(outer_seen.runs, 1);
    KEXPECT_EQ(inner_seen.runs, 1);
    KEXPECT_TRUE(on_irq_stack_of(outer.cpu, outer_seen.frame));
    KEXPECT_TRUE(on_irq_stack_of(outer.cpu, inner_seen.frame));
    // Nested below the outer handler's frame on the same stack, not restarted at its top.
    KEXPECT_TRUE(inner_seen.frame < outer_seen.frame);
    KEXPECT_TRUE(inner_seen.inuse);
    KEXPECT_FALSE(this_cpu_read(hardirq_stack_inuse));  // only the outermost entry releases it
    line_down(&outer, &outer_seen);
    line_down(&inner_line, &inner_seen);
}

KTEST(irq_stack, the_stack_walk_from_a_handler_reaches_the_interrupted_code) {
    Line l;
    Seen s;
    KASSERT(line_up(&l, walk_from_handler, &s));
    // The address this test returns to lies on the test's own stack: the walk must get there.
    walk_find = WalkFind{};
    walk_find.want = reinterpret_cast<uintptr_t>(__builtin_return_address(0));
    KEXPECT_TRUE(arch_raise_vector(l.vector));
    KEXPECT_EQ(s.runs, 1);
    KEXPECT_TRUE(on_irq_stack_of(l.cpu, s.frame));
    KEXPECT_TRUE(walk_find.found);
    KEXPECT_TRUE(walk_find.end != WalkEnd::bad_frame);
    line_down(&l, &s);
}

KTEST(irq_stack, a_call_function_ipi_runs_on_the_target_cpus_irq_stack) {
    if (arch::num_online_cpus() < 2) KSKIP("one CPU online: no other CPU to call");
    for (unsigned cpu = 1; cpu < arch::num_online_cpus(); cpu++) {
        // A target that is awake between two halts may run the call from its idle loop before it takes
        // the IPI (on its own stack, as Linux's idle loop flushes the call queue): call again until the
        // IPI's handler ran it, which is what this test looks at.
        Seen s;
        for (int attempt = 0; attempt < 10 && !s.in_irq; attempt++) {
            s = Seen{};
            KEXPECT_EQ(smp_call_function_single(int(cpu), where_ran, &s, true), 0);
            KEXPECT_EQ(s.runs, 1);
        }
        KASSERT(s.in_irq);
        KEXPECT_EQ(s.cpu, cpu);
        KEXPECT_TRUE(on_irq_stack_of(cpu, s.frame));
        KEXPECT_TRUE(s.inuse);
    }
}
