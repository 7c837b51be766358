// `crash=pf|de|df|ud|gp` on the command line: deliberately raise one CPU exception once boot is complete,
// so the end-to-end tests can check the panic report (vector name, registers, symbolised trace) and
// that the machine halts instead of triple-faulting.
#pragma once

// Boot, after the consoles are up. Does nothing without `crash=`; otherwise does not return.
void crash_test_run();
