// Host tests for the half-duplex bus (drivers/serial/halfduplex.h) against the behavioural 16550
// (support/model_uart.h) in loopback mode on a fake interrupt chip: every byte sent is accounted for,
// the three modes treat the line as Linux's disable_irq_nosync / IRQ_DISABLE_UNLAZY do, an echo that
// comes after the driver gave up is found by a late handler call, and errors leave the line balanced.
#include "drivers/serial/halfduplex.h"
#include "kernel/irq/interrupt.h"
#include "kernel/irq/irqdesc.h"

#include <gtest/gtest.h>
#include <functional>
#include <string>

#include "tests/host/support/capture_console.h"
#include "tests/host/support/fake_chip.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/model_uart.h"

namespace {

constexpr uint16_t COM2 = 0x2F8;
constexpr unsigned IRQ = 3;

// The model behind a small edge-latching 8259 input and a CPU with interrupts on: each rising edge of
// the UART's INTR is latched, and delivered to IRQ 3 right after the I/O access or wait that raised it
// while the line is unmasked, or once it is unmasked again (QEMU's 8259 keeps an edge request that way).
// Each udelay is long enough for a timer tick, whose irq_exit runs the pending softirqs (the resend
// tasklet among them). `on_wait` runs at each udelay (a test's way to change the UART while the driver
// waits).
class DeliveringPort final : public PortIo {
public:
    explicit DeliveringPort(ModelUart& m) : m_(m) {}
    std::function<void(unsigned long waits)> on_wait;
    unsigned long waits = 0;
    void io_delay() override {}
    void udelay(unsigned us) override {
        m_.udelay(us);
        if (on_wait) on_wait(++waits);
        deliver();
        host_env::empty_interrupt();  // the tick
    }

protected:
    uint8_t do_inb(uint16_t port) override {
        uint8_t v = m_.do_inb(port);
        deliver();
        return v;
    }
    void do_outb(uint16_t port, uint8_t v) override {
        m_.do_outb(port, v);
        deliver();
    }
    uint16_t do_inw(uint16_t port) override { return m_.do_inw(port); }
    void do_outw(uint16_t port, uint16_t v) override { m_.do_outw(port, v); }
    uint32_t do_inl(uint16_t port) override { return m_.do_inl(port); }
    void do_outl(uint16_t port, uint32_t v) override { m_.do_outl(port, v); }

private:
    void deliver() {
        if (m_.take_edge()) latched_ = true;
        irq_desc* desc = irq_to_desc(IRQ);
        if (in_irq_ || !latched_ || !desc->action || (desc->irq_data.state & IRQD_IRQ_MASKED)) return;
        latched_ = false;
        in_irq_ = true;
        host_env::fire_irq(IRQ);
        in_irq_ = false;
    }
    ModelUart& m_;
    bool latched_ = false, in_irq_ = false;
};

class HalfDuplex : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        irq_set_chip_and_handler_name(IRQ, &chip, handle_level_irq, "FAKE");
    }
    void TearDown() override { bus.close(); }
    bool logged(const std::string& op) { return chip.log().find(op) != std::string::npos; }
    ModelUart uart{COM2};
    DeliveringPort port{uart};
    FakeChip chip;  // no irq_disable: disable is lazy unless IRQ_DISABLE_UNLAZY
    HalfDuplexBus bus{port, COM2, IRQ};
};

TEST(HalfDuplexAccounting, EveryByteSentIsDrainedFoundLateOrLostToAnOverrun) {
    hdx_result r;
    r.sent = 16;
    r.drained = 16;
    EXPECT_TRUE(hdx_accounted(r));
    r.drained = 13;
    r.late_bytes = 2;
    EXPECT_FALSE(hdx_accounted(r));  // one byte missing
    r.overruns = 1;
    EXPECT_TRUE(hdx_accounted(r));
    r.late_bytes = 3;
    EXPECT_FALSE(hdx_accounted(r));  // one byte too many: not ours
}

TEST_F(HalfDuplex, OpenPutsTheUartInLoopbackWithTheReceiveInterruptAndCloseLeavesItAsFound) {
    uint8_t mcr = uart.do_inb(COM2 + 4), lcr = uart.do_inb(COM2 + 3);
    ASSERT_EQ(bus.open(), 0);
    EXPECT_EQ(uart.do_inb(COM2 + 4) & 0x18, 0x18);  // LOOP | OUT2
    EXPECT_EQ(uart.ier(), 0x01);                    // ERBFI only
    EXPECT_NE(irq_to_desc(IRQ)->action, nullptr);
    bus.close();
    EXPECT_EQ(uart.do_inb(COM2 + 4), mcr);
    EXPECT_EQ(uart.do_inb(COM2 + 3), lcr);
    EXPECT_EQ(uart.ier(), 0);
    EXPECT_EQ(irq_to_desc(IRQ)->action, nullptr);
}

