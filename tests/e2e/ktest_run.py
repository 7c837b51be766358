#!/usr/bin/env python3
"""Run the in-kernel tests (an ISO whose command line has `ktest`) in QEMU or Bochs and write one results
line per KTAP test, plus one for the verdict the kernel reported at the end of the run.

  ktest_run.py qemu|bochs ISO OUTDIR [NAME [CPUS]]

QEMU's verdict is its exit status (isa-debug-exit: 33 pass, 35 fail); Bochs's is the serial line
"IRQOS-VERDICT: PASS|FAIL". Either must agree with the KTAP results, or the verdict check fails.
NAME (default ktest-EMU) names the outputs, OUTDIR/NAME.serial.log and OUTDIR/NAME.results, and the
results' prefix (EMU; EMU-plain for NAME ktest-plain), so that one emulator can run several ISOs.
CPUS (QEMU only) boots that many CPUs (-smp); without it QEMU has one and Bochs emu.BOCHS_CPUS.
A NAME with "noapic" says the ISO boots with `noapic` (the 8259 pair in charge): the 8259 tests must run
there, the IO-APIC tests in the other runs (APIC mode).
While the emulator runs, each KTAP result is printed as it arrives on serial ("[ktest-qemu 3/40] ok ..."),
so a long run shows its progress."""
import os
import sys
import threading
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emu   # noqa: E402
import ktap  # noqa: E402

QEMU_TIMEOUT = 120    # seconds; a normal run takes a few
BOCHS_TIMEOUT = 180
# Tests that may skip on one emulator but must run on another: there a skip would hide a failure.
# Bochs's 8259 drops a vanished edge request from IRR, so the spurious IRQ7 can always be provoked there
# (QEMU's keeps it latched and the test skips).
MUST_RUN = {
    # QEMU runs always get `-device edu` (emu.QEMU_BASE): there the edu tests skip only if the driver broke.
    "qemu": ("edu.pci_configuration", "edu.raise_n_is_handled_exactly_n_times",
             "edu.faulty_handler_returns_none_and_leaves_the_device_asserting",
             "edu.interrupt_on_a_disabled_line_is_not_served", "edu.rebind_keeps_serving"),
}
# The 8259 tests run where the 8259 pair delivers the interrupts: in the `noapic` runs (ktest-noapic). In
# APIC mode they skip, and the IO-APIC's own tests must run instead: edu's INTx on QEMU, and the MIS path
# on both emulators (QEMU's IO-APIC has the EOI register, Bochs's version 0x11 does not).
MUST_RUN_PIC = {"bochs": ("pic.provoked_spurious_irq7_is_counted_not_dispatched",)}
MUST_RUN_APIC = {
    "qemu": ("ioapic.edu_intx_is_handled_exactly_once_per_raise", "ioapic.a_second_sharer_on_the_edu_pin_sees_every_interrupt",
             "ioapic.level_taken_as_edge_counts_mis_and_is_ended_at_the_ioapic",
             "edu_msi.each_raise_is_one_message_handled_once"),
    "bochs": ("ioapic.level_taken_as_edge_counts_mis_and_is_ended_at_the_ioapic",),
}
# With several CPUs the cross-CPU tests must run (with one CPU they skip for want of a target).
MUST_RUN_SMP = ("smp.call_single_nowait_lands_later", "smp.reschedule_ipi_is_counted_on_its_target")
# ... and on QEMU (which has the edu) the IO-APIC line moved between CPUs.
MUST_RUN_SMP_QEMU = ("ioapic.edu_intx_follows_its_affinity_to_cpu1_and_back",
                     "edu_msi.msi_follows_its_affinity_to_cpu1_and_back")


def follow(path, label, done, poll=0.5):
    """Print each KTAP result line appended to `path` until `done` is set (the emulator has ended)."""
    offset, plan, partial = 0, "?", ""
    while True:
        finished = done.is_set()
        try:
            with open(path, encoding="latin-1") as f:
                f.seek(offset)
                chunk = f.read()
                offset = f.tell()
        except OSError:
            chunk = ""
        lines = (partial + chunk).split("\n")
        partial = lines.pop()
        for raw in lines:
            line = raw.strip()
            m = ktap.PLAN.match(line)
            if m:
                plan = m.group(1)
            m = ktap.RESULT.match(line)
            if m:
                print(f"  [{label} {m.group(2)}/{plan}] {line}", flush=True)
        if finished:
            return
        time.sleep(poll)


