// Host tests for kernel/irq/proc.cpp and debug.cpp: the /proc/interrupts table byte for byte (column
// widths from Linux show_interrupts and arch_show_interrupts) and the `irq N` dump
// with every bit word decoded by name. Descriptors are wired with the real core and a fake chip.
#include "arch/x86/vector.h"
#include "kernel/irq/interrupt.h"
#include "kernel/irq/proc.h"
#include "kernel/irq/irq_stat.h"

#include "tests/host/support/fake_chip.h"
#include "tests/host/support/host_env.h"
#include "tests/host/support/sim_cpu.h"

#include <gtest/gtest.h>
#include <string>

// Handlers with external linkage: the host's %ps resolves names through the dynamic symbol table.
irqreturn_t proc_test_timer(int, void*) { return IRQ_HANDLED; }
irqreturn_t proc_test_kbd(int, void*) { return IRQ_HANDLED; }

namespace {

void append(const char* s, size_t n, void* ctx) { static_cast<std::string*>(ctx)->append(s, n); }
const auto h_timer = proc_test_timer;
const auto h_kbd = proc_test_kbd;

class Proc : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        saved_err_ = irq_err_count;
        saved_mis_ = irq_mis_count;
        for_each_possible_cpu(cpu) saved_spu_[cpu] = per_cpu(irq_stat, cpu).irq_spurious_count;
        irq_err_count = 0;
        irq_mis_count = 0;
        for_each_possible_cpu(cpu) per_cpu(irq_stat, cpu).irq_spurious_count = 0;
    }
    void TearDown() override {
        irq_err_count = saved_err_;
        irq_mis_count = saved_mis_;
        for_each_possible_cpu(cpu) per_cpu(irq_stat, cpu).irq_spurious_count = saved_spu_[cpu];
        host_env::reset_all();  // frees the actions requested here
    }
    void wire(unsigned irq, IrqChip* chip, irq_flow_handler_t flow, const char* flow_name, bool hwirq = true) {
        irq_set_chip_and_handler_name(irq, chip, flow, flow_name);
        if (hwirq) irq_set_hwirq(irq, irq);
    }
    std::string table() {
        std::string s;
        show_interrupts(append, &s);
        return s;
    }
    std::string dump(unsigned irq) {
        std::string s;
        EXPECT_EQ(irq_desc_dump(irq, append, &s), 0);
        return s;
    }
    FakeChip pic_{FakeChip::DEFAULT_OPS, 0, "XT-PIC"};
    FakeChip anon_{FakeChip::DEFAULT_OPS, 0, nullptr};
    unsigned long saved_err_ = 0, saved_mis_ = 0;
    unsigned saved_spu_[NR_CPUS] = {};
    int dev1_ = 0, dev2_ = 0;
};

TEST_F(Proc, EmptySystemHasHeaderAndArchRowsOnly) {
    EXPECT_EQ(table(),
              "           CPU0       \n"
              "NMI:          0   Non-maskable interrupts\n"
              "LOC:          0   Local timer interrupts\n"
              "SPU:          0   Spurious interrupts\n"
              "RES:          0   Rescheduling interrupts\n"
              "CAL:          0   Function call interrupts\n"
              "ERR:          0\n"
              "MIS:          0\n");
}

