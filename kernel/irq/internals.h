// What the genirq core files share but drivers must not use (Linux kernel/irq/internals.h and
// settings.h): state-bit helpers, the chip-state transitions, the event loop and the resend queue.
// Everything here expects desc->lock held unless the comment says otherwise.
#pragma once
#include "kernel/irq/interrupt.h"

// ---- IRQD_* state bits (irq_data.state). Written only under desc->lock, but synchronize_irq and
// other CPUs read them without it, so every access is an atomic (relaxed) word operation.
static inline unsigned irqd_state(const irq_data* d) { return __atomic_load_n(&d->state, __ATOMIC_RELAXED); }
static inline void irqd_set(irq_data* d, unsigned bits) { __atomic_fetch_or(&d->state, bits, __ATOMIC_RELAXED); }
static inline void irqd_clear(irq_data* d, unsigned bits) { __atomic_fetch_and(&d->state, ~bits, __ATOMIC_RELAXED); }
static inline bool irqd_has(const irq_data* d, unsigned bits) { return (irqd_state(d) & bits) != 0; }
static inline unsigned irqd_get_trigger_type(const irq_data* d) { return irqd_state(d) & IRQD_TRIGGER_MASK; }
static inline bool irqd_trigger_type_was_set(const irq_data* d) { return irqd_has(d, IRQD_DEFAULT_TRIGGER_SET); }
// Record a trigger as the line's configured one (so a later sharer must match it).
static inline void irqd_set_trigger_type(irq_data* d, unsigned type) {
    irqd_clear(d, IRQD_TRIGGER_MASK);
    irqd_set(d, (type & IRQD_TRIGGER_MASK) | IRQD_DEFAULT_TRIGGER_SET);
}

// ---- IRQS_* core state (desc->istate). Changed under desc->lock by the flows and the API, but read by
// flows of other CPUs and by the spurious code while the actions run with the lock dropped (which also
// sets IRQS_SPURIOUS_DISABLED there, with the lock taken for it): whole-word atomic (relaxed) accesses.
static inline unsigned irqs_state(const irq_desc* d) { return __atomic_load_n(&d->istate, __ATOMIC_RELAXED); }
static inline bool irqs_has(const irq_desc* d, unsigned bits) { return (irqs_state(d) & bits) != 0; }
static inline void irqs_set(irq_desc* d, unsigned bits) { __atomic_fetch_or(&d->istate, bits, __ATOMIC_RELAXED); }
static inline void irqs_clear(irq_desc* d, unsigned bits) { __atomic_fetch_and(&d->istate, ~bits, __ATOMIC_RELAXED); }

// ---- The spurious counters (irq_count, irqs_unhandled, last_unhandled): racy on purpose, as in Linux.
// note_interrupt updates them with the lock dropped (only the CPU running the line does, INPROGRESS
// keeps the others out) and __setup_irq zeroes them under the lock; a reset that crosses an update may
// be lost, which only shifts a verdict by one window. Relaxed atomic word accesses: never torn, and
// ThreadSanitizer knows the race is meant.
template <typename T>
static inline T racy_read(const T& field) {
    return __atomic_load_n(&field, __ATOMIC_RELAXED);
}
template <typename T, typename V>
static inline void racy_write(T& field, V value) {
    __atomic_store_n(&field, static_cast<T>(value), __ATOMIC_RELAXED);
}

// ---- IRQ_* settings (desc->status_use_accessors), Linux kernel/irq/settings.h.
// The bits a driver may change through irq_modify_status (Linux IRQF_MODIFY_MASK); IRQ_NO_DEBUG is
// the core's own (set by __setup_irq) and is not in it.
constexpr unsigned IRQ_SETTINGS_MODIFY_MASK = unsigned{IRQ_TYPE_SENSE_MASK} | IRQ_NOPROBE | IRQ_NOREQUEST |
                                              IRQ_NOAUTOEN | IRQ_MOVE_PCNTXT | IRQ_LEVEL | IRQ_NO_BALANCING |
                                              IRQ_PER_CPU | IRQ_NESTED_THREAD | IRQ_NOTHREAD | IRQ_PER_CPU_DEVID |
                                              IRQ_IS_POLLED | IRQ_DISABLE_UNLAZY | IRQ_HIDDEN;
// Changed under desc->lock, read by running flows without it: whole-word atomic accesses.
static inline unsigned irq_settings_get(const irq_desc* d) {
    return __atomic_load_n(&d->status_use_accessors, __ATOMIC_RELAXED);
}
static inline void irq_settings_set(irq_desc* d, unsigned bits) {
    __atomic_fetch_or(&d->status_use_accessors, bits, __ATOMIC_RELAXED);
}
static inline void irq_settings_clr(irq_desc* d, unsigned bits) {
    __atomic_fetch_and(&d->status_use_accessors, ~bits, __ATOMIC_RELAXED);
}
static inline bool irq_settings_has(const irq_desc* d, unsigned bit) { return (irq_settings_get(d) & bit) != 0; }
static inline bool irq_settings_can_request(const irq_desc* d) { return !irq_settings_has(d, IRQ_NOREQUEST); }
static inline bool irq_settings_can_autoenable(const irq_desc* d) { return !irq_settings_has(d, IRQ_NOAUTOEN); }
static inline bool irq_settings_disable_unlazy(const irq_desc* d) { return irq_settings_has(d, IRQ_DISABLE_UNLAZY); }
static inline bool irq_settings_no_debug(const irq_desc* d) { return irq_settings_has(d, IRQ_NO_DEBUG); }
static inline bool irq_settings_is_per_cpu(const irq_desc* d) { return irq_settings_has(d, IRQ_PER_CPU); }
static inline bool irq_settings_is_polled(const irq_desc* d) { return irq_settings_has(d, IRQ_IS_POLLED); }
static inline bool irq_settings_is_nested_thread(const irq_desc* d) { return irq_settings_has(d, IRQ_NESTED_THREAD); }
static inline bool irq_settings_is_per_cpu_devid(const irq_desc* d) { return irq_settings_has(d, IRQ_PER_CPU_DEVID); }

