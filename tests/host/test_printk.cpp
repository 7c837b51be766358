// Host tests for kernel/printk.cpp and kernel/console.cpp: level prefixes and console filtering, KERN_CONT,
// the ring buffer, the recursion guard, consoles registered twice, consoles with a transmit buffer (fed
// when they have room, the "printk messages dropped" note, the panic flush), __ratelimit's interval/burst
// and "callbacks suppressed", WARN's report and panic.
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/jiffies.h"
#include "kernel/printk.h"

#include <gtest/gtest.h>
#include <cstdio>
#include <string>
#include <vector>

namespace {

std::string g_out[2];
void write0(const char* s, size_t n) { g_out[0].append(s, n); }
void write1(const char* s, size_t n) { g_out[1].append(s, n); }

class Printk : public ::testing::Test {
protected:
    void SetUp() override {
        printk_log_clear();
        g_out[0].clear();
        g_out[1].clear();
        saved_jiffies_ = jiffies;
        saved_loglevel_ = console_loglevel;
    }
    void TearDown() override {
        unregister_console(&c0_);
        unregister_console(&c1_);
        printk_log_clear();
        jiffies = saved_jiffies_;
        console_loglevel = saved_loglevel_;
    }
    std::string log() {
        std::vector<char> buf(70 * 1024);
        size_t n = printk_log_read(buf.data(), buf.size());
        return std::string(buf.data(), n);
    }
    console c0_{"cap0", write0, 8, nullptr};  // sees every level
    console c1_{"cap1", write1, 5, nullptr};  // sees EMERG..WARNING (levels 0-4)
    unsigned long saved_jiffies_ = 0;
    int saved_loglevel_ = 7;
};

TEST_F(Printk, LevelPrefixIsStrippedAndFiltersConsoles) {
    register_console(&c0_);
    register_console(&c1_);
    pr_info("info %d\n", 1);
    pr_warn("warn\n");
    pr_err("err\n");
    printk("plain\n");  // default_message_loglevel 4 = WARNING
    pr_notice("notice\n");
    EXPECT_EQ(g_out[0], "info 1\nwarn\nerr\nplain\nnotice\n");
    EXPECT_EQ(g_out[1], "warn\nerr\nplain\n");
    EXPECT_EQ(log(), "info 1\nwarn\nerr\nplain\nnotice\n");  // the ring keeps everything, levels stripped
}

TEST_F(Printk, ConsoleLoglevelDefaultAndDebugFiltered) {
    EXPECT_EQ(console_loglevel, 7);
    console c{"def", write0, 0, nullptr};  // 0: take console_loglevel at registration
    register_console(&c);
    EXPECT_EQ(c.loglevel, 7);
    pr_info("shown\n");
    pr_debug("hidden\n");
    unregister_console(&c);
    pr_info("after unregister\n");
    EXPECT_EQ(g_out[0], "shown\n");
}

TEST_F(Printk, LoglevelParameterUpdatesConsoles) {
    register_console(&c0_);
    EXPECT_EQ(parse_cmdline("loglevel=3"), 0);
    EXPECT_EQ(console_loglevel, 3);
    EXPECT_EQ(c0_.loglevel, 3);
    pr_err("dropped\n");  // level 3 is not below 3
    pr_crit("kept\n");
    EXPECT_EQ(parse_cmdline("loglevel=9"), 1);  // out of range: reported and ignored
    EXPECT_EQ(console_loglevel, 3);
    EXPECT_NE(g_out[0].find("kept\n"), std::string::npos);
    EXPECT_EQ(g_out[0].find("dropped"), std::string::npos);
}

TEST_F(Printk, ContinuationJoinsTheLineAndInheritsItsLevel) {
    register_console(&c0_);
    register_console(&c1_);
    pr_info("handlers:");
    pr_cont(" a");
    pr_cont(" b\n");
    pr_err("x");
    pr_cont("y\n");
    EXPECT_EQ(g_out[0], "handlers: a b\nxy\n");
    EXPECT_EQ(g_out[1], "xy\n") << "continuations of an INFO line must stay INFO";
}

TEST_F(Printk, NewRecordClosesAnOpenLine) {
    register_console(&c0_);
    pr_info("prompt> ");
    EXPECT_EQ(g_out[0], "prompt> ") << "a fragment reaches the console immediately";
    pr_info("next\n");
    EXPECT_EQ(g_out[0], "prompt> \nnext\n");
    pr_cont("orphan\n");  // no open line: a record of its own at the default level
    EXPECT_EQ(g_out[0], "prompt> \nnext\norphan\n");
}

TEST_F(Printk, RingBufferKeepsTheLast64KiB) {
    std::string line(99, 'a');
    for (int i = 0; i < 700; i++) {  // 700 * 100 bytes = 70,000 > 65,536
        line[0] = (char)('A' + i % 26);
        printk(KERN_INFO "%s\n", line.c_str());
    }
    std::string all = log();
    EXPECT_EQ(all.size(), 64u * 1024u);
    // The newest record is complete at the end; the oldest bytes are gone.
    std::string last = std::string(1, (char)('A' + 699 % 26)) + std::string(98, 'a') + "\n";
    EXPECT_EQ(all.substr(all.size() - 100), last);
    char small[10];
    EXPECT_EQ(printk_log_read(small, sizeof small), 10u);
    EXPECT_EQ(std::string(small, 10), std::string(9, 'a') + "\n");
}

TEST_F(Printk, RegisteringAConsoleTwiceKeepsTheOthers) {
    register_console(&c0_);
    register_console(&c1_);
    register_console(&c0_);  // harmless: c1 stays registered after it
    pr_err("both\n");
    EXPECT_EQ(g_out[0], "both\n");
    EXPECT_EQ(g_out[1], "both\n");
}

TEST_F(Printk, ConsoleLoglevelSetterRejectsOutOfRange) {
    register_console(&c0_);
    EXPECT_EQ(console_set_loglevel(9), -EINVAL);
    EXPECT_EQ(console_set_loglevel(-1), -EINVAL);
    EXPECT_EQ(console_set_loglevel(1), 0);
    EXPECT_EQ(c0_.loglevel, 1);
    pr_alert("alert\n");
    pr_emerg("emerg\n");
    EXPECT_EQ(g_out[0], "emerg\n");
}

TEST_F(Printk, ClearHidesOldTextFromTheReaderOnly) {
    register_console(&c0_);
    pr_info("old\n");
    printk_log_clear();
    pr_info("new\n");
    EXPECT_EQ(log(), "new\n");
    EXPECT_EQ(g_out[0], "old\nnew\n");
}

// A console with a transmit buffer of `room` bytes that the test drains by hand.
struct BufferedCon {
    std::string queued, sync;
    size_t room = 0;
};
BufferedCon bc;
bool bc_write_buffered(const char* s, size_t n) {
    if (n > bc.room) return false;
    bc.room -= n;
    bc.queued.append(s, n);
    return true;
}
void bc_write(const char* s, size_t n) { bc.sync.append(s, n); }

class PrintkBuffered : public Printk {
protected:
    void SetUp() override {
        Printk::SetUp();
        bc = BufferedCon{};
        register_console(&con_);
    }
    void TearDown() override {
        unregister_console(&con_);
        Printk::TearDown();
    }
    console con_{"buffered", bc_write, 8, nullptr, bc_write_buffered};
};

TEST_F(PrintkBuffered, RecordsWaitInTheLogUntilThereIsRoomAndKeepTheirOrder) {
    bc.room = 10;
    pr_info("first\n");   // 6 bytes: fits
    pr_info("second\n");  // 7 bytes: only 4 left
    pr_info("third\n");
    EXPECT_EQ(bc.queued, "first\n");
    EXPECT_EQ(bc.sync, "") << "printk never falls back to waiting on the line";
    EXPECT_TRUE(console_busy(&con_));
    bc.room = 100;  // the transmit interrupt made room
    printk_trigger_flush();
    EXPECT_EQ(bc.queued, "first\nsecond\nthird\n");
    EXPECT_FALSE(console_busy(&con_));
}

TEST_F(PrintkBuffered, FilteredRecordsDoNotHoldTheConsoleBack) {
    con_.loglevel = 4;
    bc.room = 0;
    pr_info("hidden\n");
    EXPECT_FALSE(console_busy(&con_)) << "an INFO record is not for this console";
    pr_err("shown\n");
    EXPECT_TRUE(console_busy(&con_));
    bc.room = 100;
    printk_trigger_flush();
    EXPECT_EQ(bc.queued, "shown\n");
}

TEST_F(PrintkBuffered, OverwrittenRecordsAreCountedInOneNote) {
    bc.room = 0;  // the line has stopped
    constexpr int N = 3000;
    for (int i = 0; i < N; i++) printk(KERN_INFO "msg %04d padded to about forty bytes\n", i);
    EXPECT_EQ(bc.queued, "");
    bc.room = 1u << 30;
    printk_trigger_flush();
    const std::string& q = bc.queued;
    ASSERT_EQ(q.rfind("** ", 0), 0u) << q.substr(0, 100);
    size_t end = q.find(" printk messages dropped **\n");
    ASSERT_NE(end, std::string::npos);
    int dropped = std::stoi(q.substr(3, end - 3));
    int first = std::stoi(q.substr(q.find("msg ") + 4, 4));
    EXPECT_EQ(first, dropped) << "the note counts exactly the records that are gone";
    EXPECT_NE(q.find("msg 2999 "), std::string::npos);
    EXPECT_EQ(q.find("** ", 1), std::string::npos);
    EXPECT_GT(dropped, 0);
    EXPECT_LT(dropped, N);
}

TEST_F(PrintkBuffered, PanicFlushWritesPendingRecordsSynchronouslyThenTheQueue) {
    bc.room = 0;
    pr_emerg("last words\n");
    EXPECT_EQ(bc.sync, "");
    console_flush_on_panic();
    EXPECT_EQ(bc.sync, "last words\n") << "and a write of nothing last, pushing out the queue";
    EXPECT_FALSE(console_busy(&con_));
}

TEST_F(PrintkBuffered, UnregisteredConsoleIsNeverBusy) {
    unregister_console(&con_);
    pr_info("x\n");
    EXPECT_FALSE(console_busy(&con_));
}

void recursive_write(const char* s, size_t n) {
    g_out[0].append(s, n);
    if (std::string(s, n).find("trigger") != std::string::npos) printk("from console\n");
}

TEST_F(Printk, RecursionFromAConsoleIsDroppedAndReported) {
    console c{"rec", recursive_write, 8, nullptr};
    register_console(&c);
    printk("trigger\n");
    EXPECT_EQ(g_out[0], "trigger\n");
    printk("later\n");
    EXPECT_EQ(g_out[0], "trigger\nprintk: 1 messages dropped (recursion)\nlater\n");
    unregister_console(&c);
}

TEST_F(Printk, RatelimitBurstIntervalAndSuppressedReport) {
    register_console(&c0_);
    ratelimit_state rs;
    jiffies = 1000;
    for (int i = 0; i < 10; i++) EXPECT_TRUE(__ratelimit(&rs)) << i;
    EXPECT_FALSE(__ratelimit(&rs));
    EXPECT_FALSE(__ratelimit(&rs));
    EXPECT_EQ(rs.missed, 2);
    jiffies = 1000 + 5 * HZ;  // still inside the interval (Linux: strictly after begin + interval)
    EXPECT_FALSE(__ratelimit(&rs));
    EXPECT_EQ(g_out[0], "");
    jiffies = 1000 + 5 * HZ + 1;
    EXPECT_TRUE(__ratelimit(&rs));
    EXPECT_NE(g_out[0].find(": 3 callbacks suppressed\n"), std::string::npos) << g_out[0];
    EXPECT_EQ(rs.missed, 0);
    EXPECT_EQ(rs.printed, 1);
}

TEST_F(Printk, RatelimitedMacroPrintsTenPerInterval) {
    register_console(&c0_);
    jiffies = 5000;
    for (int i = 0; i < 15; i++) pr_err_ratelimited("storm %d\n", i);
    EXPECT_NE(g_out[0].find("storm 9\n"), std::string::npos);
    EXPECT_EQ(g_out[0].find("storm 10\n"), std::string::npos);
}

TEST_F(Printk, WarnReportAndCount) {
    register_console(&c0_);
    unsigned long before = warn_count;
    bool r = WARN(1 + 1 == 2, "Unbalanced enable for IRQ %d\n", 7);
    EXPECT_TRUE(r);
    EXPECT_EQ(warn_count, before + 1);
    bool q = WARN(false, "never");
    EXPECT_FALSE(q);
    EXPECT_EQ(warn_count, before + 1);
    const std::string& o = g_out[0];
    size_t cut = o.find("------------[ cut here ]------------\n");
    size_t hdr = o.find("WARNING: CPU: 0 PID: 0 at ");
    size_t msg = o.find("Unbalanced enable for IRQ 7\n");
    size_t end = o.find("---[ end trace ]---\n");
    ASSERT_EQ(cut, 0u) << o;
    ASSERT_NE(hdr, std::string::npos) << o;
    ASSERT_NE(msg, std::string::npos) << o;
    ASSERT_NE(end, std::string::npos) << o;
    EXPECT_LT(hdr, msg);
    EXPECT_LT(msg, end);
    EXPECT_NE(o.find("test_printk.cpp:", hdr), std::string::npos);
    EXPECT_NE(o.find("TestBody\n", hdr), std::string::npos);
    // dump_stack's line before the trace: no task runs this test, which Linux calls the swapper, pid 0.
    size_t info = o.find("CPU: 0 UID: 0 PID: 0 Comm: swapper irqos\n");
    ASSERT_NE(info, std::string::npos) << o;
    EXPECT_LT(msg, info);
    EXPECT_LT(info, o.find("Call Trace:"));
}

TEST_F(Printk, WarnOnceFiresOnce) {
    unsigned long before = warn_count;
    for (int i = 0; i < 3; i++) WARN_ON_ONCE(true);
    EXPECT_EQ(warn_count, before + 1);
}

// Linux's clear_warn_once: every WARN_ONCE may fire once more (the tests rely on it to stand alone).
TEST_F(Printk, ClearWarnOnceLetsEachFireAgain) {
    auto warn_twice_once = [] {
        WARN_ONCE(true, "first\n");
        WARN_ONCE(true, "second\n");
    };
    unsigned long before = warn_count;
    warn_twice_once();
    warn_twice_once();
    EXPECT_EQ(warn_count, before + 2);
    clear_warn_once();
    warn_twice_once();
    EXPECT_EQ(warn_count, before + 4);
}

void stderr_write(const char* s, size_t n) { fwrite(s, 1, n, stderr); }
void panic_to_stderr() {
    static console c{"stderr", stderr_write, 8, nullptr};
    register_console(&c);
    panic("boom %d", 5);
}

TEST(PrintkDeathTest, PanicPrintsAndHalts) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH(panic_to_stderr(),
                 "Kernel panic - not syncing: boom 5\n(.|\n)*---\\[ end Kernel panic - not syncing: boom 5 \\]---");
}

}  // namespace
