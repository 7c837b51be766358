// Host tests for drivers/serial: the 16550 initialisation bytes, the polled path (THRE waits, their bound,
// CR LF), the IIR-driven interrupt (receive into the tty, IRQ_NONE when idle, overrun accounting) against
// scripted port reads; and against a behavioural UART model (support/model_uart.h): the transmit buffer
// fed by THRE interrupts at most one FIFO per THRE, a stalled line that never makes printk wait, and the
// ttyS0 console's and terminal's use of it.
#include "drivers/serial/uart16550.h"
#include "kernel/errno.h"
#include "kernel/irq/interrupt.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/printk.h"
#include "kernel/shell/shell.h"
#include "kernel/tty.h"

#include <gtest/gtest.h>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/host/support/capture_console.h"
#include "tests/host/support/fake_chip.h"
#include "tests/host/support/fake_portio.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/model_uart.h"
#include "tests/host/support/sim_cpu.h"

namespace {

using V = std::vector<FakePortIo::Access>;
constexpr uint16_t COM1 = 0x3F8;
constexpr uint16_t THR = COM1, IER = COM1 + 1, IIR = COM1 + 2, FCR = COM1 + 2, LCR = COM1 + 3, MCR = COM1 + 4,
                   LSR = COM1 + 5, SCR = COM1 + 7;
constexpr uint8_t IIR_NONE = 0xC1, IIR_RDI = 0xC4, IIR_THRI = 0xC2;  // FIFO-enabled bits 7:6 set

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
        port.shutdown();
        tty_reset();
    }
    FakePortIo io;
    FakeChip chip;
    Uart16550 port{io, COM1};
};

TEST_F(Uart, InitProgramsDivisor8N1FifoAndModemControl) {
    io.set_in(LSR, 0x60);  // transmitter idle
    port.init(115200);
    EXPECT_EQ(io.log(), (V{IN(LSR, 0x60), OUT(IER, 0x00), OUT(LCR, 0x80), OUT(COM1, 0x01), OUT(COM1 + 1, 0x00),
                           OUT(LCR, 0x03), OUT(FCR, 0x07), OUT(MCR, 0x03)}));
    io.clear_log();
    port.init(9600);
    EXPECT_EQ(io.outs()[2], OUT(COM1, 12));  // 115200 / 9600
}

TEST_F(Uart, InitWaitsForTheTransmitterToDrainBeforeReprogramming) {
    io.queue_in(LSR, {0x20, 0x20, 0x60});  // THR empty but the shift register busy twice, then TEMT
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
    io.set_in(LSR, 0x00);  // transmitter never empties
    port.putc('x');
    EXPECT_EQ(port.tx_timeouts(), 1u);
    EXPECT_EQ(io.count(FakePortIo::Op::In, LSR), 10000u);
    EXPECT_EQ(io.outs(), (V{OUT(THR, 'x')})) << "written anyway, like Linux after its 10 ms";
}

TEST_F(Uart, AStalledLineCostsOneTimeoutNotOnePerByte) {
    io.set_in(LSR, 0x00);
    port.write("abc", 3);
    EXPECT_EQ(port.tx_timeouts(), 1u);
    EXPECT_EQ(io.count(FakePortIo::Op::In, LSR), 10000u + 2u) << "after the timeout: one look per byte";
    EXPECT_EQ(io.count(FakePortIo::Op::Udelay, 0), 9999u);
    io.clear_log();
    io.set_in(LSR, 0x60);  // the line moves again: waiting resumes
    io.queue_in(LSR, {0x60, 0x00, 0x60});
    port.write("de", 2);
    EXPECT_EQ(io.log(), (V{IN(LSR, 0x60), OUT(THR, 'd'), IN(LSR, 0x00), UDELAY(1), IN(LSR, 0x60), OUT(THR, 'e')}));
}

TEST_F(Uart, StartupEnablesRxInterruptAndOut2) {
    ASSERT_EQ(port.startup(4), 0);
    EXPECT_EQ(io.outs(), (V{OUT(MCR, 0x0B), OUT(IER, 0x01)}));
    ASSERT_NE(irq_to_desc(4)->action, nullptr);
    EXPECT_STREQ(irq_to_desc(4)->action->name, "serial");
    EXPECT_EQ(irq_to_desc(4)->action->dev_id, &port);
}