TEST_F(Proc, RowsMatchLinuxColumnsOnTwoCpus) {
    SimCpu::set_online(2);
    wire(0, &pic_, handle_level_irq, "level");
    ASSERT_EQ(request_irq(0, h_timer, IRQF_TIMER, "timer", nullptr), 0);
    wire(1, &pic_, handle_edge_irq, "edge");
    ASSERT_EQ(request_irq(1, h_kbd, IRQF_SHARED, "i8042", &dev1_), 0);
    ASSERT_EQ(request_irq(1, h_kbd, IRQF_SHARED, "second", &dev2_), 0);
    wire(9, &anon_, handle_level_irq, nullptr, false);  // unnamed chip, no hwirq, no flow name
    ASSERT_EQ(request_irq(9, h_kbd, 0, "acpi", nullptr), 0);
    wire(5, &pic_, handle_level_irq, "level");  // no action: not listed
    wire(12, &pic_, handle_level_irq, "level");
    ASSERT_EQ(request_irq(12, h_kbd, 0, "hidden", nullptr), 0);
    irq_set_status_flags(12, IRQ_HIDDEN);  // hidden: not listed

    *per_cpu_ptr(irq_to_desc(0)->kstat_irqs, 0) = 46;
    *per_cpu_ptr(irq_to_desc(1)->kstat_irqs, 0) = 7;
    *per_cpu_ptr(irq_to_desc(1)->kstat_irqs, 1) = 1234567890;
    per_cpu(irq_stat, 0).irq_spurious_count = 2;
    per_cpu(irq_stat, 1).__nmi_count = 1;
    per_cpu(irq_stat, 0).apic_timer_irqs = 1000;
    per_cpu(irq_stat, 1).apic_timer_irqs = 999;
    per_cpu(irq_stat, 1).irq_resched_count = 5;
    per_cpu(irq_stat, 0).irq_call_count = 7;
    irq_err_count = 3;
    irq_mis_count = 4000000000ul;

    EXPECT_EQ(table(),
              "           CPU0       CPU1       \n"
              "  0:         46          0    XT-PIC   0-level     timer\n"
              "  1:          7 1234567890    XT-PIC   1-edge      i8042, second\n"
              "  9:          0          0         -      acpi\n"
              "NMI:          0          1   Non-maskable interrupts\n"
              "LOC:       1000        999   Local timer interrupts\n"
              "SPU:          2          0   Spurious interrupts\n"
              "RES:          0          5   Rescheduling interrupts\n"
              "CAL:          7          0   Function call interrupts\n"
              "ERR:          3\n"
              "MIS: 4000000000\n");
}

TEST_F(Proc, CountsFromRealDispatchAppear) {
    wire(1, &pic_, handle_level_irq, "level");
    ASSERT_EQ(request_irq(1, h_kbd, 0, "i8042", nullptr), 0);
    for (int i = 0; i < 3; i++) host_env::fire_irq(1);
    EXPECT_NE(table().find("  1:          3    XT-PIC   1-level     i8042\n"), std::string::npos) << table();
}

TEST_F(Proc, NoChipShowsNoneAndLongNamesAreNotCut) {
    wire(200, &pic_, handle_level_irq, "verylongflowname");
    irq_set_hwirq(200, 31);
    ASSERT_EQ(request_irq(200, h_kbd, 0, "x", nullptr), 0);
    *per_cpu_ptr(irq_to_desc(200)->kstat_irqs, 0) = 5;
    irq_to_desc(200)->irq_data.chip = nullptr;  // a state request_irq never leaves: the "None" column
    std::string t = table();
    irq_to_desc(200)->irq_data.chip = &pic_;
    EXPECT_NE(t.find("\n200:          5      None  31-verylongflowname  x\n"), std::string::npos) << t;
}

