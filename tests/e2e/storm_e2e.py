"""End-to-end checks of the storm scenario (run by shell_e2e.py, one job per function in CHECKS; each
function takes (iso, outdir, check) and records its results through `check(name, fn)`):

- `storm edu` on QEMU: the edu device's level line storms with a driver that no longer recognises its
  interrupt, and the kernel contains it exactly as Linux does: 100,000 interrupts, then "irq N: nobody
  cared (try booting with the "irqpoll" option)", the stack, "handlers:" with the edu handler, and
  "Disabling IRQ #N", in that order; the timer's count stays exact; `irq N` shows the line disabled by the
  spurious detector (IRQS_SPURIOUS_DISABLED, depth 1, masked);
- a command typed while the storm runs is answered once it is contained (nothing typed is lost);
- `storm edu restore` re-arms the line and the device is served again (`edu raise`); the edu, on MSI
  at boot in APIC mode, ran the storm on its INTx line and is back on MSI afterwards;
- with a second edu device on the same line (switched to INTx first: it too starts on MSI), the
  consequence is printed: the second device is not served.
"""
import os
import re
import time

import emu

BOOT_TIMEOUT = 60
STORM_TIMEOUT = 180
CONTAINED = re.compile(r"storm: contained: IRQ (\d+) disabled by the spurious detector after (\d+) interrupts")
TIMER = re.compile(r"storm: timer (?:IRQ 0|LOC): (\d+) interrupts in (\d+) ticks \((exact|NOT exact)\)")
SHARE = re.compile(r"storm: CPU left to the shell \(process context\) during the storm: ([\d.]+)% \((\d+) ppm\)")


def storm_checks(iso, outdir, check):
    log = os.path.join(outdir, "e2e-storm.serial.log")
    open(log, "w").close()
    with emu.QemuSession(iso, log_path=log) as q:
        check("storm-boot-to-prompt", lambda: q.wait_for(r"irqos> ", BOOT_TIMEOUT) and None)
        state = {}

        def storm():
            start = q.mark()
            q.type("storm edu\r")
            q.type("echo typed-during-the-storm\r")   # arrives while the storm command runs
            m = q.wait_for(r"storm: per-tick rates recorded", STORM_TIMEOUT, start)
            q.wait_for(r"\ntyped-during-the-storm\r?\n", 60, m.end())
            q.wait_for(r"irqos> ", 20, m.end())
            text = emu.clean(q.text()[start:])
            state["text"] = text
            c, t, s = CONTAINED.search(text), TIMER.search(text), SHARE.search(text)
            if not c:
                return "no 'storm: contained' line: " + text[-400:]
            irq, taken = int(c.group(1)), int(c.group(2))
            state["irq"] = irq
            emu.note(outdir, "storm", "\n".join(line for line in text.splitlines() if line.startswith("storm:")))
            problems = []
            if taken != 100000:
                problems.append(f"contained after {taken} interrupts, not 100000")
            if not t or t.group(3) != "exact" or t.group(1) != t.group(2):
                problems.append(f"timer count not exact: {t.group(0) if t else 'no timer line'}")
            if not s:
                problems.append("no CPU-share line")
            # Linux's report, in Linux's order.
            order = [f'irq {irq}: nobody cared (try booting with the "irqpoll" option)', "Call Trace:",
                     "handlers:", "edu", f"Disabling IRQ #{irq}", "storm: contained"]
            pos = 0
            for word in order:
                at = text.find(word, pos)
                if at < 0:
                    problems.append(f"'{word}' missing or out of order")
                    break
                pos = at + len(word)
            return "; ".join(problems) or None
        check("storm-edu-contained-at-100000-with-linux-messages", storm)

        def typed_during_storm():
            text = state.get("text", "")
            if "typed-during-the-storm" not in text.split("storm: per-tick rates recorded", 1)[-1]:
                return "the command typed during the storm was not answered after it"
            return None
        check("storm-shell-answers-what-was-typed-during-the-storm", typed_during_storm)

        def irq_view():
            irq = state.get("irq")
            if irq is None:
                return "no storm ran"
            out = emu.clean(q.command(f"irq {irq}"))
            problems = [f"'{w}' not in `irq {irq}`" for w in
                        ("IRQS_SPURIOUS_DISABLED", "IRQD_IRQ_DISABLED", "IRQD_IRQ_MASKED") if w not in out]
            if not re.search(r"depth:\s+1\n", out):
                problems.append("depth is not 1")
            return "; ".join(problems) or None
        check("storm-irq-view-shows-the-line-disabled-by-the-detector", irq_view)

        def restore():
            irq = state.get("irq")
            if irq is None:
                return "no storm ran"
            out = emu.clean(q.command("storm edu restore"))
            if "line re-armed" not in out:
                return f"restore said: {out!r}"
            back = re.search(r"storm edu: edu 00:04\.0 back on MSI \(IRQ (\d+)\)", out)
            if not back:
                return f"restore did not put MSI back: {out!r}"
            line = int(back.group(1))  # the edu's line now; its INTx line is free again
            view = emu.clean(q.command(f"irq {line}"))
            if "IRQS_SPURIOUS_DISABLED" in view or not re.search(r"depth:\s+0\n", view):
                return f"the edu's line IRQ {line} is disabled after restore"
            if not re.search(r"edu 00:04\.0: IRQ \d+ \(edge, MSI\)", emu.clean(q.command("edu"))):
                return "edu status does not show MSI after restore"
            out = emu.clean(q.command("edu raise 3", timeout=30))
            if "3" not in out or re.search(r"not served|timed out|error", out, re.I):
                return f"edu raise after restore: {out!r}"
            return None
        check("storm-edu-restore-rearms-the-line", restore)


def shared_line_checks(iso, outdir, check):
    """Two edu devices on one line (slots 4 and 8 both reach IRQ 11 through the firmware's PIRQ routing):
    after containment the second device's interrupt is not served, and the storm says so."""
    log = os.path.join(outdir, "e2e-storm-shared.serial.log")
    open(log, "w").close()
    with emu.QemuSession(iso, log_path=log, extra=["-device", "edu,addr=8"]) as q:
        q.wait_for(r"irqos> ", BOOT_TIMEOUT)

        def consequence():
            out = emu.clean(q.command("edu mode intx 1"))  # both start on MSI; the sharer needs the line
            if "INTx" not in out:
                return f"edu mode intx 1 said: {out!r}"
            start = q.mark()
            q.type("storm edu\r")
            m = q.wait_for(r"storm: per-tick rates recorded", STORM_TIMEOUT, start)
            q.wait_for(r"irqos> ", 20, m.end())
            text = emu.clean(q.text()[start:])
            problems = []
            c = CONTAINED.search(text)
            if not c or c.group(2) != "100000":
                problems.append("not contained at 100000: " + (c.group(0) if c else "no line"))
            if "00:08.0" not in text or not re.search(r"polling", text):
                problems.append("no plain word about the second device (00:08.0) left unserved: " + text[-500:])
            status = emu.clean(q.command("edu status"))
            if not re.search(r"00:08\.0", status):
                problems.append("edu status does not list the second device")
            out = emu.clean(q.command("storm edu restore"))
            if "line re-armed" not in out:
                problems.append(f"restore said {out!r}")
            out = emu.clean(q.command("edu raise 2 1", timeout=30))
            if re.search(r"not served|timed out", out, re.I):
                problems.append(f"the second device is not served after restore: {out!r}")
            return "; ".join(problems) or None
        check("storm-edu-second-device-on-the-line-goes-unserved", consequence)


CHECKS = [storm_checks, shared_line_checks]