TEST_F(Uart, InterruptReadsIirThenDrainsTwoBytesAndStops) {
    ASSERT_EQ(port.startup(4), 0);
    io.clear_log();
    io.queue_in(IIR, {IIR_RDI, IIR_NONE});
    io.queue_in(LSR, {0x61, 0x61, 0x60});
    io.queue_in(COM1, {'o', 'k'});
    host_env::fire_irq(4);
    EXPECT_EQ(host_env::drain_tty(), "ok");
    EXPECT_EQ(io.log(), (V{IN(IIR, IIR_RDI), IN(LSR, 0x61), IN(COM1, 'o'), IN(LSR, 0x61), IN(COM1, 'k'), IN(LSR, 0x60),
                           IN(IIR, IIR_NONE)}));
    EXPECT_EQ(port.rx_bytes(), 2u);
    EXPECT_EQ(irq_to_desc(4)->irqs_unhandled, 0u);
}

TEST_F(Uart, InterruptWithNothingPendingReturnsNone) {
    ASSERT_EQ(port.startup(4), 0);
    io.set_in(IIR, IIR_NONE);
    host_env::fire_irq(4);
    EXPECT_EQ(irq_to_desc(4)->irqs_unhandled, 1u);
    EXPECT_EQ(host_env::drain_tty(), "");
}

TEST_F(Uart, RxDrainIsBoundedOnAFloatingBus) {
    ASSERT_EQ(port.startup(4), 0);
    io.queue_in(IIR, {IIR_RDI, IIR_NONE});
    io.set_in(LSR, 0xFF);
    io.set_in(COM1, 0xFF);
    host_env::fire_irq(4);
    EXPECT_EQ(port.rx_bytes(), 256u);
}

TEST_F(Uart, OverrunIsCountedAndReported) {
    ASSERT_EQ(port.startup(4), 0);
    io.queue_in(IIR, {IIR_RDI, IIR_NONE});
    io.queue_in(LSR, {0x63, 0x60});  // DR + OE + THRE
    io.queue_in(COM1, {'x'});
    host_env::fire_irq(4);
    EXPECT_EQ(port.overruns(), 1u);
    EXPECT_EQ(host_console::count("receive overrun, 1 so far"), 1u);
    EXPECT_EQ(host_env::drain_tty(), "x");
}

TEST_F(Uart, OverrunSeenByTransmitIsNotLost) {
    io.queue_in(LSR, {0x62});  // putc's THRE poll reads (and so clears) OE
    port.putc('y');
    ASSERT_EQ(port.startup(4), 0);
    io.queue_in(IIR, {IIR_RDI, IIR_NONE});
    io.queue_in(LSR, {0x60});
    host_env::fire_irq(4);
    EXPECT_EQ(port.overruns(), 1u);
}

TEST_F(Uart, QueueSendsOneFifoNowAndTheRestOnThreInterrupts) {
    ASSERT_EQ(port.startup(4), 0);
    io.clear_log();
    std::string text(40, 'q');
    io.queue_in(LSR, {0x60, 0x00});  // empty FIFO now, then busy
    EXPECT_EQ(port.queue(text.data(), text.size(), true), 40u);
    EXPECT_EQ(io.outs_to(THR).size(), 16u) << "at most one FIFO after one THRE";
    EXPECT_EQ(io.outs_to(IER), (V{OUT(IER, 0x03)})) << "the THRE interrupt takes over";
    io.clear_log();
    io.queue_in(IIR, {IIR_THRI, IIR_NONE});
    io.queue_in(LSR, {0x60, 0x60, 0x00});  // the receive check, then THRE, then busy again
    host_env::fire_irq(4);
    EXPECT_EQ(io.outs_to(THR).size(), 16u);
    EXPECT_EQ(io.outs_to(IER), (V{OUT(IER, 0x01), OUT(IER, 0x03)}))
        << "off while the FIFO is refilled (no edge of our own), on again for the 8 bytes left";
    io.clear_log();
    io.queue_in(IIR, {IIR_THRI, IIR_NONE});
    io.queue_in(LSR, {0x60, 0x60});
    host_env::fire_irq(4);
    EXPECT_EQ(io.outs_to(THR).size(), 8u);
    EXPECT_EQ(io.outs_to(IER), (V{OUT(IER, 0x01)})) << "buffer empty: the THRE interrupt stays off";
    EXPECT_EQ(port.tx_bytes(), 40u);
    EXPECT_EQ(io.count(FakePortIo::Op::Udelay, 0), 0u);
    EXPECT_EQ(irq_to_desc(4)->irqs_unhandled, 0u);
}

TEST_F(Uart, QueueWithTheThreInterruptOnLeavesTheSendingToIt) {
    ASSERT_EQ(port.startup(4), 0);
    io.queue_in(LSR, {0x60, 0x00});
    std::string text(20, 'r');
    ASSERT_EQ(port.queue(text.data(), text.size(), true), 20u);
    io.clear_log();
    EXPECT_EQ(port.queue("more", 4, true), 4u);
    EXPECT_TRUE(io.log().empty()) << "no port access: the pending THRE interrupt sends these too";
}

