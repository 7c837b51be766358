// Host tests of the IO-APIC irq domain beneath the x86 vector domain (drivers/apic/io_apic_domain.cpp,
// the IO-APIC chip's parent paths in drivers/apic/io_apic.cpp): a pin mapped under the vector domain gets
// the parent's vector and APIC ID in its entry (an ISA line keeps its number and ISA_IRQ_VECTOR on
// CPU 0), irq_set_affinity reprograms the entry masked, and an interrupt on the old vector mid-move is
// handled once, edge or level (the level one's Remote IRR cleared at the IO-APIC).
#include "drivers/apic/io_apic_domain.h"
#include "arch/x86/irq_vectors.h"
#include "arch/x86/vector.h"
#include "drivers/apic/io_apic_setup.h"
#include "drivers/apic/local_apic.h"
#include "kernel/errno.h"
#include "kernel/irq/interrupt.h"
#include "kernel/irq/irqdomain.h"
#include "kernel/irq/vector_domain.h"

#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/host/support/fake_ioapic.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/sim_cpu.h"

namespace {

using namespace ioapic;
using V = std::vector<FakeMmio::Access>;
using E = std::vector<std::string>;
constexpr unsigned BOOT_APIC_ID = 5;  // CPU 0's APIC ID; CPU 1 is APIC ID 1 (ioapic_cpu_apicid's host default)

std::vector<std::pair<unsigned, unsigned>> ipis;  // (cpu, vector)
unsigned handler_calls;

class IoApicDomain : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        ipis.clear();
        handler_calls = 0;
        SimCpu::set_online(2);
        ASSERT_EQ(x86_vector_domain_init(true), 0);
        {
            SimCpu::Scope cpu1(1);
            lapic_online();
        }
        vector_hooks h;
        h.send_ipi = [](unsigned cpu, unsigned vector) { ipis.emplace_back(cpu, vector); };
        vector_set_hooks(h);
        lapic_mmio.set(lapic::APIC_ICR, 0);
        for (unsigned r = 0; r < lapic::APIC_IR_REGS; r++) lapic_mmio.set(lapic::APIC_TMR + 0x10 * r, 0);
        lapic_mmio.on_write(
            [](FakeMmio&, uintptr_t off, uint32_t, void* ctx) {
                if (off == lapic::APIC_EOI) static_cast<E*>(ctx)->push_back("lapic eoi");
            },
            &events);
        set_local_apic(&lapic);
        ioapic_default_dest = BOOT_APIC_ID;
        model = std::make_unique<FakeIoApic>(0x20, 24, 0, &events);
        chip = std::make_unique<IoApic>(model->mmio, 0, 0);
        ASSERT_EQ(mp_irqdomain_create(chip.get()), 0);
    }
    void TearDown() override {
        for (unsigned irq : requested) free_irq(irq, this);
        mp_irqdomain_remove(chip.get());
        set_local_apic(nullptr);
        vector_set_hooks(vector_hooks{});
        irq_domain_remove(x86_vector_domain);
        x86_vector_domain = nullptr;
        ioapic_default_dest = 0;
        host_env::reset_all();
    }
    static irqreturn_t handler(int, void*) {
        handler_calls++;
        return IRQ_HANDLED;
    }
    void request(unsigned irq) {
        ASSERT_EQ(request_irq(irq, handler, 0, "dev", this), 0);
        requested.push_back(irq);
    }
    apic_chip_data* apicd(unsigned irq) { return apic_chip_data_of(irq_to_desc(irq)->irq_data.parent_data); }
    void set_tmr(unsigned vector) { lapic_mmio.set(lapic::APIC_TMR + 0x10 * (vector / 32), 1u << (vector % 32)); }
    // What do_IRQ does on `cpu` for `vector`.
    void fire_vector(unsigned cpu, unsigned vector) {
        SimCpu::Scope on(cpu);
        unsigned long flags = arch::irq_save();
        irq_enter();
        irq_desc* desc = per_cpu(vector_irq, cpu).desc[vector];
        ASSERT_FALSE(vector_desc_is_marker(desc)) << "vector " << vector << " on CPU" << cpu;
        ASSERT_NE(desc, nullptr) << "vector " << vector << " on CPU" << cpu;
        generic_handle_irq_desc(desc);
        irq_exit();
        arch::irq_restore(flags);
    }

    E events;
    FakeMmio lapic_mmio{lapic::APIC_MMIO_SIZE};
    LocalApic lapic{lapic_mmio};
    std::unique_ptr<FakeIoApic> model;
    std::unique_ptr<IoApic> chip;
    std::vector<unsigned> requested;
};

