// The MSI host environment (tests/host/support/msi_host.h) and the host tests' x86_msi_cpu_apicid.
#include "tests/host/support/msi_host.h"
#include "arch/x86/irq_vectors.h"
#include "arch/x86/vector.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/irq/vector_domain.h"
#include "kernel/preempt.h"

#include <gtest/gtest.h>

#include "tests/host/support/sim_cpu.h"

unsigned msi_host::apicid[NR_CPUS];
msi_host::Env* msi_host::env;

unsigned x86_msi_cpu_apicid(unsigned cpu) { return cpu < NR_CPUS ? msi_host::apicid[cpu] : ~0u; }

namespace msi_host {

void setup(Env& e, unsigned cpus) {
    env = &e;
    for (unsigned c = 0; c < NR_CPUS; c++) apicid[c] = c;
    SimCpu::set_online(cpus);
    ASSERT_EQ(x86_vector_domain_init(true), 0);
    for (unsigned c = 1; c < cpus; c++) {
        SimCpu::Scope on(c);
        lapic_online();
    }
    vector_hooks h;
    h.send_ipi = [](unsigned cpu, unsigned vector) { env->irr.emplace(cpu, vector); };
    h.irr_pending = [](unsigned vector) { return env->irr.count({smp_processor_id(), vector}) != 0; };
    vector_set_hooks(h);
    e.lapic_mmio.on_write(
        [](FakeMmio&, uintptr_t off, uint32_t, void* ctx) {
            if (off == lapic::APIC_EOI) static_cast<Env*>(ctx)->eois++;
        },
        &e);
    set_local_apic(&e.lapic);
    ASSERT_EQ(pci_msi_create_irq_domain(x86_vector_domain), 0);
}

void teardown() {
    pci_msi_remove_irq_domain();
    set_local_apic(nullptr);
    vector_set_hooks(vector_hooks{});
    irq_domain_remove(x86_vector_domain);
    x86_vector_domain = nullptr;
    env = nullptr;
}

void send(const msi_msg& msg) {
    env->sent++;
    if (!x86_msi_addr_lo::is_apic(msg.address_lo) || msg.address_hi) {
        env->not_apic++;
        return;
    }
    unsigned dest = x86_msi_addr_lo::decode(msg.address_lo).destid_0_7;
    unsigned vector = x86_msi_data::decode(msg.data).vector;
    for (unsigned c = 0; c < NR_CPUS; c++)
        if (apicid[c] == dest) {
            env->irr.emplace(c, vector);
            return;
        }
    env->not_apic++;
}

void service() {
    while (!env->irr.empty()) {
        auto [cpu, vector] = *env->irr.begin();
        env->irr.erase(env->irr.begin());
        SimCpu::Scope on(cpu);
        unsigned long flags = arch::irq_save();
        if (vector == IRQ_MOVE_CLEANUP_VECTOR) {
            vector_cleanup_this_cpu();
        } else {
            irq_enter();
            irq_desc* desc = per_cpu(vector_irq, cpu).desc[vector];
            if (vector_desc_is_marker(desc)) {  // what do_IRQ does with it
                if (desc) per_cpu(vector_irq, cpu).desc[vector] = nullptr;
                env->strays++;
            } else {
                generic_handle_irq_desc(desc);
            }
            irq_exit();
        }
        arch::irq_restore(flags);
    }
}

}  // namespace msi_host
