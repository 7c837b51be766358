// Spurious-interrupt detection and misrouted-IRQ recovery (Linux kernel/irq/spurious.c, 6.12, with
// the v5.13+ window: irq_count only advances once an unhandled interrupt was seen in the window).
// A line that returns IRQ_NONE for more than spurious_threshold of spurious_window interrupts is
// reported ("nobody cared") and disabled. Linux then polls such lines every HZ/10 from a timer
// (poll_spurious_irqs); irqos has no kernel timers yet, so that poller arrives with the timer code and
// a line disabled here stays disabled until a new shared action re-enables it (__setup_irq).
#include "kernel/irq/handle_event.h"
#include "kernel/arch.h"
#include "kernel/cmdline.h"
#include "kernel/jiffies.h"
#include "kernel/printk.h"

unsigned spurious_window = SPURIOUS_WINDOW_DEFAULT;
unsigned spurious_threshold = SPURIOUS_THRESHOLD_DEFAULT;
bool noirqdebug;
int irqfixup;

namespace {

constexpr int BOGUS_REPORTS_MAX = 100;  // Linux report_bad_irq: static int count = 100
constexpr int IRQFIXUP_MISROUTED = 1;   // "irqfixup": search other lines when nobody claimed it
constexpr int IRQFIXUP_POLL = 2;        // "irqpoll": also on every timer (IRQ 0) / IRQF_IRQPOLL interrupt

int bogus_reports_left = BOGUS_REPORTS_MAX;
int irq_poll_active;    // misrouted_irq: one poller at a time (atomic)
int irq_poll_cpu = -1;  // the CPU running that poller

bool bad_action_ret(irqreturn_t ret) { return (unsigned)ret > (IRQ_HANDLED | IRQ_WAKE_THREAD); }

// Process or hard-IRQ context; takes desc->lock (the caller does not hold it: note_interrupt runs with
// the line INPROGRESS and the lock dropped).
void __report_bad_irq(irq_desc* desc, irqreturn_t action_ret) {
    unsigned irq = irq_desc_get_irq(desc);
    if (bad_action_ret(action_ret))
        printk(KERN_ERR "irq event %d: bogus return value %x\n", (int)irq, (unsigned)action_ret);
    else
        printk(KERN_ERR "irq %d: nobody cared (try booting with the \"irqpoll\" option)\n", (int)irq);
    dump_stack();
    printk(KERN_ERR "handlers:\n");
    unsigned long flags;
    raw_spin_lock_irqsave(&desc->lock, flags);
    for_each_action_of_desc(desc, action) {
        printk(KERN_ERR "[<%p>] %ps", (void*)action->handler, (void*)action->handler);
        if (action->thread_fn)
            printk(KERN_CONT " threaded [<%p>] %ps", (void*)action->thread_fn, (void*)action->thread_fn);
        printk(KERN_CONT "\n");
    }
    raw_spin_unlock_irqrestore(&desc->lock, flags);
}

// Linux decrements its count only while it is positive, so it stays at 0 however many bogus values
// follow (a plain decrement would wrap after 2^31 of them and start reporting again).
void report_bad_irq(irq_desc* desc, irqreturn_t action_ret) {
    int left = __atomic_load_n(&bogus_reports_left, __ATOMIC_RELAXED);
    do {
        if (left <= 0) return;
    } while (
        !__atomic_compare_exchange_n(&bogus_reports_left, &left, left - 1, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    __report_bad_irq(desc, action_ret);
}

// Linux try_one_irq: run another line's handlers in case our interrupt really belonged to it. Only
// shared lines qualify (a non-shared handler may not expect to be called without its interrupt), never
// the timer. Hard-IRQ context, interrupts off; takes desc->lock.
bool try_one_irq(irq_desc* desc, bool force) {
    irqreturn_t ret = IRQ_NONE;
    raw_spin_lock(&desc->lock);
    irqaction* action = desc_first_action(desc);
    if (irq_settings_is_per_cpu(desc) || irq_settings_is_nested_thread(desc) || irq_settings_is_polled(desc)) goto out;
    if (irqd_has(&desc->irq_data, IRQD_IRQ_DISABLED) && !force) goto out;
    if (!action || !(action->flags & IRQF_SHARED) || (action->flags & __IRQF_TIMER)) goto out;
    if (irqd_has(&desc->irq_data, IRQD_IRQ_INPROGRESS)) {
        // Running on another CPU: make that CPU go round once more looking for our interrupt.
        irqs_set(desc, IRQS_PENDING);
        goto out;
    }
    irqs_set(desc, IRQS_POLL_INPROGRESS);
    do {
        if (handle_irq_event(desc) == IRQ_HANDLED) ret = IRQ_HANDLED;
        action = desc_first_action(desc);  // freed meanwhile?
    } while (irqs_has(desc, IRQS_PENDING) && action);
    irqs_clear(desc, IRQS_POLL_INPROGRESS);
out:
    raw_spin_unlock(&desc->lock);
    return ret == IRQ_HANDLED;
}

// Try every other line except IRQ 0 (the timer). Returns 1 if some line claimed the interrupt.
int misrouted_irq(unsigned irq) {
    int ok = 0;
    if (__atomic_add_fetch(&irq_poll_active, 1, __ATOMIC_ACQUIRE) == 1) {
        __atomic_store_n(&irq_poll_cpu, (int)smp_processor_id(), __ATOMIC_RELAXED);
        for (unsigned i = 1; i < NR_IRQS; i++) {
            if (i == irq) continue;  // already tried
            if (try_one_irq(irq_to_desc(i), false)) ok = 1;
        }
    }
    __atomic_sub_fetch(&irq_poll_active, 1, __ATOMIC_RELEASE);
    return ok;
}

bool try_misrouted_irq(unsigned irq, irq_desc* desc, irqreturn_t action_ret) {
    if (!irqfixup) return false;
    if (action_ret == IRQ_NONE) return true;
    if (irqfixup < IRQFIXUP_POLL) return false;
    if (!irq) return true;
    irqaction* action = desc_first_action(desc);  // unlocked: may change under us, read once
    return action && (action->flags & IRQF_IRQPOLL);
}

}  // namespace

void irq_spurious_reset() {
    bogus_reports_left = BOGUS_REPORTS_MAX;
    irq_poll_active = 0;
    irq_poll_cpu = -1;
}

// desc->lock held, interrupts off; called by irq_may_run when a flow finds the line INPROGRESS under
// a poll. On the poller's own CPU waiting would deadlock, so the interrupt is dropped (WARN once);
// elsewhere wait for the poll to end and run only if the line is still enabled and has an action.
bool irq_wait_for_poll(irq_desc* desc) {
    if (WARN_ONCE(__atomic_load_n(&irq_poll_cpu, __ATOMIC_RELAXED) == (int)smp_processor_id(),
                  "irq poll in progress on cpu %d for irq %d\n", (int)smp_processor_id(), (int)desc->irq_data.irq))
        return false;
    do {
        raw_spin_unlock(&desc->lock);
        while (irqd_has(&desc->irq_data, IRQD_IRQ_INPROGRESS)) arch::cpu_relax();
        raw_spin_lock(&desc->lock);
    } while (irqd_has(&desc->irq_data, IRQD_IRQ_INPROGRESS));
    return !irqd_has(&desc->irq_data, IRQD_IRQ_DISABLED) && desc_first_action(desc);
}

// Hard-IRQ context, interrupts off, desc->lock not held (the line is INPROGRESS, so only this CPU
// updates the counters: see racy_read in internals.h). The disable at the end of a bad window takes it.
void note_interrupt(irq_desc* desc, irqreturn_t action_ret) {
    if (irqs_has(desc, IRQS_POLL_INPROGRESS) || irq_settings_is_polled(desc)) return;
    if (bad_action_ret(action_ret)) {
        report_bad_irq(desc, action_ret);
        return;
    }
    // Threaded handlers (IRQ_WAKE_THREAD and the deferred verdict) arrive with threads; until then a
    // WAKE_THREAD result counts like any other non-NONE result.
    unsigned unhandled = racy_read(desc->irqs_unhandled);
    if (unlikely(action_ret == IRQ_NONE)) {
        // Unhandled interrupts spread out over more than HZ/10 are not a storm: start counting afresh.
        unsigned long now = jiffies;
        if (time_after(now, racy_read(desc->last_unhandled) + HZ / 10))
            unhandled = 1;
        else
            unhandled++;
        racy_write(desc->irqs_unhandled, unhandled);
        racy_write(desc->last_unhandled, now);
    }
    unsigned irq = irq_desc_get_irq(desc);
    if (unlikely(try_misrouted_irq(irq, desc, action_ret))) {
        int ok = misrouted_irq(irq);
        if (action_ret == IRQ_NONE) racy_write(desc->irqs_unhandled, unhandled -= ok);
    }
    if (likely(!unhandled)) return;

    unsigned count = racy_read(desc->irq_count) + 1;
    if (likely(count < spurious_window)) {
        racy_write(desc->irq_count, count);
        return;
    }
    racy_write(desc->irq_count, 0);
    if (unlikely(unhandled > spurious_threshold)) {
        __report_bad_irq(desc, action_ret);
        printk(KERN_EMERG "Disabling IRQ #%d\n", (int)irq);
        // Linux changes these three without the lock; irqos takes it, as enable_irq and request_irq
        // on other CPUs change the same depth and state under it.
        raw_spin_lock(&desc->lock);
        irqs_set(desc, IRQS_SPURIOUS_DISABLED);
        desc->depth++;
        irq_disable(desc);
        raw_spin_unlock(&desc->lock);
    }
    racy_write(desc->irqs_unhandled, 0);
}

// ---- Boot options (kernel/cmdline.h). Boot context, before interrupts are enabled.
static int noirqdebug_setup(const char*) {
    noirqdebug = true;
    printk(KERN_INFO "IRQ lockup detection disabled\n");
    return 0;
}
__setup_flag("noirqdebug", noirqdebug_setup);

static int irqfixup_setup(const char*) {
    irqfixup = IRQFIXUP_MISROUTED;
    printk(KERN_WARNING "Misrouted IRQ fixup support enabled.\n");
    printk(KERN_WARNING "This may impact system performance.\n");
    return 0;
}
__setup_flag("irqfixup", irqfixup_setup);

static int irqpoll_setup(const char*) {
    irqfixup = IRQFIXUP_POLL;
    printk(KERN_WARNING "Misrouted IRQ fixup and polling support enabled\n");
    printk(KERN_WARNING "This may significantly impact system performance\n");
    return 0;
}
__setup_flag("irqpoll", irqpoll_setup);

// irqos experiments: "spurious_window=N" (N >= 1) and "spurious_threshold=N" (N < window makes sense;
// a threshold >= window can never trip, which is allowed and disables detection in effect).
static int spurious_count_setup(const char* value, unsigned long min, unsigned* out) {
    unsigned long v;
    if (!parse_uint(value, &v) || v < min || v > 0xffffffffUL) return -EINVAL;
    *out = (unsigned)v;
    return 0;
}

static int spurious_window_setup(const char* value) { return spurious_count_setup(value, 1, &spurious_window); }
__setup("spurious_window", spurious_window_setup);

static int spurious_threshold_setup(const char* value) { return spurious_count_setup(value, 0, &spurious_threshold); }
__setup("spurious_threshold", spurious_threshold_setup);