// The THRE interrupt was turned on but never came (the line was disabled, or its edge lost): once it is
// overdue and the transmitter is idle, the next queue() sends itself instead of waiting forever.
TEST_F(Uart, AnOverdueThreInterruptIsNotWaitedForForever) {
    ASSERT_EQ(port.startup(4), 0);
    io.queue_in(LSR, {0x60, 0x00});
    std::string text(20, 's');
    ASSERT_EQ(port.queue(text.data(), text.size(), true), 20u);
    host_env::set_jiffies(uart::TX_STALL_JIFFIES);
    io.clear_log();
    EXPECT_EQ(port.queue("x", 1, true), 1u);
    EXPECT_TRUE(io.outs_to(THR).empty()) << "not overdue yet";
    host_env::set_jiffies(uart::TX_STALL_JIFFIES + 1);
    io.queue_in(LSR, {0x60, 0x60, 0x00});  // idle (TEMT), THRE for the refill, then busy
    EXPECT_EQ(port.queue("y", 1, true), 1u);
    EXPECT_EQ(io.outs_to(THR).size(), 5u) << "the 4 left and 'x'";
    EXPECT_EQ(port.tx_rescues(), 1u);
    EXPECT_EQ(io.outs_to(IER), (V{OUT(IER, 0x01), OUT(IER, 0x03)})) << "and the interrupt armed again for 'y'";
}

TEST_F(Uart, QueueWholeRefusesWhatDoesNotFitAndCountsCrLf) {
    ASSERT_EQ(port.startup(4), 0);
    io.set_in(LSR, 0x00);  // nothing leaves
    std::string fill(uart::XMIT_SIZE - 3, 'f');
    ASSERT_EQ(port.queue(fill.data(), fill.size(), true), fill.size());
    EXPECT_EQ(port.write_room(), 3u);
    EXPECT_EQ(port.queue("a\nb", 3, true), 0u) << "needs 4 bytes with the CR";
    EXPECT_EQ(port.queue("a\nbc", 4, false), 2u) << "partial: 'a' and CR LF fit, the rest does not";
    EXPECT_EQ(port.write_room(), 0u);
    EXPECT_EQ(io.count(FakePortIo::Op::Udelay, 0), 0u);
}

// Printk with a serial console whose line has stopped (the far end does not read): printk stores and
// returns, never busy-waiting for THRE. Before the transmit buffer, each byte waited up to 10 ms with
// interrupts off.
TEST_F(Uart, PrintkNeverWaitsForAStalledLine) {
    io.queue_in(SCR, {0x5A, 0xA5});
    io.set_in(COM1, 0x00);
    io.set_in(IIR, IIR_NONE);
    io.set_in(LSR, 0x60);
    ASSERT_EQ(serial_console_setup_port(port), 0);
    io.clear_log();
    io.set_in(LSR, 0x00);  // stalled from now on
    for (int i = 0; i < 20; i++) pr_info("message %d while nobody reads\n", i);
    EXPECT_EQ(io.count(FakePortIo::Op::Udelay, 0), 0u) << "printk waited for the line";
    EXPECT_LE(io.count(FakePortIo::Op::In, LSR), 20u);
}

TEST_F(Uart, ConsoleSetupRegistersTtyS0) {
    io.queue_in(SCR, {0x5A, 0xA5});
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

// The same driver against the UART model: the line stalls under a printk flood, the far end resumes,
// and the THRE interrupts carry everything the log still holds, with the loss counted in one note.
class UartModel : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        tty_reset();
        irq_set_chip_and_handler_name(4, &chip, handle_level_irq, "FAKE");
        ASSERT_EQ(serial_console_setup_port(port), 0);
        model.take_edge();
    }
    void TearDown() override {
        serial_console_shutdown();
        tty_reset();
    }
    // Deliver IRQ 4 once per rising edge of INTR, as the edge-triggered 8259 does.
    void deliver() {
        for (int n = 0; model.take_edge(); n++) {
            ASSERT_LT(n, 100000) << "interrupt storm";
            host_env::fire_irq(4);
        }
    }
    ModelUart model{COM1};
    FakeChip chip;
    Uart16550 port{model, COM1};
};

