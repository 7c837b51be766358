// A behavioural model of a 16550A in FIFO mode for driver tests that need the UART to react rather than
// replay a script: 16-byte receive and transmit FIFOs, LSR/IIR computed from that state (PC16550D
// datasheet, "FIFO Interrupt Mode Operation"), a far end that feeds input only while the receive FIFO has
// room (as QEMU's chardev does) and a line that can stall (THRE stays clear while the far end does not
// read). The INTR pin drives an edge-triggered ISA line, so the model records rising edges; a test
// delivers IRQ 4 once per edge, as the 8259 would. Loopback (MCR bit 4): what is sent goes to the
// receive FIFO instead of the far end (a full FIFO drops it and sets LSR.OE), and the far end is not
// heard. Thread-safe: a test may drive it from two threads.
#pragma once
#include "kernel/io.h"

#include <gtest/gtest.h>
#include <deque>
#include <mutex>
#include <string>

class ModelUart final : public PortIo {
public:
    static constexpr unsigned FIFO = 16;
    explicit ModelUart(uint16_t base) : base_(base) {}

    // The far end: bytes to send us (they enter the receive FIFO as it has room), what reached it, and
    // whether it reads (stalled: the transmit FIFO fills and THRE stays clear).
    void type(const std::string& s) {
        G g(mu_);
        for (char c : s) input_.push_back(c);
        pump();
        update();
    }
    std::string output() {
        G g(mu_);
        return output_;
    }
    void set_stalled(bool stalled) {
        G g(mu_);
        stalled_ = stalled;
        transmit();
        update();
    }
    size_t input_left() {
        G g(mu_);
        return input_.size() + rx_.size();
    }
    unsigned long tx_overflows = 0;  // bytes written while the transmit FIFO was full (lost)
    unsigned long udelays = 0;       // busy-wait calls the driver made

    // One rising edge of INTR since the last call (the 8259's edge latch).
    bool take_edge() {
        G g(mu_);
        bool e = edge_;
        edge_ = false;
        return e;
    }
    uint8_t ier() {
        G g(mu_);
        return ier_;
    }

    uint8_t do_inb(uint16_t port) override {
        G g(mu_);
        uint8_t v = 0xff;
        switch (reg(port)) {
        case 0:
            if (lcr_ & 0x80) {
                v = dll_;
                break;
            }
            v = rx_.empty() ? 0 : (uint8_t)rx_.front();
            if (!rx_.empty()) rx_.pop_front();
            pump();
            break;
        case 1:
            v = (lcr_ & 0x80) ? dlm_ : ier_;
            break;
        case 2:
            v = (uint8_t)(0xc0 | iir_now());
            if (iir_now() == 0x02) thr_ipending_ = false;  // reading IIR that shows THRI clears it
            break;
        case 3:
            v = lcr_;
            break;
        case 4:
            v = mcr_;
            break;
        case 5:
            v = (uint8_t)((rx_.empty() ? 0 : 0x01) | (overrun_ ? 0x02 : 0) | (tx_.empty() ? 0x60 : 0x00));
            overrun_ = false;  // LSR errors clear on read
            break;
        case 6:
            v = 0xb0;
            break;
        case 7:
            v = scr_;
            break;
        }
        update();
        return v;
    }
    void do_outb(uint16_t port, uint8_t v) override {
        G g(mu_);
        switch (reg(port)) {
        case 0:
            if (lcr_ & 0x80) {
                dll_ = v;
                break;
            }
            if (tx_.size() >= FIFO)
                tx_overflows++;
            else
                tx_.push_back((char)v);
            thr_ipending_ = false;
            transmit();
            break;
        case 1:
            if (lcr_ & 0x80) {
                dlm_ = v;
                break;
            }
            if ((v & 0x02) && !(ier_ & 0x02) && tx_.empty()) thr_ipending_ = true;  // THRI turned on with THRE
            ier_ = v & 0x0f;
            break;
        case 2:
            if (v & 0x02) rx_.clear();
            if (v & 0x04) tx_.clear();
            pump();
            break;
        case 3:
            lcr_ = v;
            break;
        case 4:
            mcr_ = v;
            pump();
            break;
        case 7:
            scr_ = v;
            break;
        default:
            ADD_FAILURE() << "write to a read-only UART register " << port;
            break;
        }
        update();
    }
    uint16_t do_inw(uint16_t port) override {
        ADD_FAILURE() << "inw " << port;
        return 0xffff;
    }
    void do_outw(uint16_t port, uint16_t) override { ADD_FAILURE() << "outw " << port; }
    uint32_t do_inl(uint16_t port) override {
        ADD_FAILURE() << "inl " << port;
        return ~0u;
    }
    void do_outl(uint16_t port, uint32_t) override { ADD_FAILURE() << "outl " << port; }
    void io_delay() override {}
    void udelay(unsigned) override {
        G g(mu_);
        udelays++;
    }

private:
    using G = std::lock_guard<std::mutex>;
    bool intr() const { return (mcr_ & 0x08) && iir_now() != 0x01; }
    unsigned reg(uint16_t port) {
        if (port < base_ || port > base_ + 7) ADD_FAILURE() << "port " << port << " is not the UART's";
        return port - base_;
    }
    bool loopback() const { return mcr_ & 0x10; }
    void pump() {
        if (loopback()) return;
        while (rx_.size() < FIFO && !input_.empty()) {
            rx_.push_back(input_.front());
            input_.pop_front();
        }
    }
    // A far end that reads takes everything at once; the FIFO then empties and THRE is pending.
    void transmit() {
        if (stalled_ || tx_.empty()) return;
        if (loopback()) {
            for (char c : tx_) {
                if (rx_.size() < FIFO)
                    rx_.push_back(c);
                else
                    overrun_ = true;
            }
        } else {
            output_.append(tx_.begin(), tx_.end());
        }
        tx_.clear();
        thr_ipending_ = true;
    }
    uint8_t iir_now() const {
        if ((ier_ & 0x01) && !rx_.empty()) return 0x04;
        if ((ier_ & 0x02) && thr_ipending_) return 0x02;
        return 0x01;
    }
    void update() {
        bool now = intr();
        if (now && !line_) edge_ = true;
        line_ = now;
    }

    uint16_t base_;
    uint8_t ier_ = 0, lcr_ = 0, mcr_ = 0, scr_ = 0, dll_ = 0, dlm_ = 0;
    bool thr_ipending_ = false, stalled_ = false, line_ = false, edge_ = false, overrun_ = false;
    std::deque<char> input_, rx_, tx_;
    std::string output_;
    std::mutex mu_;
};
