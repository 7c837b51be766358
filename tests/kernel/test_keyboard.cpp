// In-kernel tests with real keyboard interrupts: scancodes injected through the i8042 controller
// (command 0xD2) raise IRQ1 exactly once each and their characters reach the tty; disable_irq on the
// XT-PIC line (which masks at once, not lazily) holds a byte back until enable_irq, which then delivers it
// exactly once; a spurious IRQ7 provoked on the emulated 8259 (where the model allows it).
#include "tests/kernel/ktest.h"
#include "tests/kernel/kt_hw.h"
#include "drivers/keyboard/i8042.h"
#include "drivers/pic/legacy_pic.h"
#include "kernel/jiffies.h"
#include "kernel/irq/interrupt.h"
#include "kernel/tty.h"

namespace {

constexpr unsigned KBD_IRQ = 1;
constexpr uint64_t IRQ_WAIT_US = 500000;     // an injected byte arrives within microseconds; be generous
constexpr uint64_t QUIET_US = 20000;         // "nothing more arrives" window
// Scancode set 1: make and break codes of 'a', 'b', 'c' (break = make | 0x80).
constexpr uint8_t SC_A = 0x1E, SC_B = 0x30, SC_C = 0x2E, SC_BREAK = 0x80;

struct CountAtLeast {
    unsigned irq, target;
};
bool count_reached(void* p) {
    auto* c = static_cast<CountAtLeast*>(p);
    return kstat_irqs(c->irq) >= c->target;
}

bool jiffies_reached(void* target) { return time_after_eq(READ_ONCE(jiffies), *static_cast<unsigned long*>(target)); }

// Drop whatever input is queued (typed keys, earlier tests) so the test sees only its own characters.
void drain_tty() {
    while (tty_read_char(false) >= 0) {
    }
}

// Inject one byte and wait until IRQ1 has been handled once more. False on timeout.
bool inject_and_wait(uint8_t sc) {
    CountAtLeast c{KBD_IRQ, kstat_irqs(KBD_IRQ) + 1};
    if (i8042_inject_scancode(sc) != 0)
        return false;
    return kt_wait_us(count_reached, &c, IRQ_WAIT_US);
}

}  // namespace

KTEST(keyboard, each_injected_scancode_is_one_irq1_and_chars_reach_the_tty) {
    drain_tty();
    unsigned irq_before = kstat_irqs(KBD_IRQ);
    unsigned long sc_before = i8042_scancode_count();
    const uint8_t codes[] = {SC_A, SC_A | SC_BREAK, SC_B, SC_B | SC_BREAK, SC_C, SC_C | SC_BREAK};
    for (uint8_t sc : codes)
        KASSERT(inject_and_wait(sc));
    kt_settle_us(QUIET_US);
    KEXPECT_EQ(kstat_irqs(KBD_IRQ) - irq_before, (unsigned)sizeof(codes));
    KEXPECT_EQ(i8042_scancode_count() - sc_before, (unsigned long)sizeof(codes));
    KEXPECT_EQ(tty_read_char(false), 'a');
    KEXPECT_EQ(tty_read_char(false), 'b');
    KEXPECT_EQ(tty_read_char(false), 'c');
    KEXPECT_EQ(tty_read_char(false), -EAGAIN);   // break codes produce no characters
}

KTEST(keyboard, disable_irq_holds_a_key_until_enable_irq_then_delivers_it_once) {
    drain_tty();
    irq_desc* d = irq_to_desc(KBD_IRQ);
    unsigned before = kstat_irqs(KBD_IRQ);
    disable_irq(KBD_IRQ);
    KEXPECT_TRUE(irqd_irq_disabled(&d->irq_data));
    KEXPECT_TRUE(irqd_irq_masked(&d->irq_data));   // XT-PIC disable masks at once (not lazy)
    KASSERT_EQ(i8042_inject_scancode(SC_B), 0);
    kt_settle_us(QUIET_US);
    KEXPECT_EQ(kstat_irqs(KBD_IRQ), before);        // held back by the mask ...
    KEXPECT_TRUE(kt_i8042_output_full());           // ... while the byte waits in the controller
    KEXPECT_EQ(tty_read_char(false), -EAGAIN);
    enable_irq(KBD_IRQ);
    CountAtLeast c{KBD_IRQ, before + 1};
    KEXPECT_TRUE(kt_wait_us(count_reached, &c, IRQ_WAIT_US));
    kt_settle_us(QUIET_US);
    KEXPECT_EQ(kstat_irqs(KBD_IRQ), before + 1);    // exactly once
    KEXPECT_EQ(tty_read_char(false), 'b');
    KEXPECT_EQ(tty_read_char(false), -EAGAIN);
    KASSERT(inject_and_wait(SC_B | SC_BREAK));      // release the key again
    KEXPECT_EQ(d->depth, 0u);
}

