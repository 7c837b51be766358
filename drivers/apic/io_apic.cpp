// The IO-APIC chip (Linux arch/x86/kernel/apic/io_apic.c): register access through IOREGSEL/IOWIN under
// one lock, entries written high word first, mask/unmask on the low word with a flushing read after a
// mask, the edge acknowledge and the level EOI through the local APIC, and Linux's __eoi_ioapic_pin for
// a level interrupt the local APIC took as edge (TMR clear): counted in irq_mis_count (MIS), then the
// EOI register (version >= 0x20) or the masked edge-and-back rewrite of the entry (older, e.g. 0x11).
#include "drivers/apic/io_apic.h"
#include "drivers/apic/local_apic.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/printk.h"

using namespace ioapic;

IoApic::IoApic(Mmio& mmio, unsigned index, uint32_t gsi_base)
    : IrqChip("IO-APIC", IRQCHIP_OP_MASK | IRQCHIP_OP_UNMASK | IRQCHIP_OP_ACK | IRQCHIP_OP_EOI | IRQCHIP_OP_RETRIGGER),
      mmio_(mmio), index_(index), gsi_base_(gsi_base) {
    raw_spin_lock_init(&lock_);
    uint32_t ver = read(IOAPICVER);
    version_ = ver & VERSION_MASK;
    nr_pins_ = ((ver >> MAX_REDIR_SHIFT) & 0xff) + 1;
    if (nr_pins_ > MAX_PINS) {
        pr_warn("IOAPIC[%u]: %u pins, only the first %u are used\n", index, nr_pins_, MAX_PINS);
        nr_pins_ = MAX_PINS;
    }
    for (unsigned pin = 0; pin < nr_pins_; pin++) pins_[pin] = IoApicPin{this, pin, IoApicRte{}};
}

uint32_t IoApic::read_locked(unsigned reg) {
    mmio_.writel(IOREGSEL, reg);
    return mmio_.readl(IOWIN);
}

void IoApic::write_locked(unsigned reg, uint32_t value) {
    mmio_.writel(IOREGSEL, reg);
    mmio_.writel(IOWIN, value);
}

uint32_t IoApic::read(unsigned reg) {
    SpinLockIrqSave g(lock_);
    return read_locked(reg);
}

void IoApic::write(unsigned reg, uint32_t value) {
    SpinLockIrqSave g(lock_);
    write_locked(reg, value);
}

IoApicRte IoApic::read_entry(unsigned pin) {
    SpinLockIrqSave g(lock_);
    uint32_t low = read_locked(IOREDTBL + 2 * pin);
    return IoApicRte::from_words(low, read_locked(IOREDTBL + 2 * pin + 1));
}

void IoApic::write_entry_locked(unsigned pin, IoApicRte e) {
    write_locked(IOREDTBL + 2 * pin + 1, e.high());
    write_locked(IOREDTBL + 2 * pin, e.low());
}

void IoApic::write_entry(unsigned pin, IoApicRte e) {
    SpinLockIrqSave g(lock_);
    write_entry_locked(pin, e);
}

void IoApic::clear_pin(unsigned pin) {
    SpinLockIrqSave g(lock_);
    IoApicRte masked;
    write_locked(IOREDTBL + 2 * pin, masked.low());
    write_locked(IOREDTBL + 2 * pin + 1, masked.high());
    if (pin < nr_pins_) pins_[pin].entry = masked;
}

void IoApic::mask_all() {
    for (unsigned pin = 0; pin < nr_pins_; pin++) clear_pin(pin);
}

int IoApic::setup_pin(unsigned irq, unsigned pin, unsigned vector, bool level, bool active_low, unsigned dest) {
    if (pin >= nr_pins_) return -EINVAL;
    IoApicRte e;
    e.set_vector(vector)
        .set_delivery(IoApicDelivery::Fixed)
        .set_dest_logical(false)
        .set_active_low(active_low)
        .set_level(level)
        .set_masked(true)
        .set_destination(dest);
    {
        SpinLockIrqSave g(lock_);
        pins_[pin].entry = e;
        write_entry_locked(pin, e);
    }
    irq_set_chip_and_handler_name(irq, this, level ? handle_fasteoi_irq : handle_edge_irq, level ? "fasteoi" : "edge");
    irq_set_chip_data(irq, &pins_[pin]);
    irq_set_hwirq(irq, pin);
    if (level)
        irq_set_status_flags(irq, IRQ_LEVEL);
    else
        irq_clear_status_flags(irq, IRQ_LEVEL);
    return 0;
}

void IoApic::set_route(irq_data* d, unsigned vector, unsigned dest) {
    IoApicPin* p = data(d);
    SpinLockGuard g(lock_);
    p->entry.set_vector(vector).set_destination(dest);
    write_entry_locked(p->pin, p->entry);
}

void IoApic::irq_mask(irq_data* d) {
    IoApicPin* p = data(d);
    SpinLockGuard g(lock_);
    p->entry.set_masked(true);
    write_locked(IOREDTBL + 2 * p->pin, p->entry.low());
    // Linux io_apic_sync: a read from the IO-APIC makes sure the mask reached it before we go on.
    (void)mmio_.readl(IOWIN);
}

void IoApic::irq_unmask(irq_data* d) {
    IoApicPin* p = data(d);
    SpinLockGuard g(lock_);
    p->entry.set_masked(false);
    write_locked(IOREDTBL + 2 * p->pin, p->entry.low());
}

void IoApic::irq_ack(irq_data*) { apic_eoi(); }

void IoApic::eoi_pin_locked(unsigned pin, unsigned vector) {
    if (version_ >= FIRST_EOI_VERSION) {
        mmio_.writel(IOEOI, vector);
        return;
    }
    // No EOI register: masked and edge for a moment, then the level entry as it was (Manfred Spraul's
    // workaround in Linux's __eoi_ioapic_pin). Switching the trigger to edge clears Remote IRR.
    uint32_t low = read_locked(IOREDTBL + 2 * pin);
    IoApicRte e = IoApicRte::from_words(low, read_locked(IOREDTBL + 2 * pin + 1));
    IoApicRte edge = e;
    edge.set_masked(true).set_level(false);
    write_entry_locked(pin, edge);
    write_entry_locked(pin, e);
}

void IoApic::eoi_pin(unsigned pin, unsigned vector) {
    SpinLockIrqSave g(lock_);
    eoi_pin_locked(pin, vector);
}

void IoApic::irq_eoi(irq_data* d) {
    IoApicPin* p = data(d);
    unsigned vector = p->entry.vector();
    // The TMR bit must be read before the EOI clears the in-service state (Linux reads it first too).
    LocalApic* lapic = local_apic();
    bool took_as_level = lapic ? lapic->vector_is_level(vector) : true;
    apic_eoi();
    if (!took_as_level) {
        // The erratum of version 0x11 (82093AA): a level interrupt delivered as edge leaves Remote IRR
        // set, as no EOI broadcast reaches the IO-APIC; the pin would never fire again.
        atomic_inc_ulong(&irq_mis_count);
        SpinLockGuard g(lock_);
        eoi_pin_locked(p->pin, vector);
    }
}

int IoApic::irq_retrigger(irq_data* d) {
    LocalApic* lapic = local_apic();
    if (!lapic) return 0;
    return lapic->send_ipi_self(data(d)->entry.vector()) == 0 ? 1 : 0;
}
