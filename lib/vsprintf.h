// Kernel string formatting: vsnprintf/snprintf with the subset of Linux's lib/vsprintf.c that the
// kernel uses, including the %ps/%pS symbol extensions. Unlike Linux, plain %p prints the raw address
// (16 lowercase hex digits, no "0x", no hashing): irqos has no secrets to hide and tests want stable output.
#pragma once
#include "kernel/types.h"

// The functions live in namespace irqos so that they never collide with libc's snprintf in the host test
// build (the host links libc, and <stdio.h> declares ::snprintf with C linkage). Portable code calls the
// plain names, as Linux code does; the using-declarations below provide them. A host test translation unit
// that also includes <stdio.h> (every GoogleTest file does, through gtest.h) must
// `#define IRQOS_NO_GLOBAL_SNPRINTF` before including this header and call irqos::snprintf.
namespace irqos {
// Format into buf (size bytes, always NUL-terminated when size > 0). Returns the length the whole
// output would have had, like C's vsnprintf. Any context; no locks; uses only the stack.
// Conversions: %d %i %u %x %X %o %c %s %p %ps %pS %% with flags - 0 + space #, width, precision
// (also *), and length modifiers hh h l ll z t j. An unknown conversion stops formatting there
// (the arguments would be out of step), as Linux does.
int vsnprintf(char* buf, size_t size, const char* fmt, va_list ap);
int snprintf(char* buf, size_t size, const char* fmt, ...) __printf(3, 4);
// Like vsnprintf but returns the number of characters actually stored (Linux's vscnprintf).
int vscnprintf(char* buf, size_t size, const char* fmt, va_list ap);
int scnprintf(char* buf, size_t size, const char* fmt, ...) __printf(3, 4);
}  // namespace irqos

#ifndef IRQOS_NO_GLOBAL_SNPRINTF
using irqos::scnprintf;
using irqos::snprintf;
using irqos::vscnprintf;
using irqos::vsnprintf;
#endif
