// Host cpu_idle_once (kernel/idle.h): there is no interrupt to sleep for, so enable the simulated
// CPU's interrupts and yield the thread, giving "interrupts" raised by other test threads a chance.
#include "kernel/idle.h"
#include "kernel/arch.h"
#include <thread>

void cpu_idle_once() {
    arch::irq_enable();
    std::this_thread::yield();
}
