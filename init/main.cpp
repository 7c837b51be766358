// kernel_main: the boot sequence after the long-mode trampoline (arch/x86/boot/boot64.asm), in the order
// Linux's start_kernel follows where it applies: consoles first, traps, command line, memory, the
// interrupt core, the legacy controllers and their devices, interrupts on, then the shell or the tests.
#include "init/multiboot2.h"
#include "arch/x86/cpu_local.h"
#include "arch/x86/apic.h"
#include "arch/x86/crashtest.h"
#include "arch/x86/early_console.h"
#include "arch/x86/gdt.h"
#include "arch/x86/idt.h"
#include "arch/x86/paging.h"
#include "arch/x86/portio.h"
#include "arch/x86/poweroff.h"
#include "arch/x86/smp.h"
#include "arch/x86/vector.h"
#include "arch/x86/vector_init.h"
#include "drivers/acpi/acpi.h"
#include "arch/x86/irq_stack.h"
#include "drivers/apic/irq_mode.h"
#include "drivers/keyboard/i8042.h"
#include "drivers/misc/edu.h"
#include "drivers/pci/pci.h"
#include "kernel/irq/msi.h"
#include "drivers/pic/legacy_pic.h"
#include "drivers/pit/pit.h"
#include "drivers/rtc/rtc_cmos.h"
#include "drivers/serial/com2.h"
#include "drivers/serial/uart16550.h"
#include "drivers/vga/vga_console.h"
#include "kernel/cmdline.h"
#include "kernel/err.h"
#include "kernel/kthread.h"
#include "arch/x86/process.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/jiffies.h"
#include "kernel/printk.h"
#include "kernel/shell/shell.h"
#include "kernel/time/timer.h"
#include "kernel/slab.h"
#include "kernel/softirq.h"
#include "kernel/workqueue.h"
#include "mm/pmm.h"
#include "tests/kernel/ktest.h"

namespace {
constexpr uintptr_t VGA_TEXT_FRAMEBUFFER = 0xB8000;  // colour text mode, identity-mapped
constexpr unsigned NR_ISA_IRQS = 16;

void vga_emergency_write(const char* s, size_t len) {
    if (VgaConsole* v = vga_console()) v->write_unlocked(s, len);
}

#if defined(__clang__)
constexpr const char* COMPILER = "clang " __clang_version__;
#else
constexpr const char* COMPILER = "gcc " __VERSION__;
#endif

void check(int err, const char* what) {
    if (err < 0) pr_err("%s failed: %d\n", what, err);
}

// The init thread: the in-kernel tests or the shell.
int kernel_init(void*) {
    if (cmdline_has_flag("ktest")) {
        int failures = ktest_run_all();
        emulator_exit(failures == 0);
    }
    shell_run();
    return 0;
}
}  // namespace

extern "C" [[noreturn]] void kernel_main(uint32_t magic, uint32_t mbi_addr) {
    cpu_local_init(0);
    early_console_init();
    gdt_init(0);
    irq_stack_init(0);
    idt_init();  // from here on every exception gets a report instead of a triple fault
    register_console(&early_serial_console);

    VgaConsole* vga = vga_console_init(x86_port_io(), reinterpret_cast<volatile uint16_t*>(VGA_TEXT_FRAMEBUFFER));
    (void)vga;
    early_set_screen_writer(vga_emergency_write);

    pr_info("irqos x86_64 (%s)\n", COMPILER);
    if (magic != MULTIBOOT2_BOOTLOADER_MAGIC) panic("not started by a Multiboot2 loader (magic %x)", magic);
    BootInfo boot;
    if (!multiboot2_parse(mbi_addr, &boot)) panic("malformed Multiboot2 information at %x", mbi_addr);
    pr_info("Boot loader: %s\n", boot.loader_name);
    cmdline_print(boot.cmdline);
    int rejected = parse_cmdline(boot.cmdline);
    if (cmdline_has_flag("ktest"))
        set_fatal_ends_emulator(true);  // a crash during the tests ends the run with FAIL at once
    if (rejected) pr_warn("cmdline: %d word(s) ignored\n", rejected);

    acpi_boot_init(boot);  // before page 0 goes: the RSDP search reads the BIOS data area
    paging_init_guards();
    calibrate_tsc(x86_port_io());
    pmm_init(boot);

    early_irq_init();
    softirq_init();     // the per-CPU tasklet lists, the HI and TASKLET softirqs (Linux start_kernel)
    init_timers();      // every CPU's timer wheel and the TIMER softirq, before the first tick
    x86_vector_init();  // the vector allocator and domain, the ISA vectors kept on CPU 0
    check(irq_mode_init(x86_port_io()), "irq_mode_init");  // IO-APIC or, with noapic / no MADT, the 8259 pair
    for (unsigned i = 0; i < NR_ISA_IRQS; i++) vector_irq_set(0, ISA_IRQ_VECTOR(i), int(i));
    check(pit_init(x86_port_io(), HZ), "pit_init");
    check(i8042_init(x86_port_io()), "i8042_init");
    check(rtc_cmos_init(x86_port_io()), "rtc_cmos_init");
    com2_bind(x86_port_io());  // COM2 is probed by the commands that use it
    bool have_pci = pci_init(x86_port_io()) > 0;
    // The 16550 driver takes over COM1 (and its receive interrupt, IRQ 4) from the early console.
    unregister_console(&early_serial_console);
    if (int err = serial_console_setup(x86_port_io()); err < 0) {
        register_console(&early_serial_console);
        pr_err("serial_console_setup failed: %d\n", err);
    }

    // APIC mode (the IO-APIC routes the devices): CPU 0's local APIC with LINT0 masked, its timer as the
    // tick (the PIT stops), then the other CPUs. PIC mode (noapic, no MADT): no local APIC, one CPU.
    if (const MadtInfo* madt = acpi_madt(); madt && irq_routing_is_ioapic())
        if (apic_bsp_setup(madt->lapic_address, /*extint=*/false) == 0) {
            check(apic_timer_takeover(x86_port_io(), /*take_tick=*/true), "apic_timer_takeover");
            x86_create_pci_msi_domain();  // MSI can reach a CPU now (arch/x86/pci_msi_domain.cpp)
        }
    // Drivers bind once the PCI-MSI domain exists, so they get MSI when a local APIC can take it (Linux's
    // drivers ask for MSI first) and INTx on the 8259 pair otherwise.
    if (have_pci) check(edu_init(), "edu_init");

    x86_sched_init_cpu(0);  // from here the boot code is CPU 0's idle task, "swapper/0"
    local_irq_enable();
    pr_info("irqos: interrupts enabled, HZ=%u\n", HZ);
    workqueue_init_early();  // the worker pools and system workqueues: works may be queued from here
    smp_boot_cpus();
    // A crash test (a boot image built for one) faults here, on the boot stack with its guard page, so
    // a double fault from a stack overflow is caught there and the trace ends in kernel_main.
    crash_test_run();

    // Linux rest_init: the rest runs in the first thread, init (pid 1, created first, started last), and
    // the boot code becomes the idle loop.
    task_struct* init = kthread_create(kernel_init, nullptr, "init");
    if (IS_ERR(init)) panic("cannot create the init thread (%ld)", PTR_ERR(init));
    check(spawn_ksoftirqd(), "spawn_ksoftirqd");  // ksoftirqd/N on every CPU
    workqueue_init();  // every CPU schedules now: the first kworker of each pool, works start running
    WRITE_ONCE(sched_running, true);
    wake_up_process(init);
    cpu_startup_entry();
}
