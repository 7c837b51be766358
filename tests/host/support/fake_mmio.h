// A recording fake of Mmio (kernel/mmio.h) for driver tests: every access is logged in order as
// (op, offset, value). The fake behaves as a register file: a write stores the value, a read returns the
// last stored one, unless reads of that offset were scripted (queue_read: one value per read, in order).
// Reading a register that was neither preset, written nor scripted fails the test, and so does any
// access outside the window's size, so a driver cannot touch a register the test did not expect.
#pragma once
#include "kernel/mmio.h"

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <map>
#include <ostream>
#include <string>
#include <vector>

class FakeMmio final : public Mmio {
public:
    enum class Op { Read, Write };
    struct Access {
        Op op;
        uintptr_t offset;
        uint32_t value;
        bool operator==(const Access& o) const { return op == o.op && offset == o.offset && value == o.value; }
    };

    explicit FakeMmio(uintptr_t size) : size_(size) {}

    // Register contents (what reads return once the script for that offset is used up).
    void set(uintptr_t offset, uint32_t value) { regs_[offset] = value; }
    uint32_t get(uintptr_t offset) const {
        auto it = regs_.find(offset);
        return it == regs_.end() ? 0 : it->second;
    }
    // Reads of `offset` return these values first, one per read.
    void queue_read(uintptr_t offset, std::initializer_list<uint32_t> values) {
        for (auto v : values) queue_[offset].push_back(v);
    }
    // Called after every write: lets a test model a register with side effects (EOI clearing the ISR).
    void on_write(void (*fn)(FakeMmio&, uintptr_t, uint32_t, void*), void* ctx) {
        hook_ = fn;
        hook_ctx_ = ctx;
    }

    const std::vector<Access>& log() const { return log_; }
    void clear_log() { log_.clear(); }
    std::vector<Access> writes() const;                  // only the writes, in order
    std::vector<Access> writes_to(uintptr_t off) const;  // the writes of one register
    size_t count(Op op, uintptr_t offset) const;

protected:
    uint32_t do_readl(uintptr_t offset) override;
    void do_writel(uintptr_t offset, uint32_t value) override;

private:
    uintptr_t size_;
    std::map<uintptr_t, uint32_t> regs_;
    std::map<uintptr_t, std::deque<uint32_t>> queue_;
    std::vector<Access> log_;
    void (*hook_)(FakeMmio&, uintptr_t, uint32_t, void*) = nullptr;
    void* hook_ctx_ = nullptr;
};

inline FakeMmio::Access MMIO_W(uintptr_t off, uint32_t v) { return {FakeMmio::Op::Write, off, v}; }
inline FakeMmio::Access MMIO_R(uintptr_t off, uint32_t v) { return {FakeMmio::Op::Read, off, v}; }

std::string to_string(const FakeMmio::Access& a);
// GoogleTest prints accesses as "writel(0xb0, 0x0)" in failure messages.
void PrintTo(const FakeMmio::Access& a, std::ostream* os);
