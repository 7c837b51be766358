"""Moving the edu's interrupt between the two CPUs of a QEMU -smp 2 boot and checking where its raises land,
for the e2e checks of an IO-APIC line (ioapic_affinity_e2e.py) and of an MSI (edu_msi_e2e.py): the same
shell commands and the same per-CPU accounting, whatever chip delivers the line."""
import re

import emu

RAISED = re.compile(r"edu 00:04\.0: raised (\d+), served (\d+) \(handler calls \+(\d+): handled \+(\d+), "
                    r"not mine \+(\d+)\)")


def columns(q, irq):
    """The `interrupts` row of `irq` as (per-CPU counts, the rest of the line), or None."""
    for line in emu.clean(q.command("interrupts")).splitlines():
        m = re.match(rf"\s*{irq}:((?:\s+\d+)+)\s+(\S.*)$", line)
        if m:
            return [int(x) for x in m.group(1).split()], m.group(2).strip()
    return None


def move_and_raise(q, outdir, notes, irq, target, after_move=None):
    """`irq N affinity target`, then `edu raise 5`: None when the move was answered and all 5 landed in
    `target`'s column of the line's row, else what went wrong. `after_move(q, target)` may check the
    chip's own state once the line moved (None when fine, else the reason). Notes go to e2e-NOTES.notes."""
    out = emu.clean(q.command(f"irq {irq} affinity {target}"))
    emu.note(outdir, notes, f"irqos> irq {irq} affinity {target}\n{out}")
    if f"IRQ {irq}: affinity {target}, effective {target}" not in out:
        return f"irq {irq} affinity {target} said: {out!r}"
    if after_move:
        err = after_move(q, target)
        if err:
            return err
    before = columns(q, irq)
    out = emu.clean(q.command("edu raise 5"))
    after = columns(q, irq)
    emu.note(outdir, notes, f"irqos> edu raise 5\n{out}\nIRQ {irq} per CPU: {before} -> {after}")
    m = RAISED.search(out)
    if not m or m.groups() != ("5", "5", "5", "5", "0"):
        return f"edu raise 5 said: {out!r}"
    if not before or not after or len(before[0]) != 2 or len(after[0]) != 2:
        return f"IRQ {irq} row with two CPU columns expected: {before} / {after}"
    grew = [a - b for a, b in zip(after[0], before[0])]
    want = [5 if cpu == target else 0 for cpu in range(2)]
    return None if grew == want else f"IRQ {irq} per-CPU growth {grew}, expected {want}"
