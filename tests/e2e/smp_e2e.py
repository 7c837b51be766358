"""End-to-end checks of SMP (run by shell_e2e.py, one job per function in CHECKS; each function takes
(iso, outdir, check) and records its results through `check(name, fn)`).

QEMU -smp 4: the boot log brings up CPUs 1-3 in Linux's words ("smp: Bringing up secondary CPUs ...",
"smp: Brought up 1 node, 4 CPUs"); `cpus` lists CPUs 0-3 online with APIC IDs 0-3 (QEMU numbers its
local APICs from 0); each CPU's LOC (its own LAPIC timer ticks) grows between two `cpus`; and `cpus`
with -smp 1 lists the boot CPU alone. Standalone: `python3 tests/e2e/smp_e2e.py ISO OUTDIR`.
"""
import os
import re
import sys
import time

import emu

BOOT_TIMEOUT = 60
COMMAND_TIMEOUT = 30
ROW = re.compile(r"^\s*(\d+|-)\s+(\d+|-)\s+(online|offline|failed)(?:\s+(\d+)\s+(\d+)\s+(\d+))?\s*$")


def parse_cpus(out):
    """[(cpu, apic, state, loc)] from `cpus` output (cpu and loc None where the row has none)."""
    rows = []
    for line in emu.clean(out).splitlines():
        m = ROW.match(line)
        if m:
            cpu = None if m.group(1) == "-" else int(m.group(1))
            apic = None if m.group(2) == "-" else int(m.group(2))
            rows.append((cpu, apic, m.group(3), int(m.group(4)) if m.group(4) else None))
    return rows


def smp4(iso, outdir, check):
    log = os.path.join(outdir, "e2e-smp4.serial.log")
    open(log, "w").close()
    with emu.QemuSession(iso, extra=["-smp", "4"], log_path=log) as q:
        check("smp4-boot-to-prompt", lambda: q.wait_for(r"irqos> ", BOOT_TIMEOUT) and None)
        boot = emu.clean(q.text())

        def boot_log():
            for want in ("smp: Bringing up secondary CPUs ...", "smp: Brought up 1 node, 4 CPUs"):
                if want not in boot:
                    return f"no {want!r} in the boot log"
            if "did not respond" in boot:
                return "a CPU did not respond to INIT-SIPI-SIPI"
            return None
        check("smp4-boot-log-brings-up-4-cpus", boot_log)

        first = emu.clean(q.command("cpus", COMMAND_TIMEOUT))
        emu.note(outdir, "smp", f"irqos> cpus\n{first}")

        def listing():
            rows = parse_cpus(first)
            want = [(c, c, "online") for c in range(4)]
            got = [(cpu, apic, state) for cpu, apic, state, _ in rows]
            if got != want:
                return f"`cpus` rows {got}, expected {want}: {first!r}"
            if "4 CPUs online" not in first:
                return f"no '4 CPUs online' line: {first!r}"
            return None
        check("smp4-cpus-lists-four-online-cpus", listing)

        def every_cpu_ticks():
            time.sleep(1.0)
            second = emu.clean(q.command("cpus", COMMAND_TIMEOUT))
            emu.note(outdir, "smp", f"irqos> cpus\n{second}")
            a, b = parse_cpus(first), parse_cpus(second)
            if len(a) != 4 or len(b) != 4:
                return f"`cpus` did not list 4 CPUs twice: {first!r} / {second!r}"
            for (cpu, _, _, loc0), (_, _, _, loc1) in zip(a, b):
                if loc1 is None or loc0 is None or loc1 <= loc0:
                    return f"CPU{cpu}: LOC did not grow ({loc0} -> {loc1})"
            return None
        check("smp4-every-cpu-ticks", every_cpu_ticks)


def smp1(iso, outdir, check):
    log = os.path.join(outdir, "e2e-smp1.serial.log")
    open(log, "w").close()
    with emu.QemuSession(iso, extra=["-smp", "1"], log_path=log) as q:
        check("smp1-boot-to-prompt", lambda: q.wait_for(r"irqos> ", BOOT_TIMEOUT) and None)
        out = emu.clean(q.command("cpus", COMMAND_TIMEOUT))
        emu.note(outdir, "smp", f"irqos> cpus (-smp 1)\n{out}")

        def alone():
            rows = parse_cpus(out)
            if [(cpu, state) for cpu, _, state, _ in rows] != [(0, "online")]:
                return f"`cpus` with -smp 1: {out!r}"
            return None if "1 CPU online" in out else f"no '1 CPU online': {out!r}"
        check("smp1-cpus-lists-the-boot-cpu-alone", alone)


CHECKS = [smp4, smp1]


if __name__ == "__main__":
    results = []

    def _check(name, fn):
        err = fn()
        results.append(f"{'FAIL' if err else 'PASS'} e2e/{name}{': ' + err if err else ''}")
    os.makedirs(sys.argv[2], exist_ok=True)
    for f in CHECKS:
        f(sys.argv[1], sys.argv[2], _check)
    print("\n".join(results))
