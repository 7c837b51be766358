// The genirq vocabulary: trigger types, per-line settings (IRQ_*), per-line state (IRQD_*), irq_data and
// the IrqChip interface. Names and bit values follow Linux include/linux/irq.h so the sources read alike.
#pragma once
#include "kernel/types.h"
#include "kernel/errno.h"

// Trigger types (IRQ_TYPE_*), also the low bits of IRQF_TRIGGER_* and of the IRQ_*/IRQD_* words.
enum : unsigned {
    IRQ_TYPE_NONE = 0x0,
    IRQ_TYPE_EDGE_RISING = 0x1,
    IRQ_TYPE_EDGE_FALLING = 0x2,
    IRQ_TYPE_EDGE_BOTH = 0x3,
    IRQ_TYPE_LEVEL_HIGH = 0x4,
    IRQ_TYPE_LEVEL_LOW = 0x8,
    IRQ_TYPE_LEVEL_MASK = 0xc,
    IRQ_TYPE_SENSE_MASK = 0xf,
    IRQ_TYPE_DEFAULT = IRQ_TYPE_SENSE_MASK,
};

// Per-line settings (desc->status_use_accessors), set with irq_set_status_flags().
enum : unsigned {
    IRQ_LEVEL = 1u << 8,
    IRQ_PER_CPU = 1u << 9,
    IRQ_NOPROBE = 1u << 10,
    IRQ_NOREQUEST = 1u << 11,
    IRQ_NOAUTOEN = 1u << 12,
    IRQ_NO_BALANCING = 1u << 13,
    IRQ_MOVE_PCNTXT = 1u << 14,
    IRQ_NESTED_THREAD = 1u << 15,
    IRQ_NOTHREAD = 1u << 16,
    IRQ_PER_CPU_DEVID = 1u << 17,
    IRQ_IS_POLLED = 1u << 18,
    IRQ_DISABLE_UNLAZY = 1u << 19,
    IRQ_HIDDEN = 1u << 20,
    IRQ_NO_DEBUG = 1u << 21,
};

// Per-line state kept with the chip data (irq_data.state), Linux's IRQD_* bits.
enum : unsigned {
    IRQD_TRIGGER_MASK = 0xf,
    IRQD_ACTIVATED = 1u << 9,
    IRQD_PER_CPU = 1u << 11,
    IRQD_LEVEL = 1u << 13,
    IRQD_IRQ_DISABLED = 1u << 16,    // logical: disable_irq depth > 0 (or shut down)
    IRQD_IRQ_MASKED = 1u << 17,      // physical: the chip line is masked right now
    IRQD_IRQ_INPROGRESS = 1u << 18,  // a handler is running (synchronize_irq waits on it)
    IRQD_IRQ_STARTED = 1u << 22,
    IRQD_DEFAULT_TRIGGER_SET = 1u << 25,  // the trigger was configured: a sharer must match it
    IRQD_RESEND_WHEN_IN_PROGRESS = 1u << 30,
};

// IrqChip::irq_set_type results (Linux IRQ_SET_MASK_OK*); anything else (negative errno) is a failure.
enum : int { IRQ_SET_MASK_OK = 0, IRQ_SET_MASK_OK_NOCOPY = 1, IRQ_SET_MASK_OK_DONE = 2 };

// IrqChip::flags(), Linux's IRQCHIP_* flags that the core looks at.
enum : unsigned {
    IRQCHIP_EOI_IF_HANDLED = 1u << 2,
    IRQCHIP_ONESHOT_SAFE = 1u << 5,
    IRQCHIP_EOI_THREADED = 1u << 6,
};

class IrqChip;
struct irq_desc;
struct irq_domain;
struct cpumask_t;

// What a chip callback gets: which line, in the chip's own numbering (hwirq), and the chip's cookie.
// With irq domains (kernel/irq/irqdomain.h) an IRQ has one irq_data per level: the descriptor's own is
// the outermost domain's, parent_data leads to the level below (NULL at the root).
struct irq_data {
    unsigned irq = 0;         // Linux IRQ number (index into the descriptor table)
    unsigned long hwirq = 0;  // the chip's pin number, shown in the interrupts view
    bool has_hwirq = false;   // false: hwirq column left blank (Linux: no irq domain)
    unsigned state = 0;       // IRQD_* bits; change only with desc->lock held (the descriptor's level)
    IrqChip* chip = nullptr;
    void* chip_data = nullptr;
    irq_domain* domain = nullptr;
    irq_data* parent_data = nullptr;
};

