// In-kernel tests on a test line: an IRQ from irq_alloc_descs on a chip of our own, reached through a real
// vector from the vector allocator
// (INT n -> stub -> common_interrupt -> do_IRQ -> vector_irq -> flow). They check what host tests can
// only simulate: lazy disable with the software resend run by the resend tasklet at a real interrupt's
// exit (edge replays once, level does not), and note_interrupt's "nobody cared" on a line that really fires, with the window
// shrunk through the tunables and restored afterwards.
#include "tests/kernel/ktest.h"
#include "tests/kernel/kt_hw.h"
#include "arch/x86/ktest_helpers.h"
#include "arch/x86/vector.h"
#include "kernel/irq/interrupt.h"
#include "kernel/printk.h"
#include "lib/vsprintf.h"

namespace {

unsigned kt_irq;     // the test line: an IRQ number nobody else holds (irq_alloc_descs)
unsigned kt_vector;  // and its vector on this CPU, from the allocator
unsigned kt_cpu;
constexpr unsigned long REPLAY_WAIT_JIFFIES = 10;           // the resend tasklet runs at the next tick: one is enough
constexpr unsigned SMALL_WINDOW = 10, SMALL_THRESHOLD = 5;  // nobody-cared after 10 interrupts, >5 unhandled

// A chip with ack/mask/unmask only: no irq_disable, so disable_irq is lazy (Linux's IO-APIC shape), and
// retrigger cannot re-raise, so a pending edge is replayed in software.
class KtestChip final : public IrqChip {
public:
    constexpr KtestChip() : IrqChip("ktest", IRQCHIP_OP_ACK | IRQCHIP_OP_MASK | IRQCHIP_OP_UNMASK) {}
    void irq_ack(irq_data*) override { acks++; }
    void irq_mask(irq_data*) override { masks++; }
    void irq_unmask(irq_data*) override { unmasks++; }
    unsigned acks = 0, masks = 0, unmasks = 0;
};
KtestChip chip;

unsigned calls;
irqreturn_t answer = IRQ_HANDLED;
int dev;

irqreturn_t kt_line_handler(int irq, void* dev_id) {
    if (irq == (int)kt_irq && dev_id == &dev) calls++;
    return answer;
}

// Wire the test line; returns false (and the test fails) if no IRQ number or vector is free.
bool line_up(irq_flow_handler_t flow, const char* flow_name, bool level) {
    int irq = irq_alloc_descs(-1, NR_IRQS_LEGACY, 1);
    if (irq < 0) {
        ktest_fail(__FILE__, __LINE__, "no free IRQ number for the test line: %d", irq);
        return false;
    }
    int vector = kt_vector_alloc(&kt_cpu);
    if (vector < 0) {
        irq_free_descs(unsigned(irq), 1);
        ktest_fail(__FILE__, __LINE__, "no free vector for the test line: %d", vector);
        return false;
    }
    kt_irq = unsigned(irq);
    kt_vector = unsigned(vector);
    chip.acks = chip.masks = chip.unmasks = 0;
    calls = 0;
    answer = IRQ_HANDLED;
    irq_set_chip_and_handler_name(kt_irq, &chip, flow, flow_name);
    irq_modify_status(kt_irq, IRQ_LEVEL, level ? (unsigned)IRQ_LEVEL : 0u);
    vector_irq_set(kt_cpu, kt_vector, (int)kt_irq);
    int ret = request_irq(kt_irq, kt_line_handler, 0, "ktest-line", &dev);
    KEXPECT_EQ(ret, 0);
    return ret == 0;
}

// Linux 6.12 keeps IRQS_PENDING across free_irq, and __setup_irq does not clear it, so an edge that
// arrived while a line was disabled is replayed to the *next* owner (see the test below). Each test here
// starts from a fresh descriptor (irq_free_descs resets it), so that results do not depend on the order
// the tests run in.
void line_down() {
    if (irq_to_desc(kt_irq)->action) free_irq(kt_irq, &dev);
    kt_vector_free(kt_cpu, kt_vector);
    irq_free_descs(kt_irq, 1);
}

void fire() { arch_raise_vector(kt_vector); }

bool called_once(void*) { return READ_ONCE(calls) >= 1; }

}  // namespace

