// The storm scenario's machinery on the host: the per-tick rate recorder (kernel/scenario/irqrate.cpp)
// and storm_run (kernel/scenario/storm.cpp) driving the real spurious detector through a simulated line:
// a storm contained at exactly Linux's window, the watchdog stopping one the detector ignores, and the
// errors a caller can meet.
#include "kernel/jiffies.h"
#include "kernel/scenario/irqrate.h"
#include "kernel/scenario/storm.h"
#include "kernel/shell/shell.h"
#include "tests/host/support/capture_console.h"
#include "tests/host/support/line_test.h"
#include "tests/host/support/sim_cpu.h"
#include <atomic>
#include <string>
#include <thread>

namespace {

class IrqRate : public LineTest {
protected:
    FakeChip& chip = make_chip();
    TestDev dev3;
    void SetUp() override {
        LineTest::SetUp();
        irqrate_stop();
        wire(chip, handle_simple_irq, "simple", false);
        ASSERT_EQ(request_irq(IRQ, test_dev_handler, 0, "a", &dev), 0);
        wire_line(3, &chip, handle_simple_irq, "simple");
        ASSERT_EQ(request_irq(3, test_dev_handler, 0, "c", &dev3), 0);
    }
    void TearDown() override {
        irqrate_stop();
        free_irq(3, &dev3);
        LineTest::TearDown();
    }
    void tick() {
        host_env::set_jiffies(jiffies + 1);
        irqrate_tick();
    }
};

TEST_F(IrqRate, RecordsEachTicksInterruptsPerLine) {
    irqrate_start();
    tick();  // the first tick only takes the snapshot
    EXPECT_EQ(irqrate_count(), 0u);
    for (int i = 0; i < 3; i++) host_env::fire_irq(IRQ);
    host_env::fire_irq(3);
    tick();
    host_env::fire_irq(IRQ);
    host_env::fire_irq(IRQ);
    tick();
    ASSERT_EQ(irqrate_count(), 2u);
    irqrate_sample s;
    ASSERT_TRUE(irqrate_get(0, &s));
    EXPECT_EQ(s.jiffies, 2u);
    EXPECT_EQ(s.counts[IRQ], 3u);
    EXPECT_EQ(s.counts[3], 1u);
    EXPECT_EQ(s.counts[0], 0u);
    ASSERT_TRUE(irqrate_get(1, &s));
    EXPECT_EQ(s.jiffies, 3u);
    EXPECT_EQ(s.counts[IRQ], 2u);
    EXPECT_EQ(s.counts[3], 0u);
    EXPECT_FALSE(irqrate_get(2, &s));
}

TEST_F(IrqRate, RecordsNothingUnlessArmedAndKeepsTheRecordAfterStop) {
    unsigned held = irqrate_count();  // an earlier record stays readable until the next start
    tick();
    host_env::fire_irq(IRQ);
    tick();
    EXPECT_EQ(irqrate_count(), held) << "not armed";
    irqrate_start();
    tick();
    host_env::fire_irq(IRQ);
    tick();
    irqrate_stop();
    EXPECT_FALSE(irqrate_armed());
    host_env::fire_irq(IRQ);
    tick();
    ASSERT_EQ(irqrate_count(), 1u);
    irqrate_sample s;
    ASSERT_TRUE(irqrate_get(0, &s));
    EXPECT_EQ(s.counts[IRQ], 1u);
    irqrate_start();
    EXPECT_EQ(irqrate_count(), 0u) << "start forgets the old record";
}

TEST_F(IrqRate, FullRingOverwritesTheOldestAndCountsIt) {
    irqrate_start();
    tick();
    for (unsigned i = 0; i < IRQRATE_SAMPLES + 10; i++) {
        if (i == 10) host_env::fire_irq(IRQ);  // lands in the 11th sample: the oldest one kept
        tick();
    }
    EXPECT_EQ(irqrate_count(), IRQRATE_SAMPLES);
    EXPECT_EQ(irqrate_overwritten(), 10u);
    irqrate_sample s;
    ASSERT_TRUE(irqrate_get(0, &s));
    EXPECT_EQ(s.jiffies, 12u);
    EXPECT_EQ(s.counts[IRQ], 1u);
    ASSERT_TRUE(irqrate_get(IRQRATE_SAMPLES - 1, &s));
    EXPECT_EQ(s.jiffies, IRQRATE_SAMPLES + 11ul);
}

std::string shell_out;
void capture(const char* s, size_t n, void*) { shell_out.append(s, n); }
void capture_fn(const char* s, size_t n) { capture(s, n, nullptr); }

int run(const char* line) {
    char buf[SHELL_LINE_MAX];
    snprintf(buf, sizeof buf, "%s", line);
    return shell_execute(buf);
}

TEST_F(IrqRate, DumpPrintsAHeaderAndOneLinePerTick) {
    shell_output_fn old = shell_set_output(capture_fn);
    shell_out.clear();
    EXPECT_EQ(run("irqrate start"), 0);
    tick();
    host_env::fire_irq(IRQ);
    host_env::fire_irq(3);
    tick();
    EXPECT_EQ(run("irqrate dump"), 0);
    EXPECT_EQ(run("irqrate bogus"), -EINVAL);
    shell_set_output(old);
    EXPECT_NE(shell_out.find("irqrate-dump: HZ=1000 lines=16 samples=1 overwritten=0\n"
                             "2 0 0 0 1 0 1 0 0 0 0 0 0 0 0 0 0\n"
                             "irqrate-dump: end\n"),
              std::string::npos)
        << shell_out;
    EXPECT_NE(shell_out.find("usage: irqrate"), std::string::npos);
}

// ---- storm_run with a source of our own on the simulated IRQ 5.
class Storm : public LineTest {
public:
    FakeChip& chip = make_chip();
    static Storm* self;
    int prepare_ret = IRQ;
    int consequences = 0, restores = 0;
    bool threaded_storm = false;
    std::atomic<bool> stop{false};
    std::thread storm_thread;
    storm_source src{"test", "test storm", &s_prepare, &s_trigger, &s_consequence, &s_restore};

