// The recording fake PortIo: logs, scripted reads and the unexpected-port check (see fake_portio.h).
#include "tests/host/support/fake_portio.h"

#include <gtest/gtest.h>
#include <cstdio>

std::string to_string(const FakePortIo::Access& a) {
    char buf[64];
    switch (a.op) {
    case FakePortIo::Op::In:
        std::snprintf(buf, sizeof buf, "inb(0x%x) = 0x%x", a.port, a.value);
        break;
    case FakePortIo::Op::Out:
        std::snprintf(buf, sizeof buf, "outb(0x%x, 0x%x)", a.port, a.value);
        break;
    case FakePortIo::Op::InW:
        std::snprintf(buf, sizeof buf, "inw(0x%x) = 0x%x", a.port, a.value);
        break;
    case FakePortIo::Op::OutW:
        std::snprintf(buf, sizeof buf, "outw(0x%x, 0x%x)", a.port, a.value);
        break;
    case FakePortIo::Op::InL:
        std::snprintf(buf, sizeof buf, "inl(0x%x) = 0x%x", a.port, a.value);
        break;
    case FakePortIo::Op::OutL:
        std::snprintf(buf, sizeof buf, "outl(0x%x, 0x%x)", a.port, a.value);
        break;
    case FakePortIo::Op::IoDelay:
        std::snprintf(buf, sizeof buf, "io_delay()");
        break;
    case FakePortIo::Op::Udelay:
        std::snprintf(buf, sizeof buf, "udelay(%u)", a.value);
        break;
    }
    return buf;
}

void PrintTo(const FakePortIo::Access& a, std::ostream* os) { *os << to_string(a); }

bool FakePortIo::check(Op op, uint16_t port, uint32_t v) {
    if (allowed_.count(port)) return true;
    ADD_FAILURE() << "unexpected port access: " << to_string({op, port, v});
    return false;
}

uint32_t FakePortIo::read(Op op, uint16_t port, uint32_t all_ones) {
    uint32_t v = all_ones;
    if (check(op, port, 0)) {
        auto q = queue_.find(port);
        if (q != queue_.end() && !q->second.empty()) {
            v = q->second.front();
            q->second.pop_front();
        } else if (auto s = sticky_.find(port); s != sticky_.end()) {
            v = s->second;
        } else {
            char buf[48];
            std::snprintf(buf, sizeof buf, "0x%x", port);
            ADD_FAILURE() << "read of port " << buf << " with no scripted value";
        }
    }
    log_.push_back({op, port, v});
    return v;
}

void FakePortIo::write(Op op, uint16_t port, uint32_t v) {
    check(op, port, v);
    log_.push_back({op, port, v});
}

void FakePortIo::do_outb(uint16_t port, uint8_t v) {
    write(Op::Out, port, v);
    if (out_hook_) out_hook_(*this, port, v, out_ctx_);
}

std::vector<FakePortIo::Access> FakePortIo::outs() const {
    std::vector<Access> r;
    for (const auto& a : log_)
        if (a.op == Op::Out) r.push_back(a);
    return r;
}

std::vector<FakePortIo::Access> FakePortIo::outs_to(uint16_t port) const {
    std::vector<Access> r;
    for (const auto& a : log_)
        if (a.op == Op::Out && a.port == port) r.push_back(a);
    return r;
}

size_t FakePortIo::count(Op op, uint16_t port) const {
    size_t n = 0;
    for (const auto& a : log_)
        if (a.op == op && a.port == port) n++;
    return n;
}
