// The host test environment: reset of everything the portable core keeps in globals, a fixture that
// does it before each test, and a simulated interrupt (what do_IRQ does around generic_handle_irq).
#pragma once
#include <gtest/gtest.h>
#include <string>

namespace host_env {
// Free leftover irqactions, early_irq_init(), simulated CPUs back to one CPU 0 with interrupts on,
// preempt counts 0, no softirq pending or registered but the tasklet and timer ones, HZ 1000 and
// jiffies 0, every CPU's timer wheel empty, spurious tunables and boot flags to their defaults, kmalloc
// failure injection off, printk capture cleared, warn_count 0.
void reset_all();
// Deliver `irq` on the calling thread's simulated CPU: interrupts off, irq_enter, generic_handle_irq,
// irq_exit (which runs the softirqs pending on that CPU, the resend tasklet among them), interrupts
// restored.
void fire_irq(unsigned irq);
// An interrupt with nothing to handle on the calling thread's CPU (irq_enter, irq_exit): its irq_exit runs
// the softirqs pending there, as a timer tick's would.
void empty_interrupt();
void set_jiffies(unsigned long j);
// Everything waiting in the tty input queue, read without blocking.
std::string drain_tty();
}  // namespace host_env

// Base fixture for core tests. main() also resets before every test, so tests of other suites start
// clean too; the fixture makes the dependency explicit for readers.
class IrqTest : public ::testing::Test {
protected:
    void SetUp() override { host_env::reset_all(); }
};
