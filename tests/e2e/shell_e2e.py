#!/usr/bin/env python3
"""End-to-end checks of the running system in QEMU: type commands on the serial line and check the
answers; press keys through the QEMU monitor and check that the keyboard line's count in `interrupts`
grew by exactly the number of scancodes; and (when the kernel supports `crash=pf`) that a CPU exception
ends in a panic report rather than a reboot.

  shell_e2e.py ISO CRASH_ISO OUTDIR      (CRASH_ISO may be "-" to leave that check out)
Writes OUTDIR/e2e.results (PASS/FAIL lines) and OUTDIR/e2e-*.serial.log."""
import os
import re
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emu   # noqa: E402

BOOT_TIMEOUT = 60       # seconds to the first prompt (TCG boot is ~1 s; generous for a loaded machine)
KEYS = 5                # keys pressed through the monitor; each is a make and a break scancode
EXPECTED_COMMANDS = ["help", "interrupts", "irq", "uptime", "dmesg", "mem", "ktest", "poweroff"]

results = []


def record(name, ok, why=""):
    line = f"{'PASS' if ok else 'FAIL'} e2e/{name}" + (f": {why}" if why else "")
    results.append(line)
    print(f"  {line}", flush=True)


def check(name, fn):
    try:
        why = fn()
        record(name, why is None, why or "")
    except Exception as e:   # a timeout or a dead QEMU fails this check; the next ones still run
        record(name, False, f"{type(e).__name__}: {e}")


def clean(s):
    return s.replace("\r", "")


def interrupts_table(q):
    """Run `interrupts`; return {irq-or-row-name: (counts list, rest of the line)} and the raw text."""
    out = clean(q.command("interrupts"))
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
            out = clean(q.command("help"))
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
            out = clean(q.command("frobnicate now"))
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
            # Ctrl-U kills the line; then Up arrow recalls the last command (uptime).
            start = q.mark()
            q.type("garbage\x15\x1b[A\r")
            q.wait_for(r"up \d+\.\d{3} s", 10, start)
            return None
        check("line-editing", line_editing)

        def interrupts_format():
            rows, out = interrupts_table(q)
            lines = out.splitlines()
            if not lines or lines[0].rstrip() != " " * 11 + "CPU0":
                return f"header {lines[:1]!r}, expected 11 spaces then CPU0"
            problems = []
            for irq, name in (("0", "timer"), ("1", "i8042"), ("2", "cascade"), ("4", "serial")):
                if irq not in rows:
                    problems.append(f"no row for IRQ {irq}")
                    continue
                line = next(l for l in lines if re.match(rf"^ *{irq}: ", l))
                if not re.match(rf"^ {{0,2}}{irq}: +\d+  +XT-PIC +{irq}-\S+ +\S*{name}", line):
                    problems.append(f"row {line!r} is not '<irq>: <count> XT-PIC <hwirq>-<flow> ... {name}'")
            for row in ("SPU", "ERR", "MIS"):
                if row not in rows:
                    problems.append(f"no {row} row")
            before = rows.get("0", ([0], ""))[0][0]
            time.sleep(0.3)
            rows2, _ = interrupts_table(q)
            after = rows2.get("0", ([0], ""))[0][0]
            if after <= before:
                problems.append(f"timer count did not rise ({before} -> {after})")
            return "; ".join(problems) or None
        check("interrupts-format-and-timer", interrupts_format)

        def irq_dump():
            out = clean(q.command("irq 0"))
            want = ["irq 0:", "handler:  handle_level_irq", "chip:     XT-PIC", "IRQ_LEVEL", "action 0: timer"]
            missing = [w for w in want if w not in out]
            bad = clean(q.command("irq 999"))
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


def crash_checks(iso, outdir):
    log = os.path.join(outdir, "e2e-crash.serial.log")
    open(log, "w").close()
    with emu.QemuSession(iso, log_path=log) as q:
        def crash():
            q.wait_for(r"Call Trace", BOOT_TIMEOUT)
            time.sleep(1.0)   # a reboot or triple fault would end QEMU (-no-reboot) within this second
            q._pump(0.2)
            text = clean(q.text())
            problems = []
            if not re.search(r"Page Fault|#PF|page fault", text):
                problems.append("no page-fault vector name")
            m = re.search(r"CR2:? *(?:0x)?([0-9a-fA-F]+)", text)
            if not m:
                problems.append("no CR2")
            elif int(m.group(1), 16) != 0:
                problems.append(f"CR2 {m.group(1)}, expected the NULL address crash=pf writes to")
            if not re.search(r"RIP:? ", text) or not re.search(r"RSP:? ", text):
                problems.append("no RIP/RSP registers")
            trace = text[text.find("Call Trace"):]
            if not re.search(r"\[<[0-9a-f]+>\] [^\n]*crash_page_fault", trace):
                problems.append("the Call Trace does not name the faulting function crash_page_fault")
            if not re.search(r"\[<[0-9a-f]+>\] kernel_main\+0x", trace):
                problems.append("the Call Trace does not reach kernel_main")
            if q.proc.poll() is not None:
                problems.append(f"QEMU exited ({q.proc.returncode}): reboot or triple fault")
            return "; ".join(problems) or None
        check("crash-pf-report", crash)


def main():
    iso, crash_iso, outdir = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(outdir, exist_ok=True)
    if not os.path.exists(iso):
        record("boot-to-prompt", False, f"no ISO {iso}")
    else:
        shell_checks(iso, outdir)
    if crash_iso != "-":
        crash_checks(crash_iso, outdir)
    with open(os.path.join(outdir, "e2e.results"), "w") as f:
        f.write("\n".join(results) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
