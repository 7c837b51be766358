// The I/O APIC as an IrqChip named "IO-APIC" (Intel 82093AA datasheet, 290566-001: section 3.0 the
// registers, 3.2.4 the redirection table; the PCI 2.2 IOxAPIC's EOI register from version 0x20), modelled
// on Linux arch/x86/kernel/apic/io_apic.c: no irq_disable (disable is lazy), edge pins on
// handle_edge_irq ("edge") acknowledged by a local APIC EOI before the handler, level pins on
// handle_fasteoi_irq ("fasteoi") whose EOI clears Remote IRR, and the explicit IO-APIC EOI when a level
// interrupt arrived as edge (MIS). Under the x86 vector domain (drivers/apic/io_apic_domain.h) the
// acknowledge, EOI, retrigger and affinity go to the parent level as in Linux (apic_ack_edge,
// irq_chip_set_affinity_parent then ioapic_configure_entry). Portable over an `Mmio&`, so host tests
// drive it on a fake window.
#pragma once
#include "kernel/irq/irq.h"
#include "kernel/mmio.h"
#include "kernel/spinlock.h"

struct irq_domain;

namespace ioapic {
// The memory-mapped window (datasheet 3.0, table 2): an index and a data register, and from version 0x20
// the EOI register (Linux struct io_apic: index at 0x00, data at 0x10, eoi at 0x40).
constexpr uintptr_t IOREGSEL = 0x00;
constexpr uintptr_t IOWIN = 0x10;
constexpr uintptr_t IOEOI = 0x40;
constexpr uintptr_t MMIO_SIZE = 0x44;
// Indirect registers selected through IOREGSEL (datasheet 3.2, table 3).
constexpr unsigned IOAPICID = 0x00;   // bits 27:24: the IO-APIC's APIC ID
constexpr unsigned IOAPICVER = 0x01;  // bits 7:0 version, bits 23:16 maximum redirection entry
constexpr unsigned IOAPICARB = 0x02;  // bits 27:24 arbitration ID
constexpr unsigned IOREDTBL = 0x10;   // entry n: low word at 0x10 + 2n, high word at 0x11 + 2n
constexpr unsigned ID_SHIFT = 24;
constexpr unsigned VERSION_MASK = 0xff;
constexpr unsigned MAX_REDIR_SHIFT = 16;
constexpr unsigned FIRST_EOI_VERSION = 0x20;  // PCI 2.2 IOxAPIC: EOI register present (Linux __eoi_ioapic_pin)
constexpr unsigned MAX_PINS = 64;             // entries driven per IO-APIC (the 82093AA has 24)
}  // namespace ioapic

// Delivery modes of a redirection entry (datasheet 3.2.4, bits 10:8).
enum class IoApicDelivery : uint8_t { Fixed = 0, LowestPriority = 1, Smi = 2, Nmi = 4, Init = 5, ExtInt = 7 };

// One redirection table entry as typed fields over its 64-bit value (datasheet 3.2.4; Linux struct
// IO_APIC_route_entry). Delivery status and Remote IRR are read-only in the hardware.
class IoApicRte {
public:
    template <unsigned Shift, unsigned Width>
    struct Field {
        static constexpr uint64_t MASK = ((1ull << Width) - 1) << Shift;
        static constexpr uint64_t get(uint64_t raw) { return (raw & MASK) >> Shift; }
        static constexpr uint64_t put(uint64_t raw, uint64_t v) { return (raw & ~MASK) | ((v << Shift) & MASK); }
    };
    using Vector = Field<0, 8>;
    using DeliveryMode = Field<8, 3>;
    using DestLogical = Field<11, 1>;
    using DeliveryStatus = Field<12, 1>;
    using ActiveLow = Field<13, 1>;
    using RemoteIrr = Field<14, 1>;
    using Level = Field<15, 1>;
    using Masked = Field<16, 1>;
    using Destination = Field<56, 8>;

