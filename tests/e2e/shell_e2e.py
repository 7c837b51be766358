#!/usr/bin/env python3
"""End-to-end checks of the running system in QEMU: type commands on the serial line and check the
answers; press keys through the QEMU monitor and check that the keyboard line's count in `interrupts`
grew by exactly the number of scancodes; and boot once per `crash=` kind (arch/x86/crashtest.cpp) to check
that each CPU exception ends in a full panic report and a halted CPU, never a reset or a triple fault.

  shell_e2e.py ISO OUTDIR KIND=CRASH_ISO... noapic=ISO   (mk/test.mk passes every kind crashtest.cpp knows,
                                                         and an ISO booting with `noapic` for the 8259 scenarios)
Boots run two at a time (the machine has two cores). Writes OUTDIR/e2e.results (PASS/FAIL lines) and
OUTDIR/e2e-*.serial.log."""
import concurrent.futures
import os
import re
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emu   # noqa: E402
import console_e2e   # noqa: E402
import halfduplex_e2e   # noqa: E402
import lazy_e2e   # noqa: E402
import pci_edu_e2e   # noqa: E402
import edu_msi_e2e   # noqa: E402
import ioapic_affinity_e2e   # noqa: E402
import smp_e2e   # noqa: E402
import storm_e2e   # noqa: E402

BOOT_TIMEOUT = 60       # seconds to the first prompt (TCG boot is ~1 s; generous for a loaded machine)
KEYS = 5                # keys pressed through the monitor; each is a make and a break scancode
EXPECTED_COMMANDS = ["help", "interrupts", "irq", "uptime", "dmesg", "mem", "ktest", "poweroff"]

PARALLEL_BOOTS = 2      # QEMU instances at once (TCG keeps one core busy each)
SETTLE = 1.0            # seconds a crashed machine must stay up: with -no-reboot a reset ends QEMU

# Each boot job records into its own list (jobs run in threads); main() writes them in a fixed order.
_job = threading.local()
_print_lock = threading.Lock()


def record(name, ok, why=""):
    line = f"{'PASS' if ok else 'FAIL'} e2e/{name}" + (f": {why}" if why else "")
    _job.results.append(line)
    with _print_lock:
        print(f"  {line}", flush=True)


def check(name, fn):
    try:
        why = fn()
        record(name, why is None, why or "")
    except Exception as e:   # a timeout or a dead QEMU fails this check; the next ones still run
        record(name, False, f"{type(e).__name__}: {e}")


def interrupts_table(q):
    """Run `interrupts`; return {irq-or-row-name: (counts list, rest of the line)} and the raw text."""
    out = emu.clean(q.command("interrupts"))
    rows = {}
    for line in out.splitlines():
        m = re.match(r"^ *(\w+): ((?: *\d+)+)(.*)$", line)
        if m:
            rows[m.group(1)] = ([int(x) for x in m.group(2).split()], m.group(3))
    return rows, out


