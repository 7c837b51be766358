// In-kernel tests of SMP on the real machine: every CPU the MADT lists is online or accounted for, each
// online CPU runs on its own GS base with its own APIC ID and ticks on its own LAPIC timer (LOC grows),
// and the IPIs reach their targets: smp_call_function_single and _many with and without waiting,
// counted in CAL on the target, the reschedule IPI in RES, -ENXIO for an offline CPU. With one CPU
// (QEMU -smp 1, nosmp) the cross-CPU parts have no target and only the local answers are checked.
#include "tests/kernel/ktest.h"
#include "tests/kernel/kt_hw.h"
#include "arch/x86/cpu.h"
#include "arch/x86/smp.h"
#include "drivers/apic/local_apic.h"
#include "kernel/errno.h"
#include "kernel/irq/irq_stat.h"
#include "kernel/jiffies.h"
#include "kernel/preempt.h"
#include "kernel/sched/sched.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"

namespace {
constexpr uint64_t IPI_WAIT_US = 2000000;       // a no-wait call lands within this (busy emulator host)
constexpr uint64_t TICK_WATCH_US = 50000;       // watch every CPU's LOC over 50 ms
constexpr unsigned long TICK_MIN_PERCENT = 50;  // each CPU ticks at HZ too; TCG may merge some ticks

struct WhereRan {
    int cpu = -1;
    bool in_irq = false;
    bool from_idle = false;  // by the target's idle loop, interrupts off, before its IPI was taken
    uint32_t apic_id = BAD_APICID;
    uint64_t gs_base = 0;
    int runs = 0;
};

void where_ran(void* info) {
    WhereRan* w = static_cast<WhereRan*>(info);
    w->cpu = int(smp_processor_id());
    w->in_irq = in_hardirq();
    task_struct* t = sched_current();
    w->from_idle = !w->in_irq && irqs_disabled() && t && is_idle_task(t);
    w->apic_id = local_apic() ? local_apic()->id() : BAD_APICID;
    w->gs_base = x86::rdmsr(x86::MSR_GS_BASE);
    __atomic_fetch_add(&w->runs, 1, __ATOMIC_RELEASE);
}

struct RunsWait {
    int* runs;
    int want;
};
bool ran_n(void* arg) {
    auto* p = static_cast<RunsWait*>(arg);
    return __atomic_load_n(p->runs, __ATOMIC_ACQUIRE) >= p->want;
}

void count_cpu(void* info) { __atomic_fetch_add(&static_cast<int*>(info)[smp_processor_id()], 1, __ATOMIC_RELAXED); }

struct CountWait {
    int* counts;
    unsigned cpus;
    int want;
};
// Every other CPU's CAL count `want` above `base`: an IPI whose call the target's idle loop ran first is
// counted when the target takes it, which may come after the call's function ran.
struct CalWait {
    const unsigned* base;
    unsigned cpus;
    unsigned want;
};
bool all_ipis_counted(void* arg) {
    auto* c = static_cast<CalWait*>(arg);
    for (unsigned cpu = 1; cpu < c->cpus; cpu++)
        if (irq_stat_read(irq_call_count, cpu) - c->base[cpu] < c->want) return false;
    return true;
}
bool all_counted(void* arg) {
    auto* c = static_cast<CountWait*>(arg);
    for (unsigned cpu = 1; cpu < c->cpus; cpu++)
        if (__atomic_load_n(&c->counts[cpu], __ATOMIC_RELAXED) < c->want) return false;
    return true;
}
}  // namespace

KTEST(smp, madt_cpus_are_online_or_accounted_for) {
    const SmpCpuInfo* t;
    unsigned n = smp_cpu_table(&t), online = 0;
    for (unsigned i = 0; i < n; i++) {
        KEXPECT_TRUE(t[i].state != SmpCpuState::Failed);  // every emulated CPU answers its SIPIs
        if (t[i].state != SmpCpuState::Online) {
            KEXPECT_EQ(t[i].cpu, -1);
            continue;
        }
        online++;
        KASSERT(t[i].cpu >= 0 && unsigned(t[i].cpu) < arch::num_online_cpus());
        KEXPECT_EQ(per_cpu(x86_cpu_to_apicid, unsigned(t[i].cpu)), t[i].apic_id);
        KEXPECT_EQ(apicid_to_cpu(t[i].apic_id), t[i].cpu);
    }
    if (n) KEXPECT_EQ(online, arch::num_online_cpus());
    if (!local_apic()) KEXPECT_EQ(arch::num_online_cpus(), 1u);
}

KTEST(smp, every_online_cpu_ticks_on_its_own_lapic_timer) {
    if (!local_apic()) KSKIP("no local APIC in use (8259 mode)");
    unsigned n = arch::num_online_cpus();
    unsigned before[NR_CPUS];
    for (unsigned c = 0; c < n; c++) before[c] = irq_stat_read(apic_timer_irqs, c);
    unsigned long j0 = READ_ONCE(jiffies);
    kt_settle_us(TICK_WATCH_US);
    unsigned long ticks = READ_ONCE(jiffies) - j0;
    for (unsigned c = 0; c < n; c++) {
        unsigned got = irq_stat_read(apic_timer_irqs, c) - before[c];
        if (got * 100 < ticks * TICK_MIN_PERCENT)
            ktest_fail(__FILE__, __LINE__, "CPU%u: %u LAPIC timer interrupts in %lu jiffies", c, got, ticks);
    }
}

