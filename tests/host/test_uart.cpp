// Host tests for drivers/serial: the 16550 initialisation bytes, transmit waiting for THRE (and its
// bounded timeout), CR LF translation, the RX interrupt draining RBR into the tty, IRQ_NONE when idle,
// overrun accounting (also when TX saw the OE bit) and the ttyS0 printk console.
#include "drivers/serial/uart16550.h"
#include "kernel/errno.h"
#include "kernel/irq/interrupt.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/printk.h"
#include "kernel/tty.h"

#include <gtest/gtest.h>
#include <string>
#include <vector>

#include "tests/host/support/capture_console.h"
#include "tests/host/support/fake_chip.h"
#include "tests/host/support/fake_portio.h"
#include "tests/host/support/host_env.h"

namespace {

using V = std::vector<FakePortIo::Access>;
constexpr uint16_t COM1 = 0x3F8;
constexpr uint16_t THR = COM1, IER = COM1 + 1, FCR = COM1 + 2, LCR = COM1 + 3, MCR = COM1 + 4, LSR = COM1 + 5,
                   SCR = COM1 + 7;

class Uart : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        tty_reset();
        io.allow_range(COM1, COM1 + 7);
        irq_set_chip_and_handler_name(4, &chip, handle_level_irq, "FAKE");
    }
    void TearDown() override {
        serial_console_shutdown();
        port.free_rx_irq();
        tty_reset();
    }
    FakePortIo io;
    FakeChip chip;
    Uart16550 port{io, COM1};
};

TEST_F(Uart, InitProgramsDivisor8N1FifoAndModemControl) {
    io.set_in(LSR, 0x60);   // transmitter idle
    port.init(115200);
    EXPECT_EQ(io.log(), (V{IN(LSR, 0x60), OUT(IER, 0x00), OUT(LCR, 0x80), OUT(COM1, 0x01), OUT(COM1 + 1, 0x00), OUT(LCR, 0x03),
                           OUT(FCR, 0x07), OUT(MCR, 0x03)}));
    io.clear_log();
    port.init(9600);
    EXPECT_EQ(io.outs()[2], OUT(COM1, 12));   // 115200 / 9600
}

TEST_F(Uart, InitWaitsForTheTransmitterToDrainBeforeReprogramming) {
    io.queue_in(LSR, {0x20, 0x20, 0x60});   // THR empty but the shift register busy twice, then TEMT
    port.init(115200);
    EXPECT_EQ(io.count(FakePortIo::Op::In, LSR), 3u);
    ASSERT_GE(io.log().size(), 6u);
    EXPECT_EQ(io.log()[5], OUT(IER, 0x00)) << "nothing is reprogrammed while a byte is still shifting out";
}

TEST_F(Uart, PutcWaitsForThre) {
    io.queue_in(LSR, {0x00, 0x00, 0x60});
    port.putc('A');
    EXPECT_EQ(io.log(), (V{IN(LSR, 0x00), UDELAY(1), IN(LSR, 0x00), UDELAY(1), IN(LSR, 0x60), OUT(THR, 'A')}));
    EXPECT_EQ(port.tx_timeouts(), 0u);
}

TEST_F(Uart, NewlineBecomesCrLf) {
    io.set_in(LSR, 0x60);
    port.write("a\nb", 3);
    EXPECT_EQ(io.outs(), (V{OUT(THR, 'a'), OUT(THR, '\r'), OUT(THR, '\n'), OUT(THR, 'b')}));
    EXPECT_EQ(io.count(FakePortIo::Op::In, LSR), 4u) << "THRE checked before every byte";
}

TEST_F(Uart, ThreTimeoutIsBoundedAndCounted) {
    io.set_in(LSR, 0x00);   // transmitter never empties
    port.putc('x');
    EXPECT_EQ(port.tx_timeouts(), 1u);
    EXPECT_EQ(io.count(FakePortIo::Op::In, LSR), 10000u);
    EXPECT_EQ(io.outs(), (V{OUT(THR, 'x')})) << "written anyway, like Linux after its 10 ms";
}

