// Host tests for drivers/apic/io_apic on a model of the register window (tests/host/support/
// fake_ioapic.h) and a fake local APIC: the redirection entry's fields, the IOREGSEL/IOWIN accesses of
// every operation byte by byte (entries written high word first, masks low word first, a flushing read
// after a mask), edge lines acknowledged at the local APIC before the handler, level lines ended after
// it, lazy disable, and both explicit EOI paths for a level interrupt taken as edge (MIS): the EOI
// register of version 0x20 and the masked edge-and-back rewrite of version 0x11.
#include "drivers/apic/io_apic.h"
#include "arch/x86/irq_vectors.h"
#include "drivers/apic/local_apic.h"
#include "kernel/errno.h"
#include "kernel/irq/interrupt.h"
#include "kernel/irq/irqdesc.h"

#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <vector>

#include "tests/host/support/fake_ioapic.h"
#include "tests/host/support/host_env.h"

namespace {

using namespace ioapic;
using V = std::vector<FakeMmio::Access>;
using E = std::vector<std::string>;

constexpr uint32_t RTE_LEVEL = 1u << 15, RTE_MASKED = 1u << 16, RTE_ACTIVE_LOW = 1u << 13, RTE_RIRR = 1u << 14;

// The entry's fields land on the datasheet's bits (82093AA 3.2.4), checked at compile time.
constexpr IoApicRte rte(unsigned vector, bool level, bool active_low, bool masked, unsigned dest) {
    IoApicRte e;
    e.set_vector(vector).set_level(level).set_active_low(active_low).set_masked(masked).set_destination(dest);
    return e;
}
constexpr IoApicRte with_delivery(IoApicDelivery m) {
    IoApicRte e;
    e.set_delivery(m);
    return e;
}
constexpr IoApicRte logical() {
    IoApicRte e;
    e.set_dest_logical(true);
    return e;
}
static_assert(rte(0x3b, true, true, false, 3).raw() == ((3ull << 56) | RTE_LEVEL | RTE_ACTIVE_LOW | 0x3b));
static_assert(IoApicRte().raw() == RTE_MASKED, "reset value: masked");
static_assert(with_delivery(IoApicDelivery::ExtInt).raw() == (RTE_MASKED | (7u << 8)));
static_assert(logical().raw() == (RTE_MASKED | (1u << 11)));
static_assert(IoApicRte::from_words(0x0001c031, 0x05000000).remote_irr());
static_assert(IoApicRte::from_words(0x0001c031, 0x05000000).destination() == 5);
static_assert(IoApicRte::from_words(0x00001031, 0).delivery_pending());

TEST(IoApicRteTest, FieldsRoundTripAndStayInTheirBits) {
    IoApicRte e;
    e.set_vector(0x1ff);  // a vector has 8 bits: the excess must not spill into the delivery mode
    EXPECT_EQ(e.vector(), 0xffu);
    EXPECT_EQ(e.delivery(), IoApicDelivery::Fixed);
    e.set_destination(0x1ff);
    EXPECT_EQ(e.destination(), 0xffu);
    EXPECT_EQ(e.high(), 0xff000000u);
    e.set_masked(false).set_level(true);
    EXPECT_EQ(e.low(), 0xffu | RTE_LEVEL);
    EXPECT_FALSE(e.masked());
    EXPECT_FALSE(e.active_low());
}

class IoApicTest : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        lapic_mmio.set(lapic::APIC_ICR, 0);
        for (unsigned r = 0; r < lapic::APIC_IR_REGS; r++) lapic_mmio.set(lapic::APIC_TMR + 0x10 * r, 0);
        lapic_mmio.on_write(
            [](FakeMmio&, uintptr_t off, uint32_t v, void* ctx) {
                auto* ev = static_cast<E*>(ctx);
                if (off == lapic::APIC_EOI) ev->push_back("lapic eoi");
                if (off == lapic::APIC_ICR) ev->push_back("lapic icr " + std::to_string(v));
            },
            &events);
        set_local_apic(&lapic);
    }
    void TearDown() override {
        for (unsigned irq : requested) free_irq(irq, this);
        set_local_apic(nullptr);
    }
    void make(unsigned version) {
        model = std::make_unique<FakeIoApic>(version, 24, 0, &events);
        chip = std::make_unique<IoApic>(model->mmio, 0, 0);
        model->mmio.clear_log();
    }
    void set_tmr(unsigned vector) { lapic_mmio.set(lapic::APIC_TMR + 0x10 * (vector / 32), 1u << (vector % 32)); }
    static irqreturn_t handler(int, void* dev) {
        static_cast<IoApicTest*>(dev)->events.push_back("handler");
        return IRQ_HANDLED;
    }
    void request(unsigned irq) {
        ASSERT_EQ(request_irq(irq, handler, IRQF_SHARED, "dev", this), 0);
        requested.push_back(irq);
    }
    // A level pin on IRQ 11 / pin 11 / vector 0x3b, requested, with the accesses so far forgotten.
    void level_line() {
        ASSERT_EQ(chip->setup_pin(11, 11, ISA_IRQ_VECTOR(11), true, false, 0), 0);
        request(11);
        model->mmio.clear_log();
        events.clear();
    }

    E events;
    FakeMmio lapic_mmio{lapic::APIC_MMIO_SIZE};
    LocalApic lapic{lapic_mmio};
    std::unique_ptr<FakeIoApic> model;
    std::unique_ptr<IoApic> chip;
    std::vector<unsigned> requested;
};

