// Kernel command line: splits the line into words and hands each to the __setup() parameter of the same
// name, found in the "irqos_params" linker section (Linux init/main.c obsolete_checksetup/unknown_bootoption
// do the same with .init.setup). Words are separated by spaces or tabs; quoting is not supported (no
// parameter needs a value with spaces yet).
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "lib/string.h"

// Both GNU ld and lld define these for any section whose name is a C identifier, in the kernel link and
// in the host test link alike.
extern const kernel_param __start_irqos_params[];
extern const kernel_param __stop_irqos_params[];

namespace {

constexpr size_t PARAM_WORD_MAX = 256;  // longest single word we parse; longer ones are reported
constexpr size_t PRINT_PIECE = 512;     // cmdline_print: bytes per printk record (records hold 1 KiB)
constexpr int QUOTE_MAX = 40;           // how much of the first ignored word the warning shows

char saved_line[COMMAND_LINE_SIZE];

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

const kernel_param* find_param(const char* name, size_t len) {
    for (const kernel_param* p = __start_irqos_params; p < __stop_irqos_params; p++) {
        // Zero padding between entries (if a toolchain ever adds some) has no name: skip it.
        if (p->name && strncmp(p->name, name, len) == 0 && p->name[len] == '\0') return p;
    }
    return nullptr;
}

// Apply one word; returns true if it was accepted.
bool apply_word(const char* word) {
    const char* eq = strchr(word, '=');
    size_t name_len = eq ? (size_t)(eq - word) : strlen(word);
    const kernel_param* p = find_param(word, name_len);
    if (!p) {
        pr_warn("Unknown kernel command line parameter \"%s\", will be ignored.\n", word);
        return false;
    }
    if (p->takes_value && !eq) {
        pr_warn("Kernel command line parameter \"%s\" needs a value (%s=...), ignored.\n", word, p->name);
        return false;
    }
    if (!p->takes_value && eq) {
        pr_warn("Kernel command line parameter \"%s\" is a flag and takes no value, ignored.\n", word);
        return false;
    }
    int err = p->setup ? p->setup(eq ? eq + 1 : "") : 0;
    if (err) {
        pr_warn("Invalid kernel command line parameter \"%s\" (error %d), ignored.\n", word, err);
        return false;
    }
    return true;
}

// Words in s[0..n).
int count_words(const char* s, size_t n) {
    int words = 0;
    for (size_t i = 0; i < n; i++)
        if (!is_space(s[i]) && (i == 0 || is_space(s[i - 1]))) words++;
    return words;
}

}  // namespace

int parse_cmdline(const char* line) {
    if (!line) line = "";
    size_t len = strlen(line);
    int cut_words = 0;
    size_t keep = len;
    if (len >= COMMAND_LINE_SIZE) {
        // Keep whole words only: a word cut in half would be applied with the wrong value.
        keep = COMMAND_LINE_SIZE - 1;
        while (keep > 0 && !is_space(line[keep]) && !is_space(line[keep - 1])) keep--;
        size_t first = keep;
        while (first < len && is_space(line[first])) first++;
        cut_words = count_words(line + keep, len - keep);
        int quote = (int)(len - first < (size_t)QUOTE_MAX ? len - first : (size_t)QUOTE_MAX);
        for (int i = 0; i < quote; i++)
            if (is_space(line[first + i])) quote = i;
        pr_warn("Kernel command line is %zu bytes, more than the %zu kept: %d word(s) from \"%.*s\" on ignored.\n", len,
                COMMAND_LINE_SIZE - 1, cut_words, quote, line + first);
    }
    memcpy(saved_line, line, keep);
    saved_line[keep] = '\0';
    return cut_words + cmdline_apply(saved_line);
}

int cmdline_apply(const char* line) {
    int rejected = 0;
    bool first = true;
    for (const char* s = line; *s;) {
        while (is_space(*s)) s++;
        if (!*s) break;
        const char* end = s;
        while (*end && !is_space(*end)) end++;
        size_t wlen = (size_t)(end - s);
        // GRUB's multiboot loaders pass the kernel image path as the first word: not a parameter.
        bool image_path = first && s[0] == '/';
        first = false;
        if (!image_path) {
            char word[PARAM_WORD_MAX];
            if (wlen >= sizeof word) {
                pr_warn("Kernel command line word of %u bytes is too long, ignored.\n", (unsigned)wlen);
                rejected++;
            } else {
                memcpy(word, s, wlen);
                word[wlen] = '\0';
                if (!apply_word(word)) rejected++;
            }
        }
        s = end;
    }
    return rejected;
}

const char* saved_command_line() { return saved_line; }

void cmdline_print(const char* line) {
    if (!line) line = "";
    size_t len = strlen(line);
    pr_info("Command line: %.*s", (int)(len < PRINT_PIECE ? len : PRINT_PIECE), line);
    for (size_t at = PRINT_PIECE; at < len; at += PRINT_PIECE)
        pr_cont("%.*s", (int)(len - at < PRINT_PIECE ? len - at : PRINT_PIECE), line + at);
    pr_cont("\n");
}

bool cmdline_has_flag(const char* word) {
    size_t wlen = strlen(word);
    if (!wlen) return false;
    for (const char* s = saved_line; *s;) {
        while (is_space(*s)) s++;
        const char* end = s;
        while (*end && !is_space(*end)) end++;
        if ((size_t)(end - s) == wlen && strncmp(s, word, wlen) == 0) return true;
        s = end;
    }
    return false;
}

bool parse_uint(const char* s, unsigned long* out) {
    if (!s || !*s) return false;
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        if (!*s) return false;  // "0x" alone is junk
    }
    unsigned long v = 0;
    for (; *s; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            return false;
        if (v > (~0ul - d) / base) return false;  // v * base + d would overflow
        v = v * base + d;
    }
    *out = v;
    return true;
}
