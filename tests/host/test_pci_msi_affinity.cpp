// Host tests of an MSI line's affinity (kernel/irq/msi.cpp msi_set_affinity, after Linux's
// arch/x86/kernel/apic/msi.c): irq_set_affinity moves the vector through the x86 vector domain and
// rewrites the device's message; for a device that cannot mask its MSI the message changes one register
// at a time through the moving CPU, so a message the device sends at any point of the move (on the old
// vector, or a mix of old and new) is handled exactly once, whichever CPU does the move; a device with
// mask bits is masked while its message changes.
#include "drivers/pci/msi.h"
#include "arch/x86/vector.h"
#include "kernel/errno.h"
#include "kernel/irq/interrupt.h"
#include "kernel/irq/internals.h"
#include "kernel/irq/vector_domain.h"

#include <gtest/gtest.h>
#include <string>
#include <vector>

#include "tests/host/support/fake_pci.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/msi_host.h"
#include "tests/host/support/sim_cpu.h"

namespace {

using namespace pci_regs;
using Fn = FakePciConfig::Function;

std::vector<unsigned> g_handled_on;  // the CPU of each handler call
irqreturn_t handler(int, void*) {
    g_handled_on.push_back(smp_processor_id());
    return IRQ_HANDLED;
}

class PciMsiAffinity : public IrqTest {
protected:
    FakePciConfig cfg;
    msi_host::Env env;
    Fn* fn = nullptr;
    pci_dev* dev = nullptr;
    unsigned irq = 0;
    unsigned base_allocated = 0;  // the vectors the matrix holds with no MSI
    int taken_vector = -1;        // a vector of CPU 1 allocated by make()

