#!/usr/bin/env python3
"""`make bench`: the instruction count of the interrupt dispatch path of the default image, measured from
outside the guest. The ISO boots in QEMU with its gdb stub; at the shell prompt tools/bench_gdb.py
single-steps one interrupt from its IDT vector stub to iretq, stepping over the handler, for the timer
(IRQ 0) and the keyboard (IRQ 1, a key pressed through QEMU's monitor). Then the shell requests a shared
do-nothing handler on every other legacy line (`dummy_irq`), so that 16 lines are requested, and the same
lines are measured again: the dispatch path must not grow with the number of lines.

Then the storm (kernel/scenario/storm.cpp) in a second boot under `-icount shift=0`, where the TSC counts
instructions and one tick at HZ=1000 is exactly 1,000,000 of them: `storm edu` makes the edu device's level
line storm with a handler returning IRQ_NONE until the spurious detector disables it. Reported: the
instructions from the raise to containment (the guest's TSC delta) and the instructions per storm
interrupt in steady state (a tick's instructions divided by the storm interrupts that tick took, the
median over the ticks inside the storm, from `irqrate dump`).

Then the call-function IPI round trip in a third boot, -smp 2 under -icount shift=0 (QEMU then runs the
vCPUs round-robin on one thread, and the TSC counts the instructions of both CPUs): `smpcall 1 200` times
200 waiting smp_call_function_single calls of an empty function from CPU 0 to CPU 1 (send, CPU 1's
entry, EOI, queue flush, unlock, the sender seeing it), min / median / max.

In APIC mode the PIT is stopped once the local APIC timer has the tick, so IRQ 0 no longer fires and the
timer line is not measured (the boot log's "PIT stopped" says so); the keyboard line still is.

Reported per path: before (vector entry to the handler's first instruction), after (handler return to
iretq, inclusive) and total, min/median/max over the samples, beside the committed baseline figures
(tools/bench-baseline.txt). Nothing about the figures is asserted.

  bench.py ISO ELF OUTDIR [RESULTS]   exits non-zero if a measurement could not be made; with RESULTS,
                                      also writes "PASS|FAIL bench/completes" and "PASS|FAIL bench/storm"
                                      there (make test)."""
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
LINES = [(0x30, 0, "timer"), (0x31, 1, "keyboard")]   # ISA_IRQ_VECTOR(0), (1) in PIC mode
NR_LEGACY_LINES = 16
ROW = re.compile(r"^\s*(\d+):")
BENCH = re.compile(r"^BENCH line=(\S+) irq=(\d+) vector=(\d+) before=(\d+) after=(\d+) total=(\d+)")
BASELINE = os.path.join(HERE, "bench-baseline.txt")


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


def measure_round(qemu, gdb, tag, results, lines):
    for vector, irq, name in lines:
        for _ in range(SAMPLES):
            gdb.ask(f"{vector} {irq} {name}")
            ready = gdb.until("READY")
            if not ready.startswith("READY"):
                raise RuntimeError(ready)
            if name == "keyboard":
                qemu.monitor_cmd("sendkey a")
            line = gdb.until("BENCH")
            m = BENCH.match(line)
            if not m:
                raise RuntimeError(line)
            results.setdefault((tag, name, irq), []).append((int(m.group(4)), int(m.group(5)), int(m.group(6))))


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


def measure_ipi(iso, outdir):
    """`smpcall 1 200` on -smp 2 under -icount shift=0. Returns (min, median, max); raises otherwise."""
    with emu.QemuSession(iso, extra=["-icount", "shift=0", "-smp", "2"],
                         log_path=os.path.join(outdir, "bench.ipi.serial.log")) as qemu:
        qemu.wait_for(r"irqos> ", 120)
        out = qemu.command(f"smpcall 1 {SMPCALL_CALLS}", timeout=120)
    m = SMPCALL.search(emu.clean(out))
    if not m:
        raise RuntimeError("smpcall gave no round trip: " + out.strip()[-300:])
    return int(m.group(2)), int(m.group(3)), int(m.group(4))


def fmt(values):
    return f"{min(values)} / {int(statistics.median(values))} / {max(values)}"


def run_once(iso, elf, outdir):
    """One boot: both rounds of measurements. Returns (ok, error text, results)."""
    port = free_port()
    results = {}
    with open(os.path.join(outdir, "bench.gdb.log"), "w") as log, \
            emu.QemuSession(iso, extra=["-gdb", f"tcp:127.0.0.1:{port}"],
                            log_path=os.path.join(outdir, "bench.serial.log")) as qemu:
        try:
            qemu.wait_for(r"irqos> ", 60)
            # APIC mode: the PIT is stopped, IRQ 0 never fires again.
            lines = [l for l in LINES if l[2] != "timer" or "PIT stopped" not in qemu.text()]
            if len(lines) != len(LINES):
                print("bench: timer (IRQ 0) not measured: the PIT is stopped, the local APIC timer has the tick")
            gdb = Gdb(elf, port, log)
            try:
                measure_round(qemu, gdb, "2 lines", results, lines)
                gdb.ask("quit")   # detach: the shell must run to request the other lines
                gdb.until("BENCH-GDB-DONE")
            finally:
                gdb.close()
            qemu.type("\x15")   # Ctrl-U: forget the keys the keyboard measurements typed
            # Every legacy line without an owner gets a dummy_irq handler: then all 16 are requested.
            owned = {int(m.group(1)) for m in map(ROW.match, qemu.command("interrupts").splitlines()) if m}
            free = [i for i in range(NR_LEGACY_LINES) if i not in owned]
            out = qemu.command("dummy_irq " + " ".join(str(i) for i in free)) if free else ""
            if out.strip():   # the command prints nothing when every request succeeded
                raise RuntimeError(f"dummy_irq: {out.strip()}")
            gdb = Gdb(elf, port, log)
            try:
                measure_round(qemu, gdb, "16 lines", results, lines)
            finally:
                gdb.close()
            return True, "", results
        except Exception as e:   # reported by the caller; the attempt counts as failed
            return False, str(e), results


