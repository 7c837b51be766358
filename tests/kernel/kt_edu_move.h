// The check shared by the in-kernel tests that move an edu line between CPUs while it interrupts (the
// IO-APIC's INTx pin in test_io_apic.cpp, the MSI in test_edu_msi.cpp): Linux's promise for
// irq_set_affinity is that no interrupt is lost or doubled across the move, whatever the chip.
#pragma once
#include "drivers/misc/edu_dev.h"

// One move of `irq` (the edu's line) to CPU `target` (0 or 1). One raise is sent on the line as it is
// now with interrupts off on this CPU while irq_set_affinity rewrites the line, so it is in flight
// across the move; then `raises` more. Checked: the move returns 0, the one in flight is handled exactly
// once, the effective affinity is the target, check_hw(irq, target) (the chip's own view: the IO-APIC
// entry, the MSI message), every later raise handled once, and the per-CPU counts in the target's column
// (the one in flight may land on either CPU). Process context, interrupts on; CPUs 0 and 1 online.
void kt_edu_move_and_count(edu_device* dev, unsigned irq, unsigned target, unsigned raises,
                           void (*check_hw)(unsigned irq, unsigned target));
