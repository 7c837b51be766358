// Starting the application processors (Linux arch/x86/kernel/smpboot.c: native_smp_prepare_cpus,
// do_boot_cpu, wakeup_secondary_cpu_via_init, start_secondary; Intel SDM vol. 3A 8.4.4.1). The CPUs come
// from the MADT; each enabled one except the boot CPU gets the next CPU number, a kernel stack, the
// trampoline's parameter block (arch/x86/boot/trampoline.asm) and INIT-SIPI-SIPI with Linux's delays
// for a modern CPU (no 10 ms INIT delay, 10 us around each STARTUP). The boot CPU polls for the AP's
// call-in with a timeout; a CPU that does not answer is reported and left out, and if it wakes up
// later it finds its slot withdrawn and halts. CPUs are numbered densely: CPUs 0 .. n-1 are online.
#include "arch/x86/irq_stack.h"
#include "arch/x86/smp.h"
#include "arch/x86/apic.h"
#include "arch/x86/cpu.h"
#include "arch/x86/cpu_local.h"
#include "arch/x86/gdt.h"
#include "arch/x86/idt.h"
#include "arch/x86/portio.h"
#include "arch/x86/stacktrace.h"
#include "drivers/acpi/madt.h"
#include "drivers/apic/local_apic.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "arch/x86/process.h"
#include "kernel/idle.h"
#include "kernel/sched/sched.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "mm/pmm.h"

extern "C" char trampoline_start[], trampoline_end[], trampoline_cr3[], trampoline_efer[], trampoline_entry[],
    trampoline_stack[], trampoline_cpu[];
extern "C" void ap_entry64();
extern unsigned x86_online_cpus;