def shell_checks(iso, outdir):
    log = os.path.join(outdir, "e2e-shell.serial.log")
    open(log, "w").close()
    with emu.QemuSession(iso, log_path=log) as q:
        def boot():
            q.wait_for(r"irqos> ", BOOT_TIMEOUT)
        check("boot-to-prompt", boot)

        def help_cmd():
            out = emu.clean(q.command("help"))
            names = [l.split()[0] for l in out.splitlines() if l.startswith("  ") and l.split()]
            missing = [c for c in EXPECTED_COMMANDS if c not in names]
            if missing:
                return f"help does not list {missing}; got {names}"
            if names != sorted(names):
                return f"help is not sorted: {names}"
            return None
        check("help-lists-commands", help_cmd)

        def uptime():
            rx = r"up (\d+)\.(\d{3}) s \((\d+) jiffies, HZ=(\d+)\)"
            m1 = re.search(rx, q.command("uptime"))
            time.sleep(0.3)
            m2 = re.search(rx, q.command("uptime"))
            if not m1 or not m2:
                return "no 'up S.mmm s (J jiffies, HZ=H)' answer"
            j1, j2, hz = int(m1.group(3)), int(m2.group(3)), int(m1.group(4))
            if hz != 1000:
                return f"HZ={hz}, expected the default 1000"
            if int(m1.group(1)) != j1 // hz or int(m1.group(2)) != (j1 % hz) * 1000 // hz:
                return f"seconds {m1.group(1)}.{m1.group(2)} do not match {j1} jiffies"
            if j2 <= j1:
                return f"jiffies did not advance between two uptime commands ({j1} -> {j2})"
            return None
        check("uptime", uptime)

        def unknown():
            out = emu.clean(q.command("frobnicate now"))
            want = "unknown command: frobnicate (try 'help')\n"
            return None if out == want else f"got {out!r}, expected {want!r}"
        check("unknown-command", unknown)

        def line_editing():
            # "uptimx", Backspace (DEL, as terminals send), "e", Enter: the shell runs `uptime`.
            start = q.mark()
            q.type("uptimx\x7fe\r")
            q.wait_for(r"up \d+\.\d{3} s", 10, start)
            # Ctrl-C abandons the line: nothing runs, a new prompt follows "^C".
            start = q.mark()
            q.type("interrupts\x03")
            q.wait_for(r"\^C\r?\nirqos> ", 10, start)
            if "CPU0" in q.text()[start:]:
                return "Ctrl-C did not cancel the line"
            # Ctrl-U kills the line: "garbage" is gone, only what follows runs (checked on its own, as Up
            # would replace the whole line and hide a Ctrl-U that did nothing).
            start = q.mark()
            q.type("garbage\x15uptime\r")
            q.wait_for(r"up \d+\.\d{3} s|unknown command", 10, start)
            if "unknown command" in q.text()[start:]:
                return "Ctrl-U did not kill the line"
            # Up arrow recalls the last command (uptime).
            start = q.mark()
            q.type("\x1b[A\r")
            q.wait_for(r"up \d+\.\d{3} s", 10, start)
            return None
        check("line-editing", line_editing)

        def interrupts_format():
            rows, out = interrupts_table(q)
            lines = out.splitlines()
            if not lines or lines[0].rstrip() != " " * 11 + "CPU0":
                return f"header {lines[:1]!r}, expected 11 spaces then CPU0"
            problems = []
            # APIC mode (the default): the ISA lines on IO-APIC pins, IRQ 0 on pin 2, no cascade line.
            for irq, pin, name in (("0", "2", "timer"), ("1", "1", "i8042"), ("4", "4", "serial")):
                if irq not in rows:
                    problems.append(f"no row for IRQ {irq}")
                    continue
                line = next(l for l in lines if re.match(rf"^ *{irq}: ", l))
                if not re.match(rf"^ {{0,2}}{irq}: +\d+  +IO-APIC +{pin}-edge +\S*{name}", line):
                    problems.append(f"row {line!r} is not '{irq}: <count> IO-APIC {pin}-edge ... {name}'")
            if "2" in rows:
                problems.append("IRQ 2 listed: no cascade in APIC mode")
            for row in ("SPU", "ERR", "MIS"):
                if row not in rows:
                    problems.append(f"no {row} row")
            # The tick is CPU 0's local APIC timer (LOC); the PIT is stopped, so IRQ 0 keeps its boot count.
            before, loc_before = rows.get("0", ([0], ""))[0][0], rows.get("LOC", ([0], ""))[0][0]
            time.sleep(0.3)
            rows2, _ = interrupts_table(q)
            after, loc_after = rows2.get("0", ([0], ""))[0][0], rows2.get("LOC", ([0], ""))[0][0]
            if loc_after <= loc_before:
                problems.append(f"CPU0's LOC (the tick) did not rise ({loc_before} -> {loc_after})")
            if after != before:
                problems.append(f"IRQ 0 rose ({before} -> {after}): the PIT should be stopped in APIC mode")
            return "; ".join(problems) or None
        check("interrupts-format-and-timer", interrupts_format)

        def irq_dump():
            out = emu.clean(q.command("irq 0"))
            want = ["irq 0:", "handler:  handle_edge_irq", "chip:     IO-APIC", "action 0: timer"]
            missing = [w for w in want if w not in out]
            if "IRQ_LEVEL" in out:
                missing.append("no IRQ_LEVEL on the IO-APIC's edge timer line")
            bad = emu.clean(q.command("irq 999"))
            if "irq: invalid IRQ number '999' (0..255)" not in bad:
                missing.append(f"bad-number message (got {bad!r})")
            return f"missing {missing}" if missing else None
        check("irq-dump", irq_dump)

        def sendkey():
            rows, _ = interrupts_table(q)
            before = rows["1"][0][0]
            start = q.mark()
            for _ in range(KEYS):
                q.monitor_cmd("sendkey a")
            # The keys reach the shell as typed text: wait for their echo, then clear the line.
            q.wait_for("a" * KEYS, 10, start)
            q.type("\x15")
            rows2, _ = interrupts_table(q)
            after = rows2["1"][0][0]
            if after - before != 2 * KEYS:
                return f"IRQ 1 count {before} -> {after}: grew by {after - before}, expected {2 * KEYS}"
            return None
        check("sendkey-irq1-count", sendkey)

        def poweroff():
            q.type("poweroff\r")
            q.wait_exit(20)   # raises Timeout if the machine keeps running
            return None
        check("poweroff-ends-qemu", poweroff)