// ---- Chip state transitions (kernel/irq/chip.cpp). desc->lock held, interrupts off.
constexpr bool IRQ_RESEND = true, IRQ_NORESEND = false;
int irq_startup(irq_desc* desc, bool resend);
void irq_shutdown(irq_desc* desc);
void irq_enable(irq_desc* desc);
void irq_disable(irq_desc* desc);

// Mask at the chip unless it already is (a second mask would unbalance chips that count).
static inline void mask_irq(irq_desc* desc) {
    if (irqd_has(&desc->irq_data, IRQD_IRQ_MASKED)) return;
    IrqChip* chip = desc->irq_data.chip;
    if (chip->has(IRQCHIP_OP_MASK)) {
        chip->irq_mask(&desc->irq_data);
        irqd_set(&desc->irq_data, IRQD_IRQ_MASKED);
    }
}

static inline void unmask_irq(irq_desc* desc) {
    if (!irqd_has(&desc->irq_data, IRQD_IRQ_MASKED)) return;
    IrqChip* chip = desc->irq_data.chip;
    if (chip->has(IRQCHIP_OP_UNMASK)) {
        chip->irq_unmask(&desc->irq_data);
        irqd_clear(&desc->irq_data, IRQD_IRQ_MASKED);
    }
}

// The chip's combined op if it has one (the 8259 does both in one go), else mask then ack.
// The combined op is called even when already masked: it must still acknowledge.
static inline void mask_ack_irq(irq_desc* desc) {
    IrqChip* chip = desc->irq_data.chip;
    if (chip->has(IRQCHIP_OP_MASK_ACK)) {
        chip->irq_mask_ack(&desc->irq_data);
        irqd_set(&desc->irq_data, IRQD_IRQ_MASKED);
    } else {
        mask_irq(desc);
        if (chip->has(IRQCHIP_OP_ACK)) chip->irq_ack(&desc->irq_data);
    }
}
int __irq_set_trigger(irq_desc* desc, unsigned type);

// Depth counting without the lookup (kernel/irq/manage_depth.cpp). desc->lock held.
void __disable_irq(irq_desc* desc);
void __enable_irq(irq_desc* desc);

// ---- Event handling (kernel/irq/handle.cpp; the flows' inline handle_irq_event, which runs the
// action chain with the lock dropped and IRQD_IRQ_INPROGRESS set, is in kernel/irq/handle_event.h).
// Runs the chain and note_interrupt; no lock (per-CPU lines, or the caller set INPROGRESS).
irqreturn_t handle_irq_event_percpu(irq_desc* desc);
static inline void kstat_incr_irqs_this_cpu(irq_desc* desc) {
    this_cpu_inc(*desc->kstat_irqs);
    desc->tot_count++;
}
// Linux kernel/irq/debug.h: the descriptor summary handle_bad_irq prints (rate limited: 5 per 5 s).
void print_irq_desc(unsigned irq, irq_desc* desc);
// x86 arch/x86/kernel/irq.c: "unexpected IRQ trap at vector %02x", then the arch acknowledge hook.
void ack_bad_irq(unsigned irq);

// ---- Poll interlock (kernel/irq/spurious.cpp). A flow that finds INPROGRESS set asks whether it may
// still run the line: false when the owner is a poller on this CPU (WARN) or the line got disabled.
bool irq_wait_for_poll(irq_desc* desc);
// Linux chip.c irq_may_run: true when nothing (a handler, a poll) is running the line elsewhere.
bool irq_may_run(irq_desc* desc);

// ---- Replay of lost edges (kernel/irq/resend.cpp).
// desc->lock held: the Linux rules (level: -EINVAL; REPLAY: -EBUSY; else retrigger, or software resend:
// queued here and run by resend_tasklet, in softirq context on this CPU).
int check_irq_resend(irq_desc* desc, bool inject);
// desc->lock held: forget a queued software resend (the line is being shut down).
void clear_irq_resend(irq_desc* desc);
// The queue's first IRQ, or IRQ_RESEND_NONE. Any context; a racy peek (the tests and views read it).
constexpr int IRQ_RESEND_NONE = -1;
extern int irq_resend_head;
static inline bool irq_resend_pending() {
    return __atomic_load_n(&irq_resend_head, __ATOMIC_RELAXED) != IRQ_RESEND_NONE;
}

// ---- Resetting the core's global state (kernel/irq/irqdesc.cpp calls these from early_irq_init).
void irq_resend_reset();
void irq_handle_reset();
void irq_spurious_reset();

// The action chain: changed under desc->lock (request/free), walked by the running flow without it
// (free_irq then waits in synchronize_irq before freeing). Pointer loads and stores are atomic words.
static inline irqaction* desc_first_action(const irq_desc* d) { return __atomic_load_n(&d->action, __ATOMIC_ACQUIRE); }
static inline irqaction* action_next(const irqaction* a) { return __atomic_load_n(&a->next, __ATOMIC_ACQUIRE); }
static inline void action_link(irqaction** where, irqaction* a) { __atomic_store_n(where, a, __ATOMIC_RELEASE); }
// Linux's for_each_action_of_desc.
#define for_each_action_of_desc(desc, act) for (irqaction* act = desc_first_action(desc); act; act = action_next(act))
