// Ending the machine: ACPI soft-off on the emulators we run on, and the test verdict exit used by
// `make test` (QEMU isa-debug-exit, Bochs's 0x8900 shutdown port). Both halt if nothing takes effect.
#pragma once

// Process context, any interrupt state. Does not return on QEMU or Bochs; elsewhere halts.
[[noreturn]] void machine_poweroff();
// Print "IRQOS-VERDICT: PASS|FAIL" on serial, then end the emulator with it: QEMU exits with status
// 33 (pass) or 35 (fail), Bochs on "Shutdown" (the verdict line is what its caller checks).
[[noreturn]] void emulator_exit(bool pass);
// In-kernel test runs: from now on a panic, a fatal exception or any other arch::halt() ends the
// emulator with a FAIL verdict (after its report), so `make test` learns of it at once instead of
// waiting for its timeout. Boot, before the tests start.
void set_fatal_ends_emulator(bool on);
// Called by arch::halt(): true once, if a test run asked for it (then the caller exits the emulator).
bool fatal_ends_emulator_claim();
