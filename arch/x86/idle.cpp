// arch_safe_halt (kernel/idle.h). STI enables interrupts only after the next instruction (Intel SDM
// vol. 2B "STI": the interrupt shadow), so in `sti; hlt` no interrupt can slip in between: one that is
// pending, or arrives, before HLT wakes HLT. A caller that checked its condition with interrupts off
// therefore never sleeps through the interrupt that changed it (Linux's safe_halt/native_safe_halt).
#include "kernel/idle.h"

void arch_safe_halt() { __asm__ volatile("sti; hlt" : : : "memory"); }
