#!/usr/bin/env python3
"""`make bench`: the instruction count of the interrupt dispatch path, measured from outside the guest. An
ISO boots in QEMU with its gdb stub; at the shell prompt tools/bench_gdb.py single-steps one interrupt from
its IDT vector stub to iretq, stepping over the handler, for each line below. When the handler woke a
thread that preempts the interrupted one (a key wakes the shell), the path ends where the return switches
to it (preempt_schedule_irq): the thread's own work is not the dispatch path's. The line's vector is read
from the shell (`irq N`'s "vector:" row), so nothing here knows the vector layout.

  APIC mode (the default image), at -smp 1 and at -smp 4:
    ioapic-edge   the RTC, IRQ 8: IO-APIC pin, handle_edge_irq (its periodic interrupt, `rtc start 16`)
    ioapic-level  the edu's INTx line: IO-APIC pin, level, handle_fasteoi_irq (`edu mode intx`, `edu raise 1`)
    msi           the edu's MSI: PCI-MSI, handle_edge_irq (`edu mode msi`, `edu raise 1`)
  PIC mode (the image with `noapic`), -smp 1:
    pic-timer     IRQ 0 through the 8259, handle_level_irq (the PIT's tick)
    pic-keyboard  IRQ 1 through the 8259, handle_level_irq (a key pressed through QEMU's monitor)

Then, on the -smp 1 boots, the shell requests a shared do-nothing handler on every other legacy line
(`dummy_irq`), so that all the lines there are are requested, and the same lines are measured again: the
dispatch path must not grow with the number of lines.

Then the storm (kernel/scenario/storm.cpp) in another boot under `-icount shift=0`, where the TSC counts
instructions and one tick at HZ=1000 is exactly 1,000,000 of them: `storm edu` makes the edu device's level
line storm with a handler returning IRQ_NONE until the spurious detector disables it. Reported: the
instructions from the raise to containment (the guest's TSC delta) and the instructions per storm
interrupt in steady state (a tick's instructions divided by the storm interrupts that tick took, the
median over the ticks inside the storm, from `irqrate dump`).

Then the call-function IPI round trip in a last boot, -smp 2 under -icount shift=0 (QEMU then runs the
vCPUs round-robin on one thread, and the TSC counts the instructions of both CPUs): `smpcall 1 200` times
200 waiting smp_call_function_single calls of an empty function from CPU 0 to CPU 1 (send, CPU 1's
entry, EOI, queue flush, unlock, the sender seeing it), min / median / max.

Reported per path: before (vector entry to the handler's first instruction), after (handler return to
iretq, inclusive) and total, min/median/max over the samples, beside the committed baseline figures
(tools/bench-baseline.txt) and, for ioapic-edge and msi, beside the target of 200 instructions. Nothing
about the figures is asserted: a figure over its target is printed as such, and the run fails only when a
measurement could not be made.

  bench.py ISO NOAPIC_ISO ELF OUTDIR [RESULTS]   exits non-zero if a measurement could not be made; with
                                                 RESULTS, also writes "PASS|FAIL bench/..." lines there."""
import os
import re
import select
import socket
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import emu   # noqa: E402

SAMPLES = 5
GDB_TIMEOUT = 60   # seconds for one measurement; stepping one takes well under one
ATTEMPTS = 2       # a run whose emulator or gdb stops answering is started over once
NR_LEGACY_LINES = 16
TARGET = 200       # instructions: the edge and MSI dispatch paths in APIC mode
TARGETED = ("ioapic-edge", "msi")
ROW = re.compile(r"^\s*(\d+):")
BENCH = re.compile(r"^BENCH line=(\S+) irq=(\d+) vector=(\d+) before=(\d+) after=(\d+) total=(\d+)")
VECTOR = re.compile(r"^\s*vector:\s+CPU(\d+):0x([0-9a-f]+)\s*$", re.M)
EDU_LINE = re.compile(r"edu \S+: IRQ (\d+) \((level|edge)")
BASELINE = os.path.join(HERE, "bench-baseline.txt")

