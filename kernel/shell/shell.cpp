// The shell's line editor and command dispatch (see shell.h). Editing follows the common terminal
// conventions (readline's keys for the few it supports); only backspace, space and newline are sent back,
// so the same echo works on a serial terminal and on the VGA text console, which knows no ANSI escapes.
#include "kernel/shell/shell.h"
#include "kernel/errno.h"
#include "kernel/tty.h"
#include "lib/string.h"
#include "lib/vsprintf.h"

extern "C" const shell_command __start_irqos_shell_cmds[];
extern "C" const shell_command __stop_irqos_shell_cmds[];

namespace {

// Keys (ASCII control codes) and the escape sequences a terminal sends (ECMA-48 / ECMA-35: CSI and SS3
// for the arrows, OSC and the other command strings for replies such as a window title).
constexpr char KEY_BEL = 0x07;
constexpr char KEY_CTRL_C = 0x03;
constexpr char KEY_BACKSPACE = 0x08;
constexpr char KEY_CTRL_U = 0x15;
constexpr char KEY_CAN = 0x18, KEY_SUB = 0x1a;  // cancel a sequence (ECMA-48 8.3.6, 8.3.148)
constexpr char KEY_ESC = 0x1b;
constexpr char KEY_DEL = 0x7f;
constexpr char CSI_UP = 'A', CSI_DOWN = 'B', CSI_RIGHT = 'C', CSI_LEFT = 'D';
constexpr int CSI_PARAM_DELETE = 3;  // ESC [ 3 ~ : the Delete key
constexpr int CSI_PARAM_MAX = 9999;

// ESC, then: '[' a control sequence, 'O' one SS3 final byte, ']' 'P' 'X' '^' '_' a command string
// (OSC, DCS, SOS, PM, APC) up to BEL or ST (ESC \), 0x20-0x2F intermediates before a final byte, or a
// final byte 0x30-0x7E at once (ESC 7, ESC c). Anything else after ESC (a control character, Enter
// included) means the ESC stood alone: it is dropped and the byte is an ordinary key.
enum class EscState { None, Esc, Intermediate, Csi, Ss3, String, StringEsc };

// All editor state. The shell is single-threaded process-context code, so no lock.
struct Editor {
    char line[SHELL_LINE_MAX + 1];
    size_t len = 0, cursor = 0;
    EscState esc = EscState::None;
    int csi_param = 0;            // the first parameter of a control sequence
    bool csi_param_done = false;  // a ';' ended it
    bool last_was_cr = false;     // "\r\n" from a terminal is one Enter, not two
    char history[SHELL_HISTORY][SHELL_LINE_MAX + 1];
    size_t hist_count = 0;           // valid entries
    size_t hist_next = 0;            // ring slot the next line goes to
    int browse = -1;                 // -1: editing a fresh line; k: showing the k-th newest entry
    char draft[SHELL_LINE_MAX + 1];  // the fresh line, kept while browsing the history
};

Editor ed;
shell_output_fn output = tty_write;

void put_repeat(char c, size_t n) {
    for (size_t i = 0; i < n; i++) shell_write(&c, 1);
}

// Show line[from..len) and walk the cursor back to `cursor` (after an insert or delete in the middle).
void redraw_tail(size_t from, size_t erase_extra) {
    shell_write(ed.line + from, ed.len - from);
    put_repeat(' ', erase_extra);
    put_repeat('\b', ed.len - from + erase_extra - (ed.cursor - from));
}

void insert_char(char c) {
    if (ed.len >= SHELL_LINE_MAX) return;  // refused: not echoed, so what the user sees is what the shell has
    memmove(ed.line + ed.cursor + 1, ed.line + ed.cursor, ed.len - ed.cursor);
    ed.line[ed.cursor] = c;
    ed.len++;
    ed.cursor++;
    redraw_tail(ed.cursor - 1, 0);
}

void delete_before_cursor() {
    if (ed.cursor == 0) return;
    memmove(ed.line + ed.cursor - 1, ed.line + ed.cursor, ed.len - ed.cursor);
    ed.len--;
    ed.cursor--;
    shell_write("\b", 1);
    redraw_tail(ed.cursor, 1);
}

void delete_at_cursor() {
    if (ed.cursor == ed.len) return;
    memmove(ed.line + ed.cursor, ed.line + ed.cursor + 1, ed.len - ed.cursor - 1);
    ed.len--;
    redraw_tail(ed.cursor, 1);
}

// Replace the whole visible line with `text` (history browsing, Ctrl-U).
void replace_line(const char* text) {
    size_t old_len = ed.len;
    put_repeat('\b', ed.cursor);
    size_t n = strlen(text);
    memcpy(ed.line, text, n);
    ed.len = ed.cursor = n;
    shell_write(ed.line, n);
    if (old_len > n) {
        put_repeat(' ', old_len - n);
        put_repeat('\b', old_len - n);
    }
}

void save_line(char* dst) {
    memcpy(dst, ed.line, ed.len);
    dst[ed.len] = '\0';
}

const char* history_entry(size_t k) {  // k = 0: newest
    size_t slot = (ed.hist_next + SHELL_HISTORY - 1 - k) % SHELL_HISTORY;
    return ed.history[slot];
}

void history_add() {
    if (ed.len == 0) return;
    ed.line[ed.len] = '\0';
    if (ed.hist_count > 0 && strcmp(history_entry(0), ed.line) == 0)
        return;  // like bash's ignoredups: repeating a command does not fill the history
    save_line(ed.history[ed.hist_next]);
    ed.hist_next = (ed.hist_next + 1) % SHELL_HISTORY;
    if (ed.hist_count < SHELL_HISTORY) ed.hist_count++;
}

void history_up() {
    if ((size_t)(ed.browse + 1) >= ed.hist_count) return;
    if (ed.browse < 0) save_line(ed.draft);
    ed.browse++;
    replace_line(history_entry((size_t)ed.browse));
}

void history_down() {
    if (ed.browse < 0) return;
    ed.browse--;
    replace_line(ed.browse < 0 ? ed.draft : history_entry((size_t)ed.browse));
}

void reset_line() {
    ed.len = ed.cursor = 0;
    ed.browse = -1;
}

void enter() {
    shell_write("\n", 1);
    history_add();
    char cmd[SHELL_LINE_MAX + 1];
    save_line(cmd);
    reset_line();
    shell_execute(cmd);
    shell_prompt();
}

// The final byte of an escape sequence decides the action; everything else in it is ignored.
void escape_final(char c) {
    if (c == CSI_UP) {
        history_up();
    } else if (c == CSI_DOWN) {
        history_down();
    } else if (c == CSI_RIGHT) {
        if (ed.cursor < ed.len) {
            shell_write(ed.line + ed.cursor, 1);
            ed.cursor++;
        }
    } else if (c == CSI_LEFT) {
        if (ed.cursor > 0) {
            shell_write("\b", 1);
            ed.cursor--;
        }
    } else if (c == '~' && ed.csi_param == CSI_PARAM_DELETE) {
        delete_at_cursor();
    }
}

bool is_control(char c) { return (unsigned char)c < 0x20 || c == KEY_DEL; }
bool in_range(char c, char lo, char hi) { return c >= lo && c <= hi; }

// Returns true when `c` belongs to an escape sequence (consumed: never echoed, never run); false when
// it is an ordinary key, including the byte that shows an ESC or a broken sequence stood alone.
bool escape_input(char c) {
    switch (ed.esc) {
    case EscState::None:
        if (c != KEY_ESC) return false;
        ed.esc = EscState::Esc;
        return true;
    case EscState::Esc:
        ed.csi_param = 0;
        ed.csi_param_done = false;
        if (c == KEY_ESC) return true;  // the first ESC stood alone; this one starts over
        if (c == '[')
            ed.esc = EscState::Csi;
        else if (c == 'O')
            ed.esc = EscState::Ss3;
        else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_')
            ed.esc = EscState::String;
        else if (in_range(c, 0x20, 0x2f))
            ed.esc = EscState::Intermediate;
        else if (in_range(c, 0x30, 0x7e))
            ed.esc = EscState::None;  // a complete two-byte sequence
        else {
            ed.esc = EscState::None;  // a lone ESC: the byte is an ordinary key
            return false;
        }
        return true;
    case EscState::Intermediate:
    case EscState::Csi:
    case EscState::Ss3:
        if (c == KEY_ESC) {  // a new sequence interrupts this one
            ed.esc = EscState::Esc;
            return true;
        }
        if (is_control(c) || (unsigned char)c >= 0x80) {
            ed.esc = EscState::None;  // broken off: the byte is an ordinary key
            return false;
        }
        if (ed.esc == EscState::Csi && c >= '0' && c <= '9') {
            if (!ed.csi_param_done && ed.csi_param <= CSI_PARAM_MAX) ed.csi_param = ed.csi_param * 10 + (c - '0');
            return true;
        }
        if (ed.esc == EscState::Csi && c == ';') ed.csi_param_done = true;
        if (ed.esc == EscState::Intermediate) {
            if (!in_range(c, 0x20, 0x2f)) ed.esc = EscState::None;  // the final byte: ignored
            return true;
        }
        if (in_range(c, 0x20, 0x3f))  // parameter and intermediate bytes (ECMA-48 5.4)
            return true;
        ed.esc = EscState::None;
        escape_final(c);
        return true;
    case EscState::String:
        if (c == KEY_ESC)
            ed.esc = EscState::StringEsc;
        else if (c == KEY_BEL || c == KEY_CAN || c == KEY_SUB)
            ed.esc = EscState::None;  // BEL ends an OSC (xterm); CAN and SUB cancel
        else if (is_control(c) && c != KEY_DEL) {
            ed.esc = EscState::None;  // a key such as Enter or Ctrl-C is never part of a string
            return false;
        }
        return true;
    case EscState::StringEsc:
        if (c == '\\') {  // ST: the string is complete
            ed.esc = EscState::None;
            return true;
        }
        ed.esc = EscState::Esc;  // the ESC ended the string and begins a new sequence
        return escape_input(c);
    }
    return false;
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

shell_output_fn shell_set_output(shell_output_fn fn) {
    shell_output_fn old = output;
    output = fn;
    return old;
}

void shell_write(const char* s, size_t n) {
    if (n) output(s, n);
}

void shell_puts(const char* s) { shell_write(s, strlen(s)); }

int shell_printf(const char* fmt, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vscnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    shell_write(buf, (size_t)n);
    return n;
}

void shell_out_cb(const char* s, size_t n, void*) { shell_write(s, n); }

void shell_init() {
    ed.len = ed.cursor = 0;
    ed.esc = EscState::None;
    ed.csi_param = 0;
    ed.csi_param_done = false;
    ed.last_was_cr = false;
    ed.hist_count = ed.hist_next = 0;
    ed.browse = -1;
}

void shell_prompt() { shell_puts(SHELL_PROMPT); }

void shell_input(char c) {
    bool was_cr = ed.last_was_cr;
    ed.last_was_cr = c == '\r';
    if (escape_input(c)) return;
    if (c == '\n' && was_cr) return;
    switch (c) {
    case '\r':
    case '\n':
        enter();
        break;
    case KEY_BACKSPACE:
    case KEY_DEL:
        delete_before_cursor();
        break;
    case KEY_CTRL_U:
        replace_line("");
        ed.browse = -1;
        break;
    case KEY_CTRL_C:
        shell_puts("^C\n");
        reset_line();
        shell_prompt();
        break;
    default:
        if (c >= 0x20 && c < KEY_DEL) insert_char(c);
        break;  // other control characters (Tab, Ctrl-D, ...) are ignored
    }
}

int shell_split(char* line, char** argv, int max_args) {
    int argc = 0;
    char* p = line;
    for (;;) {
        while (is_blank(*p)) p++;
        if (!*p) return argc;
        if (argc == max_args) return -E2BIG;
        argv[argc++] = p;
        while (*p && !is_blank(*p)) p++;
        if (*p) *p++ = '\0';
    }
}

const shell_command* shell_find(const char* name) {
    for (const shell_command* c = __start_irqos_shell_cmds; c < __stop_irqos_shell_cmds; c++)
        if (strcmp(c->name, name) == 0) return c;
    return nullptr;
}

int shell_execute(char* line) {
    char* argv[SHELL_ARGS_MAX + 1];
    int argc = shell_split(line, argv, SHELL_ARGS_MAX);
    if (argc == -E2BIG) {
        shell_printf("too many arguments (at most %d words)\n", SHELL_ARGS_MAX);
        return -E2BIG;
    }
    if (argc == 0) return 0;
    argv[argc] = nullptr;
    const shell_command* cmd = shell_find(argv[0]);
    if (!cmd) {
        shell_printf("unknown command: %s (try 'help')\n", argv[0]);
        return -ENOENT;
    }
    return cmd->fn(argc, argv);
}

[[noreturn]] void shell_run() {
    shell_init();
    shell_prompt();
    for (;;) {
        int c = tty_read_char(true);
        if (c >= 0) shell_input((char)c);
    }
}
