// Host tests for drivers/rtc against a fake MC146818: a register file behind the index/data ports (0x70,
// 0x71), register C cleared by a read as on the real chip. They check the init sequence (1024 Hz, every
// interrupt off, IRQ 8 "rtc0" not shared), the time read (BCD and binary, retried across an update),
// the handler's answers (IRQ_HANDLED only with IRQF and an enabled flag, after reading register C),
// the frequency and PIE switches, and the shell command.
#include "drivers/rtc/rtc_cmos.h"
#include "kernel/errno.h"
#include "kernel/irq/interrupt.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/shell/shell.h"

#include <gtest/gtest.h>
#include <cstdio>
#include <string>

#include "tests/host/support/capture_console.h"
#include "tests/host/support/fake_chip.h"
#include "tests/host/support/fake_portio.h"
#include "tests/host/support/host_env.h"

namespace {

using namespace mc146818;
constexpr uint8_t RTC_SQWE_FOR_TEST = 0x08;  // register B's square-wave bit: a bit the driver must keep

// The chip: 14 registers; selecting one makes the data port answer with it. A read of register C
// returns the flags once and clears them, as the MC146818 does.
struct FakeCmos {
    uint8_t reg[14] = {};
    uint8_t index = 0;
    unsigned uip_reads = 0;  // how many reads of register A still report an update in progress

    static void on_out(FakePortIo& io, uint16_t port, uint8_t v, void* ctx) {
        auto* c = static_cast<FakeCmos*>(ctx);
        if (port == RTC_PORT_INDEX) {
            c->index = v & 0x7F;
            c->present(io);
        } else if (port == RTC_PORT_DATA && c->index < 14) {
            c->reg[c->index] = v;
            c->present(io);
        }
    }
    void present(FakePortIo& io) {
        io.clear_in(RTC_PORT_DATA);
        if (index == RTC_INTR_FLAGS) {
            io.queue_in(RTC_PORT_DATA, {reg[RTC_INTR_FLAGS]});
            reg[RTC_INTR_FLAGS] = 0;
            io.set_in(RTC_PORT_DATA, 0);
        } else if (index == RTC_FREQ_SELECT && uip_reads) {
            uip_reads--;  // this read of register A still sees the update running
            io.queue_in(RTC_PORT_DATA, {uint32_t(reg[index] | RTC_UIP)});
            io.set_in(RTC_PORT_DATA, reg[index]);
        } else {
            io.set_in(RTC_PORT_DATA, index < 14 ? reg[index] : 0xFF);
        }
    }
};

class Rtc : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        io.allow({RTC_PORT_INDEX, RTC_PORT_DATA});
        io.on_out(FakeCmos::on_out, &cmos);
        irq_set_chip_and_handler_name(RTC_IRQ, &chip, handle_edge_irq, "FAKE");
        // 2024-05-17 13:45:30 in BCD, 24-hour mode, BIOS left PIE on and a periodic flag pending.
        cmos.reg[RTC_SECONDS] = 0x30;
        cmos.reg[RTC_MINUTES] = 0x45;
        cmos.reg[RTC_HOURS] = 0x13;
        cmos.reg[RTC_DAY_OF_MONTH] = 0x17;
        cmos.reg[RTC_MONTH] = 0x05;
        cmos.reg[RTC_YEAR] = 0x24;
        cmos.reg[RTC_FREQ_SELECT] = 0x26;
        cmos.reg[RTC_CONTROL] = RTC_24H | RTC_PIE;
        cmos.reg[RTC_INTR_FLAGS] = RTC_IRQF | RTC_PF;
    }
    void TearDown() override { rtc_cmos_shutdown(); }
    void init() {
        ASSERT_EQ(rtc_cmos_init(io), 0);
        io.clear_log();
    }
    // Raise the chip's interrupt flags and deliver IRQ 8 through the core.
    irqreturn_t fire(uint8_t flags) {
        cmos.reg[RTC_INTR_FLAGS] = flags;
        unsigned before = irq_to_desc(RTC_IRQ)->irqs_unhandled;
        host_env::fire_irq(RTC_IRQ);
        return irq_to_desc(RTC_IRQ)->irqs_unhandled == before ? IRQ_HANDLED : IRQ_NONE;
    }
    FakePortIo io;
    FakeCmos cmos;
    FakeChip chip;
};

