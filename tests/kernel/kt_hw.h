// Small hardware helpers shared by the in-kernel tests: time from the TSC (calibrated against PIT
// channel 2 at boot, independent of the timer interrupt under test), waiting for a condition with a
// TSC deadline, and telling the emulators apart where their hardware models differ.
#pragma once
#include "kernel/types.h"

// Microseconds since an earlier kt_now() value. Any context.
uint64_t kt_now();
uint64_t kt_elapsed_us(uint64_t since);

// Idle (interrupts on) until cond(arg) holds or `timeout_us` of TSC time passed. Returns cond's value.
// Unlike ktest_wait_jiffies it works when the timer itself is broken or disabled.
bool kt_wait_us(bool (*cond)(void*), void* arg, uint64_t timeout_us);
// Let interrupts in for `us` microseconds (busy idle), e.g. to prove that nothing more arrives.
void kt_settle_us(uint64_t us);

// Bochs answers reads of its "port e9 hack" with 0xE9; QEMU (no isa-debugcon) returns 0xFF.
bool kt_running_on_bochs();

// Put `scancode` into the i8042 output buffer as if the keyboard had sent it (controller command 0xD2,
// "write keyboard output buffer"), which raises IRQ1 like a real key. Waits (bounded) for the controller's
// input buffer to be empty before each write, without touching the interrupt flag. Returns false if the
// controller never became ready.
bool kt_i8042_inject(uint8_t scancode);
// Read the i8042 data port (takes a byte out of the output buffer, which drops the IRQ1 request).
uint8_t kt_i8042_read_data();
bool kt_i8042_output_full();

// The 8259-only tests (XT-PIC's masks, IRR and ELCR, its lazy variant, spurious IRQ7/IRQ15) skip in APIC
// mode, where the pair is initialised and fully masked; booting with `noapic` runs them (make test's
// ktest-noapic step).
bool kt_apic_mode();
#define KT_SKIP_IN_APIC_MODE()                                                               \
    do {                                                                                     \
        if (kt_apic_mode()) KSKIP("APIC mode: the 8259 pair is masked (runs under noapic)"); \
    } while (0)

// A vector for a test line, from the vector allocator (kernel/irq/matrix.h) on this CPU, so that no line
// is given it while the test uses it and no vector number is written into a test: the vector, or a
// negative errno. kt_vector_free returns it and leaves the CPU's vector_irq entry unused (the test knows
// that nothing is in flight on it). Process context; this CPU's vector_irq entry is the caller's to set.
int kt_vector_alloc(unsigned* cpu);
void kt_vector_free(unsigned cpu, unsigned vector);
