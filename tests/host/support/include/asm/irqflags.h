// The interrupt flag of the calling thread's simulated CPU (tests/host/support/arch_host.cpp).
// Included by kernel/arch.h only.
#pragma once

namespace arch {
unsigned long irq_save();
void irq_restore(unsigned long flags);
void irq_enable();
void irq_disable();
bool irqs_disabled();
bool irqs_disabled_flags(unsigned long flags);
}  // namespace arch
