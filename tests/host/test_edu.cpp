// Host tests for drivers/misc/edu: the handler against a fake edu device (its own interrupt claimed and
// acknowledged with exactly the bits it saw, another device's left alone, faulty mode neither claiming
// nor acknowledging), binding checks, two devices sharing one line, raise-and-wait, and the storm a
// faulty driver causes reaching Linux's "nobody cared" boundary through the real core: 99,900 unhandled
// interrupts in a window of 100,000 leave the line on, 99,901 disable it.
#include "drivers/misc/edu_dev.h"
#include "kernel/errno.h"
#include "kernel/irq/internals.h"
#include "kernel/shell/shell.h"

#include <gtest/gtest.h>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "tests/host/support/capture_console.h"
#include "tests/host/support/fake_chip.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/test_dev.h"

namespace {

using namespace edu_regs;

// QEMU's edu register file as far as the driver uses it. With `line` set, a raise that leaves the
// status non-zero delivers the interrupt at once (one flow run per raise: the model's INTx).
class FakeEdu final : public IoMem {
public:
    uint32_t id = 0x010000ed;
    uint32_t status = 0;
    uint32_t liveness = 0;
    bool broken_liveness = false;
    int line = -1;
    std::vector<std::pair<uint32_t, uint32_t>> writes;  // (offset, value)

    uint32_t read32(uint32_t off) override {
        switch (off) {
        case EDU_REG_ID:
            return id;
        case EDU_REG_LIVENESS:
            return broken_liveness ? liveness : ~liveness;
        case EDU_REG_IRQ_STATUS:
            return status;
        default:
            return 0;
        }
    }
    void write32(uint32_t off, uint32_t v) override {
        writes.push_back({off, v});
        if (off == EDU_REG_LIVENESS) liveness = v;
        if (off == EDU_REG_IRQ_ACK) status &= ~v;
        if (off == EDU_REG_IRQ_RAISE) {
            status |= v;
            if (line >= 0 && status) host_env::fire_irq((unsigned)line);
        }
    }
    unsigned acks() const {
        unsigned n = 0;
        for (auto& w : writes) n += w.first == EDU_REG_IRQ_ACK;
        return n;
    }
};

class Edu : public IrqTest {
protected:
    static constexpr unsigned IRQ = 5;
    FakeChip chip;
    irq_desc* desc = irq_to_desc(IRQ);