TEST_F(IoApicTest, ReadsVersionAndPinCountThroughTheIndexRegister) {
    FakeIoApic m(0x11, 24, 2);
    IoApic c(m.mmio, 1, 24);
    EXPECT_EQ(m.mmio.log(), (V{MMIO_W(IOREGSEL, IOAPICVER), MMIO_R(IOWIN, 0x00170011)}));
    EXPECT_EQ(c.version(), 0x11u);
    EXPECT_EQ(c.nr_pins(), 24u);
    EXPECT_EQ(c.gsi_end(), 47u);
    EXPECT_TRUE(c.serves(24));
    EXPECT_FALSE(c.serves(48));
    EXPECT_FALSE(c.serves(23));
    EXPECT_EQ(c.apic_id(), 2u);
    EXPECT_STREQ(c.name(), "IO-APIC");
    EXPECT_FALSE(c.has(IRQCHIP_OP_DISABLE)) << "no irq_disable: disable is lazy, as Linux's IO-APIC chip";
}

TEST_F(IoApicTest, SetupWritesTheHighWordFirstAndWiresTheLine) {
    make(0x20);
    ASSERT_EQ(chip->setup_pin(11, 11, 0x3b, /*level=*/true, /*active_low=*/true, /*dest=*/1), 0);
    EXPECT_EQ(model->mmio.writes(),
              (V{MMIO_W(IOREGSEL, 0x10 + 2 * 11 + 1), MMIO_W(IOWIN, 0x01000000), MMIO_W(IOREGSEL, 0x10 + 2 * 11),
                 MMIO_W(IOWIN, 0x3b | RTE_ACTIVE_LOW | RTE_LEVEL | RTE_MASKED)}));
    irq_desc* d = irq_to_desc(11);
    EXPECT_EQ(d->irq_data.chip, chip.get());
    EXPECT_EQ(d->handle_irq, handle_fasteoi_irq);
    EXPECT_STREQ(d->name, "fasteoi");
    EXPECT_EQ(d->irq_data.hwirq, 11u);
    EXPECT_TRUE(d->irq_data.has_hwirq);
    EXPECT_TRUE(irq_settings_is_level(d));

    ASSERT_EQ(chip->setup_pin(0, 2, ISA_IRQ_VECTOR(0), false, false, 0), 0);
    d = irq_to_desc(0);
    EXPECT_EQ(d->handle_irq, handle_edge_irq);
    EXPECT_STREQ(d->name, "edge");
    EXPECT_EQ(d->irq_data.hwirq, 2u) << "IRQ 0 sits on pin 2";
    EXPECT_FALSE(irq_settings_is_level(d));
    EXPECT_EQ(model->entry(2).raw(), (uint64_t)(ISA_IRQ_VECTOR(0) | RTE_MASKED));
    EXPECT_EQ(chip->setup_pin(1, 24, 0x31, false, false, 0), -EINVAL);
}

