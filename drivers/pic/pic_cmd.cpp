// The `pic` shell command: both 8259As' request (IRR), in-service (ISR) and mask (IMR) registers and the
// ELCR, read from the hardware, with every set bit's line named by its action; and `pic lazy N on|off`,
// which switches a line between Linux's "XT-PIC" chip and the lazy-disable variant "XT-PIC-lazy"
// (drivers/pic/i8259_lazy.cpp). Register meanings: Intel 8259A datasheet; ELCR: PIIX4 datasheet.
#include "drivers/pic/i8259.h"
#include "kernel/cmdline.h"
#include "kernel/irq/interrupt.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/shell/irq_cmds.h"
#include "kernel/shell/shell.h"
#include "lib/string.h"
#include "lib/vsprintf.h"

namespace {

constexpr size_t NAME_MAX_LEN = 24;

// The line's first action name ("i8042"), "+" more for a shared line, "-" when nobody requested it.
void line_name(unsigned irq, char* buf, size_t size) {
    irq_desc* desc = irq_to_desc(irq);
    SpinLockIrqSave guard(desc->lock);
    const irqaction* a = desc->action;
    if (!a)
        scnprintf(buf, size, "-");
    else
        scnprintf(buf, size, "%s%s", a->name ? a->name : "?", a->next ? "+" : "");
}

// "  IRR   0x02   0x08   1 i8042, 11 edu": master then slave byte, then the lines of the set bits.
void print_register(const char* label, const uint8_t (&r)[2]) {
    shell_printf("%-5s 0x%02x   0x%02x  ", label, r[0], r[1]);
    uint16_t bits = (uint16_t)(r[0] | (r[1] << 8));
    if (!bits) shell_puts(" -");
    bool first = true;
    for (unsigned irq = 0; irq < i8259::PIC_NR_IRQS; irq++) {
        if (!(bits & (1u << irq))) continue;
        char name[NAME_MAX_LEN];
        line_name(irq, name, sizeof(name));
        shell_printf("%s %u %s", first ? "" : ",", irq, name);
        first = false;
    }
    shell_puts("\n");
}

Pic8259* the_8259() {
    if (!legacy_pic->nr_legacy_irqs()) return nullptr;
    return static_cast<Pic8259*>(legacy_pic->chip());
}

int pic_show(Pic8259& pic) {
    Pic8259::Registers r = pic.read_registers();
    shell_printf("8259A pair, vectors 0x%02x-0x%02x%s; the slave's INT drives the master's IR2 (IRQ 2, cascade)\n",
                 pic.vector_base(), pic.vector_base() + 15, pic.auto_eoi() ? ", auto-EOI" : "");
    shell_puts("reg   master slave  set bits (IRQ line)\n");
    print_register("IRR", r.irr);
    print_register("ISR", r.isr);
    print_register("IMR", r.imr);
    print_register("ELCR", r.elcr);
    shell_puts(
        "IRR: requested, not yet delivered (a masked line's request waits here); ISR: in service, "
        "until its EOI; IMR: masked; ELCR: level-triggered (clear: edge)\n");
    bool any = false;
    for (unsigned irq = 0; irq < i8259::PIC_NR_IRQS; irq++) {
        if (!i8259_is_lazy(irq)) continue;
        shell_printf("%s %u", any ? "," : "lines on XT-PIC-lazy:", irq);
        any = true;
    }
    if (any) shell_puts("\n");
    return 0;
}

// pic lazy N on|off
int pic_lazy(int argc, char** argv) {
    unsigned long irq;
    bool on = argc == 4 && !strcmp(argv[3], "on");
    if (argc != 4 || (!on && strcmp(argv[3], "off"))) {
        shell_puts("usage: pic lazy N on|off\n");
        return -EINVAL;
    }
    if (!parse_uint(argv[2], &irq) || irq >= NR_IRQS) {
        shell_printf("pic: invalid IRQ number '%s': -EINVAL\n", argv[2]);
        return -EINVAL;
    }
    int err = i8259_set_lazy((unsigned)irq, on);
    if (err == -EBUSY) {
        shell_printf(
            "pic: IRQ %lu has an interrupt owed to its driver (IRQS_PENDING/REPLAY), which XT-PIC would "
            "drop: enable_irq it first: -EBUSY\n",
            irq);
        return err;
    }
    if (err) {
        shell_printf("pic: IRQ %lu is not an 8259 device line (0..15 but 2, the cascade, on XT-PIC): -EINVAL\n", irq);
        return err;
    }
    char line[IRQ_LINE_STATE_MAX];
    if (irq_line_state((unsigned)irq, line, sizeof(line)) >= 0) shell_printf("%s\n", line);
    return 0;
}

int cmd_pic(int argc, char** argv) {
    Pic8259* pic = the_8259();
    if (!pic) {
        shell_puts("pic: no 8259 pair (the null legacy PIC is active): -ENODEV\n");
        return -ENODEV;
    }
    if (argc == 1) return pic_show(*pic);
    if (!strcmp(argv[1], "lazy")) return pic_lazy(argc, argv);
    shell_puts("usage: pic  |  pic lazy N on|off\n");
    return -EINVAL;
}

}  // namespace

SHELL_COMMAND("pic", "pic: both 8259s' IRR/ISR/IMR/ELCR with lines named; pic lazy N on|off: XT-PIC-lazy chip",
              cmd_pic);