TEST_F(Rtc, InitSetsTheDefaultRateTurnsInterruptsOffAndRequestsIrq8) {
    ASSERT_EQ(rtc_cmos_init(io), 0);
    EXPECT_EQ(cmos.reg[RTC_FREQ_SELECT], RTC_REF_CLCK_32KHZ | 0x06) << "1024 Hz, as Linux forces it";
    EXPECT_EQ(cmos.reg[RTC_CONTROL] & (RTC_PIE | RTC_AIE | RTC_UIE), 0);
    EXPECT_EQ(cmos.reg[RTC_INTR_FLAGS], 0) << "register C read: the stale request is gone";
    irqaction* a = irq_to_desc(RTC_IRQ)->action;
    ASSERT_NE(a, nullptr);
    EXPECT_STREQ(a->name, "rtc0");
    EXPECT_EQ(a->flags & IRQF_SHARED, 0u) << "rtc-cmos requests IRQ 8 alone";
    EXPECT_EQ(rtc_irq_freq(), 1024u);
    EXPECT_FALSE(rtc_irq_enabled());
    EXPECT_EQ(host_console::count("rtc_cmos: registered as rtc0, irq 8, periodic 1024 Hz (off)\n"), 1u);
}

TEST_F(Rtc, TwelveHourModeIsRefusedLikeLinux) {
    cmos.reg[RTC_CONTROL] = 0;
    EXPECT_EQ(rtc_cmos_init(io), -ENXIO);
    EXPECT_EQ(host_console::count("rtc_cmos: only 24-hr supported\n"), 1u);
    EXPECT_EQ(irq_to_desc(RTC_IRQ)->action, nullptr);
    rtc_time tm;
    EXPECT_EQ(rtc_read_time(&tm), -ENODEV);
}

TEST_F(Rtc, AClockStuckInUpdateIsReportedAsMissing) {
    cmos.uip_reads = 1000;
    EXPECT_EQ(rtc_cmos_init(io), -ENODEV);
    EXPECT_EQ(host_console::count("rtc_cmos: broken or not accessible\n"), 1u);
    EXPECT_EQ(irq_to_desc(RTC_IRQ)->action, nullptr);
}

TEST_F(Rtc, ReadsBcdTime) {
    init();
    rtc_time tm{};
    ASSERT_EQ(rtc_read_time(&tm), 0);
    EXPECT_EQ(tm.tm_year, 2024u);
    EXPECT_EQ(tm.tm_mon, 5u);
    EXPECT_EQ(tm.tm_mday, 17u);
    EXPECT_EQ(tm.tm_hour, 13u);
    EXPECT_EQ(tm.tm_min, 45u);
    EXPECT_EQ(tm.tm_sec, 30u);
}

TEST_F(Rtc, ReadsBinaryTimeWhenDmIsSet) {
    init();
    cmos.reg[RTC_CONTROL] |= RTC_DM_BINARY;
    cmos.reg[RTC_SECONDS] = 59;
    cmos.reg[RTC_YEAR] = 31;
    rtc_time tm{};
    ASSERT_EQ(rtc_read_time(&tm), 0);
    EXPECT_EQ(tm.tm_sec, 59u);
    EXPECT_EQ(tm.tm_year, 2031u);
}

TEST_F(Rtc, WaitsOutAnUpdateInProgress) {
    init();
    cmos.uip_reads = 3;
    rtc_time tm{};
    ASSERT_EQ(rtc_read_time(&tm), 0);
    EXPECT_EQ(tm.tm_sec, 30u);
    EXPECT_EQ(io.count(FakePortIo::Op::Udelay, 0), 3u) << "100 us pause per busy read, as Linux";
}

