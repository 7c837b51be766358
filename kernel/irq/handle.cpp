// Running a line's action chain and the bad-IRQ path (Linux kernel/irq/handle.c handle_irq_event,
// handle_irq_event_percpu, handle_bad_irq; kernel/irq/debug.h print_irq_desc; x86 ack_bad_irq).
#include "kernel/irq/handle_event.h"
#include "kernel/jiffies.h"
#include "kernel/printk.h"

namespace {

// A rate limit with its own interval and burst (printk.h's __ratelimit is fixed at 5 s / 10), reset by
// early_irq_init so host tests start from a clean slate. Like Linux ___ratelimit, the first call of a
// new interval reports what the last one swallowed ("<func>: N callbacks suppressed", KERN_WARNING,
// named after the caller as Linux's __func__ does). Callers hold no lock; races only blur the count.
struct LocalRatelimit {
    unsigned long begin = 0;
    int printed = 0;
    int missed = 0;
    bool started = false;
    bool allow(const char* func, unsigned long interval, int burst) {
        unsigned long now = jiffies;
        if (!started || time_after(now, begin + interval)) {
            if (missed) printk(KERN_WARNING "%s: %d callbacks suppressed\n", func, missed);
            started = true;
            begin = now;
            printed = 0;
            missed = 0;
        }
        if (printed < burst) {
            printed++;
            return true;
        }
        missed++;
        return false;
    }
};

constexpr unsigned long PRINT_IRQ_DESC_INTERVAL_S = 5;
constexpr int PRINT_IRQ_DESC_BURST = 5;  // debug.h DEFINE_RATELIMIT_STATE(5*HZ, 5)
constexpr unsigned long ACK_BAD_IRQ_INTERVAL_S = 5;
constexpr int ACK_BAD_IRQ_BURST = 10;  // printk_ratelimit() defaults
LocalRatelimit print_irq_desc_rs;
LocalRatelimit ack_bad_irq_rs;

}  // namespace

void irq_handle_reset() {
    print_irq_desc_rs = LocalRatelimit{};
    ack_bad_irq_rs = LocalRatelimit{};
}

// Any context. Lists what is set, like Linux's ___P/___PS macros.
void print_irq_desc(unsigned irq, irq_desc* desc) {
    if (!print_irq_desc_rs.allow(__func__, PRINT_IRQ_DESC_INTERVAL_S * HZ, PRINT_IRQ_DESC_BURST)) return;
    printk("irq %d, desc: %p, depth: %d, count: %d, unhandled: %d\n", (int)irq, (void*)desc, (int)desc->depth,
           (int)racy_read(desc->irq_count), (int)racy_read(desc->irqs_unhandled));
    printk("->handle_irq():  %p, %pS\n", (void*)desc->handle_irq, (void*)desc->handle_irq);
    printk("->irq_data.chip(): %p, %pS\n", (void*)desc->irq_data.chip, (void*)desc->irq_data.chip);
    printk("->action(): %p\n", (void*)desc->action);
    if (desc->action)
        printk("->action->handler(): %p, %pS\n", (void*)desc->action->handler, (void*)desc->action->handler);
    static const struct {
        unsigned bit;
        const char* name;
    } settings[] = {
        {IRQ_LEVEL, "IRQ_LEVEL"},         {IRQ_PER_CPU, "IRQ_PER_CPU"},   {IRQ_NOPROBE, "IRQ_NOPROBE"},
        {IRQ_NOREQUEST, "IRQ_NOREQUEST"}, {IRQ_NOTHREAD, "IRQ_NOTHREAD"}, {IRQ_NOAUTOEN, "IRQ_NOAUTOEN"},
    };
    static const struct {
        unsigned bit;
        const char* name;
    } istates[] = {
        {IRQS_AUTODETECT, "IRQS_AUTODETECT"},
        {IRQS_REPLAY, "IRQS_REPLAY"},
        {IRQS_WAITING, "IRQS_WAITING"},
        {IRQS_PENDING, "IRQS_PENDING"},
    };
    for (const auto& s : settings)
        if (desc->status_use_accessors & s.bit) printk("%14s set\n", s.name);
    for (const auto& s : istates)
        if (irqs_has(desc, s.bit)) printk("%14s set\n", s.name);
}

// Hard-IRQ context. Linux x86 prints the IRQ number under the word "vector" (historic); kept verbatim.
void ack_bad_irq(unsigned irq) {
    if (ack_bad_irq_rs.allow(__func__, ACK_BAD_IRQ_INTERVAL_S * HZ, ACK_BAD_IRQ_BURST))
        pr_err("unexpected IRQ trap at vector %02x\n", irq);
    if (arch_ack_bad_irq) arch_ack_bad_irq(irq);
}

// The flow of a line nobody wired (or whose flow was uninstalled): describe it, count it, acknowledge.
// Hard-IRQ context, interrupts off; takes no lock (like Linux: the descriptor has no owner).
void handle_bad_irq(irq_desc* desc) {
    unsigned irq = irq_desc_get_irq(desc);
    print_irq_desc(irq, desc);
    kstat_incr_irqs_this_cpu(desc);
    ack_bad_irq(irq);
}

// Linux warn_no_thread: a handler asked for a thread that does not exist (irqos has no threaded
// handlers yet, so any IRQ_WAKE_THREAD lands here). Said once per action. Hard-IRQ context.
void warn_no_thread(unsigned irq, irqaction* action) {
    if (__atomic_fetch_or(&action->thread_flags, IRQTF_WARNED, __ATOMIC_RELAXED) & IRQTF_WARNED) return;
    printk(KERN_WARNING "IRQ %d device %s returned IRQ_WAKE_THREAD but no thread function available.", (int)irq,
           action->name);
}

irqreturn_t handle_irq_event_percpu(irq_desc* desc) { return __handle_irq_event_percpu(desc); }
