// A fake PCI configuration space for the host tests: functions placed at bus/devfn with a 256-byte
// header each, BARs that answer the write-all-ones sizing the way hardware does (the address bits below
// the size and the type bits are read-only), and absent functions that read as all ones. It records
// the command register seen whenever a BAR is written with all ones, so a test can check decoding was
// off during the sizing.
#pragma once
#include "drivers/pci/capability.h"
#include "drivers/pci/pci_config.h"

#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <vector>

class FakePciConfig final : public PciConfig {
public:
    enum class Bar { None, Io, Mem32, Mem64, Mem64Upper };
    struct Function {
        uint8_t regs[256] = {};
        Bar bar_kind[6] = {Bar::None, Bar::None, Bar::None, Bar::None, Bar::None, Bar::None};
        uint64_t bar_size[6] = {};
        unsigned nbars = 6;
        uint32_t r32(unsigned where) const {
            uint32_t v;
            std::memcpy(&v, &regs[where], 4);
            return v;
        }
        void w32(unsigned where, uint32_t v) { std::memcpy(&regs[where], &v, 4); }
    };

    // A function with its identity; class_code is base << 16 | sub << 8 | prog-if.
    Function& add(uint8_t bus, unsigned slot, unsigned fn, uint16_t vendor, uint16_t device, uint32_t class_code,
                  uint8_t hdr_type = 0, uint8_t revision = 0) {
        Function& f = fns_[key(bus, PCI_DEVFN(slot, fn))];
        f = Function{};
        f.w32(0x00, (uint32_t)vendor | ((uint32_t)device << 16));
        f.w32(0x08, (class_code << 8) | revision);
        f.regs[0x0E] = hdr_type;
        f.nbars = (hdr_type & 0x7F) == 1 ? 2 : 6;
        return f;
    }
    // BAR i of `f`: its kind, the address the firmware put there and its size (a power of two).
    static void bar(Function& f, unsigned i, Bar kind, uint64_t start, uint64_t size, bool prefetch = false) {
        f.bar_kind[i] = kind;
        f.bar_size[i] = size;
        uint32_t low = kind == Bar::Io ? 0x1u : (kind == Bar::Mem64 ? 0x4u : 0x0u);
        if (prefetch) low |= 0x8;
        f.w32(0x10 + 4 * i, (uint32_t)start | low);
        if (kind == Bar::Mem64) {
            f.bar_kind[i + 1] = Bar::Mem64Upper;
            f.bar_size[i + 1] = size;
            f.w32(0x10 + 4 * (i + 1), (uint32_t)(start >> 32));
        }
    }
    static void irq(Function& f, uint8_t pin, uint8_t line) {
        f.regs[0x3D] = pin;
        f.regs[0x3C] = line;
    }
    Function* find(uint8_t bus, uint8_t devfn) {
        auto it = fns_.find(key(bus, devfn));
        return it == fns_.end() ? nullptr : &it->second;
    }

    uint32_t read(uint8_t bus, uint8_t devfn, uint16_t where, unsigned size) override {
        reads++;
        Function* f = find(bus, devfn);
        uint32_t mask = size == 4 ? ~0u : (1u << (8 * size)) - 1;
        if (!f) return mask;
        uint32_t v = 0;
        std::memcpy(&v, &f->regs[where], size);
        return v & mask;
    }
    void write(uint8_t bus, uint8_t devfn, uint16_t where, unsigned size, uint32_t value) override {
        Function* f = find(bus, devfn);
        if (!f) return;
        writes.push_back({bus, devfn, where, size, value});
        unsigned i = (where - 0x10) / 4;
        if (where >= 0x10 && where < 0x10 + 4 * f->nbars && size == 4) {
            if (value == ~0u) sizing_commands.push_back((uint16_t)(f->r32(0x04) & 0xFFFF));
            f->w32(where, bar_value(*f, i, value));
            return;
        }
        std::memcpy(&f->regs[where], &value, size);
        if (after_write) after_write(writes.back());
    }

    // A capability at `pos` with `next` as its next pointer; the status register says there is a list
    // and 0x34 points at `pos` when it is the first one.
    static void cap(Function& f, uint8_t pos, uint8_t id, uint8_t next, bool first = false) {
        f.regs[0x06] |= 0x10;
        if (first) f.regs[0x34] = pos;
        f.regs[pos] = id;
        f.regs[pos + 1] = next;
    }
    // An edu-like function (QEMU's 1234:11e8, class 0x00ff) at 00:slot.0, its INTx on pin A routed to
    // `line`.
    Function& add_edu_like(unsigned slot, uint8_t line) {
        Function& f = add(0, slot, 0, 0x1234, 0x11e8, 0x00ff00);
        irq(f, 1, line);
        return f;
    }
    // An MSI capability at 0x40, the function's only one, whose message control reads `control`.
    static void msi_cap(Function& f, uint16_t control) {
        cap(f, 0x40, pci_regs::PCI_CAP_ID_MSI, 0x00, true);
        f.regs[0x42] = (uint8_t)control;
        f.regs[0x43] = (uint8_t)(control >> 8);
    }
    struct Write {
        uint8_t bus, devfn;
        uint16_t where;
        unsigned size;
        uint32_t value;
    };
    std::vector<Write> writes;                      // every write to a present function, in order
    std::function<void(const Write&)> after_write;  // called after each such write (a device reacting)
    std::vector<uint16_t> sizing_commands;          // the command register at each all-ones BAR write
    unsigned long reads = 0;

private:
    static uint32_t key(uint8_t bus, uint8_t devfn) { return (uint32_t)bus << 8 | devfn; }
    // What the BAR reads back after `v` was written: writable address bits from v, the rest fixed.
    static uint32_t bar_value(const Function& f, unsigned i, uint32_t v) {
        uint64_t size = f.bar_size[i];
        switch (f.bar_kind[i]) {
        case Bar::None:
            return 0;
        case Bar::Io:
            return (v & (uint32_t) ~(size - 1) & 0xFFFFFFFCu) | 0x1u;
        case Bar::Mem32:
        case Bar::Mem64: {
            uint32_t fixed = f.r32(0x10 + 4 * i) & 0xFu;
            return (v & (uint32_t) ~(size - 1) & 0xFFFFFFF0u) | fixed;
        }
        case Bar::Mem64Upper:
            return v & (uint32_t)(~(size - 1) >> 32);
        }
        return 0;
    }
    std::map<uint32_t, Function> fns_;
};