    void SetUp() override {
        IrqTest::SetUp();
        g_handled_on.clear();
        msi_host::setup(env, 3);
        base_allocated = irq_matrix_allocated(&vector_matrix);
    }
    void TearDown() override {
        cfg.after_write = nullptr;
        if (irq) free_irq(irq, this);
        if (dev) pci_free_irq_vectors(dev);
        release_taken();
        msi_host::teardown();
    }
    // An edu-like function at 00:04.0, its MSI requested and settled on CPU 0.
    void make(uint16_t control) {
        Fn& f = cfg.add_edu_like(4, 11);
        FakePciConfig::msi_cap(f, control);
        ASSERT_EQ(pci_scan(cfg), 1u);
        fn = &f;
        dev = pci_dev_at(0);
        ASSERT_EQ(pci_alloc_irq_vectors(dev, 1, 1, PCI_IRQ_MSI), 1);
        irq = dev->irq;
        ASSERT_EQ(request_irq(irq, handler, 0, "edu", this), 0);
        settle_on(0);
        // CPU 1 had the same vectors free as CPU 0: take its lowest one (with no IRQ behind it), so that
        // a move to CPU 1 changes the vector as well as the APIC ID.
        unsigned cpu = 0;
        taken_vector = irq_matrix_alloc(&vector_matrix, cpumask_of(1), false, &cpu);
        ASSERT_GE(taken_vector, 0);
    }
    void release_taken() {
        if (taken_vector >= 0) irq_matrix_free(&vector_matrix, 1, (unsigned)taken_vector, false);
        taken_vector = -1;
    }
    // The device sends the message its capability holds now.
    void raise() { msi_host::send(msi_msg{fn->r32(0x44), fn->r32(0x48), fn->r32(0x4C) & 0xFFFF}); }
    apic_chip_data* apicd() { return apic_chip_data_of(irq_to_desc(irq)->irq_data.parent_data); }
    unsigned effective_cpu() {
        cpumask_t eff;
        EXPECT_EQ(irq_get_affinity(irq, nullptr, &eff), 0);
        return cpumask_first(&eff);
    }
    // Move to `cpu` and let one interrupt finish the move (the old vector released).
    void settle_on(unsigned cpu) {
        ASSERT_EQ(irq_set_affinity(irq, cpumask_of(cpu)), 0);
        raise();
        msi_host::service();
        ASSERT_EQ(apicd()->cpu, cpu);
        ASSERT_FALSE(apicd()->move_in_progress || apicd()->cleanup_pending);
        g_handled_on.clear();
        env.strays = 0;
    }
};

TEST_F(PciMsiAffinity, MovesTheVectorAndRewritesTheMessage) {
    make(PCI_MSI_FLAGS_64BIT);
    unsigned old_vector = apicd()->vector;
    EXPECT_EQ(fn->r32(0x44), 0xFEE00000u) << "APIC ID 0";
    EXPECT_EQ(effective_cpu(), 0u);

    ASSERT_EQ(irq_set_affinity(irq, cpumask_of(1)), 0);
    unsigned new_vector = apicd()->vector;
    EXPECT_NE(new_vector, old_vector);
    EXPECT_EQ(apicd()->cpu, 1u);
    EXPECT_EQ(effective_cpu(), 1u);
    EXPECT_EQ(fn->r32(0x44), 0xFEE01000u) << "the message names CPU 1's APIC ID";
    EXPECT_EQ(fn->r32(0x4C) & 0xFFFF, new_vector) << "and the new vector";
    EXPECT_EQ(dev->msi->msg.data, new_vector);
    EXPECT_EQ(vector_irq_get(1, new_vector), (int)irq);
    EXPECT_EQ(vector_irq_get(0, old_vector), (int)irq) << "the old vector stays until the move is complete";

    raise();
    msi_host::service();
    EXPECT_EQ(g_handled_on, std::vector<unsigned>{1}) << "handled on CPU 1";
    EXPECT_NE(vector_irq_get(0, old_vector), (int)irq) << "the first interrupt on CPU 1 released the old vector";
    EXPECT_FALSE(irq_matrix_test_bit(&vector_matrix, 0, old_vector));
    EXPECT_EQ(kstat_irqs_cpu(irq, 1), 1u) << "counted in CPU 1's column";
    EXPECT_EQ(env.strays, 0u);

    settle_on(0);  // and back
    EXPECT_EQ(fn->r32(0x44), 0xFEE00000u);
    EXPECT_EQ(effective_cpu(), 0u);
}

TEST_F(PciMsiAffinity, OfflineOnlyMaskIsRefusedAndChangesNothing) {
    make(PCI_MSI_FLAGS_64BIT);
    msi_msg before = dev->msi->msg;
    EXPECT_EQ(irq_set_affinity(irq, cpumask_of(5)), -EINVAL);
    EXPECT_EQ(dev->msi->msg, before);
    EXPECT_EQ(apicd()->cpu, 0u);
}

// A device without mask bits sends a message after the k-th configuration write of the move (k = 0:
// before the first, on the old vector), whichever CPU runs irq_set_affinity: the one the line leaves,
// the one it goes to, or a third. Exactly one handler call, on the new CPU or (for a message sent
// before the move) the old one, and the move completes.
TEST_F(PciMsiAffinity, AMessageAtAnyPointOfTheMoveIsHandledOnce) {
    for (unsigned mover : {0u, 1u, 2u}) {
        for (unsigned k = 0; k <= 16; k++) {
            SCOPED_TRACE("moving CPU " + std::to_string(mover) + ", message after write " + std::to_string(k));
            make(PCI_MSI_FLAGS_64BIT);
            unsigned old_vector = apicd()->vector;
            unsigned count_before = kstat_irqs(irq);
            unsigned writes = 0;
            bool sent = false;
            if (k == 0) {
                raise();
                sent = true;
            }
            cfg.after_write = [&](const FakePciConfig::Write&) {
                if (++writes == k) {
                    raise();
                    sent = true;
                }
            };
            {
                SimCpu::Scope on(mover);
                ASSERT_EQ(irq_set_affinity(irq, cpumask_of(1)), 0);
            }
            cfg.after_write = nullptr;
            ASSERT_NE(apicd()->vector, old_vector) << "a move of both halves of the message";
            if (!sent) raise();  // k beyond the move's writes: after it
            msi_host::service();
            EXPECT_EQ(g_handled_on.size(), 1u) << "one message, one handler call";
            EXPECT_EQ(env.not_apic, 0u);
            EXPECT_LE(env.strays, 1u);
            EXPECT_EQ(kstat_irqs(irq) - count_before, 1u);
            g_handled_on.clear();
            raise();
            msi_host::service();
            EXPECT_EQ(g_handled_on, std::vector<unsigned>{1}) << "the next one on CPU 1";
            EXPECT_FALSE(apicd()->move_in_progress || apicd()->cleanup_pending) << "and the move is complete";
            EXPECT_EQ(vector_irq_get(1, apicd()->vector), (int)irq);

            free_irq(irq, this);
            pci_free_irq_vectors(dev);
            irq = 0;
            dev = nullptr;
            release_taken();
            g_handled_on.clear();
            env.strays = 0;
            env.irr.clear();
            ASSERT_EQ(irq_matrix_allocated(&vector_matrix), base_allocated) << "nothing left of the move";
            msi_host::teardown();
            host_env::reset_all();
            cfg = FakePciConfig{};
            msi_host::setup(env, 3);
        }
    }
}

TEST_F(PciMsiAffinity, AMaskableDeviceIsMaskedWhileItsMessageChanges) {
    make(PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT);
    ASSERT_EQ(fn->r32(0x50), 0u) << "unmasked by request_irq";
    unsigned unmasked_message_writes = 0;
    cfg.after_write = [&](const FakePciConfig::Write& w) {
        if ((w.where == 0x44 || w.where == 0x4C) && !(fn->r32(0x50) & 1)) unmasked_message_writes++;
    };
    ASSERT_EQ(irq_set_affinity(irq, cpumask_of(2)), 0);
    cfg.after_write = nullptr;
    EXPECT_EQ(unmasked_message_writes, 0u);
    EXPECT_EQ(fn->r32(0x50), 0u) << "unmasked again";
    EXPECT_EQ(fn->r32(0x44), 0xFEE02000u);
    raise();
    msi_host::service();
    EXPECT_EQ(g_handled_on, std::vector<unsigned>{2});
}

}  // namespace
