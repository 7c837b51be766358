// Host arch_safe_halt (kernel/idle.h), behind cpu_idle_once: there is no interrupt to sleep for, so enable the simulated
// CPU's interrupts and yield the thread, giving "interrupts" raised by other test threads a chance.
#include "kernel/idle.h"
#include "kernel/arch.h"
#include <thread>

void arch_safe_halt() {
    arch::irq_enable();
    std::this_thread::yield();
}