// Lazy (the fake chip has no irq_disable): the first echo's interrupt reaches the flow while the line is
// disabled: IRQS_PENDING, masked. Echoes 2..N are latched at the masked input. enable_irq replays the
// pending one in software and unmasking delivers the latched one: 1 late call for N = 1, 2 from N = 2 on,
// none of which finds data (each echo was drained).
TEST_F(HalfDuplex, LazyModeReplaysThePendingInterruptAndTheLatchedEdgeFollows) {
    ASSERT_EQ(bus.open(), 0);
    const unsigned ns[] = {1, 2, 16}, expected[] = {1, 2, 2};
    for (unsigned i = 0; i < 3; i++) {
        hdx_result r;
        ASSERT_EQ(bus.transmit(ns[i], hdx_mode::lazy, &r), 0);
        EXPECT_EQ(r.sent, ns[i]);
        EXPECT_EQ(r.drained, ns[i]);
        EXPECT_EQ(r.overruns, 0u);
        EXPECT_EQ(r.early_calls, 0u);  // the flow never called the handler of the disabled line
        EXPECT_TRUE(r.pending);
        EXPECT_EQ(r.late_calls, expected[i]) << "N=" << ns[i];
        EXPECT_EQ(r.late_with_data, 0u);
        EXPECT_TRUE(hdx_accounted(r));
        EXPECT_EQ(irq_to_desc(IRQ)->depth, 0u);
    }
}

// UNLAZY: masked at disable_irq_nosync, so nothing reaches the flow and nothing is pending; the latched
// edge is delivered once the line is unmasked: mask, unmask, then the level flow's mask + ack + unmask.
TEST_F(HalfDuplex, UnlazyMasksAtDisableAndOnlyTheLatchedEdgeFollows) {
    ASSERT_EQ(bus.open(), 0);
    chip.clear();
    hdx_result r;
    ASSERT_EQ(bus.transmit(2, hdx_mode::unlazy, &r), 0);
    EXPECT_EQ(chip.log(), "mask 3, unmask 3, mask 3, ack 3, unmask 3");
    EXPECT_FALSE(r.pending);
    EXPECT_EQ(r.late_calls, 1u);
    EXPECT_EQ(r.late_with_data, 0u);
    EXPECT_EQ(r.drained, 2u);
    EXPECT_FALSE(irq_to_desc(IRQ)->status_use_accessors & IRQ_DISABLE_UNLAZY);
}

TEST_F(HalfDuplex, AckModeReadsTheUartUntilNothingIsPending) {
    ASSERT_EQ(bus.open(), 0);
    hdx_result r;
    ASSERT_EQ(bus.transmit(1, hdx_mode::unlazy_ack, &r), 0);
    EXPECT_EQ(uart.do_inb(COM2 + 2) & 0x01, 0x01);  // IIR: no interrupt pending
    EXPECT_TRUE(hdx_accounted(r));
}

// The transmitter stalls: the driver gives up on the byte after TEMT_TIMEOUT_US, says so, and still
// enables the line. The echo arrives while it waits after enable_irq: a late call finds it, and the sum
// still adds up (sent 1 = drained 0 + found late 1).
TEST_F(HalfDuplex, AnEchoAfterTheDriverGaveUpIsFoundByALateCall) {
    ASSERT_EQ(bus.open(), 0);
    host_console::clear();
    uart.set_stalled(true);
    port.on_wait = [&](unsigned long waits) {
        if (waits > hdx::TEMT_TIMEOUT_US) uart.set_stalled(false);  // the first wait after enable_irq
    };
    hdx_result r;
    EXPECT_EQ(bus.transmit(1, hdx_mode::lazy, &r), -ETIMEDOUT);
    EXPECT_EQ(host_console::count("halfduplex: byte 1 of 1 not sent within 10000 us"), 1u) << host_console::text();
    EXPECT_EQ(r.sent, 1u);
    EXPECT_EQ(r.drained, 0u);
    EXPECT_EQ(r.late_calls, 1u);
    EXPECT_EQ(r.late_with_data, 1u);
    EXPECT_EQ(r.late_bytes, 1u);
    EXPECT_TRUE(hdx_accounted(r));
    EXPECT_EQ(irq_to_desc(IRQ)->depth, 0u);  // enable_irq ran all the same
}

TEST_F(HalfDuplex, BadInputIsRefusedWithoutTouchingTheLine) {
    hdx_result r;
    EXPECT_EQ(bus.transmit(1, hdx_mode::lazy, &r), -EINVAL);  // not open
    ASSERT_EQ(bus.open(), 0);
    EXPECT_EQ(bus.transmit(0, hdx_mode::lazy, &r), -EINVAL);
    EXPECT_EQ(bus.transmit(hdx::N_MAX + 1, hdx_mode::lazy, &r), -EINVAL);
    EXPECT_EQ(irq_to_desc(IRQ)->depth, 0u);
}

TEST_F(HalfDuplex, OpenFailsCleanlyWhenTheLineIsTaken) {
    int cookie;
    ASSERT_EQ(request_irq(
                  IRQ, [](int, void*) { return IRQ_NONE; }, 0, "other", &cookie),
              0);
    host_console::clear();
    EXPECT_EQ(bus.open(), -EBUSY);
    EXPECT_EQ(host_console::count("halfduplex: request_irq(3) failed (-16)"), 1u) << host_console::text();
    EXPECT_FALSE(bus.is_open());
    EXPECT_EQ(uart.do_inb(COM2 + 4) & 0x10, 0);  // loopback off again
    (void)free_irq(IRQ, &cookie);
}

}  // namespace
