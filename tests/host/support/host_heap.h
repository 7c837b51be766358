// kmalloc/kfree for the host build (malloc/free underneath) with a failure-injection knob for
// -ENOMEM paths and counters to prove that what the core allocates it also frees.
#pragma once
#include "kernel/slab.h"

namespace host_heap {
void fail_next(unsigned n);  // the next n kmalloc calls return nullptr
long live();                 // kmalloc'ed blocks not yet kfree'd
void reset();                // no failures pending (the live count is kept: leaks stay visible)
}  // namespace host_heap
