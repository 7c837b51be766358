// Implementation of host_env.h: one place that knows every global the portable core keeps.
// (kernel/errno.h defers to libc on the host, so include order does not matter.)
#include "kernel/tty.h"
#include "kernel/irq/interrupt.h"
#include "kernel/jiffies.h"
#include "kernel/preempt.h"
#include "kernel/printk.h"
#include "kernel/softirq.h"
#include "kernel/time/timer.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/capture_console.h"
#include "tests/host/support/host_heap.h"
#include "tests/host/support/sim_cpu.h"

namespace host_env {
void reset_all() {
    SimCpu::reset();
    setup_per_cpu_areas();  // every CPU's per-CPU variables back to their initial values
    softirq_reset_handlers();
    softirq_init();  // the tasklet lists (their tails point into the fresh per-CPU copies)
    // Actions a test left requested would leak when early_irq_init forgets them.
    for (unsigned irq = 0; irq < NR_IRQS; irq++) {
        irq_desc* desc = irq_to_desc(irq);
        for (irqaction* a = desc->action; a;) {
            irqaction* next = a->next;
            kfree(a);
            a = next;
        }
        desc->action = nullptr;
    }
    early_irq_init();
    arch_ack_bad_irq = nullptr;
    kernel_hz = HZ_DEFAULT;
    jiffies = 0;
    init_timers();  // every CPU's wheel empty at jiffies 0 (setup_per_cpu_areas left them at the template)
    spurious_window = SPURIOUS_WINDOW_DEFAULT;
    spurious_threshold = SPURIOUS_THRESHOLD_DEFAULT;
    noirqdebug = false;
    irqfixup = 0;
    host_heap::reset();
    host_console::install();
    host_console::reset();
    printk_log_clear();
    warn_count = 0;
    clear_warn_once();
}

void fire_irq(unsigned irq) {
    unsigned long flags = arch::irq_save();
    irq_enter();
    generic_handle_irq(irq);
    irq_exit();
    arch::irq_restore(flags);
}

void empty_interrupt() {
    unsigned long flags = arch::irq_save();
    irq_enter();
    irq_exit();
    arch::irq_restore(flags);
}

void set_jiffies(unsigned long j) { jiffies = j; }
}  // namespace host_env

std::string host_env::drain_tty() {
    std::string s;
    for (int c; (c = tty_read_char(false)) >= 0;) s += (char)c;
    return s;
}
