// Two simulated CPUs take interrupts on one shared line while a third changes it (disable/enable,
// request/free of a second sharer, the interrupts view and the `irq N` dump): the flows update istate
// and the spurious accounting while the actions run unlocked, the API changes them under desc->lock.
// Every such field is atomic or documented as racy on purpose, so ThreadSanitizer (`make test` runs the
// *Smp* tests under it) has nothing to report; and no interrupt is lost from the counts.
#include "kernel/irq/internals.h"
#include "kernel/irq/proc.h"
#include "kernel/printk.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/line_test.h"
#include "tests/host/support/sim_cpu.h"
#include <atomic>
#include <string>
#include <thread>

namespace {
constexpr unsigned ROUNDS = 10000;

void discard(const char*, size_t, void*) {}

class IrqRace : public LineTest {
protected:
    FakeChip& chip = make_chip();
    TestDev second;
    void SetUp() override {
        LineTest::SetUp();
        SimCpu::set_online(3);
        // A tight window so that the accounting and its resets really run; a threshold that never
        // trips, so the line stays up and every interrupt is either handled or found disabled.
        spurious_window = 64;
        spurious_threshold = 0xffffffffu;
        wire(chip, handle_level_irq, "level", false);
        dev.ret = IRQ_NONE;  // unhandled: note_interrupt counts every one
        ASSERT_EQ(request_irq(IRQ, test_dev_handler, IRQF_SHARED, "a", &dev), 0);
        second.tag = "b";
    }
};

TEST_F(IrqRace, SmpFlowsSpuriousAccountingAndLineChangesRaceCleanly) {
    std::atomic<int> running{2};
    auto fire = [&](unsigned cpu) {
        SimCpu::Scope on(cpu);
        for (unsigned i = 0; i < ROUNDS; i++) host_env::fire_irq(IRQ);
        running--;
    };
    std::thread cpu1(fire, 1), cpu2(fire, 2);
    unsigned changes = 0;
    do {  // CPU 0 keeps changing the line for as long as the others take interrupts on it
        disable_irq_nosync(IRQ);
        enable_irq(IRQ);
        if (request_irq(IRQ, test_dev_handler, IRQF_SHARED, "b", &second) == 0) free_irq(IRQ, &second);
        show_interrupts(discard, nullptr);
        irq_desc_dump(IRQ, discard, nullptr);
        changes++;
    } while (running.load() > 0);
    cpu1.join();
    cpu2.join();
    EXPECT_GT(changes, 0u);
    EXPECT_EQ(desc->depth, 0u);
    EXPECT_FALSE(disabled());
    // Every flow that ran the actions counted the interrupt once, and each such run called "a" once
    // ("b" may have been there too); an interrupt that found the line disabled ran no action.
    EXPECT_EQ((unsigned)dev.calls.load(), kstat_irqs(IRQ));
    EXPECT_GT(kstat_irqs(IRQ), 0u);
    EXPECT_EQ(warn_count, 0ul);
}
}  // namespace
