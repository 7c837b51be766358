// Frame-pointer stack walking (the kernel is built with -fno-omit-frame-pointer): each frame holds the
// caller's rbp at [rbp] and the return address at [rbp+8]. Every frame pointer is checked against the
// known kernel stacks before it is read, so a corrupt chain ends the trace instead of faulting again.
#pragma once
#include "kernel/types.h"

// Make [lo, hi) a valid stack for the walker. Boot (before interrupts), no lock: the table only grows.
void register_kernel_stack(uintptr_t lo, uintptr_t hi);
// True if [addr, addr+len) lies inside one registered stack.
bool on_kernel_stack(uintptr_t addr, size_t len);

constexpr unsigned STACKTRACE_MAX_FRAMES = 32;
// Call out(return address) for each frame from `rbp` up; returns why it stopped: 0 end of chain (rbp 0),
// 1 the frame pointer left the known stacks / went backwards, 2 the depth limit.
enum class WalkEnd { end_of_chain, bad_frame, too_deep };
WalkEnd walk_stack(uintptr_t rbp, void (*out)(uintptr_t ret, void* ctx), void* ctx);
