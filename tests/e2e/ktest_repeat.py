#!/usr/bin/env python3
"""The in-kernel tests stand alone: boot the normal ISO, type some keys, and run `ktest` from the shell
several times in the same boot, typed both on the serial line and on the keyboard (QEMU monitor
`sendkey`, so that the Enter key's release arrives while the run has begun). Every run must report every
test ok (a skip is allowed only where the first run skipped too, so a test cannot slip from ok to skip),
with a complete plan; and the keyboard line must be left as the first run found it: the same status
flags (no IRQ_NOPROBE left behind by enable_irq), depth 0, nothing pending, and no unhandled interrupt
counted.

  ktest_repeat.py ISO OUTDIR      writes OUTDIR/ktest-repeat.results and OUTDIR/ktest-repeat.serial.log"""
import os
import re
import sys

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emu   # noqa: E402
import ktap  # noqa: E402

RUNS = 3
BOOT_TIMEOUT = 60
RUN_TIMEOUT = 120     # one ktest run takes a few seconds under TCG
KEYS_BEFORE = "abc"   # typed on the keyboard before the first run, then erased with Ctrl-U


def irq_state(q, irq):
    """`irq N` parsed: {'status', 'dstate', 'istate', 'depth', 'unhandled': int, 'text': str}."""
    out = q.command(f"irq {irq}").replace("\r", "")
    state = {"text": out}
    for key, rx in (("status", r"^  status:\s+0x([0-9a-f]+)"), ("istate", r"^  istate:\s+0x([0-9a-f]+)"),
                    ("dstate", r"^  dstate:\s+0x([0-9a-f]+)"),
                    ("depth", r"^  depth:\s+(\d+)"), ("unhandled", r"irqs_unhandled (\d+)")):
        m = re.search(rx, out, re.M)
        state[key] = int(m.group(1), 16 if key in ("status", "istate", "dstate") else 10) if m else None
    return state


def run_ktest(q, via_keyboard):
    """Start `ktest` (typed on serial, or pressed on the keyboard) and return its KTAP text."""
    start = q.mark()
    if via_keyboard:
        for key in "ktest":
            q.monitor_cmd(f"sendkey {key}")
        q.monitor_cmd("sendkey ret")   # released 100 ms later: during the run
    else:
        q.type("ktest\r")
    m = q.wait_for(r"ktest: -?\d+ failed\r?\n", RUN_TIMEOUT, start)
    q.wait_for(r"irqos> ", 20, m.end())
    return q.text()[start:m.end()].replace("\r", "")


def check_run(n, text, first):
    """Why run n is not clean (None if it is). `first`: {name: status} of run 1 (None for run 1 itself)."""
    k = ktap.parse(text)
    lines = ktap.check_lines(k, f"run-{n}")
    bad = [l[len("FAIL "):] for l in lines if l.startswith("FAIL")]
    statuses = {r[1]: r[2] for r in k.results}
    if first is not None:
        for name, st in statuses.items():
            if st == "SKIP" and first.get(name) != "SKIP":
                bad.append(f"{name} skipped, but ran in the first run")
        if set(statuses) != set(first):
            bad.append(f"the set of tests changed: {sorted(set(first) ^ set(statuses))}")
    if "ktest: 0 failed" not in text:
        bad.append("the shell did not report 'ktest: 0 failed'")
    return ("; ".join(bad[:6]) or None), statuses


def main():
    iso, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    log = os.path.join(outdir, "ktest-repeat.serial.log")
    open(log, "w").close()
    results = []

    def record(name, why):
        line = f"{'PASS' if why is None else 'FAIL'} ktest-repeat/{name}" + (f": {why}" if why else "")
        results.append(line)
        print(f"  {line}", flush=True)

    try:
        if not os.path.exists(iso):
            raise RuntimeError(f"no ISO {iso}")
        with emu.QemuSession(iso, log_path=log) as q:
            q.wait_for(r"irqos> ", BOOT_TIMEOUT)
            for key in KEYS_BEFORE:
                q.monitor_cmd(f"sendkey {key}")
            q.wait_for(KEYS_BEFORE, 10)
            q.type("\x15")   # Ctrl-U: the typed keys leave the line, their IRQs stay counted
            before = irq_state(q, 1)
            first = None
            for n in range(1, RUNS + 1):
                text = run_ktest(q, via_keyboard=(n == 2))
                why, statuses = check_run(n, text, first)
                first = statuses if first is None else first
                record(f"run-{n}-all-ok" + ("-typed-on-the-keyboard" if n == 2 else ""), why)
            after = irq_state(q, 1)
            problems = []
            if None in before.values() or None in after.values():
                problems.append(f"cannot read `irq 1`: {after['text'][:200]!r}")
            else:
                if "IRQ_NOPROBE" in after["text"] and "IRQ_NOPROBE" not in before["text"]:
                    problems.append("IRQ_NOPROBE left set")
                if after["status"] != before["status"]:
                    problems.append(f"status 0x{before['status']:08x} -> 0x{after['status']:08x}")
                if after["dstate"] != before["dstate"]:
                    problems.append(f"dstate 0x{before['dstate']:08x} -> 0x{after['dstate']:08x}")
                if after["depth"] != 0 or after["istate"] != before["istate"]:
                    problems.append(f"depth {after['depth']}, istate 0x{after['istate']:08x}")
                if after["unhandled"] > before["unhandled"]:
                    problems.append(f"irqs_unhandled {before['unhandled']} -> {after['unhandled']}")
            record("irq1-left-as-found", "; ".join(problems) or None)
    except Exception as e:   # a dead QEMU or a timeout fails the step, never passes it
        record("session", f"{type(e).__name__}: {e}")
    with open(os.path.join(outdir, "ktest-repeat.results"), "w") as f:
        f.write("\n".join(results) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
