// The IO-APIC chip (Linux arch/x86/kernel/apic/io_apic.c): register access through IOREGSEL/IOWIN under
// one lock, entries written high word first, mask/unmask on the low word with a flushing read after a
// mask, the edge acknowledge and the level EOI through the local APIC, and Linux's __eoi_ioapic_pin for
// a level interrupt the local APIC took as edge (TMR clear): counted in irq_mis_count (MIS), then the
// EOI register (version >= 0x20) or the masked edge-and-back rewrite of the entry (older, e.g. 0x11).
// Under the vector domain: acknowledge, retrigger and affinity at the parent level (Linux
// irq_chip_ack_parent, irq_chip_retrigger_hierarchy, ioapic_set_affinity).
#include "drivers/apic/io_apic.h"
#include "drivers/apic/io_apic_domain.h"
#include "kernel/irq/irqdomain.h"
#include "kernel/irq/vector_domain.h"
#include "drivers/apic/local_apic.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/printk.h"

using namespace ioapic;

IoApic::IoApic(Mmio& mmio, unsigned index, uint32_t gsi_base)
    : IrqChip("IO-APIC", IRQCHIP_OP_MASK | IRQCHIP_OP_UNMASK | IRQCHIP_OP_ACK | IRQCHIP_OP_EOI | IRQCHIP_OP_RETRIGGER |
                             IRQCHIP_OP_SET_AFFINITY),
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

IoApicPin* IoApic::configure_pin(unsigned pin, unsigned vector, bool level, bool active_low, unsigned dest) {
    if (pin >= nr_pins_) return nullptr;
    IoApicRte e;
    e.set_vector(vector)
        .set_delivery(IoApicDelivery::Fixed)
        .set_dest_logical(false)
        .set_active_low(active_low)
        .set_level(level)
        .set_masked(true)
        .set_destination(dest);
    SpinLockIrqSave g(lock_);
    pins_[pin].entry = e;
    write_entry_locked(pin, e);
    return &pins_[pin];
}

void IoApic::set_trigger(irq_data* d, bool level, bool active_low) {
    IoApicPin* p = data(d);
    {
        SpinLockIrqSave g(lock_);
        p->entry.set_level(level).set_active_low(active_low);
        write_entry_locked(p->pin, p->entry);
    }
    irq_desc* desc = irq_to_desc(d->irq);
    {
        SpinLockIrqSave g(desc->lock);
        desc->handle_irq = level ? handle_fasteoi_irq : handle_edge_irq;
        desc->name = level ? "fasteoi" : "edge";
    }
    if (level)
        irq_set_status_flags(d->irq, IRQ_LEVEL);
    else
        irq_clear_status_flags(d->irq, IRQ_LEVEL);
}

int IoApic::setup_pin(unsigned irq, unsigned pin, unsigned vector, bool level, bool active_low, unsigned dest) {
    if (!configure_pin(pin, vector, level, active_low, dest)) return -EINVAL;
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

// Chip lock held. A live entry is masked while its words change (the high word first), so no interrupt
// leaves the pin with the new destination and the old vector; an edge arriving meanwhile stays pending
// in the IO-APIC and a level input is still asserted when the entry is unmasked again.
void IoApic::reroute_locked(IoApicPin* p, unsigned vector, unsigned dest) {
    bool live = !p->entry.masked();
    if (live) {
        IoApicRte masked = p->entry;
        masked.set_masked(true);
        write_locked(IOREDTBL + 2 * p->pin, masked.low());
    }
    p->entry.set_vector(vector).set_destination(dest);
    write_entry_locked(p->pin, p->entry);
}

int IoApic::irq_set_affinity(irq_data* d, const cpumask_t* dest, bool force) {
    if (!d->parent_data) return -ENOSYS;
    int ret = irq_chip_set_affinity_parent(d, dest, force);
    if (ret < 0 || ret == IRQ_SET_MASK_OK_DONE) return ret;
    const apic_chip_data* a = apic_chip_data_of(d->parent_data);
    if (!a || !a->vector) return ret;
    SpinLockGuard g(lock_);
    IoApicPin* p = data(d);
    if (p->entry.vector() != a->vector || p->entry.destination() != ioapic_cpu_apicid(a->cpu))
        reroute_locked(p, a->vector, ioapic_cpu_apicid(a->cpu));
    return ret;
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

// Linux ioapic_ack_edge -> apic_ack_edge: the vector level acknowledges (and completes a move).
void IoApic::irq_ack(irq_data* d) {
    if (d->parent_data)
        irq_chip_ack_parent(d);
    else
        apic_eoi();
}

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
    unsigned entry_vector = p->entry.vector();
    // The vector this interrupt came on: the old one of a move while it is still live on this CPU.
    unsigned vector = entry_vector;
    if (const apic_chip_data* a = apic_chip_data_of(d->parent_data)) {
        unsigned cpu = smp_processor_id();
        if (a->prev_vector && a->prev_cpu == cpu && a->cpu != cpu) vector = a->prev_vector;
    }
    // The TMR bit must be read before the EOI clears the in-service state (Linux reads it first too).
    LocalApic* lapic = local_apic();
    bool took_as_level = lapic ? lapic->vector_is_level(vector) : true;
    // Linux ioapic_ack_level: irq_complete_move and the local APIC EOI, i.e. the vector level's ack.
    if (d->parent_data)
        irq_chip_ack_parent(d);
    else
        apic_eoi();
    if (!took_as_level) {
        // The erratum of version 0x11 (82093AA): a level interrupt delivered as edge leaves Remote IRR
        // set, as no EOI broadcast reaches the IO-APIC; the pin would never fire again.
        atomic_inc_ulong(&irq_mis_count);
    }
    // A level interrupt that came on the old vector of a move: the local APIC's EOI broadcast names the
    // old vector, which the entry no longer holds, so Remote IRR is cleared at the IO-APIC explicitly.
    if (!took_as_level || vector != entry_vector) {
        SpinLockGuard g(lock_);
        eoi_pin_locked(p->pin, entry_vector);
    }
}

int IoApic::irq_retrigger(irq_data* d) {
    if (d->parent_data) return irq_chip_retrigger_hierarchy(d);
    LocalApic* lapic = local_apic();
    if (!lapic) return 0;
    return lapic->send_ipi_self(data(d)->entry.vector()) == 0 ? 1 : 0;
}