    constexpr IoApicRte() = default;
    constexpr explicit IoApicRte(uint64_t raw) : raw_(raw) {}
    static constexpr IoApicRte from_words(uint32_t low, uint32_t high) {
        return IoApicRte(uint64_t(low) | (uint64_t(high) << 32));
    }

    constexpr uint64_t raw() const { return raw_; }
    constexpr uint32_t low() const { return uint32_t(raw_); }
    constexpr uint32_t high() const { return uint32_t(raw_ >> 32); }

    constexpr unsigned vector() const { return unsigned(Vector::get(raw_)); }
    constexpr IoApicDelivery delivery() const { return IoApicDelivery(DeliveryMode::get(raw_)); }
    constexpr bool dest_logical() const { return DestLogical::get(raw_); }
    constexpr bool delivery_pending() const { return DeliveryStatus::get(raw_); }
    constexpr bool active_low() const { return ActiveLow::get(raw_); }
    constexpr bool remote_irr() const { return RemoteIrr::get(raw_); }
    constexpr bool level() const { return Level::get(raw_); }
    constexpr bool masked() const { return Masked::get(raw_); }
    constexpr unsigned destination() const { return unsigned(Destination::get(raw_)); }

    constexpr IoApicRte& set_vector(unsigned v) {
        raw_ = Vector::put(raw_, v);
        return *this;
    }
    constexpr IoApicRte& set_delivery(IoApicDelivery m) {
        raw_ = DeliveryMode::put(raw_, uint64_t(m));
        return *this;
    }
    constexpr IoApicRte& set_dest_logical(bool on) {
        raw_ = DestLogical::put(raw_, on);
        return *this;
    }
    constexpr IoApicRte& set_active_low(bool on) {
        raw_ = ActiveLow::put(raw_, on);
        return *this;
    }
    constexpr IoApicRte& set_level(bool on) {
        raw_ = Level::put(raw_, on);
        return *this;
    }
    constexpr IoApicRte& set_masked(bool on) {
        raw_ = Masked::put(raw_, on);
        return *this;
    }
    constexpr IoApicRte& set_destination(unsigned apic_id) {
        raw_ = Destination::put(raw_, apic_id);
        return *this;
    }

private:
    uint64_t raw_ = Masked::MASK;  // the reset value: masked, everything else 0 (datasheet 3.2.4)
};

class IoApic;
// What the chip keeps per pin (the line's chip_data): its IO-APIC, its pin, and the entry as last
// programmed (Linux mp_chip_data.entry), so mask/unmask rewrite only the low word.
struct IoApicPin {
    IoApic* ioapic = nullptr;
    unsigned pin = 0;
    IoApicRte entry;
};

class IoApic final : public IrqChip {
public:
    // Binds the chip to its window; reads the version and the number of pins (capped at MAX_PINS) but
    // writes nothing. `index` is the IO-APIC's position in the MADT, `gsi_base` its first GSI.
    IoApic(Mmio& mmio, unsigned index, uint32_t gsi_base);

    // Registers. Each takes the chip lock with interrupts saved (the IOREGSEL/IOWIN pair is one
    // access). Any context.
    uint32_t read(unsigned reg);
    void write(unsigned reg, uint32_t value);
    unsigned index() const { return index_; }
    unsigned apic_id() { return (read(ioapic::IOAPICID) >> ioapic::ID_SHIFT) & 0xf; }
    unsigned version() const { return version_; }
    unsigned nr_pins() const { return nr_pins_; }  // maximum redirection entry + 1, at most MAX_PINS
    uint32_t gsi_base() const { return gsi_base_; }
    uint32_t gsi_end() const { return gsi_base_ + nr_pins_ - 1; }
    bool serves(uint32_t gsi) const { return gsi >= gsi_base_ && gsi - gsi_base_ < nr_pins_; }

    // A whole entry, read from the hardware (low word, then high) or written high word first so the
    // entry is complete before the low word's mask bit can unmask it (Linux __ioapic_write_entry).
    IoApicRte read_entry(unsigned pin);
    void write_entry(unsigned pin, IoApicRte e);
    // Mask one entry by writing a masked, otherwise empty entry: low word first, so the pin is masked
    // before the high word changes (Linux ioapic_mask_entry).
    void clear_pin(unsigned pin);
    // Every pin masked and cleared (Linux clear_IO_APIC): at boot, and in PIC mode so no pin delivers.
    void mask_all();

