// APIC mode on the kernel side (Linux arch/x86/kernel/apic/apic.c: init_bsp_APIC/setup_local_APIC,
// apic_ap_setup, setup_boot_APIC_clock, setup_secondary_APIC_clock): the local APIC's MMIO window, the
// system vectors it raises (error, timer; the IPIs are arch/x86/smp_ipi.cpp) and the switch of the tick
// from the PIT to the LAPIC timer. The register work itself is drivers/apic/local_apic.
#pragma once
#include "kernel/types.h"

class PortIo;

// Switch the boot CPU to its local APIC at physical `phys` (the MADT's address; 0 takes the
// IA32_APIC_BASE MSR's): globally enable it in the MSR if firmware left it off, Linux's enable sequence
// (LINT0 ExtINT unmasked only when `extint`, i.e. the 8259 stays the interrupt source through the
// virtual wire), the error and spurious vectors, EOI for unowned vectors, x86_cpu_to_apicid of CPU 0,
// local_apic() non-NULL. Boot CPU, interrupts off, before the IO-APIC is programmed.
// 0, or -ENODEV (the window reads as nothing: no LAPIC there).
int apic_bsp_setup(uint64_t phys, bool extint);

// Calibrate the LAPIC timer against the PIT and start CPU 0's tick at HZ on LOCAL_TIMER_VECTOR (LOC).
// With `take_tick` it also takes jiffies over from the PIT, which is stopped as Linux leaves it: APIC
// mode, the IO-APIC delivering the devices. Without, the PIT keeps the tick: while the 8259 pair still
// reaches the CPU through LINT0 (virtual wire), an 8259 storm would starve the LAPIC timer, because ExtINT
// is delivered ahead of the local APIC's priority order (QEMU's apic_get_interrupt, as the hardware).
// Boot CPU, interrupts off, after apic_bsp_setup and pit_init. 0, -ENODEV (no LAPIC), -EIO (calibration
// failed: the PIT keeps the tick, the LAPIC timers stay off).
int apic_timer_takeover(PortIo& io, bool take_tick);

// An application processor's part (Linux apic_ap_setup + setup_secondary_APIC_clock): the enable
// sequence with LINT0/LINT1 masked, x86_cpu_to_apicid, its periodic tick at HZ. On that AP, interrupts off.
void apic_ap_setup(unsigned cpu);
