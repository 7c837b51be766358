// The local APIC in xAPIC (MMIO) mode: typed registers and the operations the kernel needs from it
// (Intel SDM vol. 3A chapter 11: 11.4 the register map, 11.5 the LVT, 11.6 IPIs through the ICR, 11.8 the
// ISR/IRR/TMR and EOI, 11.9 the spurious-interrupt register). Behaviour follows Linux
// arch/x86/kernel/apic/apic.c (setup_local_APIC, lapic_setup_esr, sysvec_error_interrupt) and ipi.c.
// Portable over an `Mmio&` so host tests drive it against a recording fake; in xAPIC mode every CPU sees
// its own LAPIC at the same address, so the kernel keeps one object for all CPUs.
#pragma once
#include "kernel/mmio.h"
#include "kernel/types.h"

namespace lapic {
// Register offsets from the APIC base (SDM table 11-1).
constexpr uintptr_t APIC_ID = 0x020;   // bits 31:24: this CPU's APIC ID
constexpr uintptr_t APIC_LVR = 0x030;  // version 7:0, max LVT 23:16
constexpr uintptr_t APIC_TASKPRI = 0x080;
constexpr uintptr_t APIC_EOI = 0x0B0;
constexpr uintptr_t APIC_LDR = 0x0D0;
constexpr uintptr_t APIC_DFR = 0x0E0;
constexpr uintptr_t APIC_SPIV = 0x0F0;
constexpr uintptr_t APIC_ISR = 0x100;  // 8 registers, 0x10 apart, 32 vectors each
constexpr uintptr_t APIC_TMR = 0x180;
constexpr uintptr_t APIC_IRR = 0x200;
constexpr uintptr_t APIC_ESR = 0x280;
constexpr uintptr_t APIC_ICR = 0x300;   // low half: writing it sends
constexpr uintptr_t APIC_ICR2 = 0x310;  // high half: destination in bits 31:24
constexpr uintptr_t APIC_LVTT = 0x320;
constexpr uintptr_t APIC_LVTTHMR = 0x330;
constexpr uintptr_t APIC_LVTPC = 0x340;
constexpr uintptr_t APIC_LVT0 = 0x350;
constexpr uintptr_t APIC_LVT1 = 0x360;
constexpr uintptr_t APIC_LVTERR = 0x370;
constexpr uintptr_t APIC_TMICT = 0x380;  // timer initial count
constexpr uintptr_t APIC_TMCCT = 0x390;  // timer current count
constexpr uintptr_t APIC_TDCR = 0x3E0;   // timer divide configuration
constexpr unsigned APIC_IR_REGS = 8;
constexpr uintptr_t APIC_MMIO_SIZE = 0x400;

// Spurious-interrupt vector register (SDM figure 11-23).
constexpr uint32_t APIC_SPIV_VECTOR_MASK = 0xFF;
constexpr uint32_t APIC_SPIV_APIC_ENABLED = 1u << 8;
constexpr uint32_t APIC_SPIV_FOCUS_DISABLED = 1u << 9;
constexpr uint32_t APIC_TPRI_MASK = 0xFF;

// LVT entry fields (SDM figure 11-8).
constexpr uint32_t APIC_VECTOR_MASK = 0xFF;
constexpr uint32_t APIC_DM_FIXED = 0u << 8;
constexpr uint32_t APIC_DM_LOWEST = 1u << 8;
constexpr uint32_t APIC_DM_SMI = 2u << 8;
constexpr uint32_t APIC_DM_NMI = 4u << 8;
constexpr uint32_t APIC_DM_INIT = 5u << 8;
constexpr uint32_t APIC_DM_STARTUP = 6u << 8;
constexpr uint32_t APIC_DM_EXTINT = 7u << 8;
constexpr uint32_t APIC_DM_MASK = 7u << 8;
constexpr uint32_t APIC_DEST_LOGICAL = 1u << 11;  // ICR destination mode (0: physical)
constexpr uint32_t APIC_SEND_PENDING = 1u << 12;  // delivery status: 1 while the IPI is not accepted
constexpr uint32_t APIC_INPUT_POLARITY = 1u << 13;
constexpr uint32_t APIC_LVT_REMOTE_IRR = 1u << 14;
constexpr uint32_t APIC_INT_ASSERT = 1u << 14;     // ICR level: assert (INIT de-assert has it clear)
constexpr uint32_t APIC_INT_LEVELTRIG = 1u << 15;  // LVT / ICR trigger mode
constexpr uint32_t APIC_LVT_MASKED = 1u << 16;
constexpr uint32_t APIC_LVT_TIMER_ONESHOT = 0u << 17;
constexpr uint32_t APIC_LVT_TIMER_PERIODIC = 1u << 17;
constexpr uint32_t APIC_LVT_TIMER_MASK = 3u << 17;
// ICR destination shorthand (SDM figure 11-12).
constexpr uint32_t APIC_DEST_NOSHORT = 0u << 18;
constexpr uint32_t APIC_DEST_SELF = 1u << 18;
constexpr uint32_t APIC_DEST_ALLINC = 2u << 18;
constexpr uint32_t APIC_DEST_ALLBUT = 3u << 18;
constexpr unsigned APIC_ICR2_DEST_SHIFT = 24;
// Timer divide configuration (SDM figure 11-10): bits 0, 1 and 3.
constexpr uint32_t APIC_TDR_DIV_1 = 0xB;
constexpr uint32_t APIC_TDR_DIV_16 = 0x3;
// Error status register bits (SDM figure 11-9), named as Linux's sysvec_error_interrupt prints them.
constexpr unsigned APIC_ESR_BITS = 8;
const char* esr_bit_name(unsigned bit);  // NULL for bit >= 8
}  // namespace lapic