KTEST(line, edge_interrupt_reaches_the_handler_through_its_vector) {
    if (!line_up(handle_edge_irq, "edge", false)) return;
    unsigned before = kstat_irqs(kt_irq);
    fire();
    fire();
    KEXPECT_EQ(calls, 2u);
    KEXPECT_EQ(kstat_irqs(kt_irq), before + 2);
    KEXPECT_EQ(chip.acks, 2u);
    line_down();
}

KTEST(line, lazy_disable_marks_pending_and_enable_replays_an_edge_once) {
    if (!line_up(handle_edge_irq, "edge", false)) return;
    irq_desc* d = irq_to_desc(kt_irq);
    disable_irq(kt_irq);
    KEXPECT_EQ(chip.masks, 0u);  // lazy: the hardware stays live
    KEXPECT_FALSE(irqd_irq_masked(&d->irq_data));
    fire();
    KEXPECT_EQ(calls, 0u);                        // not run while disabled ...
    KEXPECT_TRUE(d->istate & IRQS_PENDING);       // ... but remembered
    KEXPECT_TRUE(irqd_irq_masked(&d->irq_data));  // and now masked (mask_ack on the first hit)
    enable_irq(kt_irq);  // queues the replay for the resend tasklet (no ksoftirqd yet: a tick's irq_exit runs it)
    KEXPECT_TRUE(ktest_wait_jiffies(called_once, nullptr, REPLAY_WAIT_JIFFIES));
    KEXPECT_EQ(calls, 1u);
    KEXPECT_FALSE(d->istate & IRQS_PENDING);
    KEXPECT_FALSE(irqd_irq_masked(&d->irq_data));
    fire();
    KEXPECT_EQ(calls, 2u);  // and the line works normally again
    line_down();
}

KTEST(line, lazy_disable_does_not_replay_a_level_interrupt) {
    if (!line_up(handle_level_irq, "level", true)) return;
    irq_desc* d = irq_to_desc(kt_irq);
    disable_irq(kt_irq);
    fire();
    KEXPECT_EQ(calls, 0u);
    enable_irq(kt_irq);  // a level source would still be asserting: no replay
    KEXPECT_EQ(calls, 0u);
    KEXPECT_FALSE(d->istate & IRQS_PENDING);
    fire();
    KEXPECT_EQ(calls, 1u);
    line_down();
}

