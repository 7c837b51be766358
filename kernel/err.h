// Error values in pointers (Linux include/linux/err.h): a function returning a pointer returns
// ERR_PTR(-Exxx) on failure; the top 4095 addresses are never valid objects.
#pragma once
#include "kernel/types.h"

constexpr unsigned long MAX_ERRNO = 4095;
template <typename T = void>
static inline T* ERR_PTR(long error) {
    return reinterpret_cast<T*>(error);
}
static inline long PTR_ERR(const void* ptr) { return long(reinterpret_cast<uintptr_t>(ptr)); }
static inline bool IS_ERR(const void* ptr) { return reinterpret_cast<uintptr_t>(ptr) >= uintptr_t(-long(MAX_ERRNO)); }
static inline bool IS_ERR_OR_NULL(const void* ptr) { return !ptr || IS_ERR(ptr); }