TEST_F(Rtc, PeriodicInterruptIsHandledAfterReadingRegisterC) {
    init();
    ASSERT_EQ(rtc_irq_set_state(true), 0);
    io.clear_log();
    EXPECT_EQ(fire(RTC_IRQF | RTC_PF), IRQ_HANDLED);
    EXPECT_EQ(rtc_irq_count(), 1u);
    EXPECT_EQ(io.log().front(), OUT(RTC_PORT_INDEX, RTC_INTR_FLAGS)) << "register C first: the acknowledge";
    EXPECT_EQ(cmos.reg[RTC_INTR_FLAGS], 0);
    EXPECT_EQ(fire(RTC_IRQF | RTC_PF), IRQ_HANDLED);
    EXPECT_EQ(rtc_irq_count(), 2u);
    EXPECT_EQ(kstat_irqs(RTC_IRQ), 2u);
}

void count_task(void* data) { ++*static_cast<int*>(data); }

TEST_F(Rtc, RegisteredTaskRunsOnEachPeriodicInterruptOnly) {
    init();
    int calls = 0, other_calls = 0;
    rtc_task task{count_task, &calls}, other{count_task, &other_calls};
    EXPECT_EQ(rtc_irq_register(nullptr), -EINVAL);
    ASSERT_EQ(rtc_irq_register(&task), 0);
    EXPECT_EQ(rtc_irq_register(&other), -EBUSY) << "one task at a time";
    ASSERT_EQ(rtc_irq_set_state(true), 0);
    EXPECT_EQ(fire(RTC_IRQF | RTC_PF), IRQ_HANDLED);
    EXPECT_EQ(fire(RTC_PF), IRQ_NONE) << "not raised by the RTC: no call";
    EXPECT_EQ(calls, 1);
    rtc_irq_unregister(&other);  // not the registered one: changes nothing
    EXPECT_EQ(fire(RTC_IRQF | RTC_PF), IRQ_HANDLED);
    EXPECT_EQ(calls, 2);
    rtc_irq_unregister(&task);
    EXPECT_EQ(fire(RTC_IRQF | RTC_PF), IRQ_HANDLED);
    EXPECT_EQ(calls, 2);
    EXPECT_EQ(other_calls, 0);
    EXPECT_EQ(rtc_irq_register(&other), 0) << "free again";
    rtc_irq_unregister(&other);
}

TEST_F(Rtc, FlagsWithoutTheirEnableBitOrWithoutIrqfAreNotOurs) {
    init();  // PIE off
    EXPECT_EQ(fire(RTC_IRQF | RTC_PF), IRQ_NONE) << "PF is set even with PIE off; not an interrupt";
    ASSERT_EQ(rtc_irq_set_state(true), 0);
    EXPECT_EQ(fire(RTC_PF), IRQ_NONE) << "no IRQF: the RTC did not raise the line";
    EXPECT_EQ(fire(0), IRQ_NONE);
    EXPECT_EQ(rtc_irq_count(), 0u);
}

TEST_F(Rtc, FrequencyIsAPowerOfTwoFrom2To8192) {
    init();
    EXPECT_EQ(rtc_irq_set_freq(2), 0);
    EXPECT_EQ(cmos.reg[RTC_FREQ_SELECT], RTC_REF_CLCK_32KHZ | 15);
    EXPECT_EQ(rtc_irq_set_freq(8192), 0);
    EXPECT_EQ(cmos.reg[RTC_FREQ_SELECT], RTC_REF_CLCK_32KHZ | 3);
    EXPECT_EQ(rtc_irq_set_freq(64), 0);
    EXPECT_EQ(cmos.reg[RTC_FREQ_SELECT], RTC_REF_CLCK_32KHZ | 10);  // 32768 >> (10 - 1)
    EXPECT_EQ(rtc_irq_freq(), 64u);
    io.clear_log();
    for (unsigned bad : {0u, 1u, 3u, 1000u, 16384u}) EXPECT_EQ(rtc_irq_set_freq(bad), -EINVAL) << bad;
    EXPECT_TRUE(io.log().empty()) << "a refused frequency touches no register";
    EXPECT_EQ(rtc_irq_freq(), 64u);
}

