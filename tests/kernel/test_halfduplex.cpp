// In-kernel tests of the half-duplex echo on COM2 (drivers/serial/halfduplex.h): what the UART and the
// 8259 do in loopback mode on this emulator, and the echo table's exact figures, derived below from the
// mechanism (lazy disable, IRQS_PENDING and its software replay, the IRR latch) for each emulator.
// Each test opens and closes the bus itself and leaves IRQ 3 free and its chip flavour as found.
#include "drivers/pic/i8259.h"
#include "drivers/serial/com2.h"
#include "drivers/serial/halfduplex.h"
#include "kernel/irq/irqdesc.h"
#include "tests/kernel/kt_hw.h"
#include "tests/kernel/ktest.h"

namespace {

// The line is as a test found it: nobody owns IRQ 3 (the bus freed it), its chip flavour unchanged.
void expect_line_left_as_found(bool was_lazy) {
    irq_desc* desc = irq_to_desc(com2::IRQ);
    KEXPECT_TRUE(desc && !desc->action);
    KEXPECT_EQ(i8259_is_lazy(com2::IRQ), was_lazy);
}

HalfDuplexBus* bus_or_fail() {
    HalfDuplexBus* bus = halfduplex_com2();
    if (!bus || !com2_probe()) {
        ktest_fail(__FILE__, __LINE__, "no COM2 at 0x2f8: both emulators must provide it (QEMU -serial null)");
        return nullptr;
    }
    return bus;
}

}  // namespace

// The emulators' loopback differs, and the table's figures follow from it:
// - both echo the byte and raise the receive interrupt on IRQ 3 with OUT2 set;
// - with OUT2 clear, QEMU still raises IRQ 3 (its 16550 ignores OUT2), Bochs does not (it gates INTR
//   with OUT2, loopback or not; a PC board gates the line with OUT2 too);
// - with the line masked, the echo waiting in RBR shows as IRR bit 3 on both. Reading RBR lowers the
//   UART's line: QEMU's 8259 keeps the edge latched (IRR stays set, and enable_irq delivers it: one
//   call), Bochs's follows the input level (IRR clears, enable_irq delivers nothing).
KTEST(halfduplex, loopback_on_this_emulator) {
    KT_SKIP_IN_APIC_MODE();
    HalfDuplexBus* bus = bus_or_fail();
    if (!bus) return;
    bool bochs = kt_running_on_bochs();
    bool was_lazy = i8259_is_lazy(com2::IRQ);
    KASSERT_EQ(bus->open(), 0);
    HalfDuplexBus::loopback_facts f;
    KEXPECT_EQ(bus->probe_loopback(&f), 0);
    bus->close();
    KEXPECT_TRUE(f.echo);
    KEXPECT_EQ(f.calls_out2_on, 1u);
    KEXPECT_EQ(f.calls_out2_off, bochs ? 0u : 1u);
    KEXPECT_TRUE(f.irr_asserted);
    KEXPECT_EQ(f.irr_after_read, !bochs);
    KEXPECT_EQ(f.calls_after_enable, bochs ? 0u : 1u);
    expect_line_left_as_found(was_lazy);
}

