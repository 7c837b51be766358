// For in-kernel tests that need the spurious detector as Linux ships it: the window and threshold at
// Linux's defaults and misrouted-IRQ polling off for the scope, whatever the boot command line set
// ("spurious_window=", "spurious_threshold=", "irqfixup", "irqpoll"), restored afterwards.
#pragma once
#include "kernel/irq/interrupt.h"

struct kt_linux_spurious_defaults {
    unsigned window = spurious_window, threshold = spurious_threshold;
    int fixup = irqfixup;
    kt_linux_spurious_defaults() {
        spurious_window = SPURIOUS_WINDOW_DEFAULT;
        spurious_threshold = SPURIOUS_THRESHOLD_DEFAULT;
        irqfixup = 0;  // "irqpoll" would search every line on each interrupt: slower, same verdict
    }
    ~kt_linux_spurious_defaults() {
        spurious_window = window;
        spurious_threshold = threshold;
        irqfixup = fixup;
    }
    kt_linux_spurious_defaults(const kt_linux_spurious_defaults&) = delete;
    kt_linux_spurious_defaults& operator=(const kt_linux_spurious_defaults&) = delete;
};
