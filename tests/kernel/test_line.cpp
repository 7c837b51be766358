// In-kernel tests on a test line: IRQ KT_IRQ on a chip of our own, reached through a real vector
// (INT n -> stub -> common_interrupt -> do_IRQ -> vector_irq -> flow). They check what host tests can
// only simulate: lazy disable with software resend drained on the real enable path (edge replays once,
// level does not), and note_interrupt's "nobody cared" on a line that really fires, with the window
// shrunk through the tunables and restored afterwards.
#include "tests/kernel/ktest.h"
#include "arch/x86/ktest_helpers.h"
#include "arch/x86/vector.h"
#include "kernel/irq/interrupt.h"
#include "kernel/printk.h"

namespace {

constexpr unsigned KT_IRQ = 100;                            // no device uses it
constexpr unsigned KT_VECTOR = 0x64;                        // nor this vector
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
    if (irq == (int)KT_IRQ && dev_id == &dev) calls++;
    return answer;
}

// Wire the test line; returns false (and the test fails) if the line is not free.
bool line_up(irq_flow_handler_t flow, const char* flow_name, bool level) {
    if (vector_irq_get(0, KT_VECTOR) != VECTOR_UNUSED || irq_to_desc(KT_IRQ)->action) {
        ktest_fail(__FILE__, __LINE__, "test line %u / vector 0x%x already in use", KT_IRQ, KT_VECTOR);
        return false;
    }
    chip.acks = chip.masks = chip.unmasks = 0;
    calls = 0;
    answer = IRQ_HANDLED;
    irq_set_chip_and_handler_name(KT_IRQ, &chip, flow, flow_name);
    irq_modify_status(KT_IRQ, IRQ_LEVEL, level ? (unsigned)IRQ_LEVEL : 0u);
    vector_irq_set(0, KT_VECTOR, (int)KT_IRQ);
    int ret = request_irq(KT_IRQ, kt_line_handler, 0, "ktest-line", &dev);
    KEXPECT_EQ(ret, 0);
    return ret == 0;
}

// Linux 6.12 keeps IRQS_PENDING across free_irq, and __setup_irq does not clear it, so an edge that
// arrived while a line was disabled is replayed to the *next* owner (see the test below). Each test here
// starts its line clean, so that results do not depend on the order the tests run in.
void line_down() {
    if (irq_to_desc(KT_IRQ)->action) free_irq(KT_IRQ, &dev);
    irq_to_desc(KT_IRQ)->istate &= ~IRQS_PENDING;
    vector_irq_set(0, KT_VECTOR, VECTOR_UNUSED);
    irq_set_chip_and_handler_name(KT_IRQ, nullptr, nullptr, nullptr);  // back to no_irq_chip, handle_bad_irq
    irq_modify_status(KT_IRQ, IRQ_LEVEL, 0);
}

void fire() { arch_raise_vector(KT_VECTOR); }

}  // namespace

KTEST(line, edge_interrupt_reaches_the_handler_through_its_vector) {
    if (!line_up(handle_edge_irq, "edge", false)) return;
    unsigned before = kstat_irqs(KT_IRQ);
    fire();
    fire();
    KEXPECT_EQ(calls, 2u);
    KEXPECT_EQ(kstat_irqs(KT_IRQ), before + 2);
    KEXPECT_EQ(chip.acks, 2u);
    line_down();
}

KTEST(line, lazy_disable_marks_pending_and_enable_replays_an_edge_once) {
    if (!line_up(handle_edge_irq, "edge", false)) return;
    irq_desc* d = irq_to_desc(KT_IRQ);
    disable_irq(KT_IRQ);
    KEXPECT_EQ(chip.masks, 0u);  // lazy: the hardware stays live
    KEXPECT_FALSE(irqd_irq_masked(&d->irq_data));
    fire();
    KEXPECT_EQ(calls, 0u);                        // not run while disabled ...
    KEXPECT_TRUE(d->istate & IRQS_PENDING);       // ... but remembered
    KEXPECT_TRUE(irqd_irq_masked(&d->irq_data));  // and now masked (mask_ack on the first hit)
    enable_irq(KT_IRQ);                           // replays in software, with interrupts on: runs now
    KEXPECT_EQ(calls, 1u);
    KEXPECT_FALSE(d->istate & IRQS_PENDING);
    KEXPECT_FALSE(irqd_irq_masked(&d->irq_data));
    fire();
    KEXPECT_EQ(calls, 2u);  // and the line works normally again
    line_down();
}

KTEST(line, lazy_disable_does_not_replay_a_level_interrupt) {
    if (!line_up(handle_level_irq, "level", true)) return;
    irq_desc* d = irq_to_desc(KT_IRQ);
    disable_irq(KT_IRQ);
    fire();
    KEXPECT_EQ(calls, 0u);
    enable_irq(KT_IRQ);  // a level source would still be asserting: no replay
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
    irq_desc* d = irq_to_desc(KT_IRQ);
    const char* report = "irq 100: nobody cared (try booting with the \"irqpoll\" option)";

    // First window: exactly SMALL_THRESHOLD unhandled of SMALL_WINDOW. Not more than the threshold.
    answer = IRQ_NONE;
    for (unsigned i = 0; i < SMALL_THRESHOLD; i++) fire();
    answer = IRQ_HANDLED;
    for (unsigned i = SMALL_THRESHOLD; i < SMALL_WINDOW; i++) fire();
    KEXPECT_EQ(calls, SMALL_WINDOW);
    KEXPECT_FALSE(irqd_irq_disabled(&d->irq_data));  // threshold reached, not exceeded
    KEXPECT_EQ(ktest_log_count(report), 0u);
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
    KEXPECT_EQ(ktest_log_count(report), 1u);
    KEXPECT_TRUE(ktest_log_contains("handlers:\n"));
    KEXPECT_TRUE(ktest_log_contains("kt_line_handler"));
    KEXPECT_TRUE(ktest_log_contains("Disabling IRQ #100\n"));
    fire();
    KEXPECT_EQ(calls, 2 * SMALL_WINDOW);  // disabled: the handler no longer runs

    spurious_window = saved_window;
    spurious_threshold = saved_threshold;
    noirqdebug = saved_noirqdebug;
    line_down();
}

KTEST(line, a_pending_edge_outlives_free_irq_and_reaches_the_next_owner) {
    if (!line_up(handle_edge_irq, "edge", false)) return;
    disable_irq(KT_IRQ);
    fire();  // latched while disabled: PENDING
    free_irq(KT_IRQ, &dev);
    KEXPECT_TRUE(irq_to_desc(KT_IRQ)->istate & IRQS_PENDING);
    calls = 0;
    KEXPECT_EQ(request_irq(KT_IRQ, kt_line_handler, 0, "ktest-line", &dev), 0);
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
    KEXPECT_FALSE(irqd_irq_disabled(&irq_to_desc(KT_IRQ)->irq_data));
    spurious_window = saved_window;
    spurious_threshold = saved_threshold;
    line_down();
}

KTEST(line, request_on_an_unwired_line_is_enosys_and_free_of_a_free_line_warns) {
    KEXPECT_EQ(request_irq(KT_IRQ + 1, kt_line_handler, 0, "nochip", &dev), -ENOSYS);
    unsigned long warns = warn_count;
    KEXPECT_TRUE(free_irq(KT_IRQ + 1, &dev) == nullptr);
    KEXPECT_EQ(warn_count, warns + 1);
    KEXPECT_TRUE(ktest_log_contains("Trying to free already-free IRQ 101"));
}