# What each crash= kind must produce (arch/x86/crashtest.cpp raises it, arch/x86/traps.cpp reports it).
# vector/mnemonic/name: SDM vol. 3A table 6-1. error: the error code the report must show: what the CPU
# pushes for #PF (write to a not-present page in kernel mode: W=1 -> 0x0002), #GP (a non-canonical
# address: 0) and #DF (always 0), and the stub's 0 for #DE and #UD, which push none. fn: the function
# the faulting RIP (and the first trace entry) must name.
CRASH_KINDS = {
    "pf": dict(vector=14, mnemonic="#PF", name="Page Fault", error=0x0002, fn="crash_page_fault"),
    "de": dict(vector=0, mnemonic="#DE", name="Divide Error", error=0, fn="crash_divide_error"),
    "df": dict(vector=8, mnemonic="#DF", name="Double Fault", error=0, fn="crash_recurse"),
    "ud": dict(vector=6, mnemonic="#UD", name="Invalid Opcode", error=0, fn="crash_invalid_opcode"),
    "gp": dict(vector=13, mnemonic="#GP", name="General Protection", error=0, fn="crash_general_protection"),
}
REGISTERS = ["RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "R08", "R09", "R10", "R11", "R12", "R13", "R14",
             "R15", "CR0", "CR2", "CR3", "CR4"]
TRACE_LINE = r"^ \[<([0-9a-f]{16})>\] (.*)$"
EFLAGS_IF = 1 << 9


def reg_value(text, name):
    m = re.search(rf"\b{name}: ([0-9a-f]{{16}})\b", text)
    return int(m.group(1), 16) if m else None


