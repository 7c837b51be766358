"""End-to-end check of moving an IO-APIC line between CPUs from the shell (run by shell_e2e.py, one job per
function in CHECKS; each function takes (iso, outdir, check) and records its results through
`check(name, fn)`).

QEMU -smp 2, the edu on its INTx line (IRQ 11, IO-APIC pin 11, level): `irq 11 affinity 1` answers
"IRQ 11: affinity 1, effective 1", then `edu raise 5` is served 5 times and the CPU1 column of IRQ 11's
row in `interrupts` grows by exactly 5 while CPU0's stays; `irq 11 affinity 0` brings it back, and the
next 5 land in the CPU0 column. Standalone: `python3 tests/e2e/ioapic_affinity_e2e.py ISO OUTDIR`.
"""
import os
import sys

import edu_affinity
import emu

BOOT_TIMEOUT = 60
IRQ = 11


def affinity(iso, outdir, check):
    log = os.path.join(outdir, "e2e-ioapic-affinity.serial.log")
    open(log, "w").close()
    with emu.QemuSession(iso, extra=["-smp", "2"], log_path=log) as q:
        check("ioapic-affinity-boot-to-prompt", lambda: q.wait_for(r"irqos> ", BOOT_TIMEOUT) and None)

        def intx():
            out = emu.clean(q.command("edu mode intx"))
            return None if "INTx" in out else f"edu mode intx said: {out!r}"
        check("ioapic-affinity-edu-on-intx", intx)

        def move(target):
            return edu_affinity.move_and_raise(q, outdir, "ioapic-affinity", IRQ, target)
        check("ioapic-affinity-irq11-to-cpu1", lambda: move(1))
        check("ioapic-affinity-irq11-back-to-cpu0", lambda: move(0))


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
