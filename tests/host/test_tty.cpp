// Host tests for kernel/tty.cpp: FIFO order across the ring's wrap, overrun counting and its one-time
// report (never a silent loss), blocking reads woken by a character from another simulated CPU, and
// output that continues the open console line instead of breaking it.
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "kernel/tty.h"

#include "tests/host/support/capture_console.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/sim_cpu.h"

#include <gtest/gtest.h>
#include <chrono>
#include <string>
#include <thread>

namespace {

class Tty : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        tty_reset();
        host_console::clear();
    }
};

TEST_F(Tty, ReadsInArrivalOrderThenEagain) {
    for (char c : std::string("abc"))
        tty_receive_char(c);
    EXPECT_EQ(tty_read_char(false), 'a');
    EXPECT_EQ(tty_read_char(false), 'b');
    EXPECT_EQ(tty_read_char(false), 'c');
    EXPECT_EQ(tty_read_char(false), -EAGAIN);
}

TEST_F(Tty, HighBytesAreNotNegative) {
    tty_receive_char((char)0xff);
    EXPECT_EQ(tty_read_char(false), 0xff);
}

TEST_F(Tty, OrderSurvivesManyWrapsOfTheRing) {
    std::string sent, got;
    for (size_t round = 0; round < 3 * TTY_INPUT_SIZE / 7; round++) {
        for (int i = 0; i < 7; i++) {
            char c = (char)('a' + (sent.size() % 26));
            sent += c;
            tty_receive_char(c);
        }
        got += host_env::drain_tty();
    }
    EXPECT_EQ(got, sent);
    tty_stats st;
    tty_get_stats(&st);
    EXPECT_EQ(st.received, sent.size());
    EXPECT_EQ(st.consumed, sent.size());
    EXPECT_EQ(st.dropped, 0u);
}

TEST_F(Tty, FullRingDropsNewestCountsAndReportsOnce) {
    const size_t extra = 5;
    for (size_t i = 0; i < TTY_INPUT_SIZE + extra; i++)
        tty_receive_char((char)('0' + i % 10));
    tty_stats st;
    tty_get_stats(&st);
    EXPECT_EQ(st.received, TTY_INPUT_SIZE + extra);
    EXPECT_EQ(st.dropped, extra);
    EXPECT_EQ(st.buffered, TTY_INPUT_SIZE);
    EXPECT_EQ(host_console::count("input overrun"), 0u) << "reported from interrupt context";

    std::string got = host_env::drain_tty();
    ASSERT_EQ(got.size(), TTY_INPUT_SIZE);
    EXPECT_EQ(got.back(), (char)('0' + (TTY_INPUT_SIZE - 1) % 10)) << "the oldest characters are kept";
    EXPECT_EQ(host_console::count("tty: 5 input overrun(s)\n"), 1u) << host_console::text();

    // A later overrun is reported with its own count, the old one is not repeated.
    for (size_t i = 0; i < TTY_INPUT_SIZE + 2; i++)
        tty_receive_char('x');
    host_env::drain_tty();
    EXPECT_EQ(host_console::count("tty: 5 input overrun(s)"), 1u);
    EXPECT_EQ(host_console::count("tty: 2 input overrun(s)\n"), 1u);
}

TEST_F(Tty, NoReportWithoutLoss) {
    tty_receive_char('q');
    host_env::drain_tty();
    EXPECT_EQ(host_console::count("overrun"), 0u);
}

TEST_F(Tty, BlockingReadReturnsWhatIsThere) {
    tty_receive_char('z');
    EXPECT_EQ(tty_read_char(true), 'z');
}

TEST_F(Tty, BlockingReadWaitsForAnotherCpu) {
    std::thread device([] {
        SimCpu::Scope cpu1(1);
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        tty_receive_char('k');
    });
    SimCpu::set_online(2);
    EXPECT_EQ(tty_read_char(true), 'k');
    device.join();
    EXPECT_TRUE(SimCpu::irqs_enabled(0)) << "the wait must leave interrupts as it found them";
}

TEST_F(Tty, WriteContinuesTheOpenLine) {
    // The prompt has no newline; the echo of a key must land right after it, not on a new line.
    tty_write("> ", 2);
    tty_write("h", 1);
    tty_write("i\n", 2);
    tty_puts("next\n");
    EXPECT_EQ(host_console::text(), "> hi\nnext\n");
}

TEST_F(Tty, LongWriteArrivesWhole) {
    std::string big(1000, 'w');
    big += "\n";
    tty_write(big.data(), big.size());
    EXPECT_EQ(host_console::text(), big);
}

}  // namespace
