// The kernel shell: a line editor over the console tty and a table of commands. Commands register
// themselves into the linker section "irqos_shell_cmds" with SHELL_COMMAND, as cmdline parameters do with
// __setup, so kernel-only commands (mem, poweroff, ktest) live beside their code.
#pragma once
#include "kernel/types.h"

struct shell_command {
    const char* name;
    const char* help;                  // one line, shown by `help`
    int (*fn)(int argc, char** argv);  // argv[0] is the command name; returns 0 or a negative errno
};

#define SHELL_COMMAND(cmd_name, help_text, handler) \
    [[gnu::used, gnu::section("irqos_shell_cmds"),  \
      gnu::aligned(8)]] static const shell_command __shell_cmd_##handler = {cmd_name, help_text, handler}

constexpr const char* SHELL_PROMPT = "irqos> ";
constexpr size_t SHELL_LINE_MAX = 128;  // characters in one command line (longer input is refused)
constexpr int SHELL_ARGS_MAX = 16;      // words in one command line, the command name included
constexpr size_t SHELL_HISTORY = 8;     // lines kept for the up/down arrows

// The shell loop on the console tty: prompt, edit, run. Process context with interrupts enabled; it
// sleeps in tty_read_char between keys. Never returns.
[[noreturn]] void shell_run();

// The pieces of the loop, exposed for the host tests. Process context; not reentrant (one shell).
void shell_init();         // forget the line, the history and the escape state; prints nothing
void shell_prompt();       // print the prompt
void shell_input(char c);  // one key: edit the line, or run it on Enter (then print a new prompt)
// Split `line` in place at blanks into at most SHELL_ARGS_MAX words. Returns argc, or -E2BIG.
int shell_split(char* line, char** argv, int max_args);
// Split and run one line. Returns the command's result, 0 for an empty line, -ENOENT for an
// unknown command (after printing "unknown command: X (try 'help')"), -E2BIG for too many words.
int shell_execute(char* line);
const shell_command* shell_find(const char* name);

// Shell output: everything the shell and its commands print goes here. The default sink is tty_write
// (both consoles); the host tests install a capture function. Returns the previous sink.
using shell_output_fn = void (*)(const char* s, size_t n);
shell_output_fn shell_set_output(shell_output_fn fn);
void shell_write(const char* s, size_t n);
void shell_puts(const char* s);
int shell_printf(const char* fmt, ...) __printf(1, 2);
// An output function in the shape show_interrupts()/irq_desc_dump() take (ctx unused).
void shell_out_cb(const char* s, size_t n, void* ctx);
