// Several simulated CPUs (real threads): synchronize_irq and disable_irq wait for a handler running
// on another CPU, and an edge arriving while the line runs elsewhere is handled by the running CPU
// (Linux kernel/irq/manage.c __synchronize_hardirq, chip.c handle_edge_irq). Names contain "Smp" so
// `make host-test-tsan` runs them under ThreadSanitizer.
#include "kernel/irq/internals.h"
#include "kernel/spinlock.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/sim_cpu.h"
#include "tests/host/support/line_test.h"
#include <atomic>
#include <chrono>
#include <thread>

namespace {
using namespace std::chrono_literals;

// The handler blocks until released, so the test controls how long the line stays INPROGRESS.
std::atomic<int> entered{0};
std::atomic<bool> release{false};
std::atomic<bool> handler_finished{false};

void block_in_handler(TestDev*) {
    entered++;
    while (!release.load()) std::this_thread::yield();
    handler_finished = true;
}

class IrqSmp : public LineTest {
protected:
    FakeChip& chip = make_chip();
    void SetUp() override {
        LineTest::SetUp();
        SimCpu::set_online(4);
        entered = 0;
        release = false;
        handler_finished = false;
        dev.hook = block_in_handler;
        setup(chip, handle_edge_irq, 0, "edge");
    }
    // CPU 1 takes the interrupt and sits in the handler until released.
    std::thread start_handler_on_cpu1() {
        std::thread t([] {
            SimCpu::Scope cpu1(1);
            host_env::fire_irq(IRQ);
        });
        while (entered.load() == 0) std::this_thread::yield();
        return t;
    }
    void release_after(std::chrono::milliseconds d) {
        std::this_thread::sleep_for(d);
        release = true;
    }
};

TEST_F(IrqSmp, SmpSynchronizeIrqWaitsForAHandlerOnAnotherCpu) {
    std::thread cpu1 = start_handler_on_cpu1();
    EXPECT_TRUE(irqd_has(&desc->irq_data, IRQD_IRQ_INPROGRESS));
    std::thread releaser([this] { release_after(50ms); });
    synchronize_irq(IRQ);
    EXPECT_TRUE(handler_finished.load()) << "synchronize_irq returned while the handler still ran";
    EXPECT_FALSE(irqd_has(&desc->irq_data, IRQD_IRQ_INPROGRESS));
    releaser.join();
    cpu1.join();
    dev.hook = nullptr;
    free_irq(IRQ, &dev);
}

TEST_F(IrqSmp, SmpDisableIrqWaitsButNosyncDoesNot) {
    std::thread cpu1 = start_handler_on_cpu1();
    disable_irq_nosync(IRQ);
    EXPECT_FALSE(handler_finished.load()) << "nosync must not wait";
    enable_irq(IRQ);
    std::thread releaser([this] { release_after(50ms); });
    disable_irq(IRQ);
    EXPECT_TRUE(handler_finished.load());
    enable_irq(IRQ);
    releaser.join();
    cpu1.join();
    dev.hook = nullptr;
    free_irq(IRQ, &dev);
}

TEST_F(IrqSmp, SmpEdgeDuringAHandlerOnAnotherCpuIsRunByThatCpu) {
    std::thread cpu1 = start_handler_on_cpu1();
    host_env::fire_irq(IRQ);  // CPU 0: the line is INPROGRESS on CPU 1
    EXPECT_TRUE(desc->istate & IRQS_PENDING);
    EXPECT_EQ(chip.log(), "ack 5, handler a, mask 5, ack 5");
    release = true;
    cpu1.join();
    // CPU 1 saw PENDING after its handler: unmasked and ran the actions again.
    EXPECT_EQ(chip.log(), "ack 5, handler a, mask 5, ack 5, unmask 5, handler a");
    EXPECT_EQ(dev.calls, 2);
    EXPECT_FALSE(desc->istate & IRQS_PENDING);
    EXPECT_EQ(kstat_irqs_cpu(IRQ, 1), 1u) << "the flow counts once per handled entry";
    dev.hook = nullptr;
    free_irq(IRQ, &dev);
}

TEST_F(IrqSmp, SmpFreeIrqWaitsForTheRunningHandler) {
    std::thread cpu1 = start_handler_on_cpu1();
    std::thread releaser([this] { release_after(50ms); });
    EXPECT_STREQ(static_cast<const char*>(free_irq(IRQ, &dev)), "a");
    EXPECT_TRUE(handler_finished.load()) << "the action was freed under a running handler";
    releaser.join();
    cpu1.join();
}

TEST(SpinlockSmp, SmpLockExcludesOtherCpus) {
    raw_spinlock_t lock;
    long counter = 0;
    constexpr int ROUNDS = 20000;
    auto work = [&](unsigned cpu) {
        SimCpu::Scope scope(cpu);
        for (int i = 0; i < ROUNDS; i++) {
            unsigned long flags;
            raw_spin_lock_irqsave(&lock, flags);
            counter++;
            raw_spin_unlock_irqrestore(&lock, flags);
        }
    };
    std::thread t1(work, 1), t2(work, 2), t3(work, 3);
    t1.join();
    t2.join();
    t3.join();
    EXPECT_EQ(counter, 3L * ROUNDS);
    EXPECT_FALSE(raw_spin_is_locked(&lock));
}
}  // namespace
