// The interrupt-path benchmark of `make bench` (tests/kernel/bench.cpp).
#pragma once

// True when the command line has the word `bench`.
bool bench_requested();
// Measure the PIT and keyboard lines and print "BENCH ..." lines, then "BENCH-DONE" (or "BENCH-FAILED").
// Process context, interrupts enabled; takes both lines away from their drivers for the duration.
// Returns 0 on success.
int bench_run();