namespace {
constexpr unsigned AP_STACK_PAGES = 8;  // 32 KiB, as the boot stack
constexpr unsigned STARTUP_IPIS = 2;
constexpr unsigned SIPI_ACCEPT_US = 10;          // Linux with init_udelay = 0 (any CPU since the P6)
constexpr uint64_t CALLIN_TIMEOUT_US = 5000000;  // generous for a busy emulator; Linux waits 10 s
constexpr uint64_t EFER_LME = 1ull << 8, EFER_NXE = 1ull << 11;

// One start-up at a time: the boot CPU offers slot `cpu` and waits; the AP takes it with a
// compare-and-swap, or finds it withdrawn (the boot CPU gave up) and halts.
constexpr int SLOT_NONE = -1;
int callin_slot = SLOT_NONE;  // the CPU number being started
int callin_done = SLOT_NONE;  // the AP writes its number here once it took the slot
int online_done = SLOT_NONE;  // ... and here once it is ready (interrupts on, ticking)

unsigned max_cpus = NR_CPUS;
bool smp_disabled;

SmpCpuInfo cpu_table[MADT_MAX_CPUS];
unsigned nr_cpu_table;
uint64_t startup_cycles[NR_CPUS];

int nosmp_setup(const char*) {
    smp_disabled = true;
    return 0;
}
__setup_flag("nosmp", nosmp_setup);

int maxcpus_setup(const char* value) {
    unsigned long v;
    if (!parse_uint(value, &v)) {
        pr_warn("maxcpus=%s rejected: not a number\n", value);
        return -EINVAL;
    }
    max_cpus = v == 0 ? 1 : (v > NR_CPUS ? NR_CPUS : unsigned(v));  // Linux: maxcpus=0 is nosmp
    if (v == 0) smp_disabled = true;
    return 0;
}
__setup("maxcpus", maxcpus_setup);

template <typename T>
void tramp_write(uintptr_t base, const char* field, T value) {
    *reinterpret_cast<volatile T*>(base + uintptr_t(field - trampoline_start)) = value;
}

bool wait_for(int* what, int value, uint64_t timeout_us) {
    uint64_t t0 = x86::rdtsc(), limit = timeout_us * tsc_khz() / 1000;
    while (__atomic_load_n(what, __ATOMIC_ACQUIRE) != value) {
        if (x86::rdtsc() - t0 > limit) return false;
        x86::pause();
    }
    return true;
}

// Linux wakeup_secondary_cpu_via_init for an integrated APIC: INIT assert, INIT de-assert, two STARTUPs.
int wakeup_secondary_cpu_via_init(LocalApic& apic, uint32_t apic_id, uintptr_t start_page) {
    X86PortIo& io = x86_port_io();
    apic.read_esr();
    if (apic.send_init_assert(apic_id) || apic.wait_icr_idle()) return -EIO;
    if (apic.send_init_deassert(apic_id) || apic.wait_icr_idle()) return -EIO;
    uint32_t accept = 0;
    for (unsigned j = 1; j <= STARTUP_IPIS; j++) {
        apic.read_esr();
        if (apic.send_startup(apic_id, start_page)) return -EIO;
        io.udelay(SIPI_ACCEPT_US);
        int send = apic.wait_icr_idle();
        io.udelay(SIPI_ACCEPT_US);
        accept = apic.read_esr() & 0xEF;
        if (send) {
            pr_err("APIC never delivered???\n");
            return -EIO;
        }
        if (accept) {
            pr_err("APIC delivery error (%x)\n", accept);
            return -EIO;
        }
    }
    return 0;
}

int do_boot_cpu(LocalApic& apic, uintptr_t tramp, unsigned cpu, uint32_t apic_id) {
    uintptr_t stack = pmm_alloc_pages(AP_STACK_PAGES);
    if (!stack) {
        pr_err("smpboot: CPU%u: no memory for its stack\n", cpu);
        return -ENOMEM;
    }
    uintptr_t top = stack + AP_STACK_PAGES * PMM_PAGE_SIZE;
    register_kernel_stack(stack, top);
    tramp_write<uint64_t>(tramp, trampoline_stack, top);
    tramp_write<uint32_t>(tramp, trampoline_cpu, cpu);
    __atomic_store_n(&callin_slot, int(cpu), __ATOMIC_RELEASE);

    uint64_t t0 = x86::rdtsc();
    int err = wakeup_secondary_cpu_via_init(apic, apic_id, tramp);
    if (!err && !wait_for(&callin_done, int(cpu), CALLIN_TIMEOUT_US)) {
        // Withdraw the slot; if the AP took it in the meantime, it is coming after all.
        int expected = int(cpu);
        if (__atomic_compare_exchange_n(&callin_slot, &expected, SLOT_NONE, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            err = -ETIMEDOUT;
        else
            wait_for(&callin_done, int(cpu), CALLIN_TIMEOUT_US);
    }
    if (err) {
        pr_err("smpboot: CPU%u: APIC %u did not respond (%d)\n", cpu, apic_id, err);
        return err;  // the stack stays reserved: a late AP may still be running on it before it halts
    }
    if (!wait_for(&online_done, int(cpu), CALLIN_TIMEOUT_US)) {
        pr_err("smpboot: CPU%u: APIC %u called in but never came online\n", cpu, apic_id);
        return -ETIMEDOUT;
    }
    startup_cycles[cpu] = x86::rdtsc() - t0;
    return 0;
}

}  // namespace

// The AP's first C++ (from ap_entry64, on its own stack, interrupts off, the trampoline's GDT).
extern "C" [[noreturn]] void start_secondary(unsigned cpu) {
    cpu_local_init(cpu);
    int slot = int(cpu);
    if (!__atomic_compare_exchange_n(&callin_slot, &slot, SLOT_NONE, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        for (;;) {  // the boot CPU gave up on us
            x86::cli();
            x86::hlt();
        }
    __atomic_store_n(&callin_done, int(cpu), __ATOMIC_RELEASE);
    gdt_init(cpu);
    irq_stack_init(cpu);
    idt_load();
    apic_ap_setup(cpu);
    x86_sched_init_cpu(cpu);  // this code becomes the CPU's idle task
    // Online: the boot CPU waits for this before starting the next CPU, so the count stays dense.
    __atomic_store_n(&x86_online_cpus, cpu + 1, __ATOMIC_RELEASE);
    __atomic_store_n(&online_done, int(cpu), __ATOMIC_RELEASE);
    cpu_startup_entry();
}

void smp_boot_cpus() {
    LocalApic* apic = local_apic();
    const MadtInfo* madt = acpi_madt();
    // Without a local APIC in use (PIC mode) the boot CPU's ID comes from CPUID leaf 1 (EBX bits 31-24,
    // the initial APIC ID), so the table still knows which MADT entry is CPU 0.
    if (!apic) {
        uint32_t eax = 1, ebx, ecx = 0, edx;
        __asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
        per_cpu(x86_cpu_to_apicid, 0) = ebx >> 24;
    }
    uint32_t boot_id = per_cpu(x86_cpu_to_apicid, 0);
    nr_cpu_table = 0;
    if (madt)
        for (unsigned i = 0; i < madt->nr_cpus && i < MADT_MAX_CPUS; i++) {
            const MadtCpu& c = madt->cpus[i];
            if (!c.enabled) continue;
            SmpCpuInfo& e = cpu_table[nr_cpu_table++];
            e.apic_id = c.apic_id;
            e.cpu = c.apic_id == boot_id ? 0 : -1;
            e.state = c.apic_id == boot_id ? SmpCpuState::Online : SmpCpuState::Offline;
        }
    if (!apic || !madt) {
        pr_info("smp: %s: only CPU 0\n", !apic ? "no local APIC in use" : "no MADT");
        return;
    }
    smp_ipi_init();  // also with one CPU: IPIs to itself work, and the tests send some
    if (smp_disabled) {
        pr_info("smp: SMP disabled (nosmp or maxcpus=0): only CPU 0\n");
        return;
    }
    bool any_to_start = false;
    for (unsigned i = 0; i < nr_cpu_table; i++) any_to_start |= cpu_table[i].state != SmpCpuState::Online;
    if (!any_to_start) {
        pr_info("smp: Brought up 1 node, 1 CPU\n");
        return;
    }
    uintptr_t tramp = pmm_reserve_low_page();
    size_t size = size_t(trampoline_end - trampoline_start);
    if (!tramp || size > PMM_PAGE_SIZE) {
        pr_err("smpboot: no page below 1 MiB for the trampoline: only CPU 0\n");
        return;
    }
    for (size_t i = 0; i < size; i++) reinterpret_cast<volatile char*>(tramp)[i] = trampoline_start[i];
    tramp_write<uint64_t>(tramp, trampoline_entry, reinterpret_cast<uintptr_t>(ap_entry64));
    tramp_write<uint32_t>(tramp, trampoline_cr3, uint32_t(x86::read_cr3()));
    tramp_write<uint32_t>(tramp, trampoline_efer, uint32_t(x86::rdmsr(x86::MSR_EFER) & (EFER_LME | EFER_NXE)));

    pr_info("smp: Bringing up secondary CPUs ...\n");
    pr_info("smpboot: trampoline at 0x%lx (%lu bytes)\n", (unsigned long)tramp, (unsigned long)size);
    for (unsigned i = 0; i < nr_cpu_table; i++) {
        SmpCpuInfo& e = cpu_table[i];
        if (e.state == SmpCpuState::Online) continue;
        unsigned cpu = arch::num_online_cpus();
        if (cpu >= max_cpus) continue;  // left offline (maxcpus=, NR_CPUS)
        int err = do_boot_cpu(*apic, tramp, cpu, e.apic_id);
        if (err) {
            e.state = SmpCpuState::Failed;
            continue;
        }
        e.cpu = int(cpu);
        e.state = SmpCpuState::Online;
        pr_info("smpboot: CPU%u: APIC %u up in %lu us\n", cpu, e.apic_id,
                (unsigned long)(startup_cycles[cpu] * 1000 / tsc_khz()));
    }
    unsigned n = arch::num_online_cpus();
    pr_info("smp: Brought up 1 node, %u CPU%s\n", n, n == 1 ? "" : "s");
}

unsigned smp_cpu_table(const SmpCpuInfo** table) {
    *table = cpu_table;
    return nr_cpu_table;
}

uint64_t smp_startup_cycles(unsigned cpu) { return cpu < NR_CPUS ? startup_cycles[cpu] : 0; }