TEST_F(Rtc, PieSwitchesOnlyTheirBitAndAcknowledges) {
    init();
    cmos.reg[RTC_CONTROL] |= RTC_SQWE_FOR_TEST;
    ASSERT_EQ(rtc_irq_set_state(true), 0);
    EXPECT_EQ(cmos.reg[RTC_CONTROL], RTC_24H | RTC_PIE | RTC_SQWE_FOR_TEST);
    EXPECT_TRUE(rtc_irq_enabled());
    ASSERT_EQ(rtc_irq_set_state(false), 0);
    EXPECT_EQ(cmos.reg[RTC_CONTROL], RTC_24H | RTC_SQWE_FOR_TEST);
    EXPECT_EQ(io.outs_to(RTC_PORT_INDEX).back(), OUT(RTC_PORT_INDEX, RTC_INTR_FLAGS));
}

TEST_F(Rtc, CallsBeforeInitAreEnodev) {
    rtc_time tm;
    EXPECT_EQ(rtc_read_time(&tm), -ENODEV);
    EXPECT_EQ(rtc_irq_set_state(true), -ENODEV);
    EXPECT_EQ(rtc_irq_set_freq(1024), -ENODEV);
    EXPECT_TRUE(io.log().empty());
}

std::string g_shell;
void shell_capture(const char* s, size_t n) { g_shell.append(s, n); }

class RtcShell : public Rtc {
protected:
    void SetUp() override {
        Rtc::SetUp();
        g_shell.clear();
        prev_ = shell_set_output(shell_capture);
    }
    void TearDown() override {
        shell_set_output(prev_);
        Rtc::TearDown();
    }
    int run(const char* line) {
        char buf[SHELL_LINE_MAX];
        snprintf(buf, sizeof buf, "%s", line);
        g_shell.clear();
        return shell_execute(buf);
    }
    shell_output_fn prev_ = nullptr;
};

TEST_F(RtcShell, ShowsTimeStateAndCount) {
    init();
    EXPECT_EQ(run("rtc"), 0);
    EXPECT_EQ(g_shell, "2024-05-17 13:45:30\nperiodic interrupt: off, 1024 Hz; 0 interrupts on IRQ 8\n");
}

TEST_F(RtcShell, StartWithAFrequencyAndStop) {
    init();
    EXPECT_EQ(run("rtc start 64"), 0);
    EXPECT_TRUE(cmos.reg[RTC_CONTROL] & RTC_PIE);
    EXPECT_NE(g_shell.find("periodic interrupt: on, 64 Hz;"), std::string::npos) << g_shell;
    fire(RTC_IRQF | RTC_PF);
    EXPECT_EQ(run("rtc stop"), 0);
    EXPECT_FALSE(cmos.reg[RTC_CONTROL] & RTC_PIE);
    EXPECT_NE(g_shell.find("periodic interrupt: off, 64 Hz; 1 interrupts on IRQ 8"), std::string::npos) << g_shell;
}

TEST_F(RtcShell, BadInputGetsAClearAnswer) {
    init();
    EXPECT_EQ(run("rtc start 1000"), -EINVAL);
    EXPECT_EQ(g_shell, "rtc: frequency must be a power of two from 2 to 8192 Hz, not '1000'\n");
    EXPECT_FALSE(cmos.reg[RTC_CONTROL] & RTC_PIE) << "nothing started";
    EXPECT_EQ(run("rtc start 99999999999999999999"), -EINVAL);
    EXPECT_EQ(run("rtc frobnicate"), -EINVAL);
    EXPECT_EQ(g_shell, "usage: rtc [start [HZ] | stop]\n");
    EXPECT_EQ(run("rtc stop now"), -EINVAL);
}

TEST_F(RtcShell, WithoutAClockTheCommandSaysSo) {
    EXPECT_EQ(run("rtc start"), -ENODEV);
    EXPECT_EQ(g_shell, "rtc: error -19\n");
}

}  // namespace
