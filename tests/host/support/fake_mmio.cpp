// The recording fake Mmio: a register file with scripted reads and an access log (see fake_mmio.h).
#include "tests/host/support/fake_mmio.h"

#include <gtest/gtest.h>
#include <cstdio>

std::string to_string(const FakeMmio::Access& a) {
    char buf[64];
    std::snprintf(buf, sizeof buf, a.op == FakeMmio::Op::Read ? "readl(0x%lx) = 0x%x" : "writel(0x%lx, 0x%x)",
                  (unsigned long)a.offset, a.value);
    return buf;
}

void PrintTo(const FakeMmio::Access& a, std::ostream* os) { *os << to_string(a); }

uint32_t FakeMmio::do_readl(uintptr_t offset) {
    uint32_t v = 0xffffffffu;
    if (offset + 4 > size_ || offset % 4) {
        ADD_FAILURE() << "read outside the window or unaligned: offset " << offset;
    } else if (auto q = queue_.find(offset); q != queue_.end() && !q->second.empty()) {
        v = q->second.front();
        q->second.pop_front();
    } else if (auto r = regs_.find(offset); r != regs_.end()) {
        v = r->second;
    } else {
        char buf[32];
        std::snprintf(buf, sizeof buf, "0x%lx", (unsigned long)offset);
        ADD_FAILURE() << "read of register " << buf << " with no value";
    }
    log_.push_back({Op::Read, offset, v});
    return v;
}

void FakeMmio::do_writel(uintptr_t offset, uint32_t value) {
    if (offset + 4 > size_ || offset % 4) ADD_FAILURE() << "write outside the window or unaligned: offset " << offset;
    log_.push_back({Op::Write, offset, value});
    regs_[offset] = value;
    if (hook_) hook_(*this, offset, value, hook_ctx_);
}

std::vector<FakeMmio::Access> FakeMmio::writes() const {
    std::vector<Access> r;
    for (const auto& a : log_)
        if (a.op == Op::Write) r.push_back(a);
    return r;
}

std::vector<FakeMmio::Access> FakeMmio::writes_to(uintptr_t off) const {
    std::vector<Access> r;
    for (const auto& a : log_)
        if (a.op == Op::Write && a.offset == off) r.push_back(a);
    return r;
}

size_t FakeMmio::count(Op op, uintptr_t offset) const {
    size_t n = 0;
    for (const auto& a : log_)
        if (a.op == op && a.offset == offset) n++;
    return n;
}