namespace {

// Expected late handler calls, [chip][mode][N = 1, 2, 16, 64]. Every byte's echo is drained before the
// next byte is sent, so the UART's line rises once per byte and is low again before the next: N edges.
// No late call ever finds data (the driver drained it all), so "found data" is 0 everywhere.
//
// XT-PIC (Linux's chip: irq_disable masks): disable_irq_nosync masks IMR bit 3 at once in every mode, so
// the flow never sees an interrupt while disabled and IRQS_PENDING stays clear: lazy == unlazy.
//   QEMU: the first edge sets IRR bit 3 and it stays set (edge latch) whatever follows -> unmasking in
//         enable_irq delivers it once: 1 call for every N and mode. The ack at the UART cannot clear it.
//   Bochs: the IRR bit follows the input, which is low once the echo is drained -> 0 calls.
// XT-PIC-lazy (no irq_disable, edge flow):
//   lazy: the line stays unmasked; the first echo's interrupt reaches handle_edge_irq, which finds the
//         line disabled, sets IRQS_PENDING and masks it. enable_irq replays it in software: 1 call, on
//         both emulators. Edges 2..N arrive at the masked input: QEMU latches them (IRR set, 1 more call
//         from N = 2 on), Bochs forgets them once the echo is drained (no more calls).
//   unlazy, unlazy+ack: masked at once as on XT-PIC: QEMU 1 call (the latched edge), Bochs 0.
constexpr unsigned QEMU_LATE[2][HDX_NR_MODES][hdx::NR_NS] = {
    {{1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}},
    {{1, 2, 2, 2}, {1, 1, 1, 1}, {1, 1, 1, 1}},
};
constexpr unsigned BOCHS_LATE[2][HDX_NR_MODES][hdx::NR_NS] = {
    {{0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}},
    {{1, 1, 1, 1}, {0, 0, 0, 0}, {0, 0, 0, 0}},
};

// IRR bit 3 just before enable_irq (for unlazy+ack: before and after the ack, which leaves it as it is).
// Set exactly when an edge reached the masked input and the 8259 kept it: QEMU, except lazy N = 1 on the
// lazy chip (the only edge was taken by the CPU, which cleared the IRR bit at INTA); never on Bochs.
bool expected_irr(bool bochs, unsigned chip, unsigned mode, unsigned j) {
    if (bochs) return false;
    return !(chip == 1 && mode == (unsigned)hdx_mode::lazy && hdx::NS[j] == 1);
}

void check_table(const hdx_table& t, bool bochs) {
    const auto& late = bochs ? BOCHS_LATE : QEMU_LATE;
    KASSERT_EQ(t.nr_chips, 2u);
    KEXPECT_STREQ(t.chip[0], "XT-PIC");
    KEXPECT_STREQ(t.chip[1], "XT-PIC-lazy");
    for (unsigned c = 0; c < 2; c++)
        for (unsigned m = 0; m < HDX_NR_MODES; m++)
            for (unsigned j = 0; j < hdx::NR_NS; j++) {
                const hdx_result& r = t.cell[c][m][j];
                bool ok = r.sent == hdx::NS[j] && r.drained == hdx::NS[j] && r.overruns == 0 && r.early_calls == 0 &&
                          r.late_calls == late[c][m][j] && r.late_with_data == 0 && hdx_accounted(r) &&
                          r.pending == (c == 1 && m == (unsigned)hdx_mode::lazy) &&
                          r.irr_before == expected_irr(bochs, c, m, j) && r.irr_after == r.irr_before;
                if (!ok)
                    ktest_fail(__FILE__, __LINE__,
                               "%s %s N=%u: sent %u drained %u overruns %u early %u late %u (expected %u) data %u "
                               "pending %d irr %d->%d",
                               t.chip[c], hdx_mode_name((hdx_mode)m), hdx::NS[j], r.sent, r.drained, r.overruns,
                               r.early_calls, r.late_calls, late[c][m][j], r.late_with_data, r.pending, r.irr_before,
                               r.irr_after);
            }
}

}  // namespace

// The whole table twice: the figures above on this emulator, the same on both runs.
KTEST(halfduplex, echo_table_exact_and_repeatable) {
    KT_SKIP_IN_APIC_MODE();
    HalfDuplexBus* bus = bus_or_fail();
    if (!bus) return;
    bool bochs = kt_running_on_bochs();
    bool was_lazy = i8259_is_lazy(com2::IRQ);
    for (int run = 0; run < 2; run++) {
        hdx_table t;
        KEXPECT_EQ(halfduplex_run_table(*bus, &t), 0);
        check_table(t, bochs);
        expect_line_left_as_found(was_lazy);
    }
}

// Bad input gets a clear answer: no transmission on a closed bus or of 0 or too many bytes, and the line
// is left alone (depth untouched: a later enable_irq would be unbalanced otherwise).
KTEST(halfduplex, transmit_refuses_bad_input) {
    HalfDuplexBus* bus = bus_or_fail();
    if (!bus) return;
    hdx_result r;
    KEXPECT_EQ(bus->transmit(1, hdx_mode::lazy, &r), -EINVAL);  // not open
    KASSERT_EQ(bus->open(), 0);
    unsigned depth = irq_to_desc(com2::IRQ)->depth;
    KEXPECT_EQ(bus->transmit(0, hdx_mode::lazy, &r), -EINVAL);
    KEXPECT_EQ(bus->transmit(hdx::N_MAX + 1, hdx_mode::lazy, &r), -EINVAL);
    KEXPECT_EQ(irq_to_desc(com2::IRQ)->depth, depth);
    bus->close();
}
