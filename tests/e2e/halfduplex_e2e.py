"""End-to-end checks of the half-duplex echo (run by shell_e2e.py, one job per function in CHECKS; each
function takes (iso, outdir, check) and records its results through `check(name, fn)`).

`halfduplex` typed on QEMU's serial shell prints, for each 8259 flavour (XT-PIC, XT-PIC-lazy), the late
handler calls per mode and N with the calls that found data, the IRR bit around the acknowledgement, the
byte accounting and the reasons. The figures are QEMU's (tests/kernel/test_halfduplex.cpp derives them):
- XT-PIC: disable_irq_nosync masks at once; QEMU's 8259 keeps the first edge latched in IRR: 1 late call
  in every mode and N, finding nothing; the IRR bit is set before and after the ack.
- XT-PIC-lazy: lazy: the first echo's interrupt is marked IRQS_PENDING and replayed by enable_irq (1),
  and from N = 2 on an edge is latched while masked (1 more); unlazy and unlazy+ack: 1.
The same table must come out twice in a row, and again after a COM2 storm and its restore.
Standalone: `python3 tests/e2e/halfduplex_e2e.py ISO OUTDIR`.
"""
import os
import re
import sys

import emu

BOOT_TIMEOUT = 60
COMMAND_TIMEOUT = 60
NS = (1, 2, 16, 64)
EXPECTED = {   # chip -> mode -> [(late calls, of them with data) per N]
    "XT-PIC": {"lazy": [(1, 0)] * 4, "unlazy": [(1, 0)] * 4, "unlazy+ack": [(1, 0)] * 4},
    "XT-PIC-lazy": {"lazy": [(1, 0), (2, 0), (2, 0), (2, 0)], "unlazy": [(1, 0)] * 4,
                    "unlazy+ack": [(1, 0)] * 4},
}
EXPECTED_IRR = {"XT-PIC": [(1, 1)] * 4, "XT-PIC-lazy": [(1, 1)] * 4}   # unlazy+ack: IRR before -> after
SENT_PER_CHIP = 3 * sum(NS)   # three modes, every N


def parse_table(out):
    """{chip: {"rows": {mode: [(late, data)...]}, "irr": [(before, after)...], "bytes": (...), "why": text}}"""
    chips = {}
    cur = None
    for line in emu.clean(out).splitlines():
        m = re.match(r"^chip (\S+): late calls", line)
        if m:
            cur = chips.setdefault(m.group(1), {"rows": {}, "irr": None, "bytes": None, "why": ""})
            continue
        if cur is None:
            continue
        m = re.match(r"^  (lazy|unlazy|unlazy\+ack) +((?:\d+ \(\d+\) *){4})$", line)
        if m:
            cur["rows"][m.group(1)] = [(int(a), int(b)) for a, b in re.findall(r"(\d+) \((\d+)\)", m.group(2))]
            continue
        m = re.match(r"^  IRR ack +((?:\d -> \d *){4})$", line)
        if m:
            cur["irr"] = [(int(a), int(b)) for a, b in re.findall(r"(\d) -> (\d)", m.group(1))]
            continue
        m = re.match(r"^  bytes: (\d+) sent = (\d+) drained \+ (\d+) found late \+ (\d+) overruns: (.*)$", line)
        if m:
            cur["bytes"] = tuple(int(x) for x in m.groups()[:4]) + (m.group(5),)
            continue
        cur["why"] += line + "\n"
    return chips


