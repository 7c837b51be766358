// The interrupt flag of the current CPU (Intel SDM vol. 1 3.4.3; Linux arch/x86/include/asm/irqflags.h),
// inline: these sit on every interrupt and lock path. Included by kernel/arch.h only.
#pragma once
#include "arch/x86/cpu.h"

namespace arch {
[[gnu::always_inline]] inline unsigned long irq_save() {
    unsigned long flags = x86::read_rflags();
    x86::cli();
    return flags;
}
// Like Linux's arch_local_irq_restore: only ever re-enables; irq_save already disabled.
[[gnu::always_inline]] inline void irq_restore(unsigned long flags) {
    if (flags & x86::RFLAGS_IF) x86::sti();
}
[[gnu::always_inline]] inline void irq_enable() { x86::sti(); }
[[gnu::always_inline]] inline void irq_disable() { x86::cli(); }
[[gnu::always_inline]] inline bool irqs_disabled_flags(unsigned long flags) { return !(flags & x86::RFLAGS_IF); }
[[gnu::always_inline]] inline bool irqs_disabled() { return irqs_disabled_flags(x86::read_rflags()); }
}  // namespace arch
