// The shell's `halfduplex` command: the half-duplex echo on COM2 (drivers/serial/halfduplex.h), run for
// every controller flavour, mode and N and printed as a table with the reasons behind its figures;
// `halfduplex probe` shows what the UART and the 8259 do in loopback mode. Explained in
// docs/scenario-half-duplex.md.
#include "drivers/serial/com2.h"
#include "drivers/serial/halfduplex.h"
#include "kernel/shell/shell.h"
#include "lib/vsprintf.h"
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

// shell_printf formats at most 256 bytes: one call per line.
void print_intro() {
    const unsigned irq = com2::IRQ;
    shell_printf("COM2 (0x%x, IRQ %u) in loopback mode is a half-duplex bus: every byte sent comes back.\n", com2::BASE,
                 irq);
    shell_printf("Each run: disable_irq_nosync(%u); send N bytes, each waited for (LSR.TEMT) and its echo drained;\n",
                 irq);
    shell_printf("enable_irq(%u); then count the handler calls (late calls) and those that found data.\n", irq);
    shell_printf("Modes: lazy (default), unlazy (irq_set_status_flags(%u, IRQ_DISABLE_UNLAZY)), unlazy+ack\n", irq);
    shell_puts("(unlazy, and the UART's interrupt acknowledged before enable_irq: IIR, LSR, MSR, RBR read).\n");
}

// Why the chip's figures are what they are, from the figures themselves.
void explain_chip(const hdx_table& t, unsigned c) {
    const hdx_result* lazy = t.cell[c][(unsigned)hdx_mode::lazy];
    const hdx_result* ack = t.cell[c][(unsigned)hdx_mode::unlazy_ack];
    bool replayed = false, same = true;
    for (unsigned j = 0; j < hdx::NR_NS; j++) {
        replayed |= lazy[j].pending;
        same &= lazy[j].late_calls == t.cell[c][(unsigned)hdx_mode::unlazy][j].late_calls;
    }
    if (!replayed) {
        shell_printf("  %s: disable_irq_nosync masked the line at once (the chip has irq_disable): no interrupt\n",
                     t.chip[c]);
        shell_printf("  reached the flow while disabled, IRQS_PENDING stayed clear; lazy and unlazy are %s.\n",
                     same ? "the same" : "NOT the same (unexpected)");
    } else {
        shell_printf("  %s: lazy mode left the line unmasked; the first echo's interrupt found it disabled, set\n",
                     t.chip[c]);
        shell_puts("  IRQS_PENDING and masked it, and enable_irq replayed it in software (one call); the echoes\n");
        shell_puts("  after it were edges at a masked 8259 input. UNLAZY masks at once: no replay.\n");
    }
    unsigned kept = 0;
    for (unsigned j = 0; j < hdx::NR_NS; j++) kept += ack[j].irr_before && ack[j].irr_after;
    if (kept) {
        shell_printf("  IRR bit %u set before the ack and still set after it (%u of %u runs): the 8259A has no\n",
                     com2::IRQ, kept, hdx::NR_NS);
        shell_puts("  command that drops a latched request, and this 8259 keeps an edge request after the UART\n");
        shell_puts("  lowered its line: unmasking delivers it, a late call that finds nothing.\n");
    } else {
        shell_printf("  IRR bit %u clear before enable_irq in every run: this 8259 dropped the request when the\n",
                     com2::IRQ);
        shell_puts("  UART lowered its line (the echo drained), so unmasking delivered nothing.\n");
    }
}

// One table row: the label, then one 10-wide column per N, without trailing blanks.
void print_row(const char* label, char cells[hdx::NR_NS][16]) {
    char line[96];
    size_t n = (size_t)scnprintf(line, sizeof(line), "  %-12s", label);
    for (unsigned j = 0; j < hdx::NR_NS; j++) n += (size_t)scnprintf(line + n, sizeof(line) - n, "  %-8s", cells[j]);
    while (n > 0 && line[n - 1] == ' ') n--;
    line[n] = '\0';
    shell_printf("%s\n", line);
}

void print_table(const hdx_table& t) {
    char cells[hdx::NR_NS][16];
    for (unsigned c = 0; c < t.nr_chips; c++) {
        shell_printf("\nchip %s: late calls (of them found data)\n", t.chip[c]);
        for (unsigned j = 0; j < hdx::NR_NS; j++) scnprintf(cells[j], sizeof(cells[j]), "N=%u", hdx::NS[j]);
        print_row("mode", cells);
        unsigned sent = 0, drained = 0, late = 0, overruns = 0;
        for (unsigned m = 0; m < HDX_NR_MODES; m++) {
            for (unsigned j = 0; j < hdx::NR_NS; j++) {
                const hdx_result& r = t.cell[c][m][j];
                scnprintf(cells[j], sizeof(cells[j]), "%u (%u)", r.late_calls, r.late_with_data);
                sent += r.sent;
                drained += r.drained;
                late += r.late_bytes;
                overruns += r.overruns;
            }
            print_row(hdx_mode_name((hdx_mode)m), cells);
        }
        for (unsigned j = 0; j < hdx::NR_NS; j++) {
            const hdx_result& r = t.cell[c][(unsigned)hdx_mode::unlazy_ack][j];
            scnprintf(cells[j], sizeof(cells[j]), "%u -> %u", r.irr_before, r.irr_after);
        }
        print_row("IRR ack", cells);
        shell_printf("  bytes: %u sent = %u drained + %u found late + %u overruns: %s\n", sent, drained, late, overruns,
                     sent == drained + late + overruns ? "all accounted for" : "MISMATCH");
        explain_chip(t, c);
    }
    if (t.nr_chips == 2) {
        shell_printf("\nThe chips differ only in irq_disable: %s masks the line in disable_irq_nosync (Linux's\n",
                     t.chip[0]);
        shell_printf("i8259.c); %s has none, so the line is disabled lazily and a request that arrives\n", t.chip[1]);
        shell_puts("meanwhile is remembered as IRQS_PENDING and replayed by enable_irq (as on Linux's IO-APIC).\n");
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
    print_intro();
    hdx_table t;
    int err = halfduplex_run_table(*bus, &t);
    print_table(t);
    return err;
}

}  // namespace

SHELL_COMMAND("halfduplex", "COM2 loopback as a half-duplex bus: late handler calls after enable_irq; halfduplex probe",
              cmd_halfduplex);