def run_followed(fn, log, label):
    """Run fn() (an emulator batch run writing serial to `log`) while printing its KTAP progress."""
    open(log, "w").close()
    done = threading.Event()
    t = threading.Thread(target=follow, args=(log, label, done), daemon=True)
    t.start()
    try:
        return fn()
    finally:
        done.set()
        t.join()


def main():
    which, iso, outdir = sys.argv[1], sys.argv[2], sys.argv[3]
    name = sys.argv[4] if len(sys.argv) > 4 else f"ktest-{which}"
    suffix = name.removeprefix("ktest-").removeprefix(f"{which}-")  # ktest-bochs-noapic -> noapic
    prefix = which if name == f"ktest-{which}" else f"{which}-{suffix}"
    cpus = int(sys.argv[5]) if len(sys.argv) > 5 else (emu.BOCHS_CPUS if which == "bochs" else 1)
    noapic = "noapic" in name  # PIC mode: the 8259 tests must run; no other CPU is started without the APIC
    by_mode = MUST_RUN_PIC if noapic else MUST_RUN_APIC
    must_run = MUST_RUN.get(which, ()) + by_mode.get(which, ()) + (MUST_RUN_SMP + (MUST_RUN_SMP_QEMU if which == "qemu" else ()) if cpus > 1 and not noapic else ())
    os.makedirs(outdir, exist_ok=True)
    log = os.path.join(outdir, f"{name}.serial.log")
    results = os.path.join(outdir, f"{name}.results")
    lines = []
    if not os.path.exists(iso):
        lines.append(f"FAIL {prefix}/boot: no ISO {iso}")
    elif which == "qemu":
        extra = ["-smp", str(cpus)] if cpus > 1 else None
        code = run_followed(lambda: emu.qemu_batch(iso, log, QEMU_TIMEOUT, extra), log, name)
        text = open(log, encoding="latin-1").read() if os.path.exists(log) else ""
        k = ktap.parse(text)
        lines += ktap.check_lines(k, prefix, must_run)
        failed = any(l.startswith("FAIL") for l in lines)
        want = emu.EXIT_FAIL if failed else emu.EXIT_PASS
        if code is None:
            lines.append(f"FAIL {prefix}/verdict: QEMU still running after {QEMU_TIMEOUT}s")
        elif code != want:
            lines.append(f"FAIL {prefix}/verdict: exit status {code}, expected {want} "
                         f"({'0: triple fault?' if code == 0 else 'isa-debug-exit 33 pass / 35 fail'})")
        else:
            lines.append(f"PASS {prefix}/verdict: exit status {code}")
    else:
        status = run_followed(lambda: emu.bochs_batch(iso, log, os.path.join(outdir, f"{name}.bochs.log"),
                                                      BOCHS_TIMEOUT), log, name)
        text = open(log, encoding="latin-1").read() if os.path.exists(log) else ""
        k = ktap.parse(text)
        lines += ktap.check_lines(k, prefix, must_run)
        failed = any(l.startswith("FAIL") for l in lines)
        want = "IRQOS-VERDICT: FAIL" if failed else "IRQOS-VERDICT: PASS"
        verdicts = [l.strip() for l in text.splitlines() if l.startswith("IRQOS-VERDICT:")]
        if status is None:
            lines.append(f"FAIL {prefix}/verdict: Bochs still running after {BOCHS_TIMEOUT}s")
        elif set(verdicts) != {want}:
            lines.append(f"FAIL {prefix}/verdict: serial has {verdicts or 'no verdict line'}, expected '{want}'")
        else:
            lines.append(f"PASS {prefix}/verdict: {want}")
    with open(results, "w") as f:
        f.write("\n".join(lines) + "\n")
    for l in lines:
        if not l.startswith("PASS"):
            print(f"  {l}")
    print(f"  {name}: {sum(l.startswith('PASS') for l in lines)} passed, "
          f"{sum(l.startswith('FAIL') for l in lines)} failed, {sum(l.startswith('SKIP') for l in lines)} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