TEST_F(UartModel, StalledLineThenResumeDeliversEverythingTheLogHoldsAndCountsTheRest) {
    model.set_stalled(true);
    constexpr int N = 3000;
    for (int i = 0; i < N; i++) pr_info("flood %04d with some padding to fill the log\n", i);
    deliver();
    EXPECT_EQ(model.udelays, 0u) << "nothing waited for the stalled line";
    model.set_stalled(false);
    deliver();
    std::string out = model.output();
    // A prefix of the flood, one note with the count, then the rest of the flood without a gap.
    const std::string tail = " printk messages dropped **\r\n";
    size_t note = out.find("** ");
    ASSERT_NE(note, std::string::npos) << out.substr(0, 400);
    size_t end = out.find(tail, note);
    ASSERT_NE(end, std::string::npos);
    int dropped = std::stoi(out.substr(note + 3, end - note - 3));
    EXPECT_EQ(out.find("** ", note + 1), std::string::npos) << "one note";
    std::vector<int> before, after;
    for (size_t pos = 0; (pos = out.find("flood ", pos)) != std::string::npos; pos += 6)
        (pos < note ? before : after).push_back(std::stoi(out.substr(pos + 6, 4)));
    for (size_t i = 0; i < before.size(); i++) ASSERT_EQ(before[i], (int)i) << "before the note";
    for (size_t j = 0; j < after.size(); j++)
        ASSERT_EQ(after[j], (int)before.size() + dropped + (int)j) << "after the note: the gap is the count";
    EXPECT_EQ((int)before.size() + dropped + (int)after.size(), N) << "the newest records are all there";
    EXPECT_GT(dropped, 0);
    EXPECT_EQ(model.tx_overflows, 0u) << "never more than one FIFO after a THRE";
    EXPECT_EQ(model.ier() & 0x02, 0) << "THRE interrupt off once everything is out";
    EXPECT_EQ(irq_to_desc(4)->irqs_unhandled, 0u) << "every THRE interrupt found THRE pending";
}

// The shell (another CPU here) writes while kernel messages wait for a stalled line: its line comes
// after them, whole, once the line moves again; it never overtakes them and the machine never waits.
TEST_F(UartModel, ShellOutputWaitsBehindQueuedKernelMessagesAndIsNotSplit) {
    model.set_stalled(true);
    for (int i = 0; i < 500; i++)  // more than the transmit buffer holds: the rest waits in the log
        pr_info("kernel %03d\n", i);
    SimCpu::set_online(2);
    std::atomic<bool> done{false};
    std::thread shell([&] {
        SimCpu::Scope cpu1(1);
        tty_puts("shell line one\n");
        done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_FALSE(done) << "the shell wrote past a stalled line";
    model.set_stalled(false);
    while (!done) {
        deliver();
        std::this_thread::yield();
    }
    shell.join();
    deliver();
    std::string out = model.output();
    EXPECT_EQ(out.find("** "), std::string::npos) << "nothing dropped: the log held it all";
    size_t at = out.find("kernel 499\r\nshell line one\r\n");
    EXPECT_NE(at, std::string::npos) << out.substr(out.size() > 300 ? out.size() - 300 : 0);
    EXPECT_EQ(out.find("shell"), at + 12);
}

// A paste of 200 commands, typed faster than the shell runs them: the tty fills, the UART is throttled
// and holds the rest (so the far end waits), and every command runs, whole and in order.
TEST_F(UartModel, PasteOf200CommandsRunsAll200) {
    std::string paste;
    for (int i = 0; i < 200; i++) paste += "echo line-" + std::to_string(i) + "\r";
    shell_init();
    model.type(paste);
    for (int rounds = 0; rounds < 1000000; rounds++) {
        deliver();
        int c = tty_read_char(false);  // one key per round: the interrupt moves up to 256 per round
        if (c >= 0)
            shell_input((char)c);
        else if (model.input_left() == 0)
            break;
    }
    std::string out = model.output();
    size_t pos = 0;
    for (int i = 0; i < 200; i++) {
        std::string want = "\r\nline-" + std::to_string(i) + "\r\n";
        size_t at = out.find(want, pos);
        ASSERT_NE(at, std::string::npos) << "command " << i << " did not run (or not in order)";
        pos = at + want.size();
    }
    tty_stats st;
    tty_get_stats(&st);
    EXPECT_EQ(st.dropped, 0u);
    EXPECT_GT(st.throttled, 0u) << "the paste did not outrun the shell: the test proves nothing";
    EXPECT_EQ(port.rx_bytes(), paste.size());
    EXPECT_EQ(model.ier() & 0x01, 0x01) << "receive interrupt back on at the end";
    EXPECT_EQ(irq_to_desc(4)->irqs_unhandled, 0u);
}

}  // namespace
