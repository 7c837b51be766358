// The kernel's local APIC (see arch/x86/apic.h): one MMIO window at the APIC base, which every CPU
// reaches its own unit through (xAPIC), and the system vector handlers of the error and timer
// interrupts (Linux sysvec_error_interrupt, sysvec_apic_timer_interrupt).
#include "arch/x86/apic.h"
#include "arch/x86/cpu.h"
#include "arch/x86/irq.h"
#include "arch/x86/smp.h"
#include "arch/x86/sysvec.h"
#include "drivers/apic/apic_timer.h"
#include "drivers/apic/local_apic.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/irq/vector_domain.h"
#include "drivers/pit/pit.h"
#include "kernel/errno.h"
#include "kernel/jiffies.h"
#include "kernel/printk.h"

namespace {
constexpr uint32_t MSR_IA32_APICBASE = 0x1B;
constexpr uint64_t MSR_IA32_APICBASE_BSP = 1ull << 8;
constexpr uint64_t MSR_IA32_APICBASE_ENABLE = 1ull << 11;
constexpr uint64_t MSR_IA32_APICBASE_BASE = 0xFFFFF000ull;

void sysvec_error_interrupt(TrapFrame*) { local_apic()->handle_error_interrupt(smp_processor_id()); }

void sysvec_apic_timer_interrupt(TrapFrame*) {
    apic_eoi();
    local_apic_timer_interrupt(smp_processor_id());
}

// The spurious path of a system vector nobody installed: EOI only if it is really in service.
bool lapic_isr_eoi(unsigned vector) {
    LocalApic* a = local_apic();
    if (!a || !a->vector_in_service(vector)) return false;
    a->eoi();
    return true;
}

void ack_vector_eoi(unsigned) { apic_eoi(); }

LocalApic* make_local_apic(uintptr_t phys) {
    // Boot CPU, once: the function-local objects are built on first use (no other CPU runs yet).
    static MmioWindow window(phys);
    static LocalApic apic(window);
    return &apic;
}
}  // namespace

int apic_bsp_setup(uint64_t phys, bool extint) {
    uint64_t msr = x86::rdmsr(MSR_IA32_APICBASE);
    if (!(msr & MSR_IA32_APICBASE_ENABLE)) {
        pr_info("APIC: enabling the local APIC in IA32_APIC_BASE (firmware left it off)\n");
        x86::wrmsr(MSR_IA32_APICBASE, msr | MSR_IA32_APICBASE_ENABLE);
    }
    uint64_t msr_base = msr & MSR_IA32_APICBASE_BASE;
    if (phys == 0) phys = msr_base;
    if (phys != msr_base)
        pr_warn("APIC: MADT says the local APIC is at 0x%llx, IA32_APIC_BASE 0x%llx; using the MADT's\n",
                (unsigned long long)phys, (unsigned long long)msr_base);
    LocalApic* apic = make_local_apic(uintptr_t(phys));
    uint32_t lvr = apic->mmio().readl(lapic::APIC_LVR);
    if (lvr == 0xFFFFFFFFu || lvr == 0) {
        pr_err("APIC: no local APIC answers at 0x%llx\n", (unsigned long long)phys);
        return -ENODEV;
    }
    sysvec_install(ERROR_APIC_VECTOR, sysvec_error_interrupt);
    sysvec_install(LOCAL_TIMER_VECTOR, sysvec_apic_timer_interrupt);
    sysvec_set_spurious_ack(lapic_isr_eoi);
    apic->setup(/*boot_cpu=*/true, extint, SPURIOUS_APIC_VECTOR, ERROR_APIC_VECTOR);
    per_cpu(x86_cpu_to_apicid, 0) = apic->id();
    set_unhandled_vector_ack(ack_vector_eoi);
    // Linux x86 ack_bad_irq: a vector that reached handle_bad_irq (e.g. a retrigger IPI taken after its
    // IRQ was freed) is still in service at the local APIC; without the EOI its priority class stays blocked.
    arch_ack_bad_irq = ack_vector_eoi;
    set_local_apic(apic);
    pr_info("APIC: local APIC %u, version 0x%02x, %u LVT entries at 0x%llx%s\n", apic->id(), apic->version(),
            apic->max_lvt() + 1, (unsigned long long)phys, (msr & MSR_IA32_APICBASE_BSP) ? " (boot CPU)" : "");
    return 0;
}

int apic_timer_takeover(PortIo& io, bool take_tick) {
    LocalApic* apic = local_apic();
    if (!apic) return -ENODEV;
    unsigned long bus_hz = apic_timer_calibrate(io, *apic);
    if (!bus_hz) return -EIO;
    uint32_t count = apic_timer_setup_periodic(*apic, bus_hz, HZ);
    if (!count) {
        pr_warn("APIC: timer cannot tick at HZ=%u with a %lu Hz bus clock; the PIT keeps the tick\n", HZ, bus_hz);
        return -EIO;
    }
    apic_timer_set_bus_hz(bus_hz);  // the APs start their ticks from it
    if (!take_tick) {
        pr_info("APIC: CPU 0's LAPIC timer at HZ=%u (initial count %u); the PIT keeps the tick (8259 on LINT0)\n", HZ,
                count);
        return 0;
    }
    // Interrupts are off: no tick can fall between the two lines, and none counts twice.
    apic_set_tick_do_timer_cpu(0);
    pit_stop_tick();
    pr_info("APIC: CPU 0 ticks at HZ=%u from its LAPIC timer (initial count %u); PIT stopped\n", HZ, count);
    return 0;
}

void apic_ap_setup(unsigned cpu) {
    LocalApic* apic = local_apic();
    apic->setup(/*boot_cpu=*/false, /*extint=*/false, SPURIOUS_APIC_VECTOR, ERROR_APIC_VECTOR);
    per_cpu(x86_cpu_to_apicid, cpu) = apic->id();
    lapic_online();  // this CPU's vectors join the allocator (kernel/irq/vector_domain.h)
    if (unsigned long bus_hz = apic_timer_bus_hz()) apic_timer_setup_periodic(*apic, bus_hz, HZ);
}