TEST_F(IoApicTest, MaskWritesTheLowWordAndReadsBackUnmaskOnlyWrites) {
    make(0x20);
    ASSERT_EQ(chip->setup_pin(11, 11, 0x3b, true, false, 0), 0);
    model->mmio.clear_log();
    request(11);  // starts the line: unmask
    EXPECT_EQ(model->mmio.log(), (V{MMIO_W(IOREGSEL, 0x26), MMIO_W(IOWIN, 0x3b | RTE_LEVEL)}));
    EXPECT_FALSE(model->entry(11).masked());
    model->mmio.clear_log();
    irq_desc* d = irq_to_desc(11);
    chip->irq_mask(&d->irq_data);
    EXPECT_EQ(model->mmio.log(), (V{MMIO_W(IOREGSEL, 0x26), MMIO_W(IOWIN, 0x3b | RTE_LEVEL | RTE_MASKED),
                                    MMIO_R(IOWIN, 0x3b | RTE_LEVEL | RTE_MASKED)}));
    EXPECT_TRUE(model->entry(11).masked());
}

TEST_F(IoApicTest, DisableIsLazyTheNextInterruptMasks) {
    make(0x20);
    level_line();
    set_tmr(0x3b);
    disable_irq(11);
    EXPECT_FALSE(model->entry(11).masked()) << "no irq_disable: the pin stays live";
    host_env::fire_irq(11);
    EXPECT_TRUE(model->entry(11).masked()) << "handle_fasteoi_irq masks a disabled line when it fires";
    EXPECT_EQ(events, (E{"ioapic entry 11 level masked", "lapic eoi"}));
    EXPECT_TRUE(irq_to_desc(11)->istate & IRQS_PENDING);
    events.clear();
    enable_irq(11);
    EXPECT_FALSE(model->entry(11).masked());
}

TEST_F(IoApicTest, EdgeIsAcknowledgedAtTheLocalApicBeforeTheHandler) {
    make(0x20);
    ASSERT_EQ(chip->setup_pin(0, 2, ISA_IRQ_VECTOR(0), false, false, 0), 0);
    request(0);
    model->mmio.clear_log();
    events.clear();
    host_env::fire_irq(0);
    EXPECT_EQ(events, (E{"lapic eoi", "handler"}));
    EXPECT_TRUE(model->mmio.log().empty()) << "an edge needs nothing from the IO-APIC";
    EXPECT_EQ(irq_mis_count, 0u);
}

TEST_F(IoApicTest, LevelEndsAfterTheHandlerWithTheLocalApicEoiOnly) {
    make(0x20);
    level_line();
    set_tmr(0x3b);  // the local APIC accepted it as level: its EOI is broadcast and clears Remote IRR
    host_env::fire_irq(11);
    EXPECT_EQ(events, (E{"handler", "lapic eoi"}));
    EXPECT_TRUE(model->mmio.log().empty());
    EXPECT_EQ(irq_mis_count, 0u);
}

TEST_F(IoApicTest, LevelTakenAsEdgeOnVersion20WritesTheEoiRegister) {
    make(0x20);
    level_line();
    model->set_remote_irr(11);
    host_env::fire_irq(11);  // TMR clear: the local APIC's EOI is not broadcast
    EXPECT_EQ(events, (E{"handler", "lapic eoi", "ioapic eoi 59"}));
    EXPECT_EQ(model->mmio.log(), (V{MMIO_W(IOEOI, 0x3b)}));
    EXPECT_EQ(irq_mis_count, 1u);
    EXPECT_FALSE(model->entry(11).remote_irr());
}