    void SetUp() override {
        LineTest::SetUp();
        self = this;
        wire(chip, handle_simple_irq, "simple", false);
        dev.ret = IRQ_NONE;  // the faulty driver
        ASSERT_EQ(request_irq(IRQ, test_dev_handler, IRQF_SHARED, "a", &dev), 0);
    }
    void TearDown() override {
        stop = true;
        if (storm_thread.joinable()) storm_thread.join();
        LineTest::TearDown();
    }
    static int s_prepare() { return self->prepare_ret; }
    // The device asserts its line: on one CPU every interrupt follows the last until the line is
    // disabled; here a second simulated CPU plays the device and the timer (one tick per 100 interrupts).
    static void s_trigger() {
        if (!self->threaded_storm) {
            for (int i = 0; i < 200000 && !irqd_irq_disabled(&self->desc->irq_data); i++) host_env::fire_irq(IRQ);
            return;
        }
        self->storm_thread = std::thread([] {
            SimCpu::Scope cpu1(1);
            for (unsigned i = 0; !self->stop && !irqd_irq_disabled(&self->desc->irq_data); i++) {
                host_env::fire_irq(IRQ);
                if (i % 100 == 99) {
                    do_timer(1);
                    storm_tick();
                }
            }
        });
    }
    static void s_consequence() { self->consequences++; }
    static int s_restore() {
        self->restores++;
        return 0;
    }
};
Storm* Storm::self;

TEST_F(Storm, ContainedByTheDetectorAtExactlyTheWindow) {
    storm_result r;
    ASSERT_EQ(storm_run(&src, 10000, &r), 0);
    EXPECT_TRUE(r.contained);
    EXPECT_EQ(r.irq, IRQ);
    EXPECT_EQ(r.irqs_taken, 100000u) << "100,000 interrupts, all unhandled: disabled at the window's end";
    EXPECT_TRUE(desc->istate & IRQS_SPURIOUS_DISABLED);
    EXPECT_EQ(desc->depth, 1u);
    EXPECT_EQ(consequences, 1);
    EXPECT_EQ(restores, 0) << "the line stays disabled for the student to look at";
    EXPECT_EQ(dev.calls.load(), 100000);
    std::string log = host_console::text();
    size_t cared = log.find("irq 5: nobody cared (try booting with the \"irqpoll\" option)");
    size_t handlers = log.find("handlers:");
    size_t disabling = log.find("Disabling IRQ #5");
    ASSERT_NE(cared, std::string::npos) << log;
    EXPECT_LT(cared, handlers);
    EXPECT_LT(handlers, disabling);
    EXPECT_LE(r.shell_share_ppm, 1000000u);
}

TEST_F(Storm, TheWatchdogStopsAStormTheDetectorNeverContains) {
    spurious_threshold = spurious_window;  // can never trip, as with noirqdebug
    threaded_storm = true;
    storm_result r;
    EXPECT_EQ(storm_run(&src, 20, &r), -ETIMEDOUT);
    EXPECT_FALSE(r.contained);
    EXPECT_FALSE(desc->istate & IRQS_SPURIOUS_DISABLED);
    EXPECT_TRUE(irqd_irq_disabled(&desc->irq_data)) << "the watchdog disabled the line";
    EXPECT_GE(r.jiffies, 20u);
    EXPECT_GT(r.irqs_taken, 0u);
    EXPECT_EQ(restores, 1) << "a storm that was not contained is restored at once";
    EXPECT_EQ(consequences, 0);
    EXPECT_EQ(host_console::count("nobody cared"), 0u);
    stop = true;
    storm_thread.join();
}

TEST_F(Storm, ThePreparationsErrorComesBackAndFreesTheScenario) {
    prepare_ret = -ENODEV;
    storm_result r;
    EXPECT_EQ(storm_run(&src, 10000, &r), -ENODEV);
    prepare_ret = IRQ;
    EXPECT_EQ(storm_run(&src, 10000, &r), 0) << "not left busy";
    EXPECT_EQ(r.irqs_taken, 100000u);
}

TEST_F(Storm, OneStormAtATime) {
    static int inner = 1;
    storm_source nested{"nested", "",      [] { return inner = storm_run(&self->src, 10, nullptr), -ENODEV; },
                        nullptr,  nullptr, nullptr};
    storm_result r;
    EXPECT_EQ(storm_run(&nested, 10000, &r), -ENODEV);
    EXPECT_EQ(inner, -EBUSY);
}

TEST_F(Storm, TheCommandNamesItsSourcesAndRefusesUnknownOnes) {
    shell_output_fn old = shell_set_output(capture_fn);
    shell_out.clear();
    EXPECT_EQ(run("storm"), 0);
    EXPECT_EQ(run("storm nosuch"), -EINVAL);
    EXPECT_EQ(run("storm a b c"), -EINVAL);
    shell_set_output(old);
    EXPECT_NE(shell_out.find("usage: storm NAME"), std::string::npos) << shell_out;
    EXPECT_NE(shell_out.find("storm: no source 'nosuch'"), std::string::npos) << shell_out;
}

}  // namespace
