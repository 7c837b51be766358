#!/usr/bin/env python3
"""`make bench`: boot the bench ISO (command line `bench`) in QEMU with -icount shift=0, so that rdtsc
counts guest instructions, and print the interrupt-path figures the kernel measured
(tests/kernel/bench.cpp): per line, instructions from vector entry to the handler's first instruction
and from the handler's return to iretq (min/median/max over the samples).

  bench.py ISO OUTDIR [RESULTS]   exits non-zero if the run does not complete with the pass verdict;
                                  with RESULTS, also writes "PASS|FAIL bench/completes" there (make test)."""
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import emu   # noqa: E402

TIMEOUT = 180   # icount makes the boot slower (~3 s) and the whole run some tens of seconds at most
LINE = re.compile(r"^BENCH (.*)$")


def main():
    iso, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    log = os.path.join(outdir, "bench.serial.log")
    # -icount forbids multi-threaded TCG: ask for the single-threaded one explicitly.
    code = emu.qemu_batch(iso, log, TIMEOUT, extra=["-icount", "shift=0", "-accel", "tcg,thread=single"])
    text = open(log, encoding="latin-1").read() if os.path.exists(log) else ""
    rows = []
    for raw in text.splitlines():
        m = LINE.match(raw.rstrip("\r"))
        if m:
            rows.append(dict(kv.split("=", 1) for kv in m.group(1).split() if "=" in kv))
    print("irqos interrupt-path instruction counts (QEMU -icount shift=0: rdtsc deltas are instructions)")
    print(f"{'line':<18}{'samples':>8}  {'vector entry -> handler':>24}  {'handler return -> iretq':>24}")
    print(f"{'':<18}{'':>8}  {'min / median / max':>24}  {'min / median / max':>24}")
    for r in rows:
        if "line" not in r:
            continue
        entry = f"{r.get('entry_min')} / {r.get('entry_med')} / {r.get('entry_max')}"
        exit_ = f"{r.get('exit_min')} / {r.get('exit_med')} / {r.get('exit_max')}"
        print(f"{r['line'] + ' (IRQ ' + r.get('irq', '?') + ')':<18}{r.get('samples', '?'):>8}  {entry:>24}  {exit_:>24}")
    for raw in text.splitlines():
        if raw.startswith("BENCH line="):
            print(raw.rstrip("\r"))   # the machine-readable form, as the kernel printed it
    done = "BENCH-DONE" in text
    ok = code == emu.EXIT_PASS and done and bool(rows)
    if len(sys.argv) > 3:
        with open(sys.argv[3], "w") as f:
            f.write(f"PASS bench/completes\n" if ok else
                    f"FAIL bench/completes: QEMU exit {code}, BENCH-DONE {'seen' if done else 'missing'}\n")
    if not ok:
        print(f"bench: run did not complete (QEMU exit {code}, BENCH-DONE {'seen' if done else 'missing'}); "
              f"serial log: {log}")
        for raw in text.splitlines()[-15:]:
            print("  | " + raw.rstrip("\r"))
        return 1
    print(f"(serial log: {log})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
