// A model of the IO-APIC's register window for the host tests, on top of the recording FakeMmio: a write
// to IOREGSEL selects an indirect register and makes IOWIN read it; a write to IOWIN stores into the
// selected register (the ID, version, delivery status and Remote IRR bits are read-only, as in the
// 82093AA datasheet); the EOI register (version 0x20 and up) clears Remote IRR of the level entries with
// the written vector, and writing an entry as edge clears its Remote IRR. Every access stays in the
// FakeMmio log, so tests compare them byte by byte. `events` collects notes in order across fakes.
#pragma once
#include "drivers/apic/io_apic.h"

#include <string>
#include <vector>

#include "tests/host/support/fake_mmio.h"

class FakeIoApic {
public:
    explicit FakeIoApic(unsigned version, unsigned pins = 24, unsigned id = 0,
                        std::vector<std::string>* events = nullptr)
        : events_(events), regs_(ioapic::IOREDTBL + 2 * pins, 0) {
        regs_[ioapic::IOAPICID] = id << ioapic::ID_SHIFT;
        regs_[ioapic::IOAPICVER] = version | ((pins - 1) << ioapic::MAX_REDIR_SHIFT);
        for (unsigned p = 0; p < pins; p++) regs_[ioapic::IOREDTBL + 2 * p] = 1u << 16;  // masked at reset
        mmio.set(ioapic::IOREGSEL, 0);
        mmio.set(ioapic::IOWIN, regs_[0]);
        mmio.on_write(hook, this);
    }

    FakeMmio mmio{ioapic::MMIO_SIZE};

    IoApicRte entry(unsigned pin) const {
        return IoApicRte::from_words(regs_[ioapic::IOREDTBL + 2 * pin], regs_[ioapic::IOREDTBL + 2 * pin + 1]);
    }
    // The hardware's side: an interrupt accepted on a level pin sets Remote IRR until an EOI.
    void set_remote_irr(unsigned pin) { regs_[ioapic::IOREDTBL + 2 * pin] |= RIRR; }
    unsigned eoi_writes() const { return eoi_writes_; }

private:
    static constexpr uint32_t RIRR = 1u << 14, LEVEL = 1u << 15, READ_ONLY_LOW = (1u << 12) | RIRR;

    static void hook(FakeMmio& m, uintptr_t off, uint32_t v, void* ctx) {
        auto* self = static_cast<FakeIoApic*>(ctx);
        self->write(m, off, v);
    }
    void note(const std::string& s) {
        if (events_) events_->push_back(s);
    }
    void write(FakeMmio& m, uintptr_t off, uint32_t v) {
        if (off == ioapic::IOREGSEL) {
            sel_ = v & 0xff;
            m.set(ioapic::IOWIN, sel_ < regs_.size() ? regs_[sel_] : 0xffffffffu);
        } else if (off == ioapic::IOWIN) {
            store(v);
            m.set(ioapic::IOWIN, sel_ < regs_.size() ? regs_[sel_] : 0xffffffffu);
        } else if (off == ioapic::IOEOI) {
            eoi_writes_++;
            note("ioapic eoi " + std::to_string(v));
            for (unsigned r = ioapic::IOREDTBL; r < regs_.size(); r += 2)
                if ((regs_[r] & 0xff) == (v & 0xff) && (regs_[r] & LEVEL)) regs_[r] &= ~RIRR;
            m.set(ioapic::IOWIN, sel_ < regs_.size() ? regs_[sel_] : 0xffffffffu);
        }
    }
    void store(uint32_t v) {
        if (sel_ >= regs_.size() || sel_ == ioapic::IOAPICVER) return;
        if (sel_ >= ioapic::IOREDTBL && (sel_ - ioapic::IOREDTBL) % 2 == 0) {
            uint32_t kept = regs_[sel_] & READ_ONLY_LOW;
            if (!(v & LEVEL)) kept &= ~RIRR;  // an edge entry has no Remote IRR
            regs_[sel_] = (v & ~READ_ONLY_LOW) | kept;
            note("ioapic entry " + std::to_string((sel_ - ioapic::IOREDTBL) / 2) + ((v & LEVEL) ? " level" : " edge") +
                 ((v & (1u << 16)) ? " masked" : ""));
        } else {
            regs_[sel_] = v;
        }
    }

    std::vector<std::string>* events_;
    std::vector<uint32_t> regs_;
    unsigned sel_ = 0;
    unsigned eoi_writes_ = 0;
};
