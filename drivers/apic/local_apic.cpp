// The local APIC's operations (see local_apic.h): the enable sequence of Linux setup_local_APIC and
// lapic_setup_esr, the error interrupt of sysvec_error_interrupt, and ICR IPIs with Linux's wait for the
// delivery status (ipi.c, safe_apic_wait_icr_idle). Intel SDM vol. 3A 11.4-11.9.
#include "drivers/apic/local_apic.h"
#include "kernel/errno.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/printk.h"
#include "lib/vsprintf.h"

using namespace lapic;

namespace lapic {
const char* esr_bit_name(unsigned bit) {
    static const char* const names[APIC_ESR_BITS] = {
        "Send CS error",    "Receive CS error",    "Send accept error",       "Receive accept error",
        "Redirectable IPI", "Send illegal vector", "Received illegal vector", "Illegal register address",
    };
    return bit < APIC_ESR_BITS ? names[bit] : nullptr;
}
}  // namespace lapic

namespace {
constexpr unsigned PENDING_CLEAR_ROUNDS = 512;  // Linux: "way oversized", gives the APIC time to obey
constexpr uint32_t TPR_NO_EXCEPTION_VECTORS = 0x10;
constexpr unsigned MAXLVT_ESR_WRITE = 3;  // Pentium erratum 3AP: write the ESR only when max LVT > 3

LocalApic* the_local_apic;
}  // namespace

LocalApic* local_apic() { return __atomic_load_n(&the_local_apic, __ATOMIC_ACQUIRE); }
uintptr_t apic_eoi_reg;

void set_local_apic(LocalApic* apic) {
    __atomic_store_n(&apic_eoi_reg, uintptr_t(0), __ATOMIC_RELAXED);  // never a stale window's register
    __atomic_store_n(&the_local_apic, apic, __ATOMIC_RELEASE);
    if (apic) __atomic_store_n(&apic_eoi_reg, apic->eoi_reg(), __ATOMIC_RELEASE);
}

void apic_eoi_slow() {
    if (LocalApic* a = local_apic()) a->eoi();
}

void LocalApic::pending_intr_clear() {
    for (unsigned round = 0; round < PENDING_CLEAR_ROUNDS; round++) {
        bool any_irr = false, any_isr = false;
        for (unsigned r = 0; r < APIC_IR_REGS; r++) any_irr |= irr(r) != 0;
        for (unsigned r = 0; r < APIC_IR_REGS; r++) {
            uint32_t bits = isr(r);
            any_isr |= bits != 0;
            for (; bits; bits &= bits - 1) eoi();  // one EOI per in-service bit
        }
        if (!any_isr && !any_irr) return;
        // An acknowledged ISR bit may let a pending IRR bit become in-service: look again. A pending
        // IRR bit alone stays until interrupts are enabled, as in Linux; it is not an error.
        if (!any_isr) return;
    }
    pr_warn("APIC: Stale ISR bits remain after %u rounds\n", PENDING_CLEAR_ROUNDS);
}

void LocalApic::setup(bool boot_cpu, bool extint, unsigned spurious_vector, unsigned error_vector) {
    // Soft-disable first: a previous owner (firmware, a kexec) may have left it enabled.
    uint32_t v = mmio_.readl(APIC_SPIV);
    mmio_.writel(APIC_SPIV, v & ~APIC_SPIV_APIC_ENABLED);

    // Accept every vector above the exceptions; never changed later.
    v = mmio_.readl(APIC_TASKPRI);
    mmio_.writel(APIC_TASKPRI, (v & ~APIC_TPRI_MASK) | TPR_NO_EXCEPTION_VECTORS);

    pending_intr_clear();

    v = mmio_.readl(APIC_SPIV);
    v &= ~APIC_SPIV_VECTOR_MASK;
    v |= APIC_SPIV_APIC_ENABLED | (spurious_vector & APIC_SPIV_VECTOR_MASK);
    mmio_.writel(APIC_SPIV, v);

    // LINT0: the 8259's INTR through the local APIC (virtual wire) only where it is wanted; LINT1: NMI,
    // seen by the boot CPU only (Linux's apic_extnmi default).
    set_lvt_lint0(Lvt::lint(LvtDelivery::ExtInt, !(boot_cpu && extint)));
    set_lvt_lint1(Lvt::lint(LvtDelivery::Nmi, !boot_cpu));

    // lapic_setup_esr: clear, enable the error vector, clear again (the SDM says after enabling).
    unsigned maxlvt = max_lvt();
    if (maxlvt > MAXLVT_ESR_WRITE) mmio_.writel(APIC_ESR, 0);
    uint32_t before = mmio_.readl(APIC_ESR);
    set_lvt_error(Lvt::fixed(error_vector));
    if (maxlvt > MAXLVT_ESR_WRITE) mmio_.writel(APIC_ESR, 0);
    uint32_t after = mmio_.readl(APIC_ESR);
    if (after != before) pr_info("ESR value before enabling vector: 0x%08x  after: 0x%08x\n", before, after);

    // The timer stays masked until the tick is programmed.
    set_lvt_timer(Lvt::timer(lvt_timer().vector(), LvtTimerMode::OneShot, true));
}