# The paths of each mode (prepare() finds each one's IRQ and causes its interrupt).
APIC_LINES = ["ioapic-edge", "ioapic-level", "msi"]
PIC_LINES = ["pic-timer", "pic-keyboard"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Gdb:
    """tools/bench_gdb.py in a gdb process: commands go to its standard input, lines come back."""

    def __init__(self, elf, port, log):
        env = dict(os.environ, IRQOS_ELF=os.path.abspath(elf), IRQOS_GDB_PORT=str(port))
        self.log = log
        self.buf = b""
        self.proc = subprocess.Popen(["gdb", "-q", "-nx", "-batch", "-x", os.path.join(HERE, "bench_gdb.py")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     env=env, bufsize=0)

    def ask(self, text):
        self.proc.stdin.write(text.encode() + b"\n")
        self.proc.stdin.flush()

    def until(self, prefix, timeout=GDB_TIMEOUT):
        """The next line starting with `prefix` (or an error line); RuntimeError after `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in self.buf:
                raw, self.buf = self.buf.split(b"\n", 1)
                line = raw.decode(errors="replace")
                self.log.write(line + "\n")
                if line.startswith(prefix) or line.startswith("BENCH-ERROR"):
                    return line.strip()
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                raise RuntimeError(f"gdb said nothing starting with '{prefix}' within {timeout} s "
                                   f"(log: {self.log.name})")
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                raise RuntimeError(f"gdb ended before '{prefix}' (log: {self.log.name})")
            self.buf += chunk

    def close(self):
        try:
            self.ask("quit")
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except Exception:
            self.proc.kill()
            self.proc.wait()


def line_vector(qemu, irq):
    """The vector IRQ `irq` arrives on, from the shell's `irq N` ("vector: CPU0:0x31"). One vector: a
    line in the middle of a move cannot be measured."""
    out = emu.clean(qemu.command(f"irq {irq}"))
    found = VECTOR.findall(out)
    if len(found) != 1 or not found[0][1]:
        raise RuntimeError(f"irq {irq}: expected one vector, got {found} in: {out.strip()[-300:]}")
    return int(found[0][1], 16)


def edu_line(qemu, mode):
    """Switch the edu to `mode` (intx or msi) and return its IRQ number."""
    out = emu.clean(qemu.command(f"edu mode {mode}"))
    status = emu.clean(qemu.command("edu status"))
    m = EDU_LINE.search(status)
    want = "edge" if mode == "msi" else "level"
    if not m or m.group(2) != want:
        raise RuntimeError(f"edu mode {mode}: {out.strip()} / {status.strip()[:200]}")
    return int(m.group(1))


def press_key(qemu):
    """A key press through QEMU's monitor, once the guest runs again: gdb prints READY just before it
    resumes the guest, and QEMU drops input events while the guest is stopped. A press is two interrupts
    (make and break code); the surplus only means that a later sample may take a queued code."""
    time.sleep(0.3)
    qemu.monitor_cmd("sendkey a")


def prepare(qemu, path):
    """(irq, trigger) for a path: trigger(sample) causes the line's next interrupt(s), without
    waiting."""
    if path == "ioapic-edge":   # the RTC's periodic interrupt: one edge per period, by itself
        out = emu.clean(qemu.command("rtc start 16"))
        if "periodic interrupt: on" not in out:
            raise RuntimeError(f"rtc start 16: {out.strip()}")
        return 8, lambda i: None
    if path == "pic-keyboard":
        return 1, lambda i: press_key(qemu)
    if path == "pic-timer":
        return 0, lambda i: None   # the PIT ticks by itself
    irq = edu_line(qemu, "intx" if path == "ioapic-level" else "msi")
    return irq, lambda i: qemu.type("edu raise 1\r", delay=0)


def measure_round(qemu, gdb_factory, tag, results, paths):
    """Each path SAMPLES times. gdb is attached only while a path is measured, so that the shell runs
    (to switch the edu's mode, to read the vector) in between."""
    for path in paths:
        irq, trigger = prepare(qemu, path)
        vector = line_vector(qemu, irq)
        start = qemu.mark()
        gdb = gdb_factory()
        try:
            for i in range(SAMPLES):
                gdb.ask(f"{vector} {irq} {path}")
                ready = gdb.until("READY")
                if not ready.startswith("READY"):
                    raise RuntimeError(ready)
                trigger(i)
                line = gdb.until("BENCH")
                m = BENCH.match(line)
                if not m:
                    raise RuntimeError(line)
                results.setdefault((tag, path, irq), []).append((int(m.group(4)), int(m.group(5)),
                                                                 int(m.group(6))))
            gdb.ask("quit")   # detach: the shell must run again
            gdb.until("BENCH-GDB-DONE")
        finally:
            gdb.close()
        if path == "ioapic-edge":
            qemu.command("rtc stop")
        if path in ("ioapic-level", "msi"):   # every raise's command line gets its prompt back
            for _ in range(SAMPLES):
                m = qemu.wait_for(r"irqos> ", 30, start)
                start = m.end()
        qemu.type("\x15")   # Ctrl-U: forget the keys the keyboard measurements typed
        qemu.command("")


def baseline():
    rows = {}
    if os.path.exists(BASELINE):
        for raw in open(BASELINE):
            w = raw.split()
            if len(w) == 4 and not raw.startswith("#"):
                rows[w[0]] = (int(w[1]), int(w[2]), int(w[3]))
            elif len(w) == 2 and not raw.startswith("#"):   # storm figures: name value
                rows[w[0]] = (float(w[1]),)
    return rows


STORM_CONTAINED = re.compile(r"storm: contained: IRQ (\d+) disabled by the spurious detector after (\d+) interrupts")
STORM_CYCLES = re.compile(r"\((\d+) jiffies at HZ=(\d+); (\d+) TSC cycles")
STORM_TIMEOUT = 600   # seconds: a storm under icount runs a few seconds of wall time


def measure_storm(iso, outdir):
    """`storm edu` under -icount shift=0. Returns a dict of figures; raises with the reason otherwise."""
    with emu.QemuSession(iso, extra=["-icount", "shift=0"],
                         log_path=os.path.join(outdir, "bench.storm.serial.log")) as qemu:
        qemu.wait_for(r"irqos> ", 120)
        out = qemu.command("storm edu", timeout=STORM_TIMEOUT)
        dump = qemu.command("irqrate dump", timeout=120)
    m, c = STORM_CONTAINED.search(out), STORM_CYCLES.search(out)
    if not m or not c:
        raise RuntimeError("storm edu did not report a containment: " + out.strip()[-300:])
    irq, taken = int(m.group(1)), int(m.group(2))
    hz, total = int(c.group(2)), int(c.group(3))
    counts = []
    for row in dump.replace("\r", "").splitlines():
        f = row.split()
        if len(f) == 17 and all(x.isdigit() for x in f):
            counts.append(int(f[1 + irq]))
    inside = [n for n in counts if n]
    inside = inside[1:-1]   # the first and last storm ticks are partial
    if not inside:
        raise RuntimeError("no full tick inside the storm in the rate record")
    per_irq = (10 ** 9 // hz) / statistics.median(inside)
    return {"irq": irq, "taken": taken, "total": total, "per_irq": per_irq, "ticks": len(inside) + 2, "hz": hz}


SMPCALL = re.compile(r"smpcall: CPU0 -> CPU1 round trip over (\d+) calls: min (\d+) median (\d+) max (\d+)")
SMPCALL_CALLS = 200
# In-guest figures of the scheduler (and, as they are added, of the bottom halves), measured in one boot
# on -smp 2 under -icount shift=0 by shell commands that print "min X median Y max Z TSC cycles".
# (key, command, what it measures)
GUEST_BENCHES = [
    ("context-switch", "schedbench switch 200",
     "context switch: schedule() in one SCHED_FIFO thread to its return in the other, same CPU"),
    ("wakeup-ipi", "schedbench wakeipi 1 200",
     "wake-up IPI round trip: CPU 0 wakes a thread on CPU 1, which wakes it back (both from idle)"),
    ("softirq", "bhbench softirq 200", "raise_softirq (bottom halves off) to its handler, run by local_bh_enable"),
    ("tasklet", "bhbench tasklet 200", "tasklet_schedule (bottom halves off) to the tasklet, run by local_bh_enable"),
    ("work-same-cpu", "bhbench work 0 200", "queue_work_on this CPU to the work function on its kworker"),
    ("work-other-cpu", "bhbench work 1 200", "queue_work_on CPU 1 from CPU 0 to the work function there"),
]
MIN_MED_MAX = re.compile(r"min (\d+) median (\d+) max (\d+) TSC cycles")


def measure_ipi(iso, outdir):
    """`smpcall 1 200` and the GUEST_BENCHES commands on -smp 2 under -icount shift=0. Returns
    {key: (min, median, max)} with key "ipi" for smpcall; raises if one gives no figures."""
    out = {}
    with emu.QemuSession(iso, extra=["-icount", "shift=0", "-smp", "2"],
                         log_path=os.path.join(outdir, "bench.ipi.serial.log")) as qemu:
        qemu.wait_for(r"irqos> ", 120)
        text = qemu.command(f"smpcall 1 {SMPCALL_CALLS}", timeout=120)
        m = SMPCALL.search(emu.clean(text))
        if not m:
            raise RuntimeError("smpcall gave no round trip: " + text.strip()[-300:])
        out["ipi"] = (int(m.group(2)), int(m.group(3)), int(m.group(4)))
        for key, cmd, _ in GUEST_BENCHES:
            text = qemu.command(cmd, timeout=120)
            m = MIN_MED_MAX.search(emu.clean(text))
            if not m:
                raise RuntimeError(f"`{cmd}` gave no figures: " + text.strip()[-300:])
            out[key] = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return out


def with_retry(what, measure):
    """(figures, "") from measure(), which boots its own emulator; (None, the last error) when every
    attempt failed. A failed attempt (emulator trouble) is reported and started over once."""
    err = ""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return measure(), ""
        except Exception as e:
            err = str(e)
            print(f"bench: {what} attempt {attempt} failed: {err}")
    return None, err


def fmt(values):
    return f"{min(values)} / {int(statistics.median(values))} / {max(values)}"


def run_once(iso, elf, outdir, config, extra, paths, all_lines):
    """One boot: the paths, then (all_lines) every other legacy line requested and the paths again.
    Returns (ok, error text, results)."""
    port = free_port()
    results = {}
    with open(os.path.join(outdir, f"bench.{config}.gdb.log"), "w") as log, \
            emu.QemuSession(iso, extra=["-gdb", f"tcp:127.0.0.1:{port}"] + extra,
                            log_path=os.path.join(outdir, f"bench.{config}.serial.log")) as qemu:
        try:
            qemu.wait_for(r"irqos> ", 120)
            measure_round(qemu, lambda: Gdb(elf, port, log), f"{config}", results, paths)
            if not all_lines:
                return True, "", results
            # Every legacy line without an owner gets a dummy_irq handler. Not the edu's INTx line (its
            # handler must stay the line's first action, the one stepped over) and, in APIC mode, not
            # IRQ 2: there the cascade has no pin (GSI 2 is the timer's IRQ 0).
            apic = "IO-APIC" in qemu.command("interrupts")
            edu_intx = edu_line(qemu, "intx") if "ioapic-level" in paths else None
            owned = {int(m.group(1)) for m in map(ROW.match, qemu.command("interrupts").splitlines()) if m}
            free = [i for i in range(NR_LEGACY_LINES)
                    if i not in owned and i != edu_intx and not (apic and i == 2)]
            out = qemu.command("dummy_irq " + " ".join(str(i) for i in free)) if free else ""
            if out.strip():   # the command prints nothing when every request succeeded
                raise RuntimeError(f"dummy_irq: {out.strip()}")
            measure_round(qemu, lambda: Gdb(elf, port, log), f"{config}+all", results, paths)
            return True, "", results
        except Exception as e:   # reported by the caller; the attempt counts as failed
            return False, str(e), results


BOOTS = [  # (configuration, which ISO, extra QEMU arguments, paths, then all lines requested)
    ("smp1", "apic", ["-smp", "1"], APIC_LINES, True),
    ("smp4", "apic", ["-smp", "4"], APIC_LINES, False),
    ("pic", "noapic", ["-smp", "1"], PIC_LINES, True),
]


def main():
    iso, noapic_iso, elf, outdir = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    os.makedirs(outdir, exist_ok=True)
    ok, errors, results = True, [], {}
    for config, which, extra, paths, all_lines in BOOTS:
        for attempt in range(1, ATTEMPTS + 1):
            done, err, got = run_once(iso if which == "apic" else noapic_iso, elf, outdir, config, extra, paths,
                                      all_lines)
            if done:
                results.update(got)
                break
            print(f"bench: {config} attempt {attempt} failed: {err}")
        else:
            ok = False
            errors.append(f"{config}: {err}")
    err = "; ".join(errors)
    base = baseline()
    print("irqos dispatch path, instructions from the IDT vector stub to iretq with the handler excluded")
    print("(measured from outside the guest by single-stepping through QEMU's gdb stub; min / median / max;")
    print(" configuration: smp1 / smp4 = APIC mode on 1 / 4 CPUs, pic = the 8259 pair; +all = with every")
    print(" other legacy line requested too)")
    print(f"{'path':<22}{'config':>10}  {'before':>17}  {'after':>17}  {'total':>17}  {'baseline':>15}  target")
    order = {p: i for i, p in enumerate(APIC_LINES + PIC_LINES)}
    for (tag, name, irq), vals in sorted(results.items(), key=lambda kv: (order[kv[0][1]], kv[0][0])):
        b = base.get(f"{name}-{tag.split('+')[0]}")
        med = int(statistics.median(v[2] for v in vals))
        target = (f"{TARGET} {'met' if med <= TARGET else 'MISSED'}") if name in TARGETED else "-"
        print(f"{name + ' (IRQ ' + str(irq) + ')':<22}{tag:>10}  {fmt([v[0] for v in vals]):>17}  "
              f"{fmt([v[1] for v in vals]):>17}  {fmt([v[2] for v in vals]):>17}  "
              f"{(str(b[2]) + ' (' + str(b[0]) + '+' + str(b[1]) + ')') if b else '-':>15}  {target}")
    medians = {(tag, name): statistics.median(v[2] for v in vals) for (tag, name, _), vals in results.items()}
    for (tag, name), med in sorted(medians.items()):
        if tag.endswith("+all"):
            few = medians.get((tag[:-4], name))
            if few is not None:
                print(f"{name} ({tag[:-4]}): every line requested {'costs the same as' if few == med else 'DIFFERS from'}"
                      f" the lines alone ({int(med)} vs {int(few)})")
    for name in APIC_LINES:
        one, four = medians.get(("smp1", name)), medians.get(("smp4", name))
        if one is not None and four is not None:
            print(f"{name}: 4 CPUs {'cost the same as' if one == four else 'DIFFER from'} 1 ({int(four)} vs {int(one)})")
    for (tag, name, irq), vals in sorted(results.items()):
        med = sorted(vals, key=lambda v: v[2])[len(vals) // 2]
        print(f"BENCH path={name} irq={irq} config={tag} before={med[0]} after={med[1]} total={med[2]}")
    if not ok:
        print(f"bench: FAILED: {err}")
    storm, storm_err = with_retry("storm", lambda: measure_storm(iso, outdir))
    print("irqos interrupt storm (storm edu, handler returning IRQ_NONE), under -icount shift=0")
    if storm:
        b = base.get("storm-per-irq"), base.get("storm-total")
        print(f"  interrupts until containment      {storm['taken']:>12}")
        print(f"  instructions, raise to containment {storm['total']:>12}   baseline {b[1][0] if b[1] else '-'}")
        print(f"  instructions per storm interrupt   {storm['per_irq']:>12.1f}   baseline {b[0][0] if b[0] else '-'}"
              f"   (median over {storm['ticks'] - 2} full ticks)")
        print(f"BENCH storm irq={storm['irq']} taken={storm['taken']} total={storm['total']} "
              f"per_irq={storm['per_irq']:.1f}")
    guest, ipi_err = with_retry("IPI", lambda: measure_ipi(iso, outdir))
    ipi = guest["ipi"] if guest else None
    print("irqos call-function IPI round trip (smp_call_function_single, wait), -smp 2 under -icount shift=0")
    if ipi:
        b = base.get("ipi-round-trip")
        print(f"  instructions, CPU 0 -> CPU 1 -> CPU 0 {fmt(list(ipi)):>17}   baseline {b[0] if b else '-'}"
              f"   (both CPUs' instructions; min / median / max over {SMPCALL_CALLS})")
        print(f"BENCH ipi min={ipi[0]} median={ipi[1]} max={ipi[2]}")
    if guest:
        print("irqos scheduler, in-guest TSC under -icount shift=0 (instructions; min / median / max), -smp 2")
        for key, cmd, what in GUEST_BENCHES:
            v = guest[key]
            b = base.get(key)
            print(f"  {key:<16} {fmt(list(v)):>22}   baseline {b[0] if b else '-':>8}   {what}")
            print(f"BENCH {key} min={v[0]} median={v[1]} max={v[2]}")
    if len(sys.argv) > 5:
        with open(sys.argv[5], "w") as f:
            f.write("PASS bench/completes\n" if ok else f"FAIL bench/completes: {err}\n")
            f.write("PASS bench/storm\n" if storm else f"FAIL bench/storm: {storm_err}\n")
            f.write("PASS bench/ipi\n" if ipi else f"FAIL bench/ipi: {ipi_err}\n")
    return 0 if ok and storm and ipi else 1


if __name__ == "__main__":
    sys.exit(main())