def crash_checks(kind, iso, outdir):
    want = CRASH_KINDS.get(kind)
    if want is None:
        record(f"crash-{kind}-report", False, f"crash={kind} has no expectations in shell_e2e.py CRASH_KINDS")
        return
    log = os.path.join(outdir, f"e2e-crash-{kind}.serial.log")
    open(log, "w").close()
    if not os.path.exists(iso):
        record(f"crash-{kind}-report", False, f"no ISO {iso}")
        return
    with emu.QemuSession(iso, log_path=log) as q:
        report = {}

        def boot_to_report():
            m = q.wait_for(r"crash=(\w+): raising the exception now", BOOT_TIMEOUT)
            if m.group(1) != kind:
                raise RuntimeError(f"the ISO raises crash={m.group(1)}, not crash={kind}")
            q.wait_for(r"Kernel panic - not syncing: [^\n]*\n", 30)
            time.sleep(SETTLE)   # a reset or triple fault would end QEMU (-no-reboot) within this time
            q._pump(0.2)
            text = emu.clean(q.text())
            report["text"] = text[text.find(f"crash={kind}: raising"):]
            return None

        def report_check():
            if "text" not in report:
                boot_to_report()
            text = report["text"]
            problems = []
            head = (f"PANIC: CPU exception {want['vector']} {want['mnemonic']} {want['name']}, "
                    f"error code 0x{want['error']:04x} [#1]")
            if head not in text:
                m = re.search(r"PANIC: CPU exception [^\n]*", text)
                problems.append(f"no '{head}' (got {m.group(0) if m else 'no PANIC line'!r})")
            if f"Kernel panic - not syncing: Fatal exception {want['mnemonic']}\n" not in text:
                problems.append(f"no 'Fatal exception {want['mnemonic']}' line")
            if not re.search(rf"^RIP: 0008:[0-9a-f]{{16}} [^\n]*{want['fn']}[^\n]*\+0x", text, re.M):
                problems.append(f"RIP does not name {want['fn']}")
            if not re.search(r"^RSP: 0010:[0-9a-f]{16} EFLAGS: [0-9a-f]{8}$", text, re.M):
                problems.append("no 'RSP: 0010:... EFLAGS: ...' line")
            missing = [r for r in REGISTERS if reg_value(text, r) is None]
            if missing:
                problems.append(f"registers missing: {missing}")
            cr2 = reg_value(text, "CR2")
            if kind == "pf":
                if cr2 != 0:
                    problems.append(f"CR2 {cr2}, expected 0 (crash=pf writes to NULL)")
                for line in ("BUG: unable to handle page fault for address: 0000000000000000",
                             "#PF: supervisor write access in kernel mode",
                             "#PF: error_code(0x0002) - not-present page"):
                    if line not in text:
                        problems.append(f"no '{line}'")
            return "; ".join(problems) or None
        check(f"crash-{kind}-report", report_check)

        def trace_check():
            text = report.get("text", "")
            at = text.find("Call Trace:\n")
            if at < 0:
                return "no 'Call Trace:'"
            trace = []
            for line in text[at:].splitlines()[1:]:
                m = re.match(TRACE_LINE, line)
                if not m:
                    break
                trace.append(m.group(2))
            if not trace:
                return "the Call Trace has no '[<address>] symbol' entries"
            if want["fn"] not in trace[0]:
                return f"the first entry {trace[0]!r} is not {want['fn']}"
            if any(t.startswith("?") for t in trace):
                return f"unnamed entries in the trace: {trace}"
            if kind == "df":
                # Runaway recursion: the trace is all crash_recurse and is cut off, not walked to the end.
                if sum(want["fn"] in t for t in trace) < 2 or " ...\n" not in text[at:]:
                    return f"expected a long, truncated crash_recurse trace; got {len(trace)} entries"
            elif not any(re.match(r"kernel_main\+0x", t) for t in trace):
                return f"the trace does not reach kernel_main: {trace}"
            return None
        check(f"crash-{kind}-call-trace", trace_check)

        if kind == "df":
            def df_from_stack_overflow():
                # The #PF behind the #DF was a stack access just below RSP (the guard page): the old stack
                # was unusable, so the report could only come from the #DF's own IST stack.
                text = report.get("text", "")
                cr2, m = reg_value(text, "CR2"), re.search(r"^RSP: 0010:([0-9a-f]{16})", text, re.M)
                if cr2 is None or not m:
                    return "no CR2 or RSP in the report"
                rsp = int(m.group(1), 16)
                if not 0 < rsp - cr2 <= 4096:
                    return f"CR2 {cr2:#x} is not just below RSP {rsp:#x}: not a stack overflow"
                return None
            check("crash-df-stack-overflow-on-ist", df_from_stack_overflow)

        def halted_check():
            if q.proc.poll() is not None:
                return f"QEMU exited ({q.proc.returncode}): reset or triple fault"
            regs = q.monitor_cmd("info registers")
            m = re.search(r"RFL=([0-9a-f]+) .*HLT=(\d)", regs)
            if not m:
                return f"no RFL/HLT in 'info registers': {regs[:200]!r}"
            if m.group(2) != "1" or int(m.group(1), 16) & EFLAGS_IF:
                return f"the CPU is not halted with interrupts off (RFL={m.group(1)} HLT={m.group(2)})"
            boots = q.text().count("irqos x86_64 (")
            if boots != 1:
                return f"the kernel banner appears {boots} times: the machine rebooted"
            return None
        check(f"crash-{kind}-halted-not-reset", halted_check)