    void SetUp() override {
        IrqTest::SetUp();
        // The 8259's flow, with a fake chip: mask_ack, handlers, unmask.
        wire_line(IRQ, &chip, handle_level_irq, "level");
    }
    void TearDown() override { edu_detach_all(); }
    pci_dev make_pdev(unsigned slot, unsigned irq = IRQ) {
        pci_dev p;
        p.devfn = PCI_DEVFN(slot, 0);
        p.interrupt_pin = 1;
        p.interrupt_line = (uint8_t)irq;
        p.irq = irq;
        p.bar[0] = {0xFEA00000, 1 << 20, PCI_BAR_MEM};
        return p;
    }
    edu_device* attach(pci_dev* p, FakeEdu* fake) {
        int err = 1;
        edu_device* dev = edu_attach(p, fake, &err);
        EXPECT_EQ(err, 0);
        fake->writes.clear();
        return dev;
    }
    pci_dev pdev = make_pdev(4);
    FakeEdu fake;
};

TEST_F(Edu, AttachRequestsTheLineSharedAndNamesTheDevice) {
    edu_device* dev = attach(&pdev, &fake);
    ASSERT_NE(dev, nullptr);
    EXPECT_EQ(edu_count(), 1u);
    EXPECT_EQ(edu_get(0), dev);
    EXPECT_EQ(edu_get(1), nullptr);
    EXPECT_STREQ(edu_name(dev), "00:04.0");
    EXPECT_EQ(edu_irq(dev), IRQ);
    EXPECT_FALSE(edu_is_faulty(dev));
    ASSERT_NE(desc->action, nullptr);
    EXPECT_EQ(desc->action->handler, &edu_interrupt);
    EXPECT_EQ(desc->action->dev_id, dev);
    EXPECT_TRUE(desc->action->flags & IRQF_SHARED);
    EXPECT_STREQ(desc->action->name, "edu:00:04.0");
    EXPECT_EQ(desc->depth, 0u);
}

TEST_F(Edu, AttachChecksIdentificationLivenessAndLine) {
    int err = 0;
    fake.id = 0x12345678;
    EXPECT_EQ(edu_attach(&pdev, &fake, &err), nullptr);
    EXPECT_EQ(err, -ENODEV);
    fake.id = 0x010000ed;
    fake.broken_liveness = true;
    EXPECT_EQ(edu_attach(&pdev, &fake, &err), nullptr);
    EXPECT_EQ(err, -ENODEV);
    fake.broken_liveness = false;
    pci_dev nopin = make_pdev(4, 0);
    EXPECT_EQ(edu_attach(&nopin, &fake, &err), nullptr);
    EXPECT_EQ(err, -ENODEV);
    EXPECT_EQ(edu_count(), 0u);
    EXPECT_EQ(desc->action, nullptr) << "nothing requested for a device not bound";
    EXPECT_NE(host_console::text().find("not bound"), std::string::npos);
}

TEST_F(Edu, AttachDropsARequestLeftFromBefore) {
    fake.status = 0x3;
    ASSERT_NE(attach(&pdev, &fake), nullptr);
    EXPECT_EQ(fake.status, 0u);
}

TEST_F(Edu, HandlerClaimsAndAcknowledgesItsOwnInterrupt) {
    edu_device* dev = attach(&pdev, &fake);
    fake.status = 0x1;
    EXPECT_EQ(edu_interrupt(IRQ, dev), IRQ_HANDLED);
    EXPECT_EQ(fake.status, 0u);
    ASSERT_EQ(fake.writes.size(), 1u);
    EXPECT_EQ(fake.writes[0], (std::pair<uint32_t, uint32_t>{EDU_REG_IRQ_ACK, 0x1}));
    edu_stats s = edu_get_stats(dev);
    EXPECT_EQ(s.calls, 1u);
    EXPECT_EQ(s.handled, 1u);
    EXPECT_EQ(s.not_mine, 0u);
}

TEST_F(Edu, HandlerAcknowledgesExactlyTheBitsItSaw) {
    edu_device* dev = attach(&pdev, &fake);
    fake.status = 0x5;
    EXPECT_EQ(edu_interrupt(IRQ, dev), IRQ_HANDLED);
    ASSERT_EQ(fake.writes.size(), 1u);
    EXPECT_EQ(fake.writes[0].second, 0x5u);
}

TEST_F(Edu, HandlerLeavesAnotherDevicesInterruptAlone) {
    edu_device* dev = attach(&pdev, &fake);
    fake.status = 0;
    EXPECT_EQ(edu_interrupt(IRQ, dev), IRQ_NONE);
    EXPECT_TRUE(fake.writes.empty()) << "no acknowledge when the status says not mine";
    edu_stats s = edu_get_stats(dev);
    EXPECT_EQ(s.calls, 1u);
    EXPECT_EQ(s.handled, 0u);
    EXPECT_EQ(s.not_mine, 1u);
}

TEST_F(Edu, FaultyHandlerNeitherClaimsNorAcknowledges) {
    edu_device* dev = attach(&pdev, &fake);
    edu_set_faulty(dev, true);
    EXPECT_TRUE(edu_is_faulty(dev));
    fake.status = 0x1;
    EXPECT_EQ(edu_interrupt(IRQ, dev), IRQ_NONE);
    EXPECT_EQ(fake.status, 0x1u) << "still asserting";
    EXPECT_EQ(fake.acks(), 0u);
    EXPECT_EQ(edu_get_stats(dev).not_mine, 1u);
    edu_set_faulty(dev, false);
    EXPECT_EQ(edu_interrupt(IRQ, dev), IRQ_HANDLED);
    EXPECT_EQ(fake.status, 0u);
}

TEST_F(Edu, RaiseWaitsForEachInterruptToBeHandled) {
    edu_device* dev = attach(&pdev, &fake);
    fake.line = IRQ;
    EXPECT_EQ(edu_raise(dev, 5, 100), 0);
    edu_stats s = edu_get_stats(dev);
    EXPECT_EQ(s.raised, 5u);
    EXPECT_EQ(s.handled, 5u);
    EXPECT_EQ(s.calls, 5u);
    EXPECT_EQ(fake.status, 0u);
    EXPECT_EQ(kstat_irqs(IRQ), 5u);
    EXPECT_EQ(edu_irq_status(dev), 0u);
}

TEST_F(Edu, RaiseAndAckByHand) {
    edu_device* dev = attach(&pdev, &fake);
    edu_raise_irq(dev);  // no line modelled: the request just stays at the device
    EXPECT_EQ(edu_irq_status(dev), EDU_IRQ_RAISE_BIT);
    EXPECT_EQ(edu_get_stats(dev).raised, 1u);
    edu_ack_irq(dev, EDU_IRQ_RAISE_BIT);
    EXPECT_EQ(edu_irq_status(dev), 0u);
}

TEST_F(Edu, TwoDevicesShareOneLineEachServingItsOwn) {
    FakeEdu fake2;
    pci_dev pdev2 = make_pdev(8);
    edu_device* a = attach(&pdev, &fake);
    edu_device* b = attach(&pdev2, &fake2);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(edu_count(), 2u);
    ASSERT_NE(desc->action->next, nullptr);
    EXPECT_STREQ(desc->action->name, "edu:00:04.0");
    EXPECT_STREQ(desc->action->next->name, "edu:00:08.0");
    fake2.line = IRQ;
    EXPECT_EQ(edu_raise(b, 3, 100), 0);
    EXPECT_EQ(edu_get_stats(b).handled, 3u);
    EXPECT_EQ(edu_get_stats(a).not_mine, 3u) << "asked first, the other device's interrupt is not its own";
    EXPECT_EQ(edu_get_stats(a).handled, 0u);
    EXPECT_EQ(fake.acks(), 0u);
    EXPECT_EQ(desc->irqs_unhandled, 0u) << "the line as a whole was handled every time";
}

// The storm: a faulty driver on a level line that stays asserted. Each flow run is one interrupt.
class EduStorm : public Edu {
protected:
    edu_device* dev = nullptr;
    void SetUp() override {
        Edu::SetUp();
        dev = attach(&pdev, &fake);
        ASSERT_NE(dev, nullptr);
    }
    void storm(unsigned unhandled, unsigned handled) {
        edu_set_faulty(dev, true);
        fake.status = EDU_IRQ_RAISE_BIT;
        for (unsigned i = 0; i < unhandled; i++) host_env::fire_irq(IRQ);
        edu_set_faulty(dev, false);
        for (unsigned i = 0; i < handled; i++) {
            fake.status = EDU_IRQ_RAISE_BIT;
            host_env::fire_irq(IRQ);
        }
    }
    bool spurious_disabled() const { return desc->istate & IRQS_SPURIOUS_DISABLED; }
};

TEST_F(EduStorm, NinetyNineThousandNineHundredUnhandledDoNotDisable) {
    storm(99900, 100);
    EXPECT_EQ(kstat_irqs(IRQ), 100000u);
    EXPECT_FALSE(spurious_disabled());
    EXPECT_EQ(desc->depth, 0u);
    EXPECT_EQ(host_console::count("nobody cared"), 0u);
    EXPECT_EQ(edu_get_stats(dev).not_mine, 99900u);
    EXPECT_EQ(edu_get_stats(dev).handled, 100u);
    fake.status = EDU_IRQ_RAISE_BIT;
    host_env::fire_irq(IRQ);
    EXPECT_EQ(edu_get_stats(dev).handled, 101u) << "the line still serves";
}

TEST_F(EduStorm, OneMoreUnhandledDisablesTheLine) {
    storm(99901, 98);
    EXPECT_FALSE(spurious_disabled()) << "99,999 interrupts: the window is still open";
    storm(0, 1);
    EXPECT_EQ(kstat_irqs(IRQ), 100000u);
    EXPECT_TRUE(spurious_disabled());
    EXPECT_EQ(desc->depth, 1u);
    EXPECT_TRUE(irqd_irq_disabled(&desc->irq_data));
    std::string out = host_console::text();
    size_t cared = out.find("irq 5: nobody cared (try booting with the \"irqpoll\" option)\n");
    size_t handlers = out.find("handlers:\n", cared);
    size_t entry = out.find("] edu_interrupt", handlers);
    size_t disabling = out.find("Disabling IRQ #5\n", handlers);
    ASSERT_NE(cared, std::string::npos) << out;
    ASSERT_NE(handlers, std::string::npos) << out;
    EXPECT_NE(entry, std::string::npos) << "the handlers list names the edu handler: " << out;
    ASSERT_NE(disabling, std::string::npos) << out;
    EXPECT_LT(entry, disabling);

    // Contained: the device keeps asserting, nobody is called any more.
    edu_set_faulty(dev, true);
    fake.status = EDU_IRQ_RAISE_BIT;
    unsigned long calls = edu_get_stats(dev).calls;
    host_env::fire_irq(IRQ);
    EXPECT_EQ(edu_get_stats(dev).calls, calls);

    // Back to normal as Linux does it: ack at the device, driver sane, a new action re-arms the line.
    edu_ack_irq(dev, edu_irq_status(dev));
    edu_set_faulty(dev, false);
    EXPECT_EQ(edu_rebind(dev), 0);
    EXPECT_FALSE(spurious_disabled());
    EXPECT_EQ(desc->depth, 0u);
    EXPECT_EQ(desc->irqs_unhandled, 0u);
    fake.line = IRQ;
    EXPECT_EQ(edu_raise(dev, 1, 100), 0);
}

// The `edu` shell command on a fake device: answers, counters, and bad input.
std::string g_out;
void capture(const char* s, size_t n) { g_out.append(s, n); }

class EduShell : public Edu {
protected:
    void SetUp() override {
        Edu::SetUp();
        g_out.clear();
        previous_ = shell_set_output(capture);
    }
    void TearDown() override {
        shell_set_output(previous_);
        Edu::TearDown();
    }
    int run(const char* line) {
        g_out.clear();
        char buf[SHELL_LINE_MAX];
        std::snprintf(buf, sizeof buf, "%s", line);
        return shell_execute(buf);
    }
    shell_output_fn previous_ = nullptr;
};

TEST_F(EduShell, NoDeviceIsEnodev) {
    EXPECT_EQ(run("edu"), -ENODEV);
    EXPECT_EQ(g_out, "edu: no edu device (QEMU: -device edu)\n");
    EXPECT_EQ(run("edu raise 3"), -ENODEV);
}

TEST_F(EduShell, RaiseReportsWhatWasServed) {
    attach(&pdev, &fake);
    fake.line = IRQ;
    EXPECT_EQ(run("edu raise 4"), 0);
    EXPECT_EQ(g_out, "edu 00:04.0: raised 4, served 4 (handler calls +4: handled +4, not mine +0)\n");
    EXPECT_EQ(run("edu status 00:04.0"), 0);
    EXPECT_NE(g_out.find("edu 00:04.0: IRQ 5 ("), std::string::npos) << g_out;
    EXPECT_NE(g_out.find("driver ok, status 0x00000000\n  raised 4, handler calls 4 = handled 4 + not mine 0; "
                         "IRQ 5 enabled, 4 interrupts\n"),
              std::string::npos)
        << g_out;
}

TEST_F(EduShell, FaultyAckAndRebind) {
    edu_device* dev = attach(&pdev, &fake);
    EXPECT_EQ(run("edu faulty on 0"), 0);
    EXPECT_TRUE(edu_is_faulty(dev));
    EXPECT_NE(g_out.find("driver FAULTY"), std::string::npos) << g_out;
    EXPECT_EQ(run("edu faulty off"), 0);
    EXPECT_FALSE(edu_is_faulty(dev));
    fake.status = 0x3;
    EXPECT_EQ(run("edu ack"), 0);
    EXPECT_EQ(fake.status, 0u);
    EXPECT_EQ(run("edu rebind"), 0);
    EXPECT_TRUE(desc->action && desc->action->dev_id == dev);
}

TEST_F(EduShell, BadInputGetsUsageOrAClearAnswer) {
    attach(&pdev, &fake);
    EXPECT_EQ(run("edu frobnicate"), -EINVAL);
    EXPECT_NE(g_out.find("usage: edu"), std::string::npos);
    EXPECT_EQ(run("edu raise 0"), -EINVAL);
    EXPECT_EQ(g_out, "edu: N must be 1..1000000, not '0'\n");
    EXPECT_EQ(run("edu raise many"), -EINVAL);
    EXPECT_EQ(run("edu faulty maybe"), -EINVAL);
    EXPECT_EQ(run("edu faulty"), -EINVAL);
    EXPECT_EQ(run("edu raise 1 00:09.0"), -ENODEV);
    EXPECT_EQ(g_out, "edu: no edu device '00:09.0' (1 present)\n");
    EXPECT_EQ(run("edu ack 0 extra"), -EINVAL);
    EXPECT_EQ(fake.writes.size(), 0u) << "bad input touches no register";
}

}  // namespace
