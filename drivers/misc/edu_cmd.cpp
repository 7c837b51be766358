// The shell's `edu` command: each edu device's line, driver mode, status register and counters; raising
// interrupts one at a time (each handled before the next) and reporting one that nobody served; the
// faulty mode in which the driver ignores its own device; acknowledging at the device; re-binding the
// action (free_irq + request_irq, which re-arms a line the spurious detector disabled, as in Linux);
// switching a device between MSI and INTx.
#include "drivers/apic/irq_mode.h"
#include "drivers/misc/edu_dev.h"
#include "drivers/pci/msi.h"
#include "drivers/pic/legacy_pic.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/irq/irqdesc.h"
#include "kernel/shell/shell.h"
#include "lib/string.h"

namespace {

constexpr unsigned EDU_RAISE_TIMEOUT_MS = 100;  // per interrupt; a served one takes microseconds
constexpr unsigned long EDU_RAISE_MAX = 1000000;

void usage() {
    shell_puts(
        "usage: edu [status]            each device: IRQ, driver mode, status register, counters\n"
        "       edu raise [N] [DEV]     raise N interrupts (default 1), each handled before the next\n"
        "       edu faulty on|off [DEV] faulty: the handler neither claims nor acknowledges (a storm)\n"
        "       edu ack [DEV]           acknowledge whatever the device's status holds\n"
        "       edu rebind [DEV]        free_irq + request_irq: re-arms a line the detector disabled\n"
        "       edu mode msi|intx [DEV] interrupt by message (MSI, edge, APIC mode only) or INTx (level, shared)\n"
        "DEV: an index (0, 1, ...) or bus:dev.fn (00:04.0); default 0\n");
}

// The ELCR's answer on the 8259; in APIC mode the line's IO-APIC pin setting (IRQ_LEVEL).
const char* trigger_name(unsigned irq) {
    int level = legacy_pic_irq_is_level(irq);
    if (level < 0 && irq_routing_is_ioapic())
        if (irq_desc* desc = irq_to_desc(irq)) level = irq_settings_is_level(desc);
    return level < 0 ? "trigger unknown" : level ? "level" : "edge";
}

// The line as the core sees it, in words: "enabled", "disabled (depth 2)", "disabled by the spurious
// detector (depth 1)". Racy snapshot, fine for a report.
void print_line(unsigned irq) {
    irq_desc* desc = irq_to_desc(irq);
    unsigned depth = READ_ONCE(desc->depth);
    unsigned istate = READ_ONCE(desc->istate);
    if (istate & IRQS_SPURIOUS_DISABLED)
        shell_printf("IRQ %u disabled by the spurious detector (depth %u)", irq, depth);
    else if (depth)
        shell_printf("IRQ %u disabled (depth %u)", irq, depth);
    else
        shell_printf("IRQ %u enabled", irq);
}

void show(edu_device* dev) {
    edu_stats s = edu_get_stats(dev);
    bool msi = edu_get_mode(dev) == EDU_MODE_MSI;
    if (msi)
        shell_printf("edu %s: IRQ %u (edge, MSI), driver %s, status 0x%08x\n", edu_name(dev), edu_irq(dev),
                     edu_is_faulty(dev) ? "FAULTY" : "ok", edu_irq_status(dev));
    else
        shell_printf("edu %s: IRQ %u (%s, shared), driver %s, status 0x%08x\n", edu_name(dev), edu_irq(dev),
                     trigger_name(edu_irq(dev)), edu_is_faulty(dev) ? "FAULTY" : "ok", edu_irq_status(dev));
    shell_printf("  raised %lu, handler calls %lu = handled %lu + not mine %lu; ", s.raised, s.calls, s.handled,
                 s.not_mine);
    print_line(edu_irq(dev));
    shell_printf(", %u interrupts\n", kstat_irqs(edu_irq(dev)));
    if (msi) {
        const msi_msg& m = dev->pdev->msi->msg;
        x86_msi_data data = x86_msi_data::decode(m.data);
        shell_printf("  mode MSI: address 0x%08x data 0x%04x (vector 0x%02x, APIC ID %u), INTx disabled\n",
                     m.address_lo, m.data, data.vector, x86_msi_addr_lo::decode(m.address_lo).destid_0_7);
    } else {
        shell_printf("  mode INTx%s\n", !dev->pdev->msi_cap    ? " (no MSI capability)"
                                        : pci_msi_get_domain() ? " (`edu mode msi` switches to MSI)"
                                                               : " (MSI needs APIC mode)");
    }
}

// `edu mode msi|intx [DEV]`: the switch with a clear answer when it cannot be made.
int do_mode(edu_device* dev, const char* word) {
    edu_irq_mode mode = strcmp(word, "msi") == 0 ? EDU_MODE_MSI : EDU_MODE_INTX;
    if (edu_get_mode(dev) == mode) {
        shell_printf("edu %s: already %s (IRQ %u)\n", edu_name(dev), edu_mode_name(mode), edu_irq(dev));
        return 0;
    }
    unsigned before = edu_irq(dev);
    int err = edu_set_mode(dev, mode);
    if (err == -EINVAL && mode == EDU_MODE_MSI && !pci_msi_get_domain()) {
        shell_printf(
            "edu %s: MSI refused: interrupts go through the 8259 pair (PIC mode, noapic) and a message needs a "
            "local APIC to land in; as in Linux, no MSI without an APIC. Staying on INTx (IRQ %u)\n",
            edu_name(dev), edu_irq(dev));
        return err;
    }
    if (err == -ENODEV) {
        shell_printf("edu %s: %s\n", edu_name(dev),
                     mode == EDU_MODE_MSI ? "no MSI capability" : "no INTx line to go back to");
        return err;
    }
    if (err) {
        shell_printf("edu %s: switching to %s failed (%d); still %s on IRQ %u\n", edu_name(dev), edu_mode_name(mode),
                     err, edu_mode_name(edu_get_mode(dev)), edu_irq(dev));
        return err;
    }
    shell_printf("edu %s: %s IRQ %u -> %s IRQ %u\n", edu_name(dev), mode == EDU_MODE_MSI ? "INTx" : "MSI", before,
                 edu_mode_name(mode), edu_irq(dev));
    show(dev);
    return 0;
}

// DEV: an index or a bus:dev.fn name. nullptr (after saying so) when it names nothing.
edu_device* pick(const char* word) {
    if (!word) return edu_get(0);
    for (unsigned i = 0; i < edu_count(); i++)
        if (strcmp(word, edu_name(edu_get(i))) == 0) return edu_get(i);
    unsigned long idx;
    if (parse_uint(word, &idx) && idx < edu_count()) return edu_get((unsigned)idx);
    shell_printf("edu: no edu device '%s' (%u present)\n", word, edu_count());
    return nullptr;
}

int do_raise(int argc, char** argv) {
    unsigned long n = 1;
    const char* devword = nullptr;
    if (argc >= 3) {
        if (!parse_uint(argv[2], &n) || n == 0 || n > EDU_RAISE_MAX) {
            shell_printf("edu: N must be 1..%lu, not '%s'\n", EDU_RAISE_MAX, argv[2]);
            return -EINVAL;
        }
    }
    if (argc >= 4) devword = argv[3];
    edu_device* dev = pick(devword);
    if (!dev) return -ENODEV;
    edu_stats before = edu_get_stats(dev);
    int err = edu_raise(dev, (unsigned)n, EDU_RAISE_TIMEOUT_MS);
    edu_stats after = edu_get_stats(dev);
    unsigned long served = after.handled - before.handled;
    shell_printf("edu %s: raised %lu, served %lu (handler calls +%lu: handled +%lu, not mine +%lu)\n", edu_name(dev),
                 after.raised - before.raised, served, after.calls - before.calls, served,
                 after.not_mine - before.not_mine);
    if (err == -ETIMEDOUT) {
        shell_printf("edu %s: interrupt %lu of %lu was not served within %u ms: status 0x%08x still asserted; ",
                     edu_name(dev), served + 1, n, EDU_RAISE_TIMEOUT_MS, edu_irq_status(dev));
        print_line(edu_irq(dev));
        shell_puts(edu_is_faulty(dev) ? "; the driver is faulty\n" : "\n");
        irq_desc* desc = irq_to_desc(edu_irq(dev));
        shell_puts("  (`edu ack` drops the request at the device");
        if (READ_ONCE(desc->istate) & IRQS_SPURIOUS_DISABLED)
            shell_puts("; `edu rebind` re-arms the line");
        else if (READ_ONCE(desc->depth))
            shell_printf("; `enable_irq %u` enables the line", edu_irq(dev));
        if (edu_is_faulty(dev)) shell_puts("; `edu faulty off` makes the driver sane");
        shell_puts(")\n");
    }
    return err;
}

// Process context (the shell). 0, -EINVAL with the usage, -ENODEV without a device, or the driver's
// error (-ETIMEDOUT: an interrupt not served; request_irq's error for rebind).
int cmd_edu(int argc, char** argv) {
    const char* sub = argc > 1 ? argv[1] : "status";
    bool known = strcmp(sub, "status") == 0 || strcmp(sub, "raise") == 0 || strcmp(sub, "faulty") == 0 ||
                 strcmp(sub, "ack") == 0 || strcmp(sub, "rebind") == 0 || strcmp(sub, "mode") == 0;
    if (!known || argc > 4) {
        usage();
        return -EINVAL;
    }
    if (!edu_count()) {
        shell_puts("edu: no edu device (QEMU: -device edu)\n");
        return -ENODEV;
    }
    if (strcmp(sub, "status") == 0) {
        if (argc > 3) {
            usage();
            return -EINVAL;
        }
        if (argc == 3) {
            edu_device* dev = pick(argv[2]);
            if (!dev) return -ENODEV;
            show(dev);
        } else {
            for (unsigned i = 0; i < edu_count(); i++) show(edu_get(i));
        }
        return 0;
    }
    if (strcmp(sub, "raise") == 0) return do_raise(argc, argv);
    if (strcmp(sub, "mode") == 0) {
        if (argc < 3 || (strcmp(argv[2], "msi") != 0 && strcmp(argv[2], "intx") != 0)) {
            usage();
            return -EINVAL;
        }
        edu_device* dev = pick(argc == 4 ? argv[3] : nullptr);
        if (!dev) return -ENODEV;
        return do_mode(dev, argv[2]);
    }
    if (strcmp(sub, "faulty") == 0) {
        if (argc < 3 || (strcmp(argv[2], "on") != 0 && strcmp(argv[2], "off") != 0)) {
            usage();
            return -EINVAL;
        }
        edu_device* dev = pick(argc == 4 ? argv[3] : nullptr);
        if (!dev) return -ENODEV;
        edu_set_faulty(dev, strcmp(argv[2], "on") == 0);
        show(dev);
        return 0;
    }
    if (argc > 3) {
        usage();
        return -EINVAL;
    }
    edu_device* dev = pick(argc == 3 ? argv[2] : nullptr);
    if (!dev) return -ENODEV;
    if (strcmp(sub, "ack") == 0) {
        edu_ack_irq(dev, edu_irq_status(dev));
    } else if (int err = edu_rebind(dev); err) {
        shell_printf("edu %s: request_irq(%u) failed (%d)\n", edu_name(dev), edu_irq(dev), err);
        return err;
    }
    show(dev);
    return 0;
}

}  // namespace

SHELL_COMMAND("edu",
              "QEMU edu device: edu [status] | raise [N] [DEV] | faulty on|off [DEV] | ack | rebind | mode msi|intx",
              cmd_edu);