def run_job(fn, *args):
    _job.results = []
    try:
        fn(*args)
    except Exception as e:   # e.g. QEMU would not start: a failure of this job, not of the whole run
        record(f"{fn.__name__}-{args[0] if fn is crash_checks else 'shell'}", False, f"{type(e).__name__}: {e}")
    return _job.results


HERE_DIR = os.path.dirname(os.path.abspath(__file__))
GDB_TIMEOUT = 60
REPO = os.path.abspath(os.path.join(HERE_DIR, "..", ".."))


def debug_checks(iso, outdir):
    """`make debug` + `gdb -x tools/gdbinit`, as docs/running.md tells a user: QEMU paused with its gdb
    stub on :1234, gdb loads the image's kernel/irqos.elf, stops at kernel_main with source lines and the
    Multiboot2 magic in its argument, and the backtrace names the assembly that called it."""
    log = os.path.join(outdir, "e2e-debug.serial.log")
    qemu = subprocess.Popen([emu.QEMU] + emu.QEMU_BASE + ["-serial", f"file:{log}", "-cdrom", iso, "-s", "-S"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        def gdb_stops_at_kernel_main():
            # The ELF of the ISO under test (BUILD=DIR puts both under DIR), as `make debug` tells the user.
            elf = os.path.join(os.path.dirname(os.path.abspath(iso)), "kernel", "irqos.elf")
            r = subprocess.run(["gdb", "-q", "-batch", "-nx", "-x", "tools/gdbinit", "-ex", "continue", "-ex", "bt"],
                               cwd=REPO, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                               timeout=GDB_TIMEOUT, env=dict(os.environ, IRQOS_ELF=elf))
            out = r.stdout + r.stderr
            if not re.search(r"Breakpoint 1, kernel_main \(magic=920085129, mbi_addr=\d+\) at init/main\.cpp:\d+", out):
                return "no stop at kernel_main(magic=0x36d76289) with a source line: " + out[-300:].replace("\n", " | ")
            if not re.search(r"#1 .* at arch/x86/boot/boot64\.asm:\d+", out):
                return "the backtrace does not reach boot64.asm: " + out[-300:].replace("\n", " | ")
            return None
        check("debug-gdb-stops-at-kernel_main", gdb_stops_at_kernel_main)
    finally:
        qemu.kill()
        qemu.wait()


RUN_BOCHS_SECONDS = 12   # Bochs reaches the prompt in 2-4 s; the target stops it after this


def run_bochs_checks(iso, outdir):
    """`make run-bochs` as a user types it: Bochs headless, the serial console followed on the terminal,
    and the machine stopped when BOCHS_TIMEOUT runs out (Bochs ignores SIGTERM: the script must kill it)."""
    serial = os.path.join(outdir, "e2e-run-bochs.serial.log")

    def reaches_the_prompt():
        r = subprocess.run(["make", "--no-print-directory", "-s", "run-bochs", f"BOCHS_ISO={iso}",
                            f"BOCHS_SERIAL={serial}", f"BOCHS_TIMEOUT={RUN_BOCHS_SECONDS}"],
                           cwd=REPO, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           errors="replace", timeout=RUN_BOCHS_SECONDS + 60)
        out = r.stdout.replace("\r", "")
        if "irqos> " not in out:
            return f"no 'irqos> ' prompt on the terminal (exit {r.returncode}): " + out[-300:].replace("\n", " | ")
        if "Bochs exited" not in out:
            return "the target did not report Bochs's end"
        return None
    check("run-bochs-reaches-the-prompt", reaches_the_prompt)
    alive = subprocess.run(["pgrep", "-f", f"bochs -q -f {os.path.dirname(serial)}"], capture_output=True)
    record("run-bochs-leaves-no-bochs-behind", alive.returncode != 0,
           "" if alive.returncode != 0 else "a bochs process is still running")


KTEST_CRASH_TIMEOUT = 30   # seconds; the kernel itself ends the run right after the report


def ktest_crash_checks(iso, outdir):
    """`ktest crash=gp`: a fatal exception during a test run must end QEMU with the FAIL status (35) and
    the FAIL verdict line right after the report, instead of halting until the runner's timeout."""
    log = os.path.join(outdir, "e2e-ktest-crash.serial.log")
    if not os.path.exists(iso):
        record("ktest-crash-ends-run-with-fail", False, f"no ISO {iso}")
        return

    def ends_with_fail():
        code = emu.qemu_batch(iso, log, KTEST_CRASH_TIMEOUT)
        text = open(log, encoding="latin-1").read() if os.path.exists(log) else ""
        if code is None:
            return f"QEMU still running after {KTEST_CRASH_TIMEOUT}s: the crash halted instead of ending the run"
        if code != emu.EXIT_FAIL:
            return f"exit status {code}, expected {emu.EXIT_FAIL} (isa-debug-exit FAIL)"
        if "#GP" not in text:
            return "no #GP report on serial before the exit"
        if text.rfind("IRQOS-VERDICT: FAIL") < text.find("#GP"):
            return "no 'IRQOS-VERDICT: FAIL' line after the report"
        return None
    check("ktest-crash-ends-run-with-fail", ends_with_fail)


def main():
    iso, outdir, crash_specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(outdir, exist_ok=True)
    jobs = [(shell_checks, iso, outdir)]
    noapic_iso = None
    early = []
    _job.results = early
    if not crash_specs or crash_specs == ["no-crash-kinds"]:
        record("crash-kinds", False, "no crash= kinds given (mk/test.mk reads them from arch/x86/crashtest.cpp)")
    for spec in crash_specs:
        kind, sep, crash_iso = spec.partition("=")
        if kind == "noapic":
            noapic_iso = crash_iso
        elif kind == "ktest-crash":
            jobs.append((ktest_crash_checks, crash_iso, outdir))
        elif sep:
            jobs.append((crash_checks, kind, crash_iso, outdir))
    if not os.path.exists(iso):
        jobs[0] = (record, "boot-to-prompt", False, f"no ISO {iso}")
    else:
        jobs.append((debug_checks, iso, outdir))
        jobs.append((run_bochs_checks, iso, outdir))
        jobs += [(fn, iso, outdir, check) for fn in console_e2e.CHECKS]   # tests/e2e/console_e2e.py
        # The misbehaving-device scenarios, one module each (tests/e2e/*_e2e.py).
        for module in (pci_edu_e2e, edu_msi_e2e, storm_e2e, smp_e2e, ioapic_affinity_e2e):
            jobs += [(fn, iso, outdir, check) for fn in module.CHECKS]
        # The 8259 scenarios (XT-PIC, its lazy variant, the IRR and the ELCR) boot with `noapic`.
        for module in (lazy_e2e, halfduplex_e2e):
            if noapic_iso and os.path.exists(noapic_iso):
                jobs += [(fn, noapic_iso, outdir, check) for fn in module.CHECKS]
            else:
                early.append(f"FAIL e2e/{module.__name__}: no noapic ISO (noapic=ISO, mk/test.mk builds it)")
    with concurrent.futures.ThreadPoolExecutor(max_workers=PARALLEL_BOOTS) as pool:
        futures = [pool.submit(run_job, *job) for job in jobs]
        results = early + [line for f in futures for line in f.result()]
    with open(os.path.join(outdir, "e2e.results"), "w") as f:
        f.write("\n".join(results) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
