// The x86 vector domain with the PCI-MSI domain above it, for the host tests of MSI, and the local APICs'
// side of a message: a message a device sends is decoded (address -> APIC ID -> CPU, data -> vector)
// and requested in that CPU's simulated IRR; service() then lets each CPU take its requested vectors as
// do_IRQ does (the vector_irq entry's flow; an empty or marked entry counted as a stray). The IPIs the
// vector domain sends (a retrigger, a move's cleanup) are requests in the same IRRs. EOIs at the local
// APIC are counted.
#pragma once
#include "drivers/apic/local_apic.h"
#include "kernel/irq/msi.h"

#include <set>
#include <utility>

#include "tests/host/support/fake_mmio.h"

namespace msi_host {

// x86_msi_cpu_apicid's answer for each CPU (set up as CPU n = APIC ID n).
extern unsigned apicid[NR_CPUS];

struct Env {
    std::set<std::pair<unsigned, unsigned>> irr;  // (cpu, vector) requested and not taken yet
    unsigned strays = 0;                          // taken on a vector with no IRQ (or a marker)
    unsigned not_apic = 0;                        // messages whose address is no local APIC's
    unsigned eois = 0;
    unsigned sent = 0;  // messages sent
    FakeMmio lapic_mmio{lapic::APIC_MMIO_SIZE};
    LocalApic lapic{lapic_mmio};
};
extern Env* env;

// `cpus` CPUs online with their vectors, the vector domain's hooks (IPIs into the IRRs, the calling
// CPU's IRR), a fake local APIC for the EOIs, the PCI-MSI domain. After host_env::reset_all.
void setup(Env& e, unsigned cpus);
// Everything undone (every MSI must have been freed).
void teardown();
// A device writes `msg`: requested at the CPU its address names, with its vector.
void send(const msi_msg& msg);
// Every CPU takes what its IRR holds, until nothing is requested any more: the IRQ's flow on its
// vector_irq entry (interrupts off, irq_enter/irq_exit), the move cleanup for IRQ_MOVE_CLEANUP_VECTOR.
void service();

}  // namespace msi_host
