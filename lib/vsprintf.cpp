// vsnprintf for the kernel: a single pass over the format, writing into a bounded buffer while counting
// the full length (C99 semantics). Behaviour follows Linux lib/vsprintf.c (format_decode, number,
// string, symbol_string), written anew; %p differs from Linux on purpose (no hashing, see vsprintf.h).
// Widths and precisions are clamped as Linux's set_field_width/set_precision do, so no value a caller
// passes can overflow the arithmetic; the length returned saturates at INT_MAX.
#include "lib/vsprintf.h"
#include "kernel/arch.h"
#include "kernel/printk.h"

namespace irqos {
namespace {

// Flags of one conversion (Linux's printf_spec flags).
enum : unsigned {
    LEFT = 1u << 0,     // '-'
    ZEROPAD = 1u << 1,  // '0'
    PLUS = 1u << 2,     // '+'
    SPACE = 1u << 3,    // ' '
    SPECIAL = 1u << 4,  // '#': 0x / 0 prefix
    SIGN = 1u << 5,     // signed conversion
    UPPER = 1u << 6,    // %X
};

constexpr int POINTER_HEX_DIGITS = 2 * sizeof(void*);  // 16 on x86_64
constexpr int FIELD_WIDTH_MAX = (1 << 23) - 1;         // Linux lib/vsprintf.c
constexpr int PRECISION_MAX = (1 << 15) - 1;
constexpr size_t RESULT_MAX = 0x7fffffff;  // INT_MAX: the return value is an int

// Bounded output: stores while there is room (keeping one byte for the NUL) but counts everything.
struct Out {
    char* buf;
    size_t size;
    size_t pos = 0;
    void put(char c) {
        if (pos + 1 < size) buf[pos] = c;
        pos++;
    }
    void pad(char c, int n) {
        if (n <= 0) return;
        for (size_t i = 0; i < (size_t)n && pos + i + 1 < size; i++) buf[pos + i] = c;
        pos += (size_t)n;  // what does not fit is only counted
    }
};

// A width or precision as written in the format: digits, saturating instead of overflowing.
int parse_digits(const char*& p) {
    long v = 0;
    while (*p >= '0' && *p <= '9') {
        if (v <= FIELD_WIDTH_MAX) v = v * 10 + (*p - '0');
        p++;
    }
    return v > FIELD_WIDTH_MAX ? FIELD_WIDTH_MAX + 1 : (int)v;
}

struct Spec {
    unsigned flags = 0;
    int width = -1;      // -1: none; else 0..FIELD_WIDTH_MAX
    int precision = -1;  // -1: none; else 0..PRECISION_MAX
};

// Linux's set_field_width: a negative width means '-'; beyond FIELD_WIDTH_MAX it is clamped, with a warning.
void set_width(Spec& sp, long width) {
    if (width < 0) {  // C: a negative '*' width means the '-' flag
        sp.flags |= LEFT;
        width = -width;
    }
    if (width > FIELD_WIDTH_MAX) {
        WARN_ONCE(1, "field width %ld too large", width);
        width = FIELD_WIDTH_MAX;
    }
    sp.width = (int)width;
}

void set_precision(Spec& sp, long precision) {
    if (precision < 0) {  // C: a negative '*' precision is taken as if it were missing
        sp.precision = -1;
        return;
    }
    if (precision > PRECISION_MAX) {
        WARN_ONCE(1, "precision %ld too large", precision);
        precision = PRECISION_MAX;
    }
    sp.precision = (int)precision;
}

void emit_string(Out& o, const char* s, const Spec& sp) {
    if (!s) s = "(null)";  // Linux prints "(null)" rather than faulting
    size_t len = 0;
    while (s[len] && (sp.precision < 0 || len < (size_t)sp.precision)) len++;
    int fill = (sp.width > 0 && (size_t)sp.width > len) ? sp.width - (int)len : 0;
    if (!(sp.flags & LEFT)) o.pad(' ', fill);
    for (size_t i = 0; i < len; i++) o.put(s[i]);
    if (sp.flags & LEFT) o.pad(' ', fill);
}

void emit_number(Out& o, unsigned long long value, bool negative, unsigned base, Spec sp) {
    const char* digits = (sp.flags & UPPER) ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];  // 2^64 in octal has 22 digits
    int n = 0;
    do {
        tmp[n++] = digits[value % base];
        value /= base;
    } while (value);

