// Simulated CPUs for the host tests: which CPU the calling thread "is" (thread-local, default 0), each
// CPU's interrupt flag, and how many CPUs are online. tests/host/support/arch_host.cpp implements
// kernel/arch.h on top of this, so the portable core runs unchanged with several "CPUs" as threads.
#pragma once
#include "kernel/percpu.h"

namespace SimCpu {
// The calling thread's CPU number (0 .. NR_CPUS-1).
unsigned current();
void set_current(unsigned cpu);
// Interrupt flag of a simulated CPU (true: interrupts enabled, as in process context).
bool irqs_enabled(unsigned cpu);
void set_irqs_enabled(unsigned cpu, bool on);
void set_online(unsigned n);  // CPUs 0 .. n-1 online (1 .. NR_CPUS)
// Called by arch::cpu_relax() on the spinning CPU (its number as argument), so a test can deliver an
// interrupt to a CPU that waits with interrupts on, as real hardware would (the IPI tests). NULL: none.
void set_relax_hook(void (*hook)(unsigned cpu));
// All CPUs: interrupts enabled; one CPU online; the calling thread is CPU 0; no relax hook.
void reset();

// RAII: the calling thread acts as `cpu` for the scope.  SimCpu::Scope cpu1(1);
class Scope {
public:
    explicit Scope(unsigned cpu) : prev_(current()) { set_current(cpu); }
    ~Scope() { set_current(prev_); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

private:
    unsigned prev_;
};
}  // namespace SimCpu
