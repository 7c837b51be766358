// The interrupt-storm scenario (see storm.h): run a storm source, watch the spurious detector contain
// it, and measure the cost. The detector itself is Linux's note_interrupt (kernel/irq/spurious.cpp);
// nothing here helps it: storm_run only watches, and a timer-tick watchdog stops a storm that the
// detector does not (the line was requested under "noirqdebug", or the thresholds were raised).
#include "kernel/scenario/storm.h"
#include "drivers/apic/apic_timer.h"
#include "kernel/arch.h"
#include "kernel/idle.h"
#include "kernel/irq/interrupt.h"
#include "kernel/irq/internals.h"
#include "kernel/jiffies.h"
#include "kernel/printk.h"
#include "kernel/scenario/irqrate.h"
#include "kernel/shell/shell.h"
#include "lib/string.h"

// Weak: a build without any source (the section then does not exist) sees an empty table.
extern "C" [[gnu::weak]] const storm_source* const __start_irqos_storm_sources[];
extern "C" [[gnu::weak]] const storm_source* const __stop_irqos_storm_sources[];

namespace {

constexpr unsigned long STORM_TIMEOUT_MS_DEFAULT = 10000;  // the watchdog: far beyond a contained storm
constexpr unsigned long STORM_MARGIN_MS = 50;              // calm recorded before and after, for the picture
constexpr unsigned long STORM_GAP_NS = 1000;               // a pause this long in the watch loop means an interrupt ran
constexpr unsigned PPM = 1000000;

int storm_busy;      // one storm at a time (atomic)
int storm_irq = -1;  // the line the watchdog guards, -1: none
unsigned long storm_deadline;
bool storm_watchdog_claimed;  // one tick (of any CPU) disables the line
bool storm_watchdog_fired;    // published after the line is disabled, so the watcher sees it disabled

struct storm_snapshot {
    unsigned long jiffies;
    unsigned line, timer, keyboard;
};

// Interrupts off, so that jiffies and the timer's count are read between the same two ticks.
storm_snapshot take_snapshot(unsigned irq) {
    unsigned long flags;
    local_irq_save(flags);
    storm_snapshot s{jiffies, kstat_irqs(irq), unsigned(tick_timer_irqs()), kstat_irqs(1)};
    local_irq_restore(flags);
    return s;
}

}  // namespace

// The timer interrupt's hook (hard-IRQ context): a storm still raging at its deadline is stopped by
// disabling its line, which is what the detector would have done.
void storm_tick() {
    int irq = READ_ONCE(storm_irq);
    if (likely(irq < 0)) return;
    if (time_after(jiffies, READ_ONCE(storm_deadline)) &&
        !__atomic_exchange_n(&storm_watchdog_claimed, true, __ATOMIC_ACQ_REL)) {
        disable_irq_nosync((unsigned)irq);
        __atomic_store_n(&storm_watchdog_fired, true, __ATOMIC_RELEASE);
    }
}

const storm_source* storm_find(const char* name) {
    for (const storm_source* const* s = __start_irqos_storm_sources; s < __stop_irqos_storm_sources; s++)
        if (!strcmp((*s)->name, name)) return *s;
    return nullptr;
}

int storm_run(const storm_source* src, unsigned long timeout_ms, storm_result* out) {
    if (__atomic_exchange_n(&storm_busy, 1, __ATOMIC_ACQUIRE)) return -EBUSY;
    *out = storm_result{};
    int irq = src->prepare();
    if (irq < 0) {
        __atomic_store_n(&storm_busy, 0, __ATOMIC_RELEASE);
        return irq;
    }
    irq_desc* desc = irq_to_desc((unsigned)irq);
    out->irq = (unsigned)irq;
    out->detector_on = !irq_settings_no_debug(desc);

    const uint64_t gap = arch::cycles_khz() * STORM_GAP_NS / 1000000 + 1;
    storm_snapshot before = take_snapshot((unsigned)irq);
    WRITE_ONCE(storm_watchdog_fired, false);
    WRITE_ONCE(storm_watchdog_claimed, false);
    WRITE_ONCE(storm_deadline, before.jiffies + msecs_to_jiffies(timeout_ms));
    WRITE_ONCE(storm_irq, irq);
    uint64_t t0 = arch::cycles(), prev = t0, ran = 0;
    src->trigger();
    // Process context during the storm: every short step of this loop is time the CPU gave us.
    while (!irqs_has(desc, IRQS_SPURIOUS_DISABLED) && !__atomic_load_n(&storm_watchdog_fired, __ATOMIC_ACQUIRE)) {
        uint64_t now = arch::cycles();
        if (now - prev < gap) ran += now - prev;
        prev = now;
    }
    uint64_t t1 = arch::cycles();
    storm_snapshot after = take_snapshot((unsigned)irq);
    WRITE_ONCE(storm_irq, -1);

    out->contained = irqs_has(desc, IRQS_SPURIOUS_DISABLED);
    out->irqs_taken = after.line - before.line;
    out->cycles = t1 - t0;
    out->jiffies = after.jiffies - before.jiffies;
    out->timer_irqs = after.timer - before.timer;
    out->keyboard_irqs = after.keyboard - before.keyboard;
    out->shell_share_ppm = out->cycles ? (unsigned)(ran * PPM / out->cycles) : PPM;

    int ret = 0;
    if (!out->contained) {
        ret = -ETIMEDOUT;
        int r = src->restore();
        if (r) pr_warn("storm: %s: restoring after the watchdog failed: %d\n", src->name, r);
    } else if (src->consequence) {
        src->consequence();
    }
    __atomic_store_n(&storm_busy, 0, __ATOMIC_RELEASE);
    return ret;
}