// The window closes after spurious_window interrupts; the line is shut down only if MORE than
// spurious_threshold of them were unhandled (Linux compares with >): exactly the threshold is tolerated.
KTEST(line, nobody_cared_disables_a_line_that_keeps_firing_unhandled) {
    if (!line_up(handle_edge_irq, "edge", false)) return;
    unsigned saved_window = spurious_window, saved_threshold = spurious_threshold;
    bool saved_noirqdebug = noirqdebug;
    spurious_window = SMALL_WINDOW;
    spurious_threshold = SMALL_THRESHOLD;
    noirqdebug = false;
    irq_desc* d = irq_to_desc(kt_irq);
    char report[80], disabling[32];
    snprintf(report, sizeof(report), "irq %u: nobody cared (try booting with the \"irqpoll\" option)", kt_irq);
    snprintf(disabling, sizeof(disabling), "Disabling IRQ #%u\n", kt_irq);
    unsigned long mark = ktest_log_mark();  // the IRQ number may have been another line's earlier

    // First window: exactly SMALL_THRESHOLD unhandled of SMALL_WINDOW. Not more than the threshold.
    answer = IRQ_NONE;
    for (unsigned i = 0; i < SMALL_THRESHOLD; i++) fire();
    answer = IRQ_HANDLED;
    for (unsigned i = SMALL_THRESHOLD; i < SMALL_WINDOW; i++) fire();
    KEXPECT_EQ(calls, SMALL_WINDOW);
    KEXPECT_FALSE(irqd_irq_disabled(&d->irq_data));  // threshold reached, not exceeded
    KEXPECT_EQ(ktest_log_count_since(mark, report), 0u);
    KEXPECT_EQ(d->irq_count, 0u);  // the window closed and starts afresh

    // Second window: one more unhandled. The window's last interrupt shuts the line down.
    answer = IRQ_NONE;
    for (unsigned i = 0; i < SMALL_THRESHOLD + 1; i++) fire();
    answer = IRQ_HANDLED;
    for (unsigned i = SMALL_THRESHOLD + 1; i < SMALL_WINDOW - 1; i++) fire();
    KEXPECT_FALSE(irqd_irq_disabled(&d->irq_data));  // one short of the window: still enabled
    fire();                                          // the window's last: 6 > 5 unhandled
    KEXPECT_EQ(calls, 2 * SMALL_WINDOW);
    KEXPECT_TRUE(irqd_irq_disabled(&d->irq_data));
    KEXPECT_TRUE(d->istate & IRQS_SPURIOUS_DISABLED);
    KEXPECT_EQ(d->depth, 1u);
    KEXPECT_EQ(ktest_log_count_since(mark, report), 1u);
    KEXPECT_EQ(ktest_log_count_since(mark, "handlers:\n"), 1u);
    KEXPECT_EQ(ktest_log_count_since(mark, "kt_line_handler"), 1u);
    KEXPECT_EQ(ktest_log_count_since(mark, disabling), 1u);
    fire();
    KEXPECT_EQ(calls, 2 * SMALL_WINDOW);  // disabled: the handler no longer runs

    spurious_window = saved_window;
    spurious_threshold = saved_threshold;
    noirqdebug = saved_noirqdebug;
    line_down();
}

KTEST(line, a_pending_edge_outlives_free_irq_and_reaches_the_next_owner) {
    if (!line_up(handle_edge_irq, "edge", false)) return;
    disable_irq(kt_irq);
    fire();  // latched while disabled: PENDING
    free_irq(kt_irq, &dev);
    KEXPECT_TRUE(irq_to_desc(kt_irq)->istate & IRQS_PENDING);
    calls = 0;
    KEXPECT_EQ(request_irq(kt_irq, kt_line_handler, 0, "ktest-line", &dev), 0);
    fire();                 // irq_exit drains the replay queued by the start-up
    KEXPECT_EQ(calls, 2u);  // the stale edge, then the real one
    line_down();
}

KTEST(line, handled_interrupts_never_trip_the_detector) {
    if (!line_up(handle_edge_irq, "edge", false)) return;
    unsigned saved_window = spurious_window, saved_threshold = spurious_threshold;
    spurious_window = SMALL_WINDOW;
    spurious_threshold = SMALL_THRESHOLD;
    for (unsigned i = 0; i < 3 * SMALL_WINDOW; i++) fire();
    KEXPECT_EQ(calls, 3 * SMALL_WINDOW);
    KEXPECT_FALSE(irqd_irq_disabled(&irq_to_desc(kt_irq)->irq_data));
    spurious_window = saved_window;
    spurious_threshold = saved_threshold;
    line_down();
}

KTEST(line, request_on_an_unwired_line_is_enosys_and_free_of_a_free_line_warns) {
    int irq = irq_alloc_descs(-1, NR_IRQS_LEGACY, 1);  // a descriptor with no chip
    KASSERT(irq > 0);
    KEXPECT_EQ(request_irq(unsigned(irq), kt_line_handler, 0, "nochip", &dev), -ENOSYS);
    unsigned long warns = warn_count;
    KEXPECT_TRUE(free_irq(unsigned(irq), &dev) == nullptr);
    KEXPECT_EQ(warn_count, warns + 1);
    char text[64];
    snprintf(text, sizeof(text), "Trying to free already-free IRQ %d", irq);
    KEXPECT_TRUE(ktest_log_contains(text));
    irq_free_descs(unsigned(irq), 1);
}