def table_problems(out):
    """None if `out` is the expected QEMU table, else what differs."""
    chips = parse_table(out)
    if list(chips) != ["XT-PIC", "XT-PIC-lazy"]:
        return f"chips {list(chips)}, expected XT-PIC then XT-PIC-lazy; output: {out[-600:]!r}"
    for chip, want in EXPECTED.items():
        got = chips[chip]
        if got["rows"] != want:
            return f"{chip}: rows {got['rows']}, expected {want}"
        if got["irr"] != EXPECTED_IRR[chip]:
            return f"{chip}: IRR around the ack {got['irr']}, expected {EXPECTED_IRR[chip]}"
        sent, drained, late, overruns, verdict = got["bytes"] or (0, 0, 0, 0, "missing")
        if (sent, drained, late, overruns, verdict) != (SENT_PER_CHIP, SENT_PER_CHIP, 0, 0, "all accounted for"):
            return f"{chip}: bytes {got['bytes']}, expected {SENT_PER_CHIP} sent, all drained"
    if "lazy and unlazy are the same" not in chips["XT-PIC"]["why"]:
        return "XT-PIC: no explanation that lazy and unlazy are the same (irq_disable masks at once)"
    if "replayed it in software" not in chips["XT-PIC-lazy"]["why"]:
        return "XT-PIC-lazy: no explanation of the IRQS_PENDING replay"
    for chip in chips:
        if "has no\n  command that drops a latched request" not in chips[chip]["why"]:
            return f"{chip}: the IRR evidence (the 8259A cannot drop a latched request) is not explained"
    return None


def halfduplex_checks(iso, outdir, check):
    log = os.path.join(outdir, "e2e-halfduplex.serial.log")
    open(log, "w").close()
    with emu.QemuSession(iso, log_path=log) as q:
        check("halfduplex-boot-to-prompt", lambda: q.wait_for(r"irqos> ", BOOT_TIMEOUT) and None)
        first = q.command("halfduplex", COMMAND_TIMEOUT)
        check("halfduplex-table-figures", lambda: table_problems(first))

        def repeatable():
            second = q.command("halfduplex", COMMAND_TIMEOUT)
            return None if parse_table(second) == parse_table(first) else "the second run printed other figures"
        check("halfduplex-table-same-on-every-run", repeatable)

        def line_left_free():
            out = emu.clean(q.command("irq 3"))
            if "actions:  (none)" not in out or "IRQS_PENDING" in out:
                return f"IRQ 3 not left free and quiet: {out!r}"
            return None
        check("halfduplex-leaves-irq3-free", line_left_free)

        def probe():
            out = emu.clean(q.command("halfduplex probe", COMMAND_TIMEOUT))
            want = ["echo: the byte sent came back to the receiver",
                    "receive interrupt with OUT2 set:   1 handler call(s)",
                    "receive interrupt with OUT2 clear: 1 handler call(s)",   # QEMU's 16550 ignores OUT2
                    "IRR bit 3 set while the echo waited, set after RBR was read",
                    "enable_irq afterwards: 1 handler call(s)"]
            missing = [w for w in want if w not in out]
            return f"missing {missing} in {out!r}" if missing else None
        check("halfduplex-probe-qemu-loopback", probe)

        def after_storm():
            out = emu.clean(q.command("storm com2", COMMAND_TIMEOUT))
            if "Disabling IRQ #3" not in out:
                return f"the COM2 storm was not contained: {out[-400:]!r}"
            out = emu.clean(q.command("halfduplex", COMMAND_TIMEOUT))
            if "-16" not in out and "failed" not in out:
                return "halfduplex ran while the storm's action still held IRQ 3"
            q.command("storm com2 restore", COMMAND_TIMEOUT)
            return table_problems(q.command("halfduplex", COMMAND_TIMEOUT))
        check("halfduplex-same-table-after-a-com2-storm", after_storm)


CHECKS = [halfduplex_checks]


if __name__ == "__main__":
    def _check(name, fn):
        try:
            why = fn()
        except Exception as e:   # noqa: BLE001 - report and go on, as shell_e2e.py does
            why = f"{type(e).__name__}: {e}"
        print(f"{'PASS' if why is None else 'FAIL'} e2e/{name}" + (f": {why}" if why else ""), flush=True)
    os.makedirs(sys.argv[2], exist_ok=True)
    for fn in CHECKS:
        fn(sys.argv[1], sys.argv[2], _check)