TEST_F(Uart, RxIrqSetupEnablesDataInterruptAndOut2) {
    io.queue_in(COM1, {0x00});
    ASSERT_EQ(port.request_rx_irq(4), 0);
    EXPECT_EQ(io.outs(), (V{OUT(MCR, 0x0B), OUT(IER, 0x01)}));
    ASSERT_NE(irq_to_desc(4)->action, nullptr);
    EXPECT_STREQ(irq_to_desc(4)->action->name, "serial");
    EXPECT_EQ(irq_to_desc(4)->action->dev_id, &port);
}

TEST_F(Uart, RxHandlerDrainsTwoBytesAndStops) {
    io.queue_in(COM1, {0x00});
    ASSERT_EQ(port.request_rx_irq(4), 0);
    io.clear_log();
    io.queue_in(LSR, {0x61, 0x61, 0x60});
    io.queue_in(COM1, {'o', 'k'});
    host_env::fire_irq(4);
    EXPECT_EQ(host_env::drain_tty(), "ok");
    EXPECT_EQ(io.log(), (V{IN(LSR, 0x61), IN(COM1, 'o'), IN(LSR, 0x61), IN(COM1, 'k'), IN(LSR, 0x60)}));
    EXPECT_EQ(port.rx_bytes(), 2u);
    EXPECT_EQ(irq_to_desc(4)->irqs_unhandled, 0u);
}

TEST_F(Uart, RxHandlerWithNothingToReadReturnsNone) {
    io.queue_in(COM1, {0x00});
    ASSERT_EQ(port.request_rx_irq(4), 0);
    io.set_in(LSR, 0x60);
    host_env::fire_irq(4);
    EXPECT_EQ(irq_to_desc(4)->irqs_unhandled, 1u);
    EXPECT_EQ(host_env::drain_tty(), "");
}

TEST_F(Uart, RxDrainIsBoundedOnAFloatingBus) {
    io.set_in(LSR, 0xFF);
    io.set_in(COM1, 0xFF);
    EXPECT_TRUE(port.rx_interrupt());
    EXPECT_EQ(port.rx_bytes(), 256u);
}

TEST_F(Uart, OverrunIsCountedAndReported) {
    io.queue_in(LSR, {0x63, 0x60});   // DR + OE + THRE
    io.queue_in(COM1, {'x'});
    EXPECT_TRUE(port.rx_interrupt());
    EXPECT_EQ(port.overruns(), 1u);
    EXPECT_EQ(host_console::count("receive overrun, 1 so far"), 1u);
    EXPECT_EQ(host_env::drain_tty(), "x");
}

TEST_F(Uart, OverrunSeenByTransmitIsNotLost) {
    io.queue_in(LSR, {0x62});   // putc's THRE poll reads (and so clears) OE
    port.putc('y');
    io.queue_in(LSR, {0x60});
    EXPECT_FALSE(port.rx_interrupt());
    EXPECT_EQ(port.overruns(), 1u);
}

TEST_F(Uart, ConsoleSetupRegistersTtyS0) {
    io.queue_in(SCR, {0x5A, 0xA5});
    io.queue_in(COM1, {0x00});
    io.set_in(LSR, 0x60);
    ASSERT_EQ(serial_console_setup_port(port), 0);
    EXPECT_EQ(serial_console_port(), &port);
    io.clear_log();
    pr_info("hi\n");
    EXPECT_EQ(io.outs(), (V{OUT(THR, 'h'), OUT(THR, 'i'), OUT(THR, '\r'), OUT(THR, '\n')}));
    serial_console_shutdown();
    io.clear_log();
    pr_info("gone\n");
    EXPECT_TRUE(io.outs().empty());
    EXPECT_EQ(serial_console_port(), nullptr);
}

TEST_F(Uart, ConsoleSetupWithoutUartFails) {
    io.set_in(SCR, 0xFF);
    EXPECT_EQ(serial_console_setup_port(port), -ENODEV);
    EXPECT_EQ(serial_console_port(), nullptr);
}

}  // namespace
