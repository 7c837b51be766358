"""End-to-end checks of the interrupt-line commands, `pic` and the lazy-disable scenario on QEMU (run by
shell_e2e.py, one job per function in CHECKS; each function takes (iso, outdir, check) and records its
results through `check(name, fn)`):

- disable_irq / disable_irq_nosync / enable_irq typed on the serial shell print the depth and state
  bits after each; an unbalanced enable_irq gets Linux's warning; IRQ_DISABLE_UNLAZY set and cleared;
  the timer and serial console lines are refused without -f; bad numbers, lines with no chip and
  refused flags get -EINVAL;
- `pic` names the set bits' lines (the ELCR's level line is the edu's), and a key pressed (QEMU monitor
  `sendkey`) while the keyboard line is disabled on XT-PIC waits in the IRR until enable_irq;
- `lazy` runs to its verdict with the exact table: on XT-PIC-lazy the line is not masked by disable_irq,
  the interrupt sets PENDING and is replayed once; on XT-PIC it is masked at once and waits in the IRR.
  Afterwards both lines are back on XT-PIC at depth 0.
"""
import os
import re
import sys

import emu

BOOT_TIMEOUT = 60
LAZY_TIMEOUT = 30
EDU_BOOT = re.compile(r"edu 00:04\.0: version \d+\.\d+, BAR0 0x[0-9a-f]+, IRQ (\d+) \(INTA\), shared\n")
TABLE_ROW = re.compile(r"IRQ (\d+)\s+(edge|level)\s+(XT-PIC-lazy|XT-PIC)\s+(yes|no)\s+(\d+)\s+(set|-)\s+(set|-)\s+"
                       r"(\d+)\s+(\d+)\n")


def expect(q, outdir, line, *wanted):
    """Run `line`; None if every string in `wanted` is in its output, else the complaint."""
    out = emu.clean(q.command(line))
    emu.note(outdir, "lazy", f"irqos> {line}\n{out}")
    for w in wanted:
        if w not in out:
            return f"`{line}`: expected {w!r} in {out!r}"
    return None