    char sign = 0;
    if (sp.flags & SIGN) {
        if (negative)
            sign = '-';
        else if (sp.flags & PLUS)
            sign = '+';
        else if (sp.flags & SPACE)
            sign = ' ';
    }
    const char* prefix = "";
    if (sp.flags & SPECIAL) {
        if (base == 16)
            prefix = (sp.flags & UPPER) ? "0X" : "0x";
        else if (base == 8 && tmp[n - 1] != '0')
            prefix = "0";
    }
    int prefix_len = prefix[0] ? (prefix[1] ? 2 : 1) : 0;

    // A precision gives the minimum number of digits and, as in C, turns off zero padding.
    int ndigits = n > sp.precision ? n : sp.precision;
    if (sp.precision >= 0) sp.flags &= ~ZEROPAD;
    int body = ndigits + (sign ? 1 : 0) + prefix_len;
    int fill = sp.width - body;

    if (!(sp.flags & (LEFT | ZEROPAD))) o.pad(' ', fill);
    if (sign) o.put(sign);
    for (int i = 0; i < prefix_len; i++) o.put(prefix[i]);
    if (!(sp.flags & LEFT) && (sp.flags & ZEROPAD)) o.pad('0', fill);
    o.pad('0', ndigits - n);
    while (n) o.put(tmp[--n]);
    if (sp.flags & LEFT) o.pad(' ', fill);
}

void emit_hex_address(Out& o, uintptr_t addr, bool with_0x) {
    Spec sp;
    sp.flags = ZEROPAD | (with_0x ? unsigned(SPECIAL) : 0u);
    sp.width = POINTER_HEX_DIGITS + (with_0x ? 2 : 0);
    emit_number(o, addr, false, 16, sp);
}

// %ps: "name"; %pS: "name+0xoff/0xsize". Unknown address: "0x" and 16 hex digits (Linux without kallsyms).
void emit_symbol(Out& o, uintptr_t addr, bool with_offset, const Spec& sp) {
    const char* name = nullptr;
    uintptr_t offset = 0, size = 0;
    if (!arch::lookup_symbol(addr, &name, &offset, &size) || !name) {
        emit_hex_address(o, addr, true);
        return;
    }
    if (!with_offset) {
        emit_string(o, name, sp);
        return;
    }
    emit_string(o, name, Spec{});
    o.put('+');
    Spec hex;
    hex.flags = SPECIAL;
    emit_number(o, offset, false, 16, hex);
    o.put('/');
    emit_number(o, size, false, 16, hex);
}

}  // namespace

