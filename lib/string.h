// The few C string/memory functions portable code may use. The kernel build defines them in
// arch/x86/string.cpp (the compiler also emits calls to memcpy/memset); the host build takes libc's.
#pragma once
#include <stddef.h>
#if __STDC_HOSTED__
// Host build: libc's own declarations (its C++ overloads of strchr clash with a plain C one).
#include <string.h>
#else
extern "C" {
void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);
size_t strlen(const char* s);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, size_t n);
char* strchr(const char* s, int c);
char* strstr(const char* haystack, const char* needle);
}
#endif
