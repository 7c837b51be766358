// The kernel's own symbol table, generated at build time from the first link by tools/gen-symbols.py
// (the idea of Linux's kallsyms) and placed in the .ksyms section at the end of the image.
#pragma once
#include "kernel/types.h"

struct KsymEntry {
    uint64_t addr;
    uint32_t size;
    uint32_t name_offset;  // into ksym_names
};

// All three live in .ksyms (declared so here as well: clang wants the section on every declaration).
#define KSYMS_SECTION gnu::section(".ksyms")
extern "C" [[KSYMS_SECTION]] const KsymEntry ksym_table[];
extern "C" [[KSYMS_SECTION]] const char ksym_names[];
extern "C" [[KSYMS_SECTION]] const unsigned long ksym_count;