// Which optional operations a chip provides. Linux tests the function pointers for NULL; the absence of
// an operation changes behaviour (no irq_disable => lazy disable; no irq_mask_ack => mask then ack).
enum IrqChipOp : unsigned {
    IRQCHIP_OP_ACK = 1u << 0,
    IRQCHIP_OP_MASK = 1u << 1,
    IRQCHIP_OP_UNMASK = 1u << 2,
    IRQCHIP_OP_MASK_ACK = 1u << 3,
    IRQCHIP_OP_EOI = 1u << 4,
    IRQCHIP_OP_ENABLE = 1u << 5,
    IRQCHIP_OP_DISABLE = 1u << 6,
    IRQCHIP_OP_STARTUP = 1u << 7,
    IRQCHIP_OP_SHUTDOWN = 1u << 8,
    IRQCHIP_OP_SET_TYPE = 1u << 9,
    IRQCHIP_OP_RETRIGGER = 1u << 10,
    IRQCHIP_OP_SPURIOUS = 1u << 11,  // irqos: irq_spurious (see there)
    IRQCHIP_OP_SET_AFFINITY = 1u << 12,
};

// An interrupt controller as the core sees it (Linux struct irq_chip). Subclasses override the
// operations they list in `ops`; the core never calls one that is not listed. All callbacks run with
// the descriptor lock held and interrupts off, and must not sleep.
class IrqChip {
public:
    constexpr IrqChip(const char* name, unsigned ops, unsigned flags = 0) : name_(name), ops_(ops), flags_(flags) {}
    const char* name() const { return name_; }
    bool has(IrqChipOp op) const { return (ops_ & op) != 0; }
    unsigned flags() const { return flags_; }

    virtual void irq_ack(irq_data*) {}
    virtual void irq_mask(irq_data*) {}
    virtual void irq_unmask(irq_data*) {}
    virtual void irq_mask_ack(irq_data*) {}
    virtual void irq_eoi(irq_data*) {}
    virtual void irq_enable(irq_data*) {}
    virtual void irq_disable(irq_data*) {}
    virtual unsigned irq_startup(irq_data*) { return 0; }
    virtual void irq_shutdown(irq_data*) {}
    virtual int irq_set_type(irq_data*, unsigned /*flow_type*/) { return -ENOSYS; }  // IRQ_SET_MASK_OK*
    virtual int irq_retrigger(irq_data*) { return 0; }                               // 1: the hardware will re-raise it
    // irqos, for controllers that answer a request that vanished before the CPU's acknowledge with an
    // interrupt of their own (the 8259A's IRQ7/IRQ15): true when this one is such a spurious interrupt,
    // already counted and acknowledged by the chip; the vector entry then does not dispatch it. Called
    // by the entry without the descriptor lock, interrupts off, only on the lines the controller can
    // invent (legacy_pic_filter_spurious), so the common path makes no call.
    virtual bool irq_spurious(irq_data*) { return false; }
    // Linux irq_set_affinity: deliver the line to a CPU of `dest` (online CPUs only, checked by the
    // caller). IRQ_SET_MASK_OK (the core records `dest` as the requested affinity), IRQ_SET_MASK_OK_DONE,
    // or a negative errno. `force`: Linux's flag to ignore the online check (CPU bring-up).
    virtual int irq_set_affinity(irq_data*, const cpumask_t* /*dest*/, bool /*force*/) { return -ENOSYS; }

protected:
    ~IrqChip() = default;

private:
    const char* name_;
    unsigned ops_;
    unsigned flags_;
};

// Null objects (kernel/irq/dummychip.cpp). no_irq_chip: every line starts with it; request_irq on it
// fails with -ENOSYS and an interrupt on it goes to handle_bad_irq. dummy_irq_chip: does nothing, for
// lines that need no controller work (e.g. the cascade).
extern IrqChip& no_irq_chip;
extern IrqChip& dummy_irq_chip;

using irq_flow_handler_t = void (*)(irq_desc* desc);

// Flow handlers (kernel/irq/chip.cpp, handle.cpp). Called with interrupts off from generic_handle_irq.
void handle_edge_irq(irq_desc* desc);
void handle_level_irq(irq_desc* desc);
void handle_fasteoi_irq(irq_desc* desc);
void handle_simple_irq(irq_desc* desc);
void handle_percpu_irq(irq_desc* desc);
void handle_bad_irq(irq_desc* desc);

// Wiring a line (boot or driver probe; takes the descriptor lock; may not sleep).
void irq_set_chip_and_handler_name(unsigned irq, IrqChip* chip, irq_flow_handler_t handle, const char* name);
static inline void irq_set_chip_and_handler(unsigned irq, IrqChip* chip, irq_flow_handler_t handle) {
    irq_set_chip_and_handler_name(irq, chip, handle, nullptr);
}
int irq_set_chip(unsigned irq, IrqChip* chip);
void irq_set_handler(unsigned irq, irq_flow_handler_t handle);
int irq_set_chip_data(unsigned irq, void* data);
void irq_set_hwirq(unsigned irq, unsigned long hwirq);  // also sets has_hwirq
int irq_set_irq_type(unsigned irq, unsigned type);
void irq_modify_status(unsigned irq, unsigned clr, unsigned set);
static inline void irq_set_status_flags(unsigned irq, unsigned set) { irq_modify_status(irq, 0, set); }
static inline void irq_clear_status_flags(unsigned irq, unsigned clr) { irq_modify_status(irq, clr, 0); }
