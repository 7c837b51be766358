// The few C++ runtime hooks a freestanding kernel still needs: pure virtual call trap, the global
// operator new/delete on the kernel heap (kernel/slab.h), and the static-destructor registration that
// a kernel which never exits can ignore (Itanium C++ ABI 3.3.5).
#include "kernel/printk.h"
#include "kernel/slab.h"

extern "C" {
void* __dso_handle = nullptr;
// Destructors of globals would run at exit; the kernel never exits, so they are never recorded.
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }
[[noreturn]] void __cxa_pure_virtual() { panic("pure virtual function called"); }
}

// No exceptions: a failed allocation returns nullptr (callers check, as with kmalloc).
void* operator new(size_t size) { return kmalloc(size); }
void* operator new[](size_t size) { return kmalloc(size); }
void operator delete(void* p) noexcept { kfree(p); }
void operator delete[](void* p) noexcept { kfree(p); }
void operator delete(void* p, size_t) noexcept { kfree(p); }
void operator delete[](void* p, size_t) noexcept { kfree(p); }