TEST_F(Proc, DumpDecodesEveryWord) {
    wire(1, &pic_, handle_level_irq, "level");
    irq_set_status_flags(1, IRQ_LEVEL | IRQ_NOPROBE);
    ASSERT_EQ(request_irq(1, h_kbd, IRQF_SHARED | IRQF_NO_THREAD, "i8042", &dev1_), 0);
    host_env::fire_irq(1);
    host_env::fire_irq(1);
    disable_irq_nosync(1);
    irq_desc* d = irq_to_desc(1);
    d->istate |= IRQS_PENDING;
    d->irqs_unhandled = 2;
    d->last_unhandled = 77;

    std::string s = dump(1);
    char dev[32];
    std::snprintf(dev, sizeof dev, "%016lx", (unsigned long)(uintptr_t)&dev1_);
    char fn[32];
    std::snprintf(fn, sizeof fn, "%016lx", (unsigned long)(uintptr_t)h_kbd);
    std::string want =
        "irq 1:\n"
        "  handler:  handle_level_irq\n"
        "  flow:     level\n"
        "  chip:     XT-PIC\n"
        "  hwirq:    1\n"
        "  depth:    1\n";
    EXPECT_EQ(s.substr(0, want.size()), want) << s;
    for (const char* line :
         {"              IRQD_IRQ_DISABLED\n", "              IRQS_PENDING\n", "              IRQ_LEVEL\n",
          "              IRQ_NOPROBE\n", "  count:    CPU0=2\n", "  tot:      2\n",
          "  spurious: irq_count 0, irqs_unhandled 2, last_unhandled 77\n", "  action 0: i8042\n",
          "                IRQF_SHARED\n", "                IRQF_NO_THREAD\n"})
        EXPECT_NE(s.find(line), std::string::npos) << "missing: " << line << "in:\n" << s;
    EXPECT_NE(s.find(std::string("    dev_id:   ") + dev + "\n"), std::string::npos) << s;
    EXPECT_NE(s.find(std::string("    handler:  proc_test_kbd [<") + fn + ">]\n"), std::string::npos) << s;
    EXPECT_NE(s.find("  istate:   0x00000200\n"), std::string::npos) << s;
    EXPECT_NE(s.find("    flags:    0x00010080\n"), std::string::npos) << s;
    EXPECT_EQ(s.find("IRQD_IRQ_INPROGRESS"), std::string::npos) << "a bit that is clear is not listed";
    enable_irq(1);
}

TEST_F(Proc, DumpNamesEveryVectorTheLineArrivesOn) {
    wire(9, &pic_, handle_edge_irq, "edge");
    EXPECT_NE(dump(9).find("  vector:   (none)\n"), std::string::npos) << dump(9);
    vector_irq_set(0, 0x41, 9);
    EXPECT_NE(dump(9).find("  vector:   CPU0:0x41\n"), std::string::npos) << dump(9);
    vector_irq_set(0, 0x52, 9);  // a move in flight: old and new vector both mapped
    vector_irq_set(0, 0x53, 10);
    EXPECT_NE(dump(9).find("  vector:   CPU0:0x41 CPU0:0x52\n"), std::string::npos) << dump(9);
    for (unsigned v : {0x41u, 0x52u, 0x53u}) vector_irq_set(0, v, VECTOR_UNUSED);
    EXPECT_NE(dump(9).find("  vector:   (none)\n"), std::string::npos) << dump(9);
}

TEST_F(Proc, DumpOfAnUnusedLineAndOutOfRange) {
    std::string s = dump(77);
    EXPECT_NE(s.find("  handler:  handle_bad_irq\n"), std::string::npos) << s;
    EXPECT_NE(s.find("  chip:     none\n"), std::string::npos) << s;
    EXPECT_NE(s.find("  hwirq:    (none)\n"), std::string::npos) << s;
    EXPECT_NE(s.find("  actions:  (none)\n"), std::string::npos) << s;
    std::string out;
    EXPECT_EQ(irq_desc_dump(NR_IRQS, append, &out), -EINVAL);
    EXPECT_EQ(out, "");
}

// Every state bit the core sets has a name: a line whose trigger was configured shows
// IRQD_DEFAULT_TRIGGER_SET by name, never as an unknown bit.
TEST_F(Proc, DumpNamesTheConfiguredTriggerBit) {
    wire(4, &pic_, handle_edge_irq, "edge");
    ASSERT_EQ(request_irq(4, h_kbd, IRQF_TRIGGER_RISING, "uart", &dev2_), 0);
    std::string s = dump(4);
    EXPECT_NE(s.find("              IRQD_DEFAULT_TRIGGER_SET\n"), std::string::npos) << s;
    EXPECT_NE(s.find("              IRQD_ACTIVATED\n"), std::string::npos) << s;
    EXPECT_EQ(s.find("unknown"), std::string::npos) << s;
    free_irq(4, &dev2_);
}

TEST_F(Proc, DumpShowsUnknownBitsInHex) {
    irq_desc* d = irq_to_desc(3);
    d->istate |= 0x40000000u;
    std::string s = dump(3);
    d->istate &= ~0x40000000u;
    EXPECT_NE(s.find("              unknown 0x40000000\n"), std::string::npos) << s;
}

}  // namespace
