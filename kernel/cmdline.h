// Kernel command line (from the Multiboot2 info): space-separated `key=value` and flag words.
// Each parameter registers itself with __setup() into a linker section, as Linux's init/main.c does,
// so the portable core declares its own knobs beside the code they tune.
// An unknown word, a flag given a value, a key without one, or a value its handler rejects is reported
// on the console and ignored; parsing continues with the next word.
#pragma once
#include "kernel/types.h"

struct kernel_param {
    const char* name;  // "hz" (takes a value) or "irqpoll" (a flag)
    bool takes_value;
    int (*setup)(const char* value);  // value is "" for flags; return 0 or -EINVAL (reported, ignored)
};

#define __setup_param(name, takes_value, fn, id)                                                            \
    [[gnu::used, gnu::section("irqos_params"), gnu::aligned(8)]] static const kernel_param __param_##id = { \
        name, takes_value, fn}
// __setup("hz", hz_setup): value parameter; __setup_flag("irqpoll", irqpoll_setup): flag word.
#define __setup(name, fn) __setup_param(name, true, fn, fn)
#define __setup_flag(name, fn) __setup_param(name, false, fn, fn)

// Linux x86's COMMAND_LINE_SIZE: the line is kept (and parsed) up to COMMAND_LINE_SIZE - 1 bytes.
constexpr size_t COMMAND_LINE_SIZE = 2048;

// Parse and apply the whole line and keep it as the boot line; returns the number of words rejected. A
// longer line is cut after the last whole word that fits, with a warning naming its length and the first
// word left out (those words count as rejected). Boot, before interrupts.
int parse_cmdline(const char* line);
// Apply the words of `line` exactly as parse_cmdline does, without keeping it as the boot line (the
// in-kernel tests parse a fixed line of their own through it). Returns the number of words rejected.
// Process context; the caller restores whatever the parameters it names change.
int cmdline_apply(const char* line);
// Print "Command line: <line>" whole, however long (one printk record holds 1 KiB). Boot.
void cmdline_print(const char* line);
// The line as given (for the shell and for tests that look for a word like "ktest").
const char* saved_command_line();
bool cmdline_has_flag(const char* word);
// Parse a decimal or 0x-hex unsigned; false on junk or overflow (so "hz=12x" is reported, not half-read).
bool parse_uint(const char* s, unsigned long* out);