def main():
    iso, elf, outdir = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(outdir, exist_ok=True)
    ok, err, results = False, "", {}
    for attempt in range(1, ATTEMPTS + 1):
        ok, err, results = run_once(iso, elf, outdir)
        if ok:
            break
        print(f"bench: attempt {attempt} failed: {err}")
    base = baseline()
    print("irqos dispatch path, instructions from the IDT vector stub to iretq with the handler excluded")
    print("(measured from outside the guest by single-stepping through QEMU's gdb stub; min / median / max)")
    print(f"{'path':<22}{'lines':>9}  {'before':>17}  {'after':>17}  {'total':>17}  {'baseline total':>15}")
    for (tag, name, irq), vals in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        b = base.get(name)
        print(f"{name + ' (IRQ ' + str(irq) + ')':<22}{tag:>9}  {fmt([v[0] for v in vals]):>17}  "
              f"{fmt([v[1] for v in vals]):>17}  {fmt([v[2] for v in vals]):>17}  "
              f"{(str(b[2]) + ' (' + str(b[0]) + '+' + str(b[1]) + ')') if b else '-':>15}")
    for name in sorted({k[1] for k in results}):
        two = results.get(("2 lines", name, 0 if name == "timer" else 1))
        many = results.get(("16 lines", name, 0 if name == "timer" else 1))
        if two and many:
            same = statistics.median(v[2] for v in two) == statistics.median(v[2] for v in many)
            print(f"{name}: 16 lines requested {'cost the same as' if same else 'DIFFER from'} 2")
    for (tag, name, irq), vals in sorted(results.items()):
        med = sorted(vals, key=lambda v: v[2])[len(vals) // 2]
        print(f"BENCH path={name} irq={irq} lines={tag.split()[0]} before={med[0]} after={med[1]} total={med[2]}")
    if not ok:
        print(f"bench: FAILED: {err}")
    storm, storm_err = None, ""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            storm = measure_storm(iso, outdir)
            break
        except Exception as e:   # emulator trouble: one fresh attempt
            storm_err = str(e)
            print(f"bench: storm attempt {attempt} failed: {storm_err}")
    print("irqos interrupt storm (storm edu, handler returning IRQ_NONE), under -icount shift=0")
    if storm:
        b = base.get("storm-per-irq"), base.get("storm-total")
        print(f"  interrupts until containment      {storm['taken']:>12}")
        print(f"  instructions, raise to containment {storm['total']:>12}   baseline {b[1][0] if b[1] else '-'}")
        print(f"  instructions per storm interrupt   {storm['per_irq']:>12.1f}   baseline {b[0][0] if b[0] else '-'}"
              f"   (median over {storm['ticks'] - 2} full ticks)")
        print(f"BENCH storm irq={storm['irq']} taken={storm['taken']} total={storm['total']} "
              f"per_irq={storm['per_irq']:.1f}")
    ipi, ipi_err = None, ""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            ipi = measure_ipi(iso, outdir)
            break
        except Exception as e:   # emulator trouble: one fresh attempt
            ipi_err = str(e)
            print(f"bench: IPI attempt {attempt} failed: {ipi_err}")
    print("irqos call-function IPI round trip (smp_call_function_single, wait), -smp 2 under -icount shift=0")
    if ipi:
        b = base.get("ipi-round-trip")
        print(f"  instructions, CPU 0 -> CPU 1 -> CPU 0 {fmt(list(ipi)):>17}   baseline {b[0] if b else '-'}"
              f"   (both CPUs' instructions; min / median / max over {SMPCALL_CALLS})")
        print(f"BENCH ipi min={ipi[0]} median={ipi[1]} max={ipi[2]}")
    if len(sys.argv) > 4:
        with open(sys.argv[4], "w") as f:
            f.write("PASS bench/completes\n" if ok else f"FAIL bench/completes: {err}\n")
            f.write("PASS bench/storm\n" if storm else f"FAIL bench/storm: {storm_err}\n")
            f.write("PASS bench/ipi\n" if ipi else f"FAIL bench/ipi: {ipi_err}\n")
    return 0 if ok and storm and ipi else 1


if __name__ == "__main__":
    sys.exit(main())
