// The shell's views of threads and bottom halves, and the bottom-half experiments, run through the
// shell's own dispatcher (shell_execute) with its output captured, on whichever emulator runs the tests:
// ps, softirqs, tasklets, workqueues and timers show what the kernel has, and `bh tasklet`, `bh work`
// and `bh flood` print their counts and explanations.
#include "tests/kernel/ktest.h"
#include "kernel/shell/shell.h"
#include "lib/string.h"
#include "lib/vsprintf.h"

namespace {
constexpr size_t CAPTURE_MAX = 16384;
char out_buf[CAPTURE_MAX];
size_t out_len;

void capture(const char* s, size_t n) {
    for (size_t i = 0; i < n && out_len < CAPTURE_MAX - 1; i++) out_buf[out_len++] = s[i];
    out_buf[out_len] = '\0';
}

// Run `cmd` through the shell, its output captured; the command's result.
int run(const char* cmd) {
    char line[SHELL_LINE_MAX + 1];
    irqos::snprintf(line, sizeof line, "%s", cmd);
    out_len = 0;
    out_buf[0] = '\0';
    shell_output_fn prev = shell_set_output(capture);
    int ret = shell_execute(line);
    shell_set_output(prev);
    return ret;
}

bool has(const char* text) { return strstr(out_buf, text) != nullptr; }
#define KEXPECT_OUT(text) \
    (has(text) ? true : (ktest_fail(__FILE__, __LINE__, "no \"%s\" in: %.300s", text, out_buf), false))

// The unsigned number after `label` in the captured output (ULONG_MAX if absent).
unsigned long number_after(const char* label) {
    const char* p = strstr(out_buf, label);
    if (!p) return ~0ul;
    p += strlen(label);
    while (*p == ' ') p++;
    unsigned long v = 0;
    bool any = false;
    for (; *p >= '0' && *p <= '9'; p++, any = true) v = v * 10 + unsigned(*p - '0');
    return any ? v : ~0ul;
}

KTEST(shell_bh, views_show_threads_softirqs_tasklets_workqueues_and_timers) {
    KASSERT_EQ(run("ps"), 0);
    KEXPECT_OUT("swapper/0");
    KEXPECT_OUT("    1 ");  // init keeps pid 1
    KEXPECT_OUT(" init");
    KEXPECT_OUT("ksoftirqd/0");
    KEXPECT_OUT("kworker/0:");
    KASSERT_EQ(run("softirqs"), 0);
    KEXPECT_OUT("CPU0");
    KEXPECT_OUT("TASKLET:");
    KEXPECT_OUT("RCU:");
    KASSERT_EQ(run("tasklets"), 0);
    KEXPECT_OUT("CPU0 HI");
    KASSERT_EQ(run("workqueues"), 0);
    KEXPECT_OUT("events");
    KASSERT_EQ(run("timers"), 0);
    KEXPECT_OUT("Timer wheels");
}

KTEST(shell_bh, bh_tasklet_prints_coalesced_counts_that_add_up) {
    KASSERT_EQ(run("bh tasklet 8192 200 100"), 0);
    KEXPECT_OUT("every schedule accounted for");
    unsigned long th = number_after("counter_th"), bh = number_after("counter_bh"), co = number_after("coalesced");
    KEXPECT_TRUE(th != ~0ul && bh != ~0ul && co != ~0ul);
    KEXPECT_EQ(th, bh + co);
    KEXPECT_TRUE(co > 0);
    KEXPECT_OUT("SCHED set");  // the explanation
}

KTEST(shell_bh, bh_work_runs_on_kworkers_and_sleeps) {
    KASSERT_EQ(run("bh work 1024 0 100 1"), 0);
    KEXPECT_OUT("counter_th = counter_bh + coalesced");
    KEXPECT_OUT("process context: 0;");
    KEXPECT_TRUE(number_after("counter_bh") > 0);
}

KTEST(shell_bh, bh_flood_is_handed_to_ksoftirqd) {
    KASSERT_EQ(run("bh flood 200"), 0);
    KEXPECT_OUT("in ksoftirqd/");
    // "  in ksoftirqd/N  COUNT": past the label and the CPU number, the count.
    const char* p = strstr(out_buf, "in ksoftirqd/");
    unsigned long in_ksd = 0;
    if (p) {
        p += strlen("in ksoftirqd/");
        while (*p >= '0' && *p <= '9') p++;
        while (*p == ' ') p++;
        for (; *p >= '0' && *p <= '9'; p++) in_ksd = in_ksd * 10 + unsigned(*p - '0');
    }
    KEXPECT_TRUE(in_ksd > 0);
    KEXPECT_OUT("this shell thread slept");
    KEXPECT_TRUE(run("bh nonsense") < 0);
    KEXPECT_OUT("usage: bh tasklet");
}
}  // namespace
