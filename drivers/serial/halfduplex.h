// COM2 in loopback mode as a half-duplex bus: everything the driver sends comes back to its own receiver,
// so it disables its receive interrupt with disable_irq_nosync() while it transmits, drains its echo, and
// then calls enable_irq(). What the handler still sees after enable_irq ("late calls") depends on lazy
// disable (Linux kernel/irq/chip.c __irq_disable, resend.c) and on what the interrupt controller latched
// meanwhile; this driver measures it. Register names: drivers/serial/uart16550.h.
#pragma once
#include "kernel/io.h"
#include "kernel/irq/interrupt.h"

namespace hdx {
constexpr unsigned N_MAX = 256;              // bytes per run at most
constexpr unsigned TEMT_TIMEOUT_US = 10000;  // one byte takes 87 us at 115200 baud; 10 ms means a dead UART
constexpr unsigned ECHO_TIMEOUT_US = 10000;  // the echo arrives as the byte leaves the shift register
constexpr unsigned LATE_SETTLE_US = 2000;    // interrupts on after a send or enable_irq (+ one tick after enable_irq)
constexpr unsigned PASS_LIMIT = 16;          // IIR rounds per handler call
constexpr unsigned NR_NS = 4;
constexpr unsigned NS[NR_NS] = {1, 2, 16, 64};  // the table's columns
}  // namespace hdx

// The three ways the driver can treat its receive interrupt around a transmission.
enum class hdx_mode : unsigned {
    lazy,        // disable_irq_nosync as is: the line may stay unmasked (lazy disable)
    unlazy,      // irq_set_status_flags(IRQ_DISABLE_UNLAZY): disable_irq_nosync masks at once
    unlazy_ack,  // unlazy, and the pending interrupt acknowledged at the device before enable_irq
};
constexpr unsigned HDX_NR_MODES = 3;
const char* hdx_mode_name(hdx_mode m);

// One transmission: what was sent, where every byte went, and what the handler saw.
struct hdx_result {
    unsigned sent = 0;            // bytes written to THR
    unsigned drained = 0;         // echo bytes the driver read back itself (during and right after sending)
    unsigned overruns = 0;        // LSR.OE seen: each stands for one byte the receiver lost
    unsigned early_calls = 0;     // handler calls between disable_irq_nosync and enable_irq (always 0)
    unsigned late_calls = 0;      // handler calls after enable_irq
    unsigned late_with_data = 0;  // of those, calls that found received bytes
    unsigned late_bytes = 0;      // bytes those calls read
    bool pending = false;         // IRQS_PENDING set just before enable_irq: the lazy replay to come
    bool irr_before = false;      // the line's IRR bit before the acknowledgement (or before enable_irq)
    bool irr_after = false;       // ... and after it, just before enable_irq
};

// Every byte sent is accounted for: drained by the driver, found by a late call, or lost to an overrun.
static inline bool hdx_accounted(const hdx_result& r) { return r.drained + r.late_bytes + r.overruns == r.sent; }

class HalfDuplexBus {
public:
    // Binds to the ports and the line; touches no hardware.
    HalfDuplexBus(PortIo& io, uint16_t base, unsigned irq);
    // Process context. Probe the UART, request the line ("halfduplex") and put the UART in loopback
    // (115200 8N1, FIFOs on and cleared, receive interrupt at 1 byte), OUT2 set, the receive interrupt on. 0, -ENODEV (no UART answers), or request_irq's error (-EBUSY: someone owns the line).
    [[nodiscard]] int open();
    // Process context. Interrupts off at the UART, loopback and OUT2 off, the line freed. Safe if not open.
    void close();
    bool is_open() const { return open_; }

    // One transmission of `n` bytes (1..hdx::N_MAX) in `mode`: disable_irq_nosync, for each byte write
    // THR, wait for TEMT and the echo (bounded), drain it; in unlazy_ack read IIR/LSR/MSR/RBR until the
    // UART has nothing pending; enable_irq; let interrupts in for LATE_SETTLE_US and one timer tick (the
    // software replay of a lost edge runs from the resend tasklet, at a tick's irq_exit) and count the late calls.
    // IRQ_DISABLE_UNLAZY is set for the run and cleared after it. Process context, interrupts enabled.
    // 0; -EINVAL (bad n, not open); -ETIMEDOUT (a byte or its echo did not come: printed); -EIO (the bytes
    // do not add up, or the handler ran while the line was disabled: printed). enable_irq always runs.
    [[nodiscard]] int transmit(unsigned n, hdx_mode mode, hdx_result* out);

    // The receive interrupt handler's body: read IIR until nothing is pending, counting what it found.
    // Hard-IRQ context. IRQ_HANDLED if the UART had something pending, IRQ_NONE otherwise.
    irqreturn_t handle_irq();

    // What the UART and the interrupt controller do in loopback mode, measured on an open bus (the line
    // masked by disable_irq for the IRR part). Process context, interrupts enabled. 0, -EINVAL (not
    // open) or -ETIMEDOUT (no echo: printed).
    struct loopback_facts {
        bool echo = false;                // the byte sent came back to RBR
        unsigned calls_out2_on = 0;       // handler calls for one echo with OUT2 set
        unsigned calls_out2_off = 0;      // ... and with OUT2 clear (real PC boards: none)
        bool irr_asserted = false;        // IRR bit while the echo waits in RBR, line masked
        bool irr_after_read = false;      // IRR bit after RBR was read (the UART dropped its line)
        unsigned calls_after_enable = 0;  // handler calls once the masked line was enabled again
    };
    [[nodiscard]] int probe_loopback(loopback_facts* f);

    unsigned irq() const { return irq_; }

private:
    enum phase : unsigned { IDLE, SENDING, LATE };
    int send_one(uint8_t byte, uint8_t* lsr);  // write THR, wait for TEMT and the echo (bounded)
    bool wait_lsr(uint8_t bits, unsigned timeout_us, uint8_t* lsr);
    unsigned drain(hdx_result* r);  // read RBR while LSR.DR; returns bytes read
    void ack_device(hdx_result* r);

    PortIo* io_;
    uint16_t base_;
    unsigned irq_;
    bool open_ = false;
    uint8_t found_mcr_ = 0, found_lcr_ = 0;
    // Written by the handler (hard-IRQ context), read by transmit() once the line is quiet.
    unsigned phase_ = IDLE;
    unsigned calls_ = 0, early_calls_ = 0, late_calls_ = 0, late_with_data_ = 0, late_bytes_ = 0;
    unsigned irq_overruns_ = 0;
};

// The bus on COM2 (drivers/serial/com2.h), created on first use; nullptr if com2_bind() never ran.
HalfDuplexBus* halfduplex_com2();

// The scenario's whole table: every interrupt-controller flavour of the 8259 line (the XT-PIC, and the
// lazy XT-PIC-lazy), every mode, every N of hdx::NS, on one bus.
struct hdx_table {
    unsigned nr_chips = 0;
    const char* chip[2] = {};
    hdx_result cell[2][HDX_NR_MODES][hdx::NR_NS];
};
// Process context, interrupts enabled. Opens the bus, runs every cell, closes it and leaves the line's
// chip flavour as found. 0 or the first error (printed).
[[nodiscard]] int halfduplex_run_table(HalfDuplexBus& bus, hdx_table* t);
