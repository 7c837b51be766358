// The shell's `rtc` command: the CMOS clock's time, its periodic interrupt (on or off, frequency) and
// how many periodic interrupts IRQ 8 has handled; `rtc start [HZ]` and `rtc stop` switch the interrupt.
#include "drivers/rtc/rtc_cmos.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/shell/shell.h"
#include "lib/string.h"

namespace {

void show_status() {
    rtc_time tm;
    if (int err = rtc_read_time(&tm); err)
        shell_printf("rtc: cannot read the time (%d)\n", err);
    else
        shell_printf("%04u-%02u-%02u %02u:%02u:%02u\n", tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec);
    shell_printf("periodic interrupt: %s, %u Hz; %lu interrupts on IRQ %u\n", rtc_irq_enabled() ? "on" : "off",
                 rtc_irq_freq(), rtc_irq_count(), mc146818::RTC_IRQ);
}

// Process context (the shell). 0, or -EINVAL for a bad word or frequency, or the driver's error.
int cmd_rtc(int argc, char** argv) {
    int err = 0;
    if (argc == 1) {
        show_status();
        return 0;
    }
    if (strcmp(argv[1], "start") == 0 && argc <= 3) {
        if (argc == 3) {
            unsigned long hz;
            if (!parse_uint(argv[2], &hz) || hz > mc146818::RTC_FREQ_MAX ||
                (err = rtc_irq_set_freq((unsigned)hz)) == -EINVAL) {
                shell_printf("rtc: frequency must be a power of two from %u to %u Hz, not '%s'\n",
                             mc146818::RTC_FREQ_MIN, mc146818::RTC_FREQ_MAX, argv[2]);
                return -EINVAL;
            }
        }
        if (!err) err = rtc_irq_set_state(true);
    } else if (strcmp(argv[1], "stop") == 0 && argc == 2) {
        err = rtc_irq_set_state(false);
    } else {
        shell_puts("usage: rtc [start [HZ] | stop]\n");
        return -EINVAL;
    }
    if (err) {
        shell_printf("rtc: error %d\n", err);
        return err;
    }
    show_status();
    return 0;
}

}  // namespace

SHELL_COMMAND("rtc", "CMOS clock time and periodic IRQ 8 count; rtc start [HZ] | rtc stop", cmd_rtc);
