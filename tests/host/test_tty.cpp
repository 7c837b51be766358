// Host tests for kernel/tty.cpp: FIFO order across the ring's wrap, overrun counting and its one-time
// report (never a silent loss), blocking reads woken by a character from another simulated CPU,
// throttling of a receiver that can wait, and output that goes to the terminal devices directly (not
// through printk, so no console log level hides it and `dmesg` does not show it).
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "kernel/tty.h"
#include "kernel/spinlock.h"

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
    for (char c : std::string("abc")) tty_receive_char(c);
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
    for (size_t i = 0; i < TTY_INPUT_SIZE + extra; i++) tty_receive_char((char)('0' + i % 10));
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
    for (size_t i = 0; i < TTY_INPUT_SIZE + 2; i++) tty_receive_char('x');
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

// A terminal device for the tests: takes at most `chunk` bytes per call and nothing while `full`.
struct FakeTerminal {
    std::string got;
    size_t chunk = 1u << 20;
    int full_calls = 0;  // answer "full" this many more times
    int calls = 0;
};
FakeTerminal term;
size_t term_write(const char* s, size_t n) {
    term.calls++;
    if (term.full_calls > 0) {
        term.full_calls--;
        return 0;
    }
    size_t k = n < term.chunk ? n : term.chunk;
    term.got.append(s, k);
    return k;
}
tty_output term_out = {"fake", term_write, nullptr};

class TtyOut : public Tty {
protected:
    void SetUp() override {
        Tty::SetUp();
        term = FakeTerminal{};
        tty_register_output(&term_out);
    }
    void TearDown() override { tty_unregister_output(&term_out); }
};

TEST_F(TtyOut, WriteGoesToTheTerminalNotToPrintk) {
    printk_log_clear();
    tty_write("> ", 2);
    tty_puts("hi\n");
    EXPECT_EQ(term.got, "> hi\n");
    EXPECT_EQ(host_console::text(), "") << "shell output is not a kernel message";
    char buf[64];
    EXPECT_EQ(printk_log_read(buf, sizeof buf), 0u) << "and not in the log dmesg shows";
}

TEST_F(TtyOut, NoConsoleLogLevelHidesIt) {
    int saved = console_loglevel;
    ASSERT_EQ(console_set_loglevel(0), 0);
    tty_puts("irqos> ");
    pr_emerg("kernel\n");
    EXPECT_EQ(term.got, "irqos> ");
    EXPECT_EQ(host_console::count("kernel"), 0u) << "loglevel=0 hides kernel messages";
    console_set_loglevel(saved);
    host_console::reset();
}

TEST_F(TtyOut, LongWriteArrivesWholeInPieces) {
    term.chunk = 7;
    std::string big(1000, 'w');
    big += "\n";
    tty_write(big.data(), big.size());
    EXPECT_EQ(term.got, big);
}

TEST_F(TtyOut, AFullTerminalIsWaitedForWithInterruptsOn) {
    term.full_calls = 3;
    tty_puts("after the wait\n");
    EXPECT_EQ(term.got, "after the wait\n");
    EXPECT_EQ(term.calls, 4);
    EXPECT_TRUE(SimCpu::irqs_enabled(0)) << "the wait leaves interrupts as it found them";
    tty_stats st;
    tty_get_stats(&st);
    EXPECT_EQ(st.output_dropped, 0u);
}

TEST_F(TtyOut, WithInterruptsOffWhatDoesNotFitIsCountedNotWaitedFor) {
    term.chunk = 4;
    term.full_calls = 0;
    unsigned long flags = arch::irq_save();
    tty_write("abcd", 4);
    term.full_calls = 1000;
    tty_write("efgh", 4);
    arch::irq_restore(flags);
    EXPECT_EQ(term.got, "abcd");
    EXPECT_EQ(term.calls, 2);
    tty_stats st;
    tty_get_stats(&st);
    EXPECT_EQ(st.output_dropped, 4u);
}

TEST_F(TtyOut, RegisteringAnOutputTwiceWritesOnce) {
    tty_register_output(&term_out);
    tty_puts("x");
    EXPECT_EQ(term.got, "x");
}

// A receiver that can hold bytes back: the ring never drops its input, it throttles it.
struct FakeFlow {
    int throttles = 0, unthrottles = 0;
    bool throttled = false;
};
FakeFlow flow_state;
void fake_throttle(void* ctx) {
    auto* f = static_cast<FakeFlow*>(ctx);
    f->throttles++;
    f->throttled = true;
}
void fake_unthrottle(void* ctx) {
    auto* f = static_cast<FakeFlow*>(ctx);
    f->unthrottles++;
    f->throttled = false;
}
tty_flow fake_flow = {fake_throttle, fake_unthrottle, &flow_state};

class TtyFlow : public Tty {
protected:
    void SetUp() override {
        Tty::SetUp();
        flow_state = FakeFlow{};
        tty_set_flow(&fake_flow);
    }
    void TearDown() override { tty_set_flow(nullptr); }
    // What the driver does: take a byte out of the device only while the tty has room.
    size_t offer(const std::string& bytes) {
        size_t n = 0;
        while (n < bytes.size() && tty_room_or_throttle()) tty_receive_char(bytes[n++]);
        return n;
    }
};

TEST_F(TtyFlow, FullRingThrottlesOnceAndDropsNothing) {
    std::string paste(TTY_INPUT_SIZE + 300, 'p');
    EXPECT_EQ(offer(paste), TTY_INPUT_SIZE);
    EXPECT_EQ(flow_state.throttles, 1);
    EXPECT_TRUE(flow_state.throttled);
    EXPECT_FALSE(tty_room_or_throttle());
    EXPECT_EQ(flow_state.throttles, 1) << "already throttled: not again";
    tty_stats st;
    tty_get_stats(&st);
    EXPECT_EQ(st.dropped, 0u);
    EXPECT_EQ(st.throttled, 1u);
}

TEST_F(TtyFlow, ReaderUnthrottlesAtTheThreshold) {
    std::string paste(TTY_INPUT_SIZE + 1, 'p');
    offer(paste);
    for (size_t i = 0; i < TTY_INPUT_SIZE - TTY_THRESHOLD_UNTHROTTLE - 1; i++) tty_read_char(false);
    EXPECT_EQ(flow_state.unthrottles, 0) << "still above the threshold";
    tty_read_char(false);
    EXPECT_EQ(flow_state.unthrottles, 1);
    EXPECT_FALSE(flow_state.throttled);
    tty_read_char(false);
    EXPECT_EQ(flow_state.unthrottles, 1) << "once";
}

TEST_F(TtyFlow, EveryByteOfALongPasteArrivesInOrder) {
    std::string paste;
    for (int i = 0; i < 3000; i++) paste += (char)('a' + i % 26);
    std::string got;
    size_t sent = 0;
    while (got.size() < paste.size()) {
        if (!flow_state.throttled)  // the device delivers while it is allowed to
            sent += offer(paste.substr(sent, 64));
        int c = tty_read_char(false);  // the reader is slower: one character per round
        if (c >= 0) got += (char)c;
    }
    EXPECT_EQ(got, paste);
    EXPECT_GT(flow_state.throttles, 1);
    tty_stats st;
    tty_get_stats(&st);
    EXPECT_EQ(st.dropped, 0u);
}

}  // namespace