TEST_F(IoApicTest, LevelTakenAsEdgeOnVersion11RewritesTheEntryAsEdgeAndBack) {
    make(0x11);
    level_line();
    model->set_remote_irr(11);
    uint32_t low = 0x3b | RTE_LEVEL | RTE_RIRR;
    host_env::fire_irq(11);
    EXPECT_EQ(model->mmio.log(), (V{
                                     MMIO_W(IOREGSEL, 0x26),
                                     MMIO_R(IOWIN, low),  // read the entry
                                     MMIO_W(IOREGSEL, 0x27),
                                     MMIO_R(IOWIN, 0),  //
                                     MMIO_W(IOREGSEL, 0x27),
                                     MMIO_W(IOWIN, 0),  // masked, edge
                                     MMIO_W(IOREGSEL, 0x26),
                                     MMIO_W(IOWIN, 0x3b | RTE_MASKED | RTE_RIRR),  //
                                     MMIO_W(IOREGSEL, 0x27),
                                     MMIO_W(IOWIN, 0),  // as it was
                                     MMIO_W(IOREGSEL, 0x26),
                                     MMIO_W(IOWIN, low),
                                 }));
    EXPECT_EQ(events, (E{"handler", "lapic eoi", "ioapic entry 11 edge masked", "ioapic entry 11 level"}));
    EXPECT_EQ(model->eoi_writes(), 0u) << "version 0x11 has no EOI register";
    EXPECT_EQ(irq_mis_count, 1u);
    IoApicRte e = model->entry(11);
    EXPECT_FALSE(e.remote_irr());
    EXPECT_TRUE(e.level());
    EXPECT_FALSE(e.masked());
}

TEST_F(IoApicTest, MaskAllClearsEveryPinLowWordFirst) {
    make(0x20);
    ASSERT_EQ(chip->setup_pin(11, 11, 0x3b, true, false, 0), 0);
    request(11);
    model->mmio.clear_log();
    chip->mask_all();
    V w = model->mmio.writes();
    ASSERT_EQ(w.size(), 24u * 4);
    EXPECT_EQ((V{w[0], w[1], w[2], w[3]}),
              (V{MMIO_W(IOREGSEL, 0x10), MMIO_W(IOWIN, RTE_MASKED), MMIO_W(IOREGSEL, 0x11), MMIO_W(IOWIN, 0)}));
    for (unsigned p = 0; p < 24; p++) EXPECT_EQ(model->entry(p).raw(), (uint64_t)RTE_MASKED) << p;
}

TEST_F(IoApicTest, RetriggerIsASelfIpiOfTheVector) {
    make(0x20);
    ASSERT_EQ(chip->setup_pin(1, 1, ISA_IRQ_VECTOR(1), false, false, 0), 0);
    events.clear();
    EXPECT_EQ(chip->irq_retrigger(&irq_to_desc(1)->irq_data), 1);
    EXPECT_EQ(events, (E{"lapic icr " + std::to_string(lapic::APIC_DEST_SELF | ISA_IRQ_VECTOR(1))}));
    set_local_apic(nullptr);
    EXPECT_EQ(chip->irq_retrigger(&irq_to_desc(1)->irq_data), 0) << "no local APIC: the core resends in software";
}

TEST_F(IoApicTest, SetRouteChangesVectorAndDestinationKeepingTheRest) {
    make(0x20);
    level_line();
    irq_desc* d = irq_to_desc(11);
    {
        raw_spin_lock(&d->lock);
        chip->set_route(&d->irq_data, 0x41, 2);
        raw_spin_unlock(&d->lock);
    }
    EXPECT_EQ(model->mmio.writes(), (V{MMIO_W(IOREGSEL, 0x27), MMIO_W(IOWIN, 0x02000000), MMIO_W(IOREGSEL, 0x26),
                                       MMIO_W(IOWIN, 0x41 | RTE_LEVEL)}));
}

}  // namespace