void LocalApic::soft_disable() {
    set_lvt_timer(Lvt{});
    set_lvt_lint0(Lvt{});
    set_lvt_lint1(Lvt{});
    set_lvt_error(Lvt{});
    set_timer_initial(0);
    uint32_t v = mmio_.readl(APIC_SPIV);
    mmio_.writel(APIC_SPIV, v & ~APIC_SPIV_APIC_ENABLED);
}

uint32_t LocalApic::read_esr() {
    if (max_lvt() > MAXLVT_ESR_WRITE) mmio_.writel(APIC_ESR, 0);
    return mmio_.readl(APIC_ESR);
}

uint32_t LocalApic::handle_error_interrupt(unsigned cpu) {
    uint32_t v0 = mmio_.readl(APIC_ESR);
    uint32_t v1 = read_esr();
    eoi();
    atomic_inc_ulong(&irq_err_count);
    // One line: the whole message is built before printing, so other CPUs cannot split it. Linux prints
    // it only with apic=debug; irqos always shows it (rate-limited), an error interrupt being rare.
    char reasons[APIC_ESR_BITS * 32];
    size_t len = 0;
    reasons[0] = '\0';
    for (unsigned bit = 0; bit < APIC_ESR_BITS; bit++)
        if (v1 & (1u << bit))
            len += size_t(scnprintf(reasons + len, sizeof(reasons) - len, " : %s", esr_bit_name(bit)));
    pr_warn_ratelimited("APIC error on CPU%u: %02x(%02x)%s\n", cpu, v0, v1, reasons);
    return v1;
}

int LocalApic::wait_icr_idle() {
    if (!(mmio_.readl(APIC_ICR) & APIC_SEND_PENDING)) return 0;
    unsigned long khz = arch::cycles_khz();
    uint64_t start = arch::cycles();
    uint64_t limit = uint64_t(ICR_IDLE_TIMEOUT_US) * (khz ? khz : 1) / 1000;
    while (mmio_.readl(APIC_ICR) & APIC_SEND_PENDING) {
        if (arch::cycles() - start > limit) return -ETIMEDOUT;
        arch::cpu_relax();
    }
    return 0;
}

int LocalApic::icr_write(uint32_t low, uint32_t apic_id) {
    if (int err = wait_icr_idle()) return err;
    mmio_.writel(APIC_ICR2, apic_id << APIC_ICR2_DEST_SHIFT);
    mmio_.writel(APIC_ICR, low);
    return 0;
}

static int shorthand(Mmio& mmio, LocalApic& apic, uint32_t low) {
    if (int err = apic.wait_icr_idle()) return err;
    mmio.writel(APIC_ICR, low);
    return 0;
}

int LocalApic::send_ipi(uint32_t apic_id, unsigned vector) {
    return icr_write(APIC_DEST_NOSHORT | APIC_DM_FIXED | (vector & APIC_VECTOR_MASK), apic_id);
}
int LocalApic::send_ipi_self(unsigned vector) {
    return shorthand(mmio_, *this, APIC_DEST_SELF | APIC_DM_FIXED | (vector & APIC_VECTOR_MASK));
}
int LocalApic::send_ipi_allbutself(unsigned vector) {
    return shorthand(mmio_, *this, APIC_DEST_ALLBUT | APIC_DM_FIXED | (vector & APIC_VECTOR_MASK));
}
int LocalApic::send_ipi_all(unsigned vector) {
    return shorthand(mmio_, *this, APIC_DEST_ALLINC | APIC_DM_FIXED | (vector & APIC_VECTOR_MASK));
}
int LocalApic::send_init_assert(uint32_t apic_id) {
    return icr_write(APIC_INT_LEVELTRIG | APIC_INT_ASSERT | APIC_DM_INIT, apic_id);
}
int LocalApic::send_init_deassert(uint32_t apic_id) { return icr_write(APIC_INT_LEVELTRIG | APIC_DM_INIT, apic_id); }
int LocalApic::send_startup(uint32_t apic_id, uintptr_t start_page_addr) {
    return icr_write(APIC_DM_STARTUP | uint32_t((start_page_addr >> 12) & 0xFF), apic_id);
}