    // Write `pin`'s entry masked: fixed delivery of `vector` to APIC ID `dest`, physical mode, the trigger
    // and polarity given; the cached entry follows. Returns the pin's chip data, NULL beyond nr_pins().
    // Any context; takes the chip lock.
    IoApicPin* configure_pin(unsigned pin, unsigned vector, bool level, bool active_low, unsigned dest);
    // Give the line on `d` (this chip's pin) another trigger and polarity, keeping vector, destination and
    // mask; the flow follows (fasteoi/IRQ_LEVEL or edge). Process context, before request_irq.
    void set_trigger(irq_data* d, bool level, bool active_low);

    // Route `pin` as Linux IRQ `irq` without an irq domain (no vector domain: host tests of the chip
    // alone): fixed delivery of `vector` to the APIC ID `dest` (physical mode),
    // trigger and polarity as given, masked until the line is started; the line gets this chip with
    // handle_fasteoi_irq "fasteoi" (level, IRQ_LEVEL) or handle_edge_irq "edge", hwirq = pin. Boot or
    // process context, before request_irq on `irq`; takes the descriptor lock and the chip lock.
    // -EINVAL for a pin beyond nr_pins().
    int setup_pin(unsigned irq, unsigned pin, unsigned vector, bool level, bool active_low, unsigned dest);
    // Point an existing route at a new vector and destination, keeping its mask and trigger (the
    // affinity change's last step, Linux ioapic_configure_entry). Interrupts off, descriptor lock held.
    void set_route(irq_data* d, unsigned vector, unsigned dest);
    IoApicPin* pin_data(unsigned pin) { return pin < nr_pins_ ? &pins_[pin] : nullptr; }

    // The explicit end of a level interrupt at the IO-APIC (Linux __eoi_ioapic_pin): the EOI register
    // from version 0x20, else the entry switched to masked edge and written back (clearing Remote IRR).
    // Interrupts off; takes the chip lock.
    void eoi_pin(unsigned pin, unsigned vector);

    // IrqChip. Called by the core with the descriptor lock held and interrupts off.
    void irq_mask(irq_data* d) override;      // mask bit set, low word written, a read to flush it
    void irq_unmask(irq_data* d) override;    // mask bit cleared, low word written
    void irq_ack(irq_data* d) override;       // edge: the local APIC EOI (Linux apic_ack_edge)
    void irq_eoi(irq_data* d) override;       // level: Linux ioapic_ack_level, with the MIS path
    int irq_retrigger(irq_data* d) override;  // the parent's (Linux apic_retrigger_irq); flat: a self-IPI
    // Linux ioapic_set_affinity: the vector level moves the line (irq_chip_set_affinity_parent), then the
    // pin gets the new vector and destination (masked while its two words change). -ENOSYS for a line
    // without a vector level.
    int irq_set_affinity(irq_data* d, const cpumask_t* dest, bool force) override;

    irq_domain* irqdomain = nullptr;  // this IO-APIC's irq domain (Linux ioapics[i].irqdomain), or NULL

private:
    uint32_t read_locked(unsigned reg);
    void write_locked(unsigned reg, uint32_t value);
    void write_entry_locked(unsigned pin, IoApicRte e);
    void eoi_pin_locked(unsigned pin, unsigned vector);
    void reroute_locked(IoApicPin* p, unsigned vector, unsigned dest);
    static IoApicPin* data(irq_data* d) { return static_cast<IoApicPin*>(d->chip_data); }

    Mmio& mmio_;
    unsigned index_;
    uint32_t gsi_base_;
    unsigned version_ = 0;
    unsigned nr_pins_ = 0;
    IoApicPin pins_[ioapic::MAX_PINS];
    raw_spinlock_t lock_;  // Linux ioapic_lock: IOREGSEL/IOWIN pairs and the cached entries
};