// ---- Shell: storm [NAME [restore]]. Process context.
namespace {

void list_sources() {
    shell_puts(
        "usage: storm NAME         make NAME's line storm and watch the kernel contain it\n"
        "       storm NAME restore  quiet the device and re-arm its line\n"
        "sources:\n");
    for (const storm_source* const* s = __start_irqos_storm_sources; s < __stop_irqos_storm_sources; s++)
        shell_printf("  %-6s %s\n", (*s)->name, (*s)->help);
}

// "12.345 ms" from cycles, without floating point.
void print_ms(uint64_t cycles) {
    uint64_t us = cycles * 1000 / (arch::cycles_khz() ? arch::cycles_khz() : 1);
    shell_printf("%lu.%03lu ms", (unsigned long)(us / 1000), (unsigned long)(us % 1000));
}

void print_result(const storm_source* src, const storm_result& r) {
    unsigned irq = r.irq;
    if (!r.detector_on)
        shell_printf("storm: IRQ %u was requested under \"noirqdebug\": note_interrupt does not watch it\n", irq);
    if (r.contained)
        shell_printf("storm: contained: IRQ %u disabled by the spurious detector after %lu interrupts\n", irq,
                     r.irqs_taken);
    else
        shell_printf(
            "storm: NOT contained: the detector never disabled IRQ %u; the watchdog disabled it after %lu "
            "interrupts and %s restored it\n",
            irq, r.irqs_taken, src->name);
    shell_puts("storm: time from the raise to containment: ");
    print_ms(r.cycles);
    shell_printf(" (%lu jiffies at HZ=%u; %llu TSC cycles, which count instructions under -icount shift=0)\n",
                 r.jiffies, HZ, (unsigned long long)r.cycles);
    if (r.irqs_taken)
        shell_printf("storm: %llu cycles per storm interrupt on average\n",
                     (unsigned long long)(r.cycles / r.irqs_taken));
    shell_printf("storm: CPU left to the shell (process context) during the storm: %u.%u%% (%u ppm)\n",
                 r.shell_share_ppm / 10000, r.shell_share_ppm / 1000 % 10, r.shell_share_ppm);
    shell_printf("storm: timer %s: %lu interrupts in %lu ticks (%s); keyboard IRQ 1: %lu interrupts\n",
                 tick_timer_name(), r.timer_irqs, r.jiffies, r.timer_irqs == r.jiffies ? "exact" : "NOT exact",
                 r.keyboard_irqs);
    shell_puts("storm: per-tick rates recorded: `irqrate dump` prints them, `make plot` draws them\n");
    if (r.contained)
        shell_printf(
            "storm: IRQ %u stays disabled (`irq %u`); only polling could serve its other devices now. "
            "`storm %s restore` re-arms it.\n",
            irq, irq, src->name);
}

int cmd_storm(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        list_sources();
        return argc == 1 ? 0 : -EINVAL;
    }
    const storm_source* src = storm_find(argv[1]);
    if (!src) {
        shell_printf("storm: no source '%s'\n", argv[1]);
        list_sources();
        return -EINVAL;
    }
    if (argc == 3) {
        if (strcmp(argv[2], "restore")) {
            list_sources();
            return -EINVAL;
        }
        int r = src->restore();
        if (r)
            shell_printf("storm: %s: restore failed: %d\n", src->name, r);
        else
            shell_printf("storm: %s: device quiet, line re-armed\n", src->name);
        return r;
    }
    shell_printf(
        "storm: the spurious detector disables a line when more than %u of %u interrupts in a row go "
        "unhandled\n",
        spurious_threshold, spurious_window);
    storm_result r;
    // The record shows the calm before and after too.
    irqrate_start();
    idle_ms(STORM_MARGIN_MS);
    int ret = storm_run(src, STORM_TIMEOUT_MS_DEFAULT, &r);
    idle_ms(STORM_MARGIN_MS);
    irqrate_stop();
    if (ret == -EBUSY) {
        shell_puts("storm: a storm is already running\n");
        return ret;
    }
    if (ret && ret != -ETIMEDOUT) return ret;  // the source said why
    print_result(src, r);
    return ret;
}

}  // namespace

SHELL_COMMAND("storm", "storm NAME [restore]: a real interrupt storm and its containment, measured", cmd_storm);
