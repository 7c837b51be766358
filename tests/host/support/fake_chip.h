// A recording IrqChip for the host tests: every callback the core makes is appended, in order, as
// "<op> <irq>" ("mask 5", "ack 5", "unmask 5", "eoi 5", ...). Which operations the chip provides is
// configurable (the core's behaviour depends on it: lazy vs. unlazy disable, mask_ack fallback), and so
// are the retrigger and set_type answers. Tests add their own events ("handler A") with note().
#pragma once
#include "kernel/irq/irq.h"
#include <mutex>
#include <string>
#include <vector>

class FakeChip final : public IrqChip {
public:
    // The usual 8259/IO-APIC-like set: everything except enable/disable/startup/shutdown/mask_ack/
    // retrigger, so disable is lazy and mask_ack falls back to mask + ack unless asked for.
    static constexpr unsigned DEFAULT_OPS =
        IRQCHIP_OP_ACK | IRQCHIP_OP_MASK | IRQCHIP_OP_UNMASK | IRQCHIP_OP_EOI | IRQCHIP_OP_SET_TYPE;
    explicit FakeChip(unsigned ops = DEFAULT_OPS, unsigned flags = 0, const char* name = "FAKE")
        : IrqChip(name, ops, flags) {}
    ~FakeChip() = default;

    int retrigger_result = 0;  // 0: cannot retrigger (core falls back to software resend)
    int set_type_result = IRQ_SET_MASK_OK;

    void irq_ack(irq_data* d) override { rec("ack", d); }
    void irq_mask(irq_data* d) override { rec("mask", d); }
    void irq_unmask(irq_data* d) override { rec("unmask", d); }
    void irq_mask_ack(irq_data* d) override { rec("mask_ack", d); }
    void irq_eoi(irq_data* d) override { rec("eoi", d); }
    void irq_enable(irq_data* d) override { rec("enable", d); }
    void irq_disable(irq_data* d) override { rec("disable", d); }
    unsigned irq_startup(irq_data* d) override {
        rec("startup", d);
        return 0;
    }
    void irq_shutdown(irq_data* d) override { rec("shutdown", d); }
    int irq_set_type(irq_data* d, unsigned type) override {
        note("set_type " + std::to_string(d->irq) + " " + std::to_string(type));
        return set_type_result;
    }
    int irq_retrigger(irq_data* d) override {
        rec("retrigger", d);
        return retrigger_result;
    }

    void note(const std::string& event) {
        std::lock_guard<std::mutex> g(mu_);
        calls_.push_back(event);
    }
    std::vector<std::string> calls() const {
        std::lock_guard<std::mutex> g(mu_);
        return calls_;
    }
    // The calls joined with ", " (readable in assertion failures).
    std::string log() const {
        std::string s;
        for (const auto& c : calls()) s += (s.empty() ? "" : ", ") + c;
        return s;
    }
    void clear() {
        std::lock_guard<std::mutex> g(mu_);
        calls_.clear();
    }

private:
    void rec(const char* op, irq_data* d) { note(std::string(op) + " " + std::to_string(d->irq)); }
    mutable std::mutex mu_;
    std::vector<std::string> calls_;
};
