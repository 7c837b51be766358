// The bottom-half views: `softirqs` (Linux's /proc/softirqs: how often each softirq ran on each CPU) and
// `tasklets` (the tasklets queued on each CPU's HI and normal lists, with their state bits).
#include "kernel/shell/shell.h"
#include "kernel/softirq.h"
#include "kernel/tasklet.h"

namespace {

int cmd_softirqs(int, char**) {
    show_softirqs(shell_out_cb, nullptr);
    return 0;
}

int cmd_tasklets(int, char**) {
    show_tasklets(shell_out_cb, nullptr);
    return 0;
}

}  // namespace

SHELL_COMMAND("softirqs", "per-CPU softirq counts in the /proc/softirqs layout", cmd_softirqs);
SHELL_COMMAND("tasklets", "tasklets queued on each CPU's HI and TASKLET lists, with SCHED/RUN and disable count",
              cmd_tasklets);