def commands_and_pic(iso, outdir, check):
    log = os.path.join(outdir, "e2e-lazy.serial.log")
    open(log, "w").close()
    with emu.QemuSession(iso, log_path=log) as q:
        check("lazy-boot-to-prompt", lambda: q.wait_for(r"irqos> ", BOOT_TIMEOUT) and None)
        m = EDU_BOOT.search(emu.clean(q.text()))
        irq = int(m.group(1)) if m else 11

        def depth_commands():
            steps = [
                (f"disable_irq {irq}", f"IRQ {irq}: depth 1, IRQD_IRQ_DISABLED IRQD_IRQ_MASKED [XT-PIC level]\n"),
                (f"disable_irq_nosync {irq}", f"IRQ {irq}: depth 2, IRQD_IRQ_DISABLED IRQD_IRQ_MASKED [XT-PIC level]\n"),
                (f"enable_irq {irq}", f"IRQ {irq}: depth 1, IRQD_IRQ_DISABLED IRQD_IRQ_MASKED [XT-PIC level]\n"),
                (f"enable_irq {irq}", f"IRQ {irq}: depth 0, enabled, unmasked [XT-PIC level]\n"),
                (f"enable_irq {irq}", f"Unbalanced enable for IRQ {irq}\n",
                 f"enable_irq: IRQ {irq} was not disabled (depth 0): unbalanced, nothing changed: -EINVAL\n"),
            ]
            for line, *wanted in steps:
                err = expect(q, outdir, line, *wanted)
                if err:
                    return err
            return None
        check("lazy-e2e-depth-commands-print-depth-and-state", depth_commands)

        def lazy_chip_and_unlazy():
            steps = [
                (f"pic lazy {irq} on", f"IRQ {irq}: depth 0, enabled, unmasked [XT-PIC-lazy level]\n"),
                (f"disable_irq {irq}", f"IRQ {irq}: depth 1, IRQD_IRQ_DISABLED [XT-PIC-lazy level]\n"),
                (f"enable_irq {irq}", f"IRQ {irq}: depth 0, enabled, unmasked [XT-PIC-lazy level]\n"),
                (f"irq_set_status_flags {irq} IRQ_DISABLE_UNLAZY",
                 f"IRQ {irq}: depth 0, enabled, unmasked [XT-PIC-lazy level, IRQ_DISABLE_UNLAZY]\n"),
                (f"disable_irq_nosync {irq}",
                 f"IRQ {irq}: depth 1, IRQD_IRQ_DISABLED IRQD_IRQ_MASKED [XT-PIC-lazy level, IRQ_DISABLE_UNLAZY]\n"),
                (f"enable_irq {irq}", f"IRQ {irq}: depth 0, enabled, unmasked [XT-PIC-lazy level, IRQ_DISABLE_UNLAZY]\n"),
                (f"irq_clear_status_flags {irq} IRQ_DISABLE_UNLAZY",
                 f"IRQ {irq}: depth 0, enabled, unmasked [XT-PIC-lazy level]\n"),
                ("pic", f"lines on XT-PIC-lazy: {irq}\n"),
                (f"pic lazy {irq} off", f"IRQ {irq}: depth 0, enabled, unmasked [XT-PIC level]\n"),
            ]
            for line, *wanted in steps:
                err = expect(q, outdir, line, *wanted)
                if err:
                    return err
            return None
        check("lazy-e2e-lazy-chip-and-unlazy-flag", lazy_chip_and_unlazy)

        def refusals():
            steps = [
                ("disable_irq 4", "disable_irq: IRQ 4 is COM1, the serial console",
                 "disable_irq: not done; add -f to disable it anyway: -EBUSY\n"),
                ("disable_irq_nosync 0", "disable_irq_nosync: IRQ 0 is the timer",
                 "disable_irq_nosync: not done; add -f to disable it anyway: -EBUSY\n"),
                ("disable_irq 300", "disable_irq: invalid IRQ number '300' (0..255): -EINVAL\n"),
                ("enable_irq 20", "enable_irq: IRQ 20 has no interrupt chip (nothing is wired to it): -EINVAL\n"),
                (f"irq_set_status_flags {irq} IRQ_LEVEL", "IRQ_LEVEL cannot be changed from the shell"),
                (f"irq_set_status_flags {irq} BOGUS", "unknown flag 'BOGUS' (try IRQ_DISABLE_UNLAZY): -EINVAL\n"),
                ("pic lazy 2 on", "pic: IRQ 2 is not an 8259 device line"),
                ("irq 4", "  depth:    0\n"),   # the refused disable changed nothing
                ("irq 0", "  depth:    0\n"),
            ]
            for line, *wanted in steps:
                err = expect(q, outdir, line, *wanted)
                if err:
                    return err
            return None
        check("lazy-e2e-refusals-answered", refusals)

        def pic_view():
            out = emu.clean(q.command("pic"))
            emu.note(outdir, "lazy", "irqos> pic\n" + out)
            regs = {}
            for name in ("IRR", "ISR", "IMR", "ELCR"):
                m = re.search(rf"^{name}\s+0x([0-9a-f]{{2}})\s+0x([0-9a-f]{{2}})\s+(.*)$", out, re.M)
                if not m:
                    return f"no {name} row in {out!r}"
                regs[name] = (int(m.group(1), 16) | int(m.group(2), 16) << 8, m.group(3))
            imr, imr_names = regs["IMR"]
            if imr & 0x0007:
                return f"IMR 0x{imr:04x}: the timer, keyboard and cascade lines must be unmasked"
            if f"{irq} edu" not in regs["ELCR"][1] or not regs["ELCR"][0] & (1 << irq):
                return f"ELCR row {regs['ELCR']}: IRQ {irq} (edu) should be level"
            if "slave's INT drives the master's IR2 (IRQ 2, cascade)" not in out:
                return "the cascade is not shown"
            return None
        check("lazy-e2e-pic-names-the-lines", pic_view)

        def key_waits_in_irr():
            before = int(re.search(r"^\s*1:\s+(\d+)", emu.clean(q.command("interrupts")), re.M).group(1))
            err = expect(q, outdir, "disable_irq 1 -f", "IRQ 1: depth 1, IRQD_IRQ_DISABLED IRQD_IRQ_MASKED [XT-PIC level]")
            if err:
                return err
            q.monitor_cmd("sendkey shift")   # press and release: two scancodes, no character
            out = ""
            for _ in range(20):
                out = emu.clean(q.command("pic"))
                if re.search(r"^IRR\s+0x\w\w\s+0x\w\w\s+.*\b1 i8042", out, re.M):
                    break
            emu.note(outdir, "lazy", "irqos> pic (key pressed, IRQ 1 disabled)\n" + out)
            if not re.search(r"^IRR\s+0x\w\w\s+0x\w\w\s+.*\b1 i8042", out, re.M):
                return f"the key's request is not in the IRR: {out!r}"
            mid = int(re.search(r"^\s*1:\s+(\d+)", emu.clean(q.command("interrupts")), re.M).group(1))
            if mid != before:
                return f"IRQ 1 counted {mid - before} interrupts while masked"
            err = expect(q, outdir, "enable_irq 1", "IRQ 1: depth 0, enabled, unmasked [XT-PIC level]")
            if err:
                return err
            after = before
            for _ in range(20):
                after = int(re.search(r"^\s*1:\s+(\d+)", emu.clean(q.command("interrupts")), re.M).group(1))
                if after >= before + 2:
                    break
            if after != before + 2:
                return f"IRQ 1 count grew by {after - before} after enable_irq, expected 2 (press + release)"
            return None
        check("lazy-e2e-masked-key-waits-in-irr-until-enable", key_waits_in_irr)