int vsnprintf(char* buf, size_t size, const char* fmt, va_list ap) {
    // A size that cannot be real (a negative length converted to size_t): refuse, as Linux does.
    if (WARN_ONCE(size > RESULT_MAX, "vsnprintf: size %zu too large", size)) return 0;
    Out o{buf, size};
    for (const char* p = fmt; *p; p++) {
        if (*p != '%') {
            o.put(*p);
            continue;
        }
        const char* start = p++;
        Spec sp;
        // Flags
        for (;; p++) {
            if (*p == '-')
                sp.flags |= LEFT;
            else if (*p == '0')
                sp.flags |= ZEROPAD;
            else if (*p == '+')
                sp.flags |= PLUS;
            else if (*p == ' ')
                sp.flags |= SPACE;
            else if (*p == '#')
                sp.flags |= SPECIAL;
            else
                break;
        }
        // Width
        if (*p == '*') {
            set_width(sp, va_arg(ap, int));
            p++;
        } else if (*p >= '0' && *p <= '9') {
            set_width(sp, parse_digits(p));
        }
        // Precision
        if (*p == '.') {
            p++;
            if (*p == '*') {
                set_precision(sp, va_arg(ap, int));
                p++;
            } else {
                set_precision(sp, parse_digits(p));
            }
        }
        if (sp.flags & LEFT) sp.flags &= ~ZEROPAD;
        // Length
        enum { L_INT, L_CHAR, L_SHORT, L_LONG, L_LLONG, L_SIZE, L_PTRDIFF, L_MAX } len = L_INT;
        if (*p == 'h') {
            len = (p[1] == 'h') ? L_CHAR : L_SHORT;
            p += (len == L_CHAR) ? 2 : 1;
        } else if (*p == 'l') {
            len = (p[1] == 'l') ? L_LLONG : L_LONG;
            p += (len == L_LLONG) ? 2 : 1;
        } else if (*p == 'z') {
            len = L_SIZE;
            p++;
        } else if (*p == 't') {
            len = L_PTRDIFF;
            p++;
        } else if (*p == 'j') {
            len = L_MAX;
            p++;
        }

        unsigned base = 10;
        switch (*p) {
        case '%':
            o.put('%');
            continue;
        case 'c': {
            char c = (char)va_arg(ap, int);
            if (!(sp.flags & LEFT)) o.pad(' ', sp.width - 1);
            o.put(c);
            if (sp.flags & LEFT) o.pad(' ', sp.width - 1);
            continue;
        }
        case 's':
            emit_string(o, va_arg(ap, const char*), sp);
            continue;
        case 'p': {
            uintptr_t addr = (uintptr_t)va_arg(ap, void*);
            if (p[1] == 's' || p[1] == 'S') {
                emit_symbol(o, addr, p[1] == 'S', sp);
                p++;
            } else {
                if (sp.width < 0) {  // default: the full pointer width, zero padded
                    sp.width = POINTER_HEX_DIGITS;
                    if (!(sp.flags & LEFT)) sp.flags |= ZEROPAD;
                }
                emit_number(o, addr, false, 16, sp);
            }
            continue;
        }
        case 'd':
        case 'i':
            sp.flags |= SIGN;
            break;
        case 'u':
            break;
        case 'x':
            base = 16;
            break;
        case 'X':
            base = 16;
            sp.flags |= UPPER;
            break;
        case 'o':
            base = 8;
            break;
        default:
            // Unknown conversion: print it verbatim and stop, since the remaining arguments would be
            // consumed out of step (Linux stops at FORMAT_TYPE_INVALID as well).
            for (const char* q = start; q <= p && *q; q++) o.put(*q);
            goto out;
        }

        // Integer conversions
        unsigned long long v;
        bool negative = false;
        if (sp.flags & SIGN) {
            long long s;
            switch (len) {
            case L_CHAR:
                s = (signed char)va_arg(ap, int);
                break;
            case L_SHORT:
                s = (short)va_arg(ap, int);
                break;
            case L_LONG:
                s = va_arg(ap, long);
                break;
            case L_LLONG:
                s = va_arg(ap, long long);
                break;
            case L_SIZE:
                s = va_arg(ap, ptrdiff_t);
                break;  // ssize_t has the same size
            case L_PTRDIFF:
                s = va_arg(ap, ptrdiff_t);
                break;
            case L_MAX:
                s = va_arg(ap, intmax_t);
                break;
            default:
                s = va_arg(ap, int);
                break;
            }
            negative = s < 0;
            // Negate in unsigned arithmetic so LLONG_MIN works.
            v = negative ? 0ull - (unsigned long long)s : (unsigned long long)s;
        } else {
            switch (len) {
            case L_CHAR:
                v = (unsigned char)va_arg(ap, unsigned);
                break;
            case L_SHORT:
                v = (unsigned short)va_arg(ap, unsigned);
                break;
            case L_LONG:
                v = va_arg(ap, unsigned long);
                break;
            case L_LLONG:
                v = va_arg(ap, unsigned long long);
                break;
            case L_SIZE:
                v = va_arg(ap, size_t);
                break;
            case L_PTRDIFF:
                v = (unsigned long long)va_arg(ap, ptrdiff_t);
                break;
            case L_MAX:
                v = va_arg(ap, uintmax_t);
                break;
            default:
                v = va_arg(ap, unsigned);
                break;
            }
        }
        emit_number(o, v, negative, base, sp);
    }
out:
    if (size) buf[o.pos < size ? o.pos : size - 1] = '\0';
    return (int)(o.pos < RESULT_MAX ? o.pos : RESULT_MAX);
}

int snprintf(char* buf, size_t size, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int vscnprintf(char* buf, size_t size, const char* fmt, va_list ap) {
    int n = vsnprintf(buf, size, fmt, ap);
    if (size == 0) return 0;
    return (size_t)n < size ? n : (int)(size - 1);
}

int scnprintf(char* buf, size_t size, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vscnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

}  // namespace irqos