TEST_F(IoApicDomain, IsaLineKeepsItsNumberAndItsVectorOnCpu0) {
    ASSERT_EQ(ioapic_map_pin(chip.get(), 2, 0, false, false), 0) << "IRQ 0 on pin 2, as QEMU's override says";
    irq_desc* desc = irq_to_desc(0);
    EXPECT_EQ(desc->irq_data.domain, chip->irqdomain);
    EXPECT_EQ(desc->irq_data.chip, chip.get());
    EXPECT_EQ(desc->irq_data.hwirq, 2u);
    EXPECT_EQ(desc->handle_irq, &handle_edge_irq);
    apic_chip_data* a = apicd(0);
    ASSERT_NE(a, nullptr) << "the vector domain is the parent level";
    EXPECT_EQ(a->vector, ISA_IRQ_VECTOR(0));
    EXPECT_EQ(a->cpu, 0u);
    EXPECT_EQ(vector_irq_get(0, ISA_IRQ_VECTOR(0)), 0);
    IoApicRte e = model->entry(2);
    EXPECT_EQ(e.vector(), ISA_IRQ_VECTOR(0));
    EXPECT_EQ(e.destination(), BOOT_APIC_ID);
    EXPECT_TRUE(e.masked());
    EXPECT_FALSE(e.level());
    EXPECT_EQ(ioapic_pin_irq(chip.get(), 2), 0);
    EXPECT_EQ(ioapic_map_pin(chip.get(), 2, 0, false, false), -EEXIST);
    EXPECT_EQ(ioapic_map_pin(chip.get(), 24, -1, false, false), -EINVAL);

    request(0);
    e = model->entry(2);
    EXPECT_FALSE(e.masked());
    EXPECT_EQ(e.vector(), ISA_IRQ_VECTOR(0)) << "activation keeps the legacy vector";
}

TEST_F(IoApicDomain, PinAboveTheIsaLinesGetsTheParentsVectorAtActivation) {
    int irq = ioapic_map_pin(chip.get(), 20, -1, true, true);
    ASSERT_GE(irq, int(NR_IRQS_LEGACY));
    EXPECT_EQ(irq_to_desc(unsigned(irq))->handle_irq, &handle_fasteoi_irq);
    EXPECT_TRUE(model->entry(20).masked());
    request(unsigned(irq));
    apic_chip_data* a = apicd(unsigned(irq));
    ASSERT_NE(a->vector, 0u);
    IoApicRte e = model->entry(20);
    EXPECT_EQ(e.vector(), a->vector);
    EXPECT_EQ(e.destination(), ioapic_cpu_apicid(a->cpu));
    EXPECT_TRUE(e.level());
    EXPECT_TRUE(e.active_low());
    EXPECT_FALSE(e.masked());
    EXPECT_EQ(vector_irq_get(a->cpu, a->vector), irq);
}

TEST_F(IoApicDomain, AffinityMoveReprogramsTheEntryMaskedWhileItChanges) {
    ASSERT_EQ(ioapic_map_pin(chip.get(), 1, 1, false, false), 1);
    request(1);
    model->mmio.clear_log();
    ASSERT_EQ(irq_set_affinity(1, cpumask_of(1)), 0);
    apic_chip_data* a = apicd(1);
    EXPECT_EQ(a->cpu, 1u);
    IoApicRte e = model->entry(1);
    EXPECT_EQ(e.vector(), a->vector);
    EXPECT_EQ(e.destination(), 1u);
    EXPECT_FALSE(e.masked());
    const uint32_t old_low = ISA_IRQ_VECTOR(1);
    EXPECT_EQ(model->mmio.writes(),
              (V{MMIO_W(IOREGSEL, 0x12), MMIO_W(IOWIN, old_low | (1u << 16)), MMIO_W(IOREGSEL, 0x13),
                 MMIO_W(IOWIN, 1u << 24), MMIO_W(IOREGSEL, 0x12), MMIO_W(IOWIN, a->vector)}))
        << "masked, destination, then the new vector unmasked";
    cpumask_t req, eff;
    ASSERT_EQ(irq_get_affinity(1, &req, &eff), 0);
    EXPECT_TRUE(cpumask_equal(&eff, cpumask_of(1)));

    // Complete the move (an interrupt on the new CPU, the cleanup on the old one), then back to CPU 0.
    fire_vector(1, a->vector);
    {
        SimCpu::Scope on(0);
        vector_cleanup_this_cpu();
    }
    ASSERT_EQ(irq_set_affinity(1, cpumask_of(0)), 0);
    e = model->entry(1);
    EXPECT_EQ(a->cpu, 0u);
    EXPECT_EQ(e.vector(), a->vector);
    EXPECT_EQ(e.destination(), BOOT_APIC_ID);
    EXPECT_EQ(irq_set_affinity(1, cpumask_of(0)), 0);
}