def scenario(iso, outdir, check):
    log = os.path.join(outdir, "e2e-lazy-scenario.serial.log")
    open(log, "w").close()
    with emu.QemuSession(iso, log_path=log) as q:
        check("lazy-scenario-boot-to-prompt", lambda: q.wait_for(r"irqos> ", BOOT_TIMEOUT) and None)
        m = EDU_BOOT.search(emu.clean(q.text()))
        irq = int(m.group(1)) if m else 11

        def verdict():
            out = emu.clean(q.command("lazy", LAZY_TIMEOUT))
            emu.note(outdir, "lazy", "irqos> lazy\n" + out)
            if "lazy: PASS, every case as Linux\n" not in out:
                return f"no PASS verdict: {out[-800:]!r}"
            rows = TABLE_ROW.findall(out)
            want = [
                (str(irq), "level", "XT-PIC-lazy", "no", "0", "set", "set", "1", "1"),
                (str(irq), "level", "XT-PIC", "yes", "0", "-", "set", "1", "1"),
                ("1", "edge", "XT-PIC-lazy", "no", "0", "set", "-", "1", "1"),
                ("1", "edge", "XT-PIC", "yes", "0", "-", "set", "1", "1"),
            ]
            if rows != want:
                return f"table {rows}, expected {want}"
            for text in ("check_irq_resend: edge line, software resend", "check_irq_resend: level line, PENDING "
                         "cleared, -EINVAL", "XT-PIC has irq_disable = mask: the 8259 line is masked at once",
                         f"IRQ {irq}: depth 1, IRQD_IRQ_DISABLED IRQD_IRQ_MASKED IRQS_PENDING [XT-PIC-lazy level]",
                         "IRQ 1: depth 1, IRQD_IRQ_DISABLED IRQD_IRQ_MASKED IRQS_PENDING [XT-PIC-lazy edge]"):
                if text not in out:
                    return f"missing {text!r}"
            return None
        check("lazy-scenario-verdict-and-table", verdict)

        def restored():
            for line in (irq, 1):
                out = emu.clean(q.command(f"irq {line}"))
                if "XT-PIC-lazy" in out or "  depth:    0\n" not in out or "IRQS_PENDING" in out:
                    return f"IRQ {line} not restored: {out!r}"
            err = expect(q, outdir, "lazy edge", "lazy: PASS, every case as Linux\n")   # and again
            return err
        check("lazy-scenario-restores-and-runs-again", restored)


CHECKS = [commands_and_pic, scenario]


if __name__ == "__main__":   # a quick local run: python3 tests/e2e/lazy_e2e.py ISO OUTDIR
    os.makedirs(sys.argv[2], exist_ok=True)
    failed = 0

    def _check(name, fn):
        global failed
        try:
            err = fn()
        except Exception as e:   # noqa: BLE001
            err = f"{type(e).__name__}: {e}"
        print(("ok   " if not err else "FAIL ") + name + ("" if not err else f": {err}"), flush=True)
        failed += bool(err)
    for fn in CHECKS:
        fn(sys.argv[1], sys.argv[2], _check)
    sys.exit(1 if failed else 0)
