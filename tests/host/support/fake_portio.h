// A recording fake of PortIo (kernel/io.h) for driver tests: every access is logged in order as
// (op, port, value); inb/inw/inl answers come from per-port scripts; and any access to a port the test
// did not allow fails the test, so a driver cannot touch hardware it should not.
#pragma once
#include "kernel/io.h"

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

class FakePortIo final : public PortIo {
public:
    enum class Op { In, Out, InW, OutW, InL, OutL, IoDelay, Udelay };
    struct Access {
        Op op;
        uint16_t port;
        uint32_t value;
        bool operator==(const Access& o) const { return op == o.op && port == o.port && value == o.value; }
    };

    // Ports the device under test may use. Everything else is an ADD_FAILURE.
    void allow(uint16_t port) { allowed_.insert(port); }
    void allow(std::initializer_list<uint16_t> ports) { allowed_.insert(ports.begin(), ports.end()); }
    void allow_range(uint16_t first, uint16_t last) {
        for (unsigned p = first; p <= last; p++) allowed_.insert((uint16_t)p);
    }

    // Reads of `port` return the queued values in order; once the queue is empty they return the sticky
    // value set with set_in(); with neither, the read is a test failure (and returns all ones).
    void queue_in(uint16_t port, std::initializer_list<uint32_t> values) {
        for (auto v : values) queue_[port].push_back(v);
    }
    void set_in(uint16_t port, uint32_t value) { sticky_[port] = value; }
    void clear_in(uint16_t port) {
        queue_.erase(port);
        sticky_.erase(port);
    }
    size_t queued(uint16_t port) const {
        auto it = queue_.find(port);
        return it == queue_.end() ? 0 : it->second.size();
    }

    // Called after every outb (port, value): lets a test model device state (e.g. a register select).
    void on_out(void (*fn)(FakePortIo&, uint16_t, uint8_t, void*), void* ctx) {
        out_hook_ = fn;
        out_ctx_ = ctx;
    }

    const std::vector<Access>& log() const { return log_; }
    void clear_log() { log_.clear(); }
    // Only the outb writes, in order (the most common thing a test compares).
    std::vector<Access> outs() const;
    std::vector<Access> outs_to(uint16_t port) const;
    size_t count(Op op, uint16_t port) const;

    void io_delay() override { log_.push_back({Op::IoDelay, 0, 0}); }
    void udelay(unsigned us) override { log_.push_back({Op::Udelay, 0, us}); }

protected:
    uint8_t do_inb(uint16_t port) override { return (uint8_t)read(Op::In, port, 0xff); }
    uint16_t do_inw(uint16_t port) override { return (uint16_t)read(Op::InW, port, 0xffff); }
    uint32_t do_inl(uint16_t port) override { return read(Op::InL, port, 0xffffffffu); }
    void do_outb(uint16_t port, uint8_t v) override;
    void do_outw(uint16_t port, uint16_t v) override { write(Op::OutW, port, v); }
    void do_outl(uint16_t port, uint32_t v) override { write(Op::OutL, port, v); }

private:
    uint32_t read(Op op, uint16_t port, uint32_t all_ones);
    void write(Op op, uint16_t port, uint32_t v);
    bool check(Op op, uint16_t port, uint32_t v);

    std::set<uint16_t> allowed_;
    std::map<uint16_t, std::deque<uint32_t>> queue_;
    std::map<uint16_t, uint32_t> sticky_;
    std::vector<Access> log_;
    void (*out_hook_)(FakePortIo&, uint16_t, uint8_t, void*) = nullptr;
    void* out_ctx_ = nullptr;
};

// Shorthands for expected sequences: {OUT(0x20, 0x11), IO_DELAY(), UDELAY(100), IN(0x21, 0xff)}.
inline FakePortIo::Access OUT(uint16_t port, uint32_t v) { return {FakePortIo::Op::Out, port, v}; }
inline FakePortIo::Access IN(uint16_t port, uint32_t v) { return {FakePortIo::Op::In, port, v}; }
inline FakePortIo::Access IO_DELAY() { return {FakePortIo::Op::IoDelay, 0, 0}; }
inline FakePortIo::Access UDELAY(unsigned us) { return {FakePortIo::Op::Udelay, 0, us}; }

std::string to_string(const FakePortIo::Access& a);
// GoogleTest prints accesses as "outb(0x20, 0x11)" in failure messages.
void PrintTo(const FakePortIo::Access& a, std::ostream* os);
