// The printk console of the host tests: every record printk writes to consoles (all levels, without
// the level prefix) is appended to one string that tests inspect and clear.
#pragma once
#include <string>

namespace host_console {
void install();      // idempotent; main() calls it before the first test
std::string text();  // everything written since the last clear()
void clear();
// clear() and let every level through again (a test may have run "loglevel=").
void reset();
// How many times `needle` occurs in the captured text.
size_t count(const std::string& needle);
}  // namespace host_console