TEST_F(IoApicDomain, EdgeInterruptOnTheOldVectorMidMoveIsHandledOnce) {
    ASSERT_EQ(ioapic_map_pin(chip.get(), 1, 1, false, false), 1);
    request(1);
    ASSERT_EQ(irq_set_affinity(1, cpumask_of(1)), 0);
    apic_chip_data* a = apicd(1);
    events.clear();
    fire_vector(0, ISA_IRQ_VECTOR(1));  // sent before the entry changed
    EXPECT_EQ(handler_calls, 1u);
    EXPECT_EQ(kstat_irqs_cpu(1, 0), 1u);
    EXPECT_EQ(events, (E{"lapic eoi"})) << "edge: acknowledged at the vector level";
    EXPECT_TRUE(ipis.empty());
    fire_vector(1, a->vector);
    EXPECT_EQ(handler_calls, 2u);
    EXPECT_EQ(kstat_irqs_cpu(1, 1), 1u);
    ASSERT_EQ(ipis.size(), 1u);
    EXPECT_EQ(ipis[0], std::make_pair(0u, IRQ_MOVE_CLEANUP_VECTOR)) << "the first one on CPU 1 frees the old vector";
    {
        SimCpu::Scope on(0);
        vector_cleanup_this_cpu();
    }
    EXPECT_EQ(vector_irq_get(0, ISA_IRQ_VECTOR(1)), VECTOR_UNUSED);
}

TEST_F(IoApicDomain, LevelInterruptOnTheOldVectorMidMoveEndsAtTheIoApic) {
    ASSERT_EQ(ioapic_map_pin(chip.get(), 11, 11, true, false), 11);
    request(11);
    const unsigned old_vector = ISA_IRQ_VECTOR(11);
    model->set_remote_irr(11);  // accepted on the old vector, not yet taken by CPU 0
    set_tmr(old_vector);
    ASSERT_EQ(irq_set_affinity(11, cpumask_of(1)), 0);
    apic_chip_data* a = apicd(11);
    ASSERT_NE(a->vector, old_vector);
    events.clear();
    fire_vector(0, old_vector);
    EXPECT_EQ(handler_calls, 1u);
    EXPECT_EQ(kstat_irqs_cpu(11, 0), 1u);
    EXPECT_EQ(irq_mis_count, 0ul) << "taken as level: not a MIS";
    EXPECT_FALSE(model->entry(11).remote_irr())
        << "the local APIC's EOI names the old vector; the entry's new one ends it at the IO-APIC";
    EXPECT_EQ(events, (E{"lapic eoi", "ioapic eoi " + std::to_string(a->vector)}));

    set_tmr(a->vector);
    events.clear();
    fire_vector(1, a->vector);
    EXPECT_EQ(handler_calls, 2u);
    EXPECT_EQ(kstat_irqs_cpu(11, 1), 1u);
    EXPECT_EQ(events, (E{"lapic eoi"})) << "on the new vector the EOI broadcast ends it";
}

TEST_F(IoApicDomain, AffinityWithoutAVectorLevelIsRefused) {
    chip->setup_pin(3, 3, ISA_IRQ_VECTOR(3), false, false, 0);  // flat, as without a vector domain
    EXPECT_EQ(irq_set_affinity(3, cpumask_of(1)), -ENOSYS);
    EXPECT_EQ(model->entry(3).destination(), 0u);
}

}  // namespace