// The delivery modes an LVT entry may use, typed (SDM 11.5.1).
enum class LvtDelivery : uint32_t {
    Fixed = lapic::APIC_DM_FIXED,
    Smi = lapic::APIC_DM_SMI,
    Nmi = lapic::APIC_DM_NMI,
    Init = lapic::APIC_DM_INIT,
    ExtInt = lapic::APIC_DM_EXTINT,
};
enum class LvtTimerMode : uint32_t {
    OneShot = lapic::APIC_LVT_TIMER_ONESHOT,
    Periodic = lapic::APIC_LVT_TIMER_PERIODIC
};

// One LVT entry's value: built with the named fields, or decoded from a register read.
struct Lvt {
    uint32_t raw = lapic::APIC_LVT_MASKED;  // the reset value: masked, vector 0
    unsigned vector() const { return raw & lapic::APIC_VECTOR_MASK; }
    bool masked() const { return raw & lapic::APIC_LVT_MASKED; }
    bool level() const { return raw & lapic::APIC_INT_LEVELTRIG; }
    LvtDelivery delivery() const { return LvtDelivery(raw & lapic::APIC_DM_MASK); }
    bool pending() const { return raw & lapic::APIC_SEND_PENDING; }  // delivery status
    static Lvt fixed(unsigned vector, bool masked = false) {
        return {(vector & lapic::APIC_VECTOR_MASK) | (masked ? lapic::APIC_LVT_MASKED : 0)};
    }
    static Lvt timer(unsigned vector, LvtTimerMode mode, bool masked = false) {
        return {fixed(vector, masked).raw | uint32_t(mode)};
    }
    // LINT0/LINT1: ExtINT or NMI are the uses Linux makes of them; vector is ignored for those modes.
    static Lvt lint(LvtDelivery mode, bool masked, bool level = false) {
        return {uint32_t(mode) | (masked ? lapic::APIC_LVT_MASKED : 0) | (level ? lapic::APIC_INT_LEVELTRIG : 0)};
    }
};

class LocalApic {
public:
    explicit LocalApic(Mmio& mmio) : mmio_(mmio) {}

    // Identification. Any context.
    uint32_t id() { return mmio_.readl(lapic::APIC_ID) >> 24; }
    uint32_t version() { return mmio_.readl(lapic::APIC_LVR) & 0xFF; }
    unsigned max_lvt() { return (mmio_.readl(lapic::APIC_LVR) >> 16) & 0xFF; }  // Linux lapic_get_maxlvt
    bool integrated() { return version() >= 0x10; }                             // not an external 82489DX
    bool enabled() { return mmio_.readl(lapic::APIC_SPIV) & lapic::APIC_SPIV_APIC_ENABLED; }

    // Linux setup_local_APIC + end_local_APIC_setup on the calling CPU: soft-disable, TPR 0x10 (vectors
    // 0-31 never delivered), stale ISR/IRR bits acknowledged, enable through the spurious-interrupt
    // register with `spurious_vector`, LINT0 ExtINT unmasked only when `extint` (the boot CPU with the
    // 8259 behind it), LINT1 NMI on the boot CPU only, the error LVT on `error_vector` with the ESR
    // cleared around it, the timer LVT masked. Boot / AP start-up, interrupts off.
    void setup(bool boot_cpu, bool extint, unsigned spurious_vector, unsigned error_vector);
    // Mask every LVT and clear the software enable (Linux clear_local_APIC + apic_soft_disable).
    // Interrupts off.
    void soft_disable();

    // End the in-service interrupt of highest priority. Hard-IRQ context on the CPU that took it.
    void eoi() { mmio_.writel(lapic::APIC_EOI, 0); }
    uintptr_t eoi_reg() const { return mmio_.direct_reg(lapic::APIC_EOI); }
    // Bits of the 256-bit ISR / IRR / TMR of this CPU. Any context (a snapshot).
    bool vector_in_service(unsigned vector) { return bit(lapic::APIC_ISR, vector); }
    bool vector_requested(unsigned vector) { return bit(lapic::APIC_IRR, vector); }
    // Whether the interrupt being serviced on `vector` was accepted as level-triggered (TMR bit).
    bool vector_is_level(unsigned vector) { return bit(lapic::APIC_TMR, vector); }
    uint32_t isr(unsigned reg) { return mmio_.readl(lapic::APIC_ISR + 0x10 * reg); }
    uint32_t irr(unsigned reg) { return mmio_.readl(lapic::APIC_IRR + 0x10 * reg); }

