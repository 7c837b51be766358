// Each CPU's scheduler start (arch/x86/process.cpp).
#pragma once

// On `cpu` itself, on its boot stack, interrupts off, before its first interrupt: the boot CPU installs
// the scheduler's hooks; every CPU makes the code running now its idle task ("swapper/N"), which ends in
// cpu_startup_entry().
void x86_sched_init_cpu(unsigned cpu);
