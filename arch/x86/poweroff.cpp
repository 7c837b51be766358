// Power-off and emulator exit. PIIX4/ICH9 ACPI PM1a control: SLP_TYP=0 | SLP_EN (bit 13) = 0x2000 at the
// PM base + 4 (ACPI spec 4.8.3.2.1): QEMU's firmware puts the PM base at 0x600, older QEMU and Bochs
// answer at 0xB000. Bochs also ends on the string "Shutdown" written to port 0x8900. The debug-exit
// device (QEMU -device isa-debug-exit,iobase=0xf4) turns a byte v into exit status (v << 1) | 1.
// QEMU only requests the shutdown when the guest writes SLP_EN; its main loop stops the CPU a little
// later, so the CPU keeps running for a moment after the write: give it that moment before calling
// the power-off failed.
#include "arch/x86/poweroff.h"
#include "arch/x86/early_console.h"
#include "arch/x86/portio.h"
#include "kernel/arch.h"
#include "kernel/printk.h"
#include "kernel/shell/shell.h"

namespace {
constexpr uint16_t ACPI_PM1A_CNT_QEMU = 0x604, ACPI_PM1A_CNT_LEGACY = 0xB004;
constexpr uint16_t ACPI_SLP_EN = 1u << 13;
constexpr uint16_t BOCHS_SHUTDOWN_PORT = 0x8900;
constexpr uint16_t QEMU_DEBUG_EXIT_PORT = 0xF4;
constexpr uint8_t DEBUG_EXIT_PASS = 0x10;      // QEMU exit status 33
constexpr uint8_t DEBUG_EXIT_FAIL = 0x11;      // QEMU exit status 35
constexpr unsigned POWEROFF_SETTLE_MS = 2000;  // time the emulator gets to act on the request
constexpr unsigned SETTLE_STEP_US = 1000;

void bochs_shutdown(X86PortIo& io) {
    for (const char* p = "Shutdown"; *p; p++) io.outb(BOCHS_SHUTDOWN_PORT, uint8_t(*p));
}
}  // namespace

void machine_poweroff() {
    X86PortIo& io = x86_port_io();
    arch::irq_disable();
    console_flush_on_panic();  // what the consoles still hold goes out before the machine stops
    emergency_puts("irqos: power down\n");
    io.outw(ACPI_PM1A_CNT_LEGACY, ACPI_SLP_EN);  // Bochs acts at once, inside the write
    bochs_shutdown(io);
    io.outw(ACPI_PM1A_CNT_QEMU, ACPI_SLP_EN);  // QEMU acts when its main loop next runs
    for (unsigned ms = 0; ms < POWEROFF_SETTLE_MS; ms++) io.udelay(SETTLE_STEP_US);
    emergency_puts("irqos: power-off failed, halting\n");
    arch::halt();
}

namespace {
int cmd_poweroff(int, char**) { machine_poweroff(); }
}  // namespace
SHELL_COMMAND("poweroff", "power the machine off (ACPI on QEMU, shutdown port on Bochs)", cmd_poweroff);

namespace {
bool fatal_ends_emulator;
}  // namespace

void set_fatal_ends_emulator(bool on) { WRITE_ONCE(fatal_ends_emulator, on); }

// Only the first fatal path exits; emulator_exit itself ends in arch::halt() if nothing takes effect.
bool fatal_ends_emulator_claim() { return __atomic_exchange_n(&fatal_ends_emulator, false, __ATOMIC_SEQ_CST); }

void emulator_exit(bool pass) {
    X86PortIo& io = x86_port_io();
    arch::irq_disable();
    console_flush_on_panic();  // the test output still queued for the serial line comes first
    emergency_puts(pass ? "IRQOS-VERDICT: PASS\n" : "IRQOS-VERDICT: FAIL\n");
    io.outb(QEMU_DEBUG_EXIT_PORT, pass ? DEBUG_EXIT_PASS : DEBUG_EXIT_FAIL);
    bochs_shutdown(io);
    machine_poweroff();
}