    // LVT entries, typed. Interrupts off (or the entry owned by the caller).
    Lvt lvt_timer() { return {mmio_.readl(lapic::APIC_LVTT)}; }
    Lvt lvt_lint0() { return {mmio_.readl(lapic::APIC_LVT0)}; }
    Lvt lvt_lint1() { return {mmio_.readl(lapic::APIC_LVT1)}; }
    Lvt lvt_error() { return {mmio_.readl(lapic::APIC_LVTERR)}; }
    void set_lvt_timer(Lvt v) { mmio_.writel(lapic::APIC_LVTT, v.raw); }
    void set_lvt_lint0(Lvt v) { mmio_.writel(lapic::APIC_LVT0, v.raw); }
    void set_lvt_lint1(Lvt v) { mmio_.writel(lapic::APIC_LVT1, v.raw); }
    void set_lvt_error(Lvt v) { mmio_.writel(lapic::APIC_LVTERR, v.raw); }

    // The timer's counter (SDM 11.5.4): divide configuration, initial and current count.
    void set_timer_divide(uint32_t tdcr) { mmio_.writel(lapic::APIC_TDCR, tdcr); }
    void set_timer_initial(uint32_t count) { mmio_.writel(lapic::APIC_TMICT, count); }
    uint32_t timer_current() { return mmio_.readl(lapic::APIC_TMCCT); }

    // The error status as Linux reads it: write the ESR (which latches the errors collected since the
    // last write), then read it. Returns the latched bits. Interrupts off.
    uint32_t read_esr();
    // The ERROR_APIC_VECTOR handler body (Linux sysvec_error_interrupt): latch and read the ESR, EOI,
    // count it in irq_err_count (the ERR row), print "APIC error on CPU%u: %02x(%02x)" with the ESR before
    // and after the latch and the name of each bit. Returns the latched bits. Hard-IRQ context.
    uint32_t handle_error_interrupt(unsigned cpu);

    // Inter-processor interrupts (SDM 11.6.1). Each waits for the previous IPI to leave the ICR (delivery
    // status idle, ICR_IDLE_TIMEOUT_US at most), then writes the destination and the command. Returns 0
    // or -ETIMEDOUT when the ICR stayed busy (the IPI is then not sent). Interrupts off (the ICR is one
    // register per CPU: an interrupt handler sending an IPI between the two writes would retarget it).
    int send_ipi(uint32_t apic_id, unsigned vector);  // fixed, physical destination
    int send_ipi_self(unsigned vector);
    int send_ipi_allbutself(unsigned vector);
    int send_ipi_all(unsigned vector);
    int send_init_assert(uint32_t apic_id);                         // INIT, level-triggered, assert
    int send_init_deassert(uint32_t apic_id);                       // INIT level de-assert
    int send_startup(uint32_t apic_id, uintptr_t start_page_addr);  // SIPI: vector = address >> 12
    // Raw command (Linux apic_icr_write): high half first, then the low half, which sends.
    int icr_write(uint32_t low, uint32_t apic_id);
    // Wait until the delivery status is idle. 0, or -ETIMEDOUT after ICR_IDLE_TIMEOUT_US.
    int wait_icr_idle();
    static constexpr unsigned ICR_IDLE_TIMEOUT_US = 100000;  // Linux safe_apic_wait_icr_idle: 1000 x 100 us

    Mmio& mmio() { return mmio_; }

private:
    bool bit(uintptr_t base, unsigned vector) {
        return (mmio_.readl(base + 0x10 * ((vector & 0xFF) / 32)) >> (vector % 32)) & 1;
    }
    // Acknowledge stale in-service bits left by a previous owner (Linux apic_pending_intr_clear).
    void pending_intr_clear();

    Mmio& mmio_;
};

// The local APIC driver of the kernel: NULL while the 8259 pair delivers interrupts (PIC mode), the one
// LocalApic object (every CPU reaches its own unit through it) once APIC mode is on. Any context.
LocalApic* local_apic();
// Install the object (the APIC-mode switch, boot CPU, interrupts off; NULL back to PIC mode, tests).
void set_local_apic(LocalApic* apic);
// The EOI register's address of the installed local APIC when it is a direct window (every CPU reaches
// its own unit at the same address), else 0: no local APIC (PIC mode) or a fake one (host tests).
// Written by set_local_apic only.
extern uintptr_t apic_eoi_reg;
// apic_eoi's path without a direct register: through the object, or nothing in PIC mode.
void apic_eoi_slow();
// EOI on this CPU's local APIC; nothing in PIC mode. Hard-IRQ context, interrupts off. Every edge and
// MSI interrupt ends here, so with a real local APIC it is one store.
static inline void apic_eoi() {
    if (uintptr_t reg = __atomic_load_n(&apic_eoi_reg, __ATOMIC_RELAXED); __builtin_expect(reg != 0, 1))
        mmio_writel_direct(reg, 0);
    else
        apic_eoi_slow();
}
