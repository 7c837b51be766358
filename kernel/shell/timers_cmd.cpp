// The shell's `timers`: every online CPU's timer wheel and its pending timers, soonest first (Linux's
// /proc/timer_list, reduced to the jiffies wheel: irqos has no hrtimers). Times are in jiffies from now;
// "fires in" is when the timer's bucket comes up, which the wheel's rounding puts up to one granularity
// of its level after "expires in".
#include "kernel/shell/shell.h"
#include "kernel/errno.h"
#include "kernel/percpu.h"
#include "kernel/time/timer.h"
#include "lib/vsprintf.h"

namespace {
constexpr unsigned TIMERS_SHOWN = 32;  // per CPU; the rest is counted

// Insertion sort by when they fire, then by expires (the wheel keeps them by bucket, not by time).
void sort_by_firing(timer_snapshot* s, unsigned n, unsigned long now) {
    for (unsigned i = 1; i < n; i++) {
        timer_snapshot x = s[i];
        long xb = long(x.bucket_expiry - now), xe = long(x.expires - now);
        unsigned j = i;
        for (; j > 0; j--) {
            long pb = long(s[j - 1].bucket_expiry - now), pe = long(s[j - 1].expires - now);
            if (pb < xb || (pb == xb && pe <= xe)) break;
            s[j] = s[j - 1];
        }
        s[j] = x;
    }
}

void format_flags(char* buf, size_t size, uint32_t flags) {
    static constexpr struct {
        uint32_t bit;
        const char* name;
    } names[] = {{TIMER_PINNED, "PINNED"}, {TIMER_IRQSAFE, "IRQSAFE"}, {TIMER_DEFERRABLE, "DEFERRABLE"}};
    int at = 0;
    buf[0] = '\0';
    for (const auto& n : names)
        if (flags & n.bit) at += scnprintf(buf + at, size - size_t(at), "%s%s", at ? "|" : "", n.name);
    if (!at) snprintf(buf, size, "-");
}

int cmd_timers(int argc, char**) {
    if (argc != 1) {
        shell_puts("usage: timers\n");
        return -EINVAL;
    }
    unsigned long now = READ_ONCE(jiffies);
    shell_printf("Timer wheels at jiffies %lu (HZ=%u): %u levels of 64 buckets, longest timeout %lu jiffies\n", now, HZ,
                 timer_wheel_levels(), timer_wheel_timeout_max());
    for_each_online_cpu(cpu) {
        timer_base_info info;
        timer_snapshot snap[TIMERS_SHOWN];
        unsigned n = timer_base_snapshot(cpu, &info, snap, TIMERS_SHOWN);
        sort_by_firing(snap, n, now);
        shell_printf("cpu: %u\n clk: %lu, pending: %u", cpu, info.clk, info.nr_pending);
        if (info.nr_pending) shell_printf(", next bucket in %ld", long(info.next_expiry - now));
        if (info.running) shell_printf(", running: %ps", reinterpret_cast<void*>(info.running));
        shell_puts("\n");
        for (unsigned i = 0; i < n; i++) {
            const timer_snapshot& t = snap[i];
            char flags[40];
            format_flags(flags, sizeof(flags), t.flags);
            shell_printf(" #%u: <%p>, %ps, expires in %ld, fires in %ld (level %u, granularity %lu), flags %s\n", i,
                         (const void*)t.timer, reinterpret_cast<void*>(t.function), long(t.expires - now),
                         long(t.bucket_expiry - now), t.level, timer_wheel_granularity(t.level), flags);
        }
        if (info.nr_pending > n) shell_printf(" ... and %u more\n", info.nr_pending - n);
    }
    return 0;
}
}  // namespace

SHELL_COMMAND("timers", "each CPU's timer wheel: pending timers, when they fire (jiffies from now), flags", cmd_timers);
