// The shell's `halfduplex` command: the half-duplex echo on COM2 (drivers/serial/halfduplex.h), run for
// every controller flavour, mode and N and printed as a table with the reasons behind its figures;
// `halfduplex probe` shows what the UART and the 8259 do in loopback mode. Explained in
// docs/scenario-half-duplex.md.
#include "drivers/serial/com2.h"
#include "drivers/serial/halfduplex.h"
#include "kernel/shell/shell.h"
#include "lib/string.h"

namespace {

const char* yes_no(bool b) { return b ? "set" : "clear"; }

int show_probe(HalfDuplexBus& bus) {
    int err = bus.open();
    if (err) return err;
    HalfDuplexBus::loopback_facts f;
    err = bus.probe_loopback(&f);
    bus.close();
    if (err) return err;
    shell_printf("COM2 (0x%x, IRQ %u) in loopback mode:\n", com2::BASE, com2::IRQ);
    shell_printf("  echo: %s\n", f.echo ? "the byte sent came back to the receiver" : "none");
    shell_printf("  receive interrupt with OUT2 set:   %u handler call(s)\n", f.calls_out2_on);
    shell_printf("  receive interrupt with OUT2 clear: %u handler call(s) (a PC board gates INTR with OUT2)\n",
                 f.calls_out2_off);
    shell_printf("  line masked: IRR bit %u %s while the echo waited, %s after RBR was read\n", com2::IRQ,
                 yes_no(f.irr_asserted), yes_no(f.irr_after_read));
    shell_printf("  enable_irq afterwards: %u handler call(s)\n", f.calls_after_enable);
    return 0;
}

void print_table(const hdx_table& t) {
    for (unsigned c = 0; c < t.nr_chips; c++) {
        shell_printf("\nchip %s: late handler calls (of them found data), IRR bit before/after the ack\n", t.chip[c]);
        shell_printf("  %-11s", "mode");
        for (unsigned j = 0; j < hdx::NR_NS; j++) shell_printf("  N=%-8u", hdx::NS[j]);
        shell_puts("\n");
        for (unsigned m = 0; m < HDX_NR_MODES; m++) {
            shell_printf("  %-11s", hdx_mode_name((hdx_mode)m));
            for (unsigned j = 0; j < hdx::NR_NS; j++) {
                const hdx_result& r = t.cell[c][m][j];
                shell_printf("  %u (%u) %u/%u ", r.late_calls, r.late_with_data, r.irr_before, r.irr_after);
            }
            shell_puts("\n");
        }
    }
}

// Process context (the shell). 0, -ENODEV without COM2, or the driver's error.
int cmd_halfduplex(int argc, char** argv) {
    HalfDuplexBus* bus = halfduplex_com2();
    if (!bus || !com2_probe()) {
        shell_printf("halfduplex: no UART at 0x%x (QEMU: a second -serial; Bochs: com2: enabled=1)\n", com2::BASE);
        return -ENODEV;
    }
    if (argc == 2 && strcmp(argv[1], "probe") == 0) return show_probe(*bus);
    if (argc != 1) {
        shell_puts("usage: halfduplex [probe]\n");
        return -EINVAL;
    }
    hdx_table t;
    int err = halfduplex_run_table(*bus, &t);
    print_table(t);
    return err;
}

}  // namespace

SHELL_COMMAND("halfduplex", "COM2 loopback as a half-duplex bus: late handler calls after enable_irq; halfduplex probe",
              cmd_halfduplex);
