// In-kernel tests of the lazy-disable scenario (kernel/scenario/lazy.cpp) on real emulated lines: the
// keyboard's edge line (IRQ 1, scancodes injected through the i8042) on both emulators and the edu
// device's level line on QEMU, each on XT-PIC-lazy and on Linux's XT-PIC, with exact counts; and that the
// scenario puts back the chip, IRQ_DISABLE_UNLAZY, IRQ_NOPROBE and the depth it found.
#include "tests/kernel/ktest.h"
#include "tests/kernel/kt_hw.h"
#include "drivers/misc/edu.h"
#include "drivers/pic/i8259.h"
#include "kernel/irq/internals.h"
#include "kernel/scenario/lazy.h"

namespace {

constexpr unsigned KBD_IRQ = 1;

struct LineSnapshot {
    IrqChip* chip;
    irq_flow_handler_t flow;
    unsigned depth, settings, state, istate;
};

LineSnapshot snap(unsigned irq) {
    irq_desc* d = irq_to_desc(irq);
    return {d->irq_data.chip, d->handle_irq, d->depth, irq_settings_get(d), irqd_state(&d->irq_data), irqs_state(d)};
}

bool same(const LineSnapshot& a, const LineSnapshot& b) {
    return a.chip == b.chip && a.flow == b.flow && a.depth == b.depth && a.settings == b.settings &&
           a.state == b.state && a.istate == b.istate;
}

// The figures of one case, as Linux's core gives them.
void expect_case(const lazy_case_result& c, unsigned irq, bool level, bool lazy) {
    KEXPECT_EQ(c.irq, irq);
    KEXPECT_EQ(c.level, level);
    KEXPECT_EQ(c.lazy, lazy);
    KEXPECT_EQ(c.masked_by_disable, !lazy);  // XT-PIC: irq_disable = mask; lazy: still open
    KEXPECT_EQ(c.calls_while_disabled, 0ul);
    KEXPECT_TRUE(c.masked_after_irq);
    KEXPECT_EQ(c.pending_after_irq, lazy);        // only a taken interrupt can be PENDING
    KEXPECT_EQ(c.irr_after_irq, !lazy || level);  // XT-PIC: waits in the IRR; lazy edge: consumed by INTA
    KEXPECT_EQ(c.calls_after_enable, 1ul);        // exactly once: resend (edge) or re-assertion (level)
    KEXPECT_EQ(c.kstat_delta, 1u);                // 6.12 does not count the one that found the line disabled
    KEXPECT_FALSE(c.pending_after_enable);
    KEXPECT_TRUE(c.as_expected);
}

}  // namespace

KTEST(lazy, keyboard_edge_line_lazy_replays_by_resend_xt_pic_waits_in_the_irr) {
    KT_SKIP_IN_APIC_MODE();
    LineSnapshot before = snap(KBD_IRQ);
    static lazy_result r;
    KEXPECT_EQ(lazy_scenario_run(LAZY_EDGE, false, &r), 0);  // -EIO: a case below differs
    KASSERT_EQ(r.n, 2u);
    expect_case(r.cases[0], KBD_IRQ, false, true);
    expect_case(r.cases[1], KBD_IRQ, false, false);
    KEXPECT_TRUE(same(snap(KBD_IRQ), before));
}

KTEST(lazy, edu_level_line_lazy_replays_by_reassertion_xt_pic_waits_in_the_irr) {
    KT_SKIP_IN_APIC_MODE();
    if (edu_count() == 0) {
        KASSERT(kt_running_on_bochs());  // QEMU runs get -device edu: the level case must run there
        KSKIP("no edu device on Bochs: the level line is QEMU's");
    }
    unsigned irq = edu_irq(edu_get(0));
    LineSnapshot before = snap(irq);
    edu_stats s0 = edu_get_stats(edu_get(0));
    static lazy_result r;
    KEXPECT_EQ(lazy_scenario_run(LAZY_LEVEL, false, &r), 0);
    KASSERT_EQ(r.n, 2u);
    expect_case(r.cases[0], irq, true, true);
    expect_case(r.cases[1], irq, true, false);
    edu_stats s1 = edu_get_stats(edu_get(0));
    KEXPECT_EQ(s1.raised - s0.raised, 2ul);
    KEXPECT_EQ(s1.handled - s0.handled, 2ul);  // each raise handled once, acknowledged at the device
    KEXPECT_EQ(s1.not_mine - s0.not_mine, 0ul);
    KEXPECT_EQ(edu_irq_status(edu_get(0)), 0u);
    KEXPECT_TRUE(same(snap(irq), before));
}

KTEST(lazy, puts_back_a_lazy_chip_and_unlazy_flag_it_found) {
    KT_SKIP_IN_APIC_MODE();
    LineSnapshot xt = snap(KBD_IRQ);
    KASSERT_EQ(i8259_set_lazy(KBD_IRQ, true), 0);
    irq_set_status_flags(KBD_IRQ, IRQ_DISABLE_UNLAZY);
    LineSnapshot before = snap(KBD_IRQ);
    static lazy_result r;
    int err = lazy_scenario_run(LAZY_EDGE, false, &r);
    KEXPECT_EQ(err, 0);  // UNLAZY is lifted for the run, so the lazy case is still lazy
    KEXPECT_TRUE(r.n == 2 && r.cases[0].as_expected && r.cases[1].as_expected);
    KEXPECT_TRUE(same(snap(KBD_IRQ), before));
    KEXPECT_TRUE(i8259_is_lazy(KBD_IRQ));
    irq_clear_status_flags(KBD_IRQ, IRQ_DISABLE_UNLAZY);
    KEXPECT_EQ(i8259_set_lazy(KBD_IRQ, false), 0);
    KEXPECT_TRUE(same(snap(KBD_IRQ), xt));
}

KTEST(lazy, refuses_a_line_already_disabled_and_changes_nothing) {
    KT_SKIP_IN_APIC_MODE();
    bool noprobe = irq_settings_has(irq_to_desc(KBD_IRQ), IRQ_NOPROBE);
    disable_irq(KBD_IRQ);
    LineSnapshot before = snap(KBD_IRQ);
    static lazy_result r;
    KEXPECT_EQ(lazy_scenario_run(LAZY_EDGE, false, &r), -EBUSY);
    KEXPECT_EQ(r.n, 0u);
    KEXPECT_TRUE(same(snap(KBD_IRQ), before));
    enable_irq(KBD_IRQ);
    KEXPECT_EQ(irq_to_desc(KBD_IRQ)->depth, 0u);
    if (!noprobe) irq_clear_status_flags(KBD_IRQ, IRQ_NOPROBE);  // enable_irq sets it, as Linux's __enable_irq
}