KTEST(smp, call_single_wait_runs_on_each_cpu_in_hardirq) {
    for (unsigned cpu = 0; cpu < arch::num_online_cpus(); cpu++) {
        WhereRan w;
        unsigned cal = irq_stat_read(irq_call_count, cpu);
        KEXPECT_EQ(smp_call_function_single(int(cpu), where_ran, &w, true), 0);
        KEXPECT_EQ(w.runs, 1);
        KEXPECT_EQ(w.cpu, int(cpu));
        KEXPECT_EQ(w.gs_base, uint64_t(__per_cpu_offset[cpu]));  // its own per-CPU area
        if (local_apic()) KEXPECT_EQ(w.apic_id, per_cpu(x86_cpu_to_apicid, cpu));
        // The caller's own CPU runs it directly (no IPI, not in an interrupt); another CPU in the IPI's
        // handler, or in its idle loop if that finds the call queued before the IPI is taken (interrupts
        // off, as Linux's idle loop flushes the call queue; the IPI then finds nothing and may be counted
        // after the caller looked).
        unsigned calls = irq_stat_read(irq_call_count, cpu) - cal;
        if (cpu == 0) {
            KEXPECT_FALSE(w.in_irq);
            KEXPECT_EQ(calls, 0u);
        } else {
            KEXPECT_TRUE(w.in_irq || w.from_idle);
            if (w.in_irq)
                KEXPECT_EQ(calls, 1u);  // counted before the handler ran
            else
                KEXPECT_TRUE(calls <= 1);
        }
    }
}

KTEST(smp, call_single_nowait_lands_later) {
    unsigned n = arch::num_online_cpus();
    if (n < 2) KSKIP("one CPU online: no other CPU to call");
    unsigned target = n - 1;
    WhereRan w;
    KEXPECT_EQ(smp_call_function_single(int(target), where_ran, &w, false), 0);
    RunsWait want{&w.runs, 1};
    KASSERT(kt_wait_us(ran_n, &want, IPI_WAIT_US));
    KEXPECT_EQ(w.cpu, int(target));
    KEXPECT_TRUE(w.in_irq || w.from_idle);
    // The per-CPU csd is free again: a waiting call through the same path works at once.
    KEXPECT_EQ(smp_call_function_single(int(target), where_ran, &w, true), 0);
    KEXPECT_EQ(w.runs, 2);
}

KTEST(smp, call_many_reaches_every_other_cpu_wait_and_nowait) {
    unsigned n = arch::num_online_cpus();
    int counts[NR_CPUS] = {};
    unsigned cal[NR_CPUS];
    for (unsigned c = 0; c < n; c++) cal[c] = irq_stat_read(irq_call_count, c);
    smp_call_function_many(cpu_online_mask, count_cpu, counts, true);
    KEXPECT_EQ(counts[0], 0);  // the caller is not included (Linux)
    for (unsigned c = 1; c < n; c++) KEXPECT_EQ(counts[c], 1);
    smp_call_function_many(cpu_online_mask, count_cpu, counts, false);
    CountWait cw{counts, n, 2};
    KASSERT(kt_wait_us(all_counted, &cw, IPI_WAIT_US));
    KEXPECT_EQ(counts[0], 0);
    CalWait w{cal, n, 2};
    KEXPECT_TRUE(kt_wait_us(all_ipis_counted, &w, IPI_WAIT_US));
    for (unsigned c = 1; c < n; c++) KEXPECT_EQ(irq_stat_read(irq_call_count, c) - cal[c], 2u);
    for (unsigned c = n; c < NR_CPUS; c++) KEXPECT_EQ(counts[c], 0);
}

KTEST(smp, reschedule_ipi_is_counted_on_its_target) {
    unsigned n = arch::num_online_cpus();
    if (n < 2) KSKIP("one CPU online: no other CPU to send to");
    unsigned target = n - 1;
    unsigned res = irq_stat_read(irq_resched_count, target);
    smp_send_reschedule(int(target));
    struct Res {
        unsigned cpu, want;
    } r{target, res + 1};
    KASSERT(kt_wait_us(
        [](void* a) {
            auto* r = static_cast<Res*>(a);
            return irq_stat_read(irq_resched_count, r->cpu) >= r->want;
        },
        &r, IPI_WAIT_US));
    KEXPECT_EQ(irq_stat_read(irq_resched_count, target), res + 1);
}

KTEST(smp, offline_cpu_is_enxio) {
    WhereRan w;
    KEXPECT_EQ(smp_call_function_single(int(arch::num_online_cpus()), where_ran, &w, true), -ENXIO);
    KEXPECT_EQ(smp_call_function_single(-1, where_ran, &w, false), -ENXIO);
    KEXPECT_EQ(w.runs, 0);
}
