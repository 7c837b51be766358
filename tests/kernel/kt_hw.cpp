// The in-kernel tests' hardware helpers (see kt_hw.h).
#include "tests/kernel/kt_hw.h"
#include "drivers/apic/irq_mode.h"
#include "arch/x86/cpu.h"
#include "arch/x86/portio.h"
#include "kernel/idle.h"
#include "kernel/spinlock.h"
#include "arch/x86/vector.h"
#include "kernel/cpumask.h"
#include "kernel/irq/vector_domain.h"

namespace {
constexpr uint16_t BOCHS_E9_PORT = 0xE9;      // Bochs "port_e9_hack" (bochsrc port_e9_hack: enabled=1)
constexpr uint8_t BOCHS_E9_SIGNATURE = 0xE9;  // what a read of that port returns on Bochs
constexpr unsigned long TSC_KHZ_MIN = 1;      // guards the division if calibration failed
}  // namespace

uint64_t kt_now() { return rdtsc(); }

uint64_t kt_elapsed_us(uint64_t since) {
    unsigned long khz = tsc_khz();
    if (khz < TSC_KHZ_MIN) khz = TSC_KHZ_MIN;
    return (rdtsc() - since) * 1000 / khz;
}

bool kt_wait_us(bool (*cond)(void*), void* arg, uint64_t timeout_us) {
    uint64_t start = kt_now();
    for (;;) {
        local_irq_disable();  // check and sleep without missing the wake-up (kernel/idle.h)
        if (cond(arg)) {
            local_irq_enable();
            return true;
        }
        if (kt_elapsed_us(start) > timeout_us) {
            local_irq_enable();
            return false;
        }
        // HLT would wait for the next interrupt; with the timer possibly off that may be forever, so
        // only let pending interrupts in and poll.
        local_irq_enable();
        arch::cpu_relax();
    }
}

void kt_settle_us(uint64_t us) {
    uint64_t start = kt_now();
    local_irq_enable();
    while (kt_elapsed_us(start) < us) arch::cpu_relax();
}

bool kt_running_on_bochs() { return x86_port_io().inb(BOCHS_E9_PORT) == BOCHS_E9_SIGNATURE; }

namespace {
// i8042 keyboard controller (IBM PS/2 Technical Reference, "Keyboard/Auxiliary Device Controller").
constexpr uint16_t I8042_DATA = 0x60, I8042_STATUS_CMD = 0x64;
constexpr uint8_t I8042_STR_OBF = 0x01;            // output buffer full (a byte for the CPU)
constexpr uint8_t I8042_STR_IBF = 0x02;            // input buffer full (controller busy with our write)
constexpr uint8_t I8042_CMD_WRITE_KBD_OUT = 0xD2;  // next data byte appears as keyboard output
constexpr uint64_t I8042_READY_TIMEOUT_US = 100000;

// Spin without touching the interrupt flag: callers may inject with interrupts off on purpose.
bool i8042_wait_input_empty() {
    uint64_t start = kt_now();
    while (x86_port_io().inb(I8042_STATUS_CMD) & I8042_STR_IBF) {
        if (kt_elapsed_us(start) > I8042_READY_TIMEOUT_US) return false;
        arch::cpu_relax();
    }
    return true;
}
}  // namespace

bool kt_i8042_inject(uint8_t scancode) {
    X86PortIo& io = x86_port_io();
    if (!i8042_wait_input_empty()) return false;
    io.outb(I8042_STATUS_CMD, I8042_CMD_WRITE_KBD_OUT);
    if (!i8042_wait_input_empty()) return false;
    io.outb(I8042_DATA, scancode);
    return true;
}

uint8_t kt_i8042_read_data() { return x86_port_io().inb(I8042_DATA); }
bool kt_i8042_output_full() { return x86_port_io().inb(I8042_STATUS_CMD) & I8042_STR_OBF; }

bool kt_apic_mode() { return irq_routing_is_ioapic(); }

int kt_vector_alloc(unsigned* cpu) {
    lock_vector_lock();
    int vector = irq_matrix_alloc(&vector_matrix, cpumask_of(smp_processor_id()), false, cpu);
    unlock_vector_lock();
    return vector;
}

void kt_vector_free(unsigned cpu, unsigned vector) {
    lock_vector_lock();
    irq_matrix_free(&vector_matrix, cpu, vector, false);
    unlock_vector_lock();
    vector_irq_set(cpu, vector, VECTOR_UNUSED);
}
