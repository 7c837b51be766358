// `bench` on the command line: measure the interrupt path in instructions (QEMU -icount shift=0 makes
// rdtsc an instruction counter). For the PIT line and the keyboard line the real handler is swapped for a
// bench handler (free_irq, request_irq; restored afterwards). common_interrupt stamps the TSC at vector
// entry and just before iretq (arch/x86/bench.h); the handler stamps its first and last instruction.
// Reported per line: entry -> handler and handler return -> iretq, min/median/max.
#include "arch/x86/bench.h"
#include "kernel/cmdline.h"
#include "kernel/irq/interrupt.h"
#include "kernel/jiffies.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "tests/kernel/bench.h"
#include "tests/kernel/kt_hw.h"

namespace {

constexpr unsigned BENCH_SAMPLES = 100;
constexpr unsigned BENCH_WARMUP = 5;              // first interrupts warm TCG's translation cache
constexpr uint64_t BENCH_WAIT_US = 1000000;       // per sample; a tick is 1 ms at HZ=1000
constexpr unsigned TIMER_IRQ = 0, KEYBOARD_IRQ = 1;
constexpr uint8_t BENCH_SCANCODE = 0x39;          // space make code; read back and dropped by the handler

struct Sample {
    uint64_t entry;          // irq_entry_tsc at this interrupt
    uint64_t first, last;    // handler's first and last rdtsc
};

// Written by the bench handler (hard-IRQ context, this CPU), read by the loop after the interrupt.
Sample current;
volatile unsigned handled;
int bench_dev;
bool keyboard_mode;

irqreturn_t bench_handler(int, void*) {
    uint64_t first = rdtsc();   // first statement: the "first instruction of the handler"
    current.entry = irq_entry_tsc.this_cpu();
    if (keyboard_mode)
        (void)kt_i8042_read_data();   // take the byte, as the real driver would
    else
        do_timer(1);                  // keep jiffies going while the PIT handler is away
    handled = handled + 1;
    current.first = first;
    current.last = rdtsc();           // last statement before the return
    return IRQ_HANDLED;
}

struct SavedAction {
    irq_handler_t handler;
    unsigned long flags;
    const char* name;
    void* dev_id;
};

bool take_line(unsigned irq, unsigned long flags, SavedAction* saved) {
    irq_desc* d = irq_to_desc(irq);
    if (!d || !d->action || d->action->next) {
        pr_err("bench: IRQ %u has %s action\n", irq, d && d->action ? "more than one" : "no");
        return false;
    }
    *saved = {d->action->handler, d->action->flags, d->action->name, d->action->dev_id};
    free_irq(irq, saved->dev_id);
    return request_irq(irq, bench_handler, flags, "bench", &bench_dev) == 0;
}

void give_back(unsigned irq, const SavedAction& saved) {
    free_irq(irq, &bench_dev);
    if (request_irq(irq, saved.handler, saved.flags, saved.name, saved.dev_id) != 0)
        pr_err("bench: could not give IRQ %u back to %s\n", irq, saved.name);
}

bool handled_changed(void* since) { return handled != *static_cast<unsigned*>(since); }

void sort(uint64_t* v, unsigned n) {
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

// One interrupt: wait for it (after `trigger`), then read the exit stamp before anything else can fire.
bool one_sample(void (*trigger)(), uint64_t* to_handler, uint64_t* from_handler) {
    unsigned before = handled;
    local_irq_disable();
    if (trigger)
        trigger();
    local_irq_enable();
    if (!kt_wait_us(handled_changed, &before, BENCH_WAIT_US))
        return false;
    unsigned long flags;
    local_irq_save(flags);
    uint64_t exit = irq_exit_tsc.this_cpu();
    Sample s = current;
    local_irq_restore(flags);
    *to_handler = s.first - s.entry;
    *from_handler = exit - s.last;
    return exit > s.last && s.first > s.entry;
}

void inject_key() { (void)kt_i8042_inject(BENCH_SCANCODE); }

bool measure(const char* line, unsigned irq, void (*trigger)()) {
    static uint64_t in[BENCH_SAMPLES], out[BENCH_SAMPLES];
    for (unsigned i = 0; i < BENCH_WARMUP + BENCH_SAMPLES; i++) {
        uint64_t a = 0, b = 0;
        if (!one_sample(trigger, &a, &b)) {
            pr_err("bench: %s sample %u failed\n", line, i);
            return false;
        }
        if (i >= BENCH_WARMUP) {
            in[i - BENCH_WARMUP] = a;
            out[i - BENCH_WARMUP] = b;
        }
    }
    sort(in, BENCH_SAMPLES);
    sort(out, BENCH_SAMPLES);
    unsigned mid = BENCH_SAMPLES / 2;
    pr_info("BENCH line=%s irq=%u samples=%u entry_min=%llu entry_med=%llu entry_max=%llu "
            "exit_min=%llu exit_med=%llu exit_max=%llu\n",
            line, irq, BENCH_SAMPLES, (unsigned long long)in[0], (unsigned long long)in[mid],
            (unsigned long long)in[BENCH_SAMPLES - 1], (unsigned long long)out[0], (unsigned long long)out[mid],
            (unsigned long long)out[BENCH_SAMPLES - 1]);
    return true;
}

int bench_flag(const char*) { return 0; }   // `bench` is read with cmdline_has_flag()

}  // namespace

__setup_flag("bench", bench_flag);

bool bench_requested() { return cmdline_has_flag("bench"); }

int bench_run() {
    pr_info("bench: interrupt path in TSC ticks (instructions under -icount shift=0), %u samples per line\n",
            BENCH_SAMPLES);
    bool ok = true;
    SavedAction saved{};

    // Timer: the PIT fires by itself; only IRQ0 is live (no keys, no serial input).
    keyboard_mode = false;
    if (take_line(TIMER_IRQ, IRQF_TIMER, &saved)) {
        ok &= measure("timer", TIMER_IRQ, nullptr);
        give_back(TIMER_IRQ, saved);
    } else {
        ok = false;
    }

    // Keyboard: one injected scancode per sample; the timer is held off so that no tick lands between
    // the keyboard interrupt's iretq and the read of its exit stamp.
    keyboard_mode = true;
    disable_irq(TIMER_IRQ);
    if (take_line(KEYBOARD_IRQ, 0, &saved)) {
        ok &= measure("keyboard", KEYBOARD_IRQ, inject_key);
        give_back(KEYBOARD_IRQ, saved);
    } else {
        ok = false;
    }
    enable_irq(TIMER_IRQ);
    keyboard_mode = false;

    if (ok)
        pr_info("BENCH-DONE\n");
    else
        pr_info("BENCH-FAILED\n");
    return ok ? 0 : 1;
}
