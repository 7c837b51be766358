// The driver-facing interrupt API (Linux include/linux/interrupt.h): irqreturn_t, IRQF_* flags,
// irqaction and request_irq/free_irq/disable_irq/enable_irq/synchronize_irq with Linux's semantics.
#pragma once
#include "kernel/irq/irqdesc.h"

enum irqreturn : unsigned { IRQ_NONE = 0, IRQ_HANDLED = 1 << 0, IRQ_WAKE_THREAD = 1 << 1 };
using irqreturn_t = irqreturn;
#define IRQ_RETVAL(x) ((x) ? IRQ_HANDLED : IRQ_NONE)
using irq_handler_t = irqreturn_t (*)(int irq, void* dev_id);

enum : unsigned long {
    IRQF_TRIGGER_NONE = 0x0,
    IRQF_TRIGGER_RISING = 0x1,
    IRQF_TRIGGER_FALLING = 0x2,
    IRQF_TRIGGER_HIGH = 0x4,
    IRQF_TRIGGER_LOW = 0x8,
    IRQF_TRIGGER_MASK = 0xf,
    IRQF_SHARED = 0x80,
    IRQF_PROBE_SHARED = 0x100,
    __IRQF_TIMER = 0x200,
    IRQF_PERCPU = 0x400,
    IRQF_NOBALANCING = 0x800,
    IRQF_IRQPOLL = 0x1000,
    IRQF_ONESHOT = 0x2000,
    IRQF_NO_SUSPEND = 0x4000,
    IRQF_FORCE_RESUME = 0x8000,
    IRQF_NO_THREAD = 0x10000,
    IRQF_EARLY_RESUME = 0x20000,
    IRQF_COND_SUSPEND = 0x40000,
    IRQF_NO_AUTOEN = 0x80000,
    IRQF_NO_DEBUG = 0x100000,
    IRQF_COND_ONESHOT = 0x200000,
    IRQF_TIMER = __IRQF_TIMER | IRQF_NO_SUSPEND | IRQF_NO_THREAD,
};
constexpr unsigned IRQ_NOTCONNECTED = 1u << 31;
constexpr unsigned long IRQTF_WARNED = 1ul << 2;  // "returned IRQ_WAKE_THREAD but no thread" said once

struct irqaction {
    irq_handler_t handler = nullptr;
    void* dev_id = nullptr;
    irqaction* next = nullptr;
    irq_handler_t thread_fn = nullptr;  // no threaded handlers yet: always NULL
    unsigned irq = 0;
    unsigned long flags = 0;
    unsigned long thread_mask = 0;
    unsigned long thread_flags = 0;  // IRQTF_* (only IRQTF_WARNED until threads arrive)
    const char* name = nullptr;
};

// Allocate the line for `handler`. Process context, may sleep; takes the descriptor lock.
// Errors (Linux's order): -ENOTCONN, -EINVAL (SHARED without dev_id, SHARED|NO_AUTOEN, no descriptor,
// IRQ_NOREQUEST, NULL handler), -ENOMEM, -ENOSYS (no_irq_chip), -EBUSY (sharing mismatch, with
// "Flags mismatch irq %d. %08x (%s) vs. %08x (%s)" unless IRQF_PROBE_SHARED).
[[nodiscard]] int request_irq(unsigned irq, irq_handler_t handler, unsigned long flags, const char* name, void* dev_id);
// Remove the action with `dev_id`; returns its name, or NULL with "Trying to free already-free IRQ %d".
// Waits for running handlers (synchronize_irq). Process context.
const void* free_irq(unsigned irq, void* dev_id);
// Depth-counted disable; the _nosync form does not wait for running handlers (any context).
void disable_irq_nosync(unsigned irq);
void disable_irq(unsigned irq);  // may wait: not from the line's own handler
bool disable_hardirq(unsigned irq);
void enable_irq(unsigned irq);       // any context; "Unbalanced enable for IRQ %d" at depth 0
void synchronize_irq(unsigned irq);  // wait until no handler of `irq` runs on any CPU
bool synchronize_hardirq(unsigned irq);
// Linux irq_set_affinity: deliver `irq` to a CPU of `mask` (kernel/irq/affinity.cpp). The chip
// hierarchy moves the line (the x86 vector domain: a new vector on a CPU of the mask, the old one kept
// until the first interrupt on the new one); `mask` is recorded as the requested affinity. 0; -EINVAL
// (no such line, a chip that cannot move it, a per-CPU line, no online CPU in the mask), -EBUSY (the
// previous move is not finished), -ENOSPC (no free vector there). Any context; takes the desc lock.
int irq_set_affinity(unsigned irq, const cpumask_t* mask);
// The requested and the effective affinity (either pointer may be NULL). -EINVAL for no such line.
int irq_get_affinity(unsigned irq, cpumask_t* requested, cpumask_t* effective);

// Spurious detection (kernel/irq/spurious.cpp). Called by the flows after the actions ran.
void note_interrupt(irq_desc* desc, irqreturn_t action_ret);

// Tunables, with Linux's values as defaults; set from the command line for experiments.
constexpr unsigned SPURIOUS_WINDOW_DEFAULT = 100000;    // interrupts per accounting window
constexpr unsigned SPURIOUS_THRESHOLD_DEFAULT = 99900;  // unhandled above this => disable the line
extern unsigned spurious_window;                        // "spurious_window="
extern unsigned spurious_threshold;                     // "spurious_threshold="
extern bool noirqdebug;                                 // "noirqdebug"
extern int irqfixup;                                    // "irqfixup" => 1, "irqpoll" => 2