KTEST(keyboard, second_non_matching_request_on_irq1_gets_ebusy_or_shares) {
    static int dev;
    irq_desc* d = irq_to_desc(KBD_IRQ);
    KASSERT(d->action);
    bool driver_shares = d->action->flags & IRQF_SHARED;
    auto none = [](int, void*) -> irqreturn_t { return IRQ_NONE; };
    int ret = request_irq(KBD_IRQ, none, IRQF_SHARED, "ktest-share", &dev);
    if (!driver_shares) {
        // Linux: both sharers need IRQF_SHARED; the mismatch is reported with both flag words.
        KEXPECT_EQ(ret, -EBUSY);
        KEXPECT_TRUE(ktest_log_contains("Flags mismatch irq 1. 00000080 (ktest-share) vs. "));
        KEXPECT_TRUE(d->action->next == nullptr);
    } else {
        KEXPECT_EQ(ret, 0);
        KASSERT(inject_and_wait(SC_A | SC_BREAK));  // both actions ran; the i8042 one handled it
        KEXPECT_TRUE(free_irq(KBD_IRQ, &dev) != nullptr);
    }
}

// A spurious IRQ7 as the 8259A datasheet describes it: the request that made the PIC raise INTR is gone
// when the CPU acknowledges. With interrupts off, let the controller raise IRQ1 (IRR bit 1 set, INTR
// asserted), take the byte so the keyboard drops IRQ1, then enable interrupts: the INTA finds IRR empty
// and the 8259 answers with IRQ7. That needs a PIC model that clears IRR when an edge line drops (Bochs
// does); QEMU's keeps the edge latched and delivers IRQ1 instead - observed through the IRR, the test is
// then skipped, never counted as passed. Done right after a timer tick, so that IRQ0 is not pending too
// (any pending request would be acknowledged instead).
KTEST(pic, provoked_spurious_irq7_is_counted_not_dispatched) {
    constexpr unsigned ATTEMPTS = 5;
    constexpr uint64_t RAISE_US = 800;   // Bochs's keyboard raises IRQ1 from a 250 us timer; a tick is 1000 us
    for (unsigned attempt = 0; attempt < ATTEMPTS; attempt++) {
        unsigned long tick = READ_ONCE(jiffies) + 1;
        KASSERT(ktest_wait_jiffies(jiffies_reached, &tick, 1000));
        unsigned long err = READ_ONCE(irq_err_count);
        unsigned irq7 = kstat_irqs(7), irq1 = kstat_irqs(KBD_IRQ);
        local_irq_disable();
        bool injected = kt_i8042_inject(SC_C | SC_BREAK);
        uint64_t start = kt_now();
        while (!legacy_pic->irq_pending(KBD_IRQ) && kt_elapsed_us(start) < RAISE_US)
            arch::cpu_relax();
        bool raised = legacy_pic->irq_pending(KBD_IRQ);
        (void)kt_i8042_read_data();
        bool latched = legacy_pic->irq_pending(KBD_IRQ);    // still requested after the line dropped?
        bool timer_pending = legacy_pic->irq_pending(0);
        local_irq_enable();
        kt_settle_us(QUIET_US);
        KASSERT(injected);
        KASSERT(raised);
        if (latched) {
            KEXPECT_EQ(READ_ONCE(irq_err_count), err);
            KSKIP("this 8259 model keeps an edge latched in IRR after the line drops (QEMU): no spurious IRQ7");
        }
        if (timer_pending)
            continue;   // the next tick came too early: IRQ0 was acknowledged instead; try again
        KEXPECT_EQ(READ_ONCE(irq_err_count), err + 1);
        KEXPECT_EQ(kstat_irqs(7), irq7);           // not dispatched
        KEXPECT_EQ(kstat_irqs(KBD_IRQ), irq1);     // and the vanished request did not reach IRQ1 either
        return;
    }
    ktest_fail(__FILE__, __LINE__, "IRQ0 was pending in every one of %u attempts", ATTEMPTS);
}
