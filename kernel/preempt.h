// preempt_count with Linux's field layout (include/linux/preempt.h) and the interrupt-context tests.
// One count per CPU; only the owning CPU changes it, with interrupts off or from its own interrupt path.
#pragma once
#include "kernel/percpu.h"

constexpr unsigned PREEMPT_BITS = 8, SOFTIRQ_BITS = 8, HARDIRQ_BITS = 4, NMI_BITS = 4;
constexpr unsigned PREEMPT_SHIFT = 0;
constexpr unsigned SOFTIRQ_SHIFT = PREEMPT_SHIFT + PREEMPT_BITS;  // 8
constexpr unsigned HARDIRQ_SHIFT = SOFTIRQ_SHIFT + SOFTIRQ_BITS;  // 16
constexpr unsigned NMI_SHIFT = HARDIRQ_SHIFT + HARDIRQ_BITS;      // 20
constexpr unsigned PREEMPT_OFFSET = 1u << PREEMPT_SHIFT;
constexpr unsigned SOFTIRQ_OFFSET = 1u << SOFTIRQ_SHIFT;         // 0x100: serving a softirq
constexpr unsigned SOFTIRQ_DISABLE_OFFSET = 2 * SOFTIRQ_OFFSET;  // 0x200: local_bh_disable
constexpr unsigned HARDIRQ_OFFSET = 1u << HARDIRQ_SHIFT;         // 0x10000
constexpr unsigned NMI_OFFSET = 1u << NMI_SHIFT;                 // 0x100000
constexpr unsigned PREEMPT_MASK = ((1u << PREEMPT_BITS) - 1) << PREEMPT_SHIFT;
constexpr unsigned SOFTIRQ_MASK = ((1u << SOFTIRQ_BITS) - 1) << SOFTIRQ_SHIFT;
constexpr unsigned HARDIRQ_MASK = ((1u << HARDIRQ_BITS) - 1) << HARDIRQ_SHIFT;
constexpr unsigned NMI_MASK = ((1u << NMI_BITS) - 1) << NMI_SHIFT;
constexpr unsigned PREEMPT_NEED_RESCHED = 0x80000000u;

// One per-CPU word, changed with one gs-relative instruction (Linux arch/x86/include/asm/preempt.h).
// Bit 31 is the need-resched bit folded in, inverted as on Linux x86: set means "no reschedule wanted",
// so the whole word is 0 exactly when preemption is enabled and a reschedule is wanted. The return from
// an interrupt and preempt_enable test that with one compare (or one decrement). preempt_count() masks it.
DECLARE_PER_CPU(unsigned, __preempt_count);
constexpr unsigned PREEMPT_ENABLED = PREEMPT_NEED_RESCHED;  // Linux's INIT_PREEMPT_COUNT for a running CPU

static inline unsigned preempt_count() { return this_cpu_read(__preempt_count) & ~PREEMPT_NEED_RESCHED; }
static inline void preempt_count_add(unsigned v) {
    this_cpu_add(__preempt_count, v);
    barrier();
}
static inline void preempt_count_sub(unsigned v) {
    barrier();
    this_cpu_sub(__preempt_count, v);
}
// The folded need-resched bit of this CPU (the current task's flag is the scheduler's; see
// kernel/sched/sched.h resched_curr and the reschedule IPI, which fold it in here).
static inline void set_preempt_need_resched() { this_cpu_and(__preempt_count, ~PREEMPT_NEED_RESCHED); }
static inline void clear_preempt_need_resched() { this_cpu_or(__preempt_count, PREEMPT_NEED_RESCHED); }
static inline bool test_preempt_need_resched() { return !(this_cpu_read(__preempt_count) & PREEMPT_NEED_RESCHED); }
// Preemption is allowed here and a reschedule is wanted, with `offset` still to be dropped from the
// count (Linux should_resched).
static inline bool should_resched(unsigned offset) { return this_cpu_read(__preempt_count) == offset; }

// Reschedule now if preemption is allowed (kernel/sched/core.cpp; Linux preempt_schedule).
void preempt_schedule();

static inline void preempt_disable() { preempt_count_add(PREEMPT_OFFSET); }
// Dropping the last preemption-disabling count with a reschedule pending preempts here (Linux
// CONFIG_PREEMPTION's preempt_enable): one decrement and one branch on the folded word.
static inline void preempt_enable() {
    barrier();
    if (unlikely(this_cpu_dec_and_test(__preempt_count))) preempt_schedule();
}
static inline void preempt_enable_no_resched() { preempt_count_sub(PREEMPT_OFFSET); }
static inline void preempt_check_resched() {
    if (unlikely(should_resched(0))) preempt_schedule();
}

static inline unsigned hardirq_count() { return preempt_count() & HARDIRQ_MASK; }
static inline unsigned softirq_count() { return preempt_count() & SOFTIRQ_MASK; }
static inline unsigned nmi_count() { return preempt_count() & NMI_MASK; }
static inline unsigned irq_count() { return preempt_count() & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_MASK); }
static inline bool in_nmi() { return nmi_count() != 0; }
static inline bool in_hardirq() { return hardirq_count() != 0; }
static inline bool in_irq() { return hardirq_count() != 0; }      // Linux's older name
static inline bool in_softirq() { return softirq_count() != 0; }  // also true with BH disabled
static inline bool in_serving_softirq() { return (softirq_count() & SOFTIRQ_OFFSET) != 0; }
static inline bool in_interrupt() { return irq_count() != 0; }
static inline bool in_task() { return !in_interrupt(); }

// CONFIG_DEBUG_IRQFLAGS (Linux's name): assert the interrupt flag where the entry path relies on it.
// Off in the default kernel image, on in the debug image and the host tests.
#ifndef CONFIG_DEBUG_IRQFLAGS
#define CONFIG_DEBUG_IRQFLAGS 0
#endif
constexpr bool debug_irqflags = CONFIG_DEBUG_IRQFLAGS;

// Hard interrupt entry/exit. Interrupts must be off. irq_exit (kernel/hardirq.cpp) also runs the
// softirqs raised during the handler, when it leaves the outermost interrupt (kernel/softirq.h).
static inline void irq_enter() { preempt_count_add(HARDIRQ_OFFSET); }
void irq_exit();
void nmi_enter();
void nmi_exit();
