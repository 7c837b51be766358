"""End-to-end check of moving an IO-APIC line between CPUs from the shell (run by shell_e2e.py, one job per
function in CHECKS; each function takes (iso, outdir, check) and records its results through
`check(name, fn)`).

QEMU -smp 2, the edu on its INTx line (IRQ 11, IO-APIC pin 11, level): `irq 11 affinity 1` answers
"IRQ 11: affinity 1, effective 1", then `edu raise 5` is served 5 times and the CPU1 column of IRQ 11's
row in `interrupts` grows by exactly 5 while CPU0's stays; `irq 11 affinity 0` brings it back, and the
next 5 land in the CPU0 column. Standalone: `python3 tests/e2e/ioapic_affinity_e2e.py ISO OUTDIR`.
"""
import os
import re
import sys

import emu

BOOT_TIMEOUT = 60
IRQ = 11
RAISED = re.compile(r"edu 00:04\.0: raised (\d+), served (\d+) \(handler calls \+(\d+): handled \+(\d+), "
                    r"not mine \+(\d+)\)")


def columns(q, irq):
    """The per-CPU counts of `irq`'s `interrupts` row as a list, or None."""
    for line in emu.clean(q.command("interrupts")).splitlines():
        m = re.match(rf"\s*{irq}:((?:\s+\d+)+)\s+(\S.*)$", line)
        if m:
            return [int(x) for x in m.group(1).split()]
    return None


def move_and_raise(q, outdir, target):
    """Move IRQ 11 to `target`, raise 5: None when all 5 landed in `target`'s column, else what went wrong."""
    out = emu.clean(q.command(f"irq {IRQ} affinity {target}"))
    emu.note(outdir, "ioapic-affinity", f"irqos> irq {IRQ} affinity {target}\n{out}")
    if f"IRQ {IRQ}: affinity {target}, effective {target}" not in out:
        return f"irq {IRQ} affinity {target} said: {out!r}"
    before = columns(q, IRQ)
    out = emu.clean(q.command("edu raise 5"))
    after = columns(q, IRQ)
    emu.note(outdir, "ioapic-affinity", f"irqos> edu raise 5\n{out}\nIRQ {IRQ} per CPU: {before} -> {after}")
    m = RAISED.search(out)
    if not m or m.groups() != ("5", "5", "5", "5", "0"):
        return f"edu raise 5 said: {out!r}"
    if not before or not after or len(before) != 2 or len(after) != 2:
        return f"IRQ {IRQ} row with two CPU columns expected: {before} / {after}"
    grew = [a - b for a, b in zip(after, before)]
    want = [5 if cpu == target else 0 for cpu in range(2)]
    return None if grew == want else f"IRQ {IRQ} per-CPU growth {grew}, expected {want}"


def affinity(iso, outdir, check):
    log = os.path.join(outdir, "e2e-ioapic-affinity.serial.log")
    open(log, "w").close()
    with emu.QemuSession(iso, extra=["-smp", "2"], log_path=log) as q:
        check("ioapic-affinity-boot-to-prompt", lambda: q.wait_for(r"irqos> ", BOOT_TIMEOUT) and None)

        def intx():
            out = emu.clean(q.command("edu mode intx"))
            return None if "INTx" in out else f"edu mode intx said: {out!r}"
        check("ioapic-affinity-edu-on-intx", intx)
        check("ioapic-affinity-irq11-to-cpu1", lambda: move_and_raise(q, outdir, 1))
        check("ioapic-affinity-irq11-back-to-cpu0", lambda: move_and_raise(q, outdir, 0))


CHECKS = [affinity]


if __name__ == "__main__":
    results = []

    def _check(name, fn):
        err = fn()
        results.append(f"{'FAIL' if err else 'PASS'} e2e/{name}{': ' + err if err else ''}")
    os.makedirs(sys.argv[2], exist_ok=True)
    for f in CHECKS:
        f(sys.argv[1], sys.argv[2], _check)
    print("\n".join(results))
