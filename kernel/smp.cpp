// The call-function queues of kernel/smp.h (Linux kernel/smp.c: generic_exec_single,
// smp_call_function_many_cond, __flush_smp_call_function_queue, csd_lock/csd_unlock): per-CPU lock-free
// lists (Linux llist: push with compare-and-swap, the consumer takes the whole list with one exchange),
// the per-CPU csd of the no-wait single call and the per-CPU array of csds of the "many" calls.
#include "kernel/smp.h"
#include "kernel/errno.h"
#include "kernel/preempt.h"
#include "kernel/printk.h"

namespace {
// The per-CPU state (Linux: call_single_queue, csd_data, cfd_data).
struct call_function_data {
    call_single_data csd[NR_CPUS];  // csd[target] of the calls this CPU makes to `target`
    cpumask_t cpumask;              // the targets of the current call
    cpumask_t cpumask_ipi;          // those whose queue was empty: they need an IPI
};
}  // namespace

DEFINE_PER_CPU_ALIGNED(call_single_data*, call_single_queue) = nullptr;
DEFINE_PER_CPU_ALIGNED(call_single_data, csd_data) = {};
DEFINE_PER_CPU_ALIGNED(call_function_data, cfd_data) = {};

namespace {
const smp_ops* ipi_ops;

unsigned csd_flags(const call_single_data* csd) { return __atomic_load_n(&csd->flags, __ATOMIC_ACQUIRE); }

// Wait until the previous user of `csd` released it (Linux csd_lock_wait: acquire pairs with the
// release in csd_unlock, so the caller then sees what the function wrote).
void csd_lock_wait(call_single_data* csd) {
    while (csd_flags(csd) & CSD_FLAG_LOCK) arch::cpu_relax();
}
void csd_lock(call_single_data* csd) {
    csd_lock_wait(csd);
    __atomic_store_n(&csd->flags, CSD_FLAG_LOCK, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);  // the lock before the func/info stores become visible
}
void csd_unlock(call_single_data* csd) {
    unsigned f = __atomic_load_n(&csd->flags, __ATOMIC_RELAXED);
    __atomic_store_n(&csd->flags, f & ~CSD_FLAG_LOCK, __ATOMIC_RELEASE);
}

// llist_add: true when the list was empty (the target needs an IPI; otherwise one is on its way).
bool queue_add(unsigned cpu, call_single_data* csd) {
    call_single_data** head = &per_cpu(call_single_queue, cpu);
    call_single_data* first = __atomic_load_n(head, __ATOMIC_RELAXED);
    do {
        csd->next = first;
    } while (!__atomic_compare_exchange_n(head, &first, csd, true, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
    return first == nullptr;
}

void send_single_ipi(unsigned cpu) {
    if (const smp_ops* ops = __atomic_load_n(&ipi_ops, __ATOMIC_ACQUIRE)) ops->send_call_function_single_ipi(cpu);
}
void send_mask_ipi(const cpumask_t* mask) {
    if (const smp_ops* ops = __atomic_load_n(&ipi_ops, __ATOMIC_ACQUIRE)) ops->send_call_function_ipi_mask(mask);
}

void run_locally(smp_call_func_t func, void* info) {
    unsigned long flags = arch::irq_save();
    func(info);
    arch::irq_restore(flags);
}

// Linux: "Can deadlock when called with interrupts disabled" / "!in_task()".
void check_context() {
    WARN_ONCE(arch::irqs_disabled(), "smp_call_function called with interrupts disabled\n");
    WARN_ONCE(!in_task(), "smp_call_function called from interrupt context\n");
}
}  // namespace

void smp_set_ops(const smp_ops* ops) { __atomic_store_n(&ipi_ops, ops, __ATOMIC_RELEASE); }

bool smp_call_queue_pending(unsigned cpu) {
    return cpu < NR_CPUS && __atomic_load_n(&per_cpu(call_single_queue, cpu), __ATOMIC_RELAXED) != nullptr;
}

int smp_call_function_single(int cpu, smp_call_func_t func, void* info, bool wait) {
    preempt_disable();
    unsigned this_cpu = smp_processor_id();
    check_context();
    if (cpu == int(this_cpu)) {
        run_locally(func, info);
        preempt_enable();
        return 0;
    }
    if (cpu < 0 || unsigned(cpu) >= nr_cpu_ids || !cpu_online(unsigned(cpu))) {
        preempt_enable();
        return -ENXIO;
    }
    call_single_data on_stack;
    call_single_data* csd = &on_stack;
    if (wait) {
        on_stack.flags = CSD_FLAG_LOCK | CSD_TYPE_SYNC;
    } else {
        csd = this_cpu_ptr(&csd_data);
        csd_lock(csd);
    }
    csd->func = func;
    csd->info = info;
    if (queue_add(unsigned(cpu), csd)) send_single_ipi(unsigned(cpu));
    if (wait) csd_lock_wait(csd);
    preempt_enable();
    return 0;
}

void smp_call_function_many(const cpumask_t* mask, smp_call_func_t func, void* info, bool wait) {
    preempt_disable();
    unsigned this_cpu = smp_processor_id();
    check_context();
    call_function_data* cfd = this_cpu_ptr(&cfd_data);
    cpumask_and(&cfd->cpumask, mask, cpu_online_mask);
    cpumask_clear_cpu(this_cpu, &cfd->cpumask);
    cpumask_clear(&cfd->cpumask_ipi);
    unsigned nr_ipis = 0, last_cpu = 0;
    for_each_cpu(cpu, &cfd->cpumask) {
        call_single_data* csd = &cfd->csd[cpu];
        csd_lock(csd);
        if (wait) __atomic_fetch_or(&csd->flags, CSD_TYPE_SYNC, __ATOMIC_RELAXED);
        csd->func = func;
        csd->info = info;
        if (queue_add(cpu, csd)) {
            cpumask_set_cpu(cpu, &cfd->cpumask_ipi);
            nr_ipis++;
            last_cpu = cpu;
        }
    }
    if (nr_ipis == 1)
        send_single_ipi(last_cpu);
    else if (nr_ipis > 1)
        send_mask_ipi(&cfd->cpumask_ipi);
    if (wait) for_each_cpu(cpu, &cfd->cpumask) csd_lock_wait(&cfd->csd[cpu]);
    preempt_enable();
}

void smp_call_function(smp_call_func_t func, void* info, bool wait) {
    smp_call_function_many(cpu_online_mask, func, info, wait);
}

void on_each_cpu(smp_call_func_t func, void* info, bool wait) {
    preempt_disable();
    smp_call_function(func, info, wait);
    run_locally(func, info);
    preempt_enable();
}

void smp_send_reschedule(int cpu) {
    if (WARN_ONCE(cpu < 0 || unsigned(cpu) >= nr_cpu_ids || !cpu_online(unsigned(cpu)),
                  "sched: Unexpected reschedule of offline CPU#%d!\n", cpu))
        return;
    if (const smp_ops* ops = __atomic_load_n(&ipi_ops, __ATOMIC_ACQUIRE)) ops->send_reschedule(unsigned(cpu));
}

void generic_smp_call_function_single_interrupt() {
    call_single_data* list = __atomic_exchange_n(this_cpu_ptr(&call_single_queue), nullptr, __ATOMIC_ACQUIRE);
    // The list is newest first: reverse it so the calls run in the order they were queued.
    call_single_data* fifo = nullptr;
    while (list) {
        call_single_data* next = list->next;
        list->next = fifo;
        fifo = list;
        list = next;
    }
    while (fifo) {
        call_single_data* csd = fifo;
        fifo = csd->next;  // read before the unlock: the csd may be reused at once
        smp_call_func_t func = csd->func;
        void* info = csd->info;
        if (__atomic_load_n(&csd->flags, __ATOMIC_RELAXED) & CSD_TYPE_SYNC) {
            func(info);
            csd_unlock(csd);  // the waiter returns after this
        } else {
            csd_unlock(csd);  // Linux: an asynchronous csd is released before its function runs
            func(info);
        }
    }
}

void generic_smp_call_function_interrupt() { generic_smp_call_function_single_interrupt(); }
