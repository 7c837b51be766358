"""End-to-end checks of PCI and the edu driver on QEMU (run by shell_e2e.py, one job per function in
CHECKS; each function takes (iso, outdir, check) and records its results through `check(name, fn)`):

- the boot prints Linux's summary line for the edu function and the driver binds it on MSI (APIC mode:
  Linux's drivers ask for MSI first), and `lspci` shows it with its class, its 1 MiB memory BAR0, pin A
  routed to a level-triggered line (its IO-APIC pin, unused while MSI is on) and the MSI capability
  enabled with the MSI's IRQ;
- `edu raise 5` is served 5 times, and the MSI's count in `interrupts` grows by exactly 5;
- bad input gets a clear answer;
- a machine with TWO edu devices on one line (slots 4 and 8 both reach PIRQD, IRQ 11, through the
  firmware's routing), both switched to INTx: both appear in `lspci` on the same IRQ, `interrupts` lists both actions on that
  line, each device's raises are served by its own handler, and each handler counts the other device's
  interrupts as not its own (IRQF_SHARED at work).
"""
import os
import re

import edu_affinity
import emu

BOOT_TIMEOUT = 60
SECOND_EDU = ["-device", "edu,addr=08.0"]   # slot 8, INTA: PIRQD like slot 4 (SeaBIOS: (pin-1+slot-1)&3)

LSPCI_EDU = re.compile(r"(00:0[48]\.0) Unclassified device \[00ff\]: \[1234:11e8\] \(rev [0-9a-f]{2}\)\n"
                       r"\tclass 0x00ff00, header type 00\n"
                       r"\tBAR0: Memory at (0x[0-9a-f]{8}) \(32-bit, non-prefetchable\) \[size=1M\]\n"
                       r"\tInterrupt: pin A routed to IRQ (\d+), (level|edge)-triggered \((?:ELCR|IO-APIC pin \d+)\)\n")
RAISED = re.compile(r"edu (\S+): raised (\d+), served (\d+) \(handler calls \+(\d+): handled \+(\d+), "
                    r"not mine \+(\d+)\)")
STATUS = re.compile(r"edu (\S+): IRQ (\d+) \((\w+), shared\), driver (ok|FAULTY), status (0x[0-9a-f]{8})\n"
                    r"  raised (\d+), handler calls (\d+) = handled (\d+) \+ not mine (\d+); IRQ \d+ (\w+)")


def irq_row(q, irq):
    """The `interrupts` row of `irq`: (count over the CPUs, actions text after chip and hwirq), or None."""
    c = edu_affinity.columns(q, irq)
    if not c:
        return None
    fields = c[1].split(None, 2)
    return sum(c[0]), fields[2].strip() if len(fields) == 3 else ""


def status(q):
    return {m.group(1): m for m in STATUS.finditer(emu.clean(q.command("edu")))}


def one_edu(iso, outdir, check):
    log = os.path.join(outdir, "e2e-pci-edu.serial.log")
    open(log, "w").close()
    with emu.QemuSession(iso, log_path=log) as q:
        check("pci-edu-boot-to-prompt", lambda: q.wait_for(r"irqos> ", BOOT_TIMEOUT) and None)
        state = {}

        def boot_lines():
            text = emu.clean(q.text())
            if "pci 0000:00:04.0: [1234:11e8] type 00 class 0x00ff00\n" not in text:
                return "no Linux-style summary line for 00:04.0 at boot"
            m = re.search(r"edu 00:04\.0: version \d+\.\d+, BAR0 0x[0-9a-f]+, IRQ (\d+) \(MSI, edge\)\n", text)
            if not m:
                return "the driver did not say it bound 00:04.0 on MSI"
            state["msi"] = int(m.group(1))
            return None
        check("pci-edu-boot-summary", boot_lines)

        def lspci():
            out = emu.clean(q.command("lspci"))
            emu.note(outdir, "pci-edu", out)
            found = LSPCI_EDU.findall(out)
            if len(found) != 1:
                return f"expected one edu block in lspci, found {len(found)}: {out[-600:]}"
            name, bar, irq, trig = found[0]
            if name != "00:04.0" or trig != "level" or int(bar, 16) == 0:
                return f"edu at {name}, BAR0 {bar}, IRQ {irq} {trig}-triggered"
            if not out.startswith("00:00.0 Host bridge [0600]: [8086:1237]"):
                return "the host bridge does not come first"
            if "\tCapabilities: [40] MSI: Enable+ Count=1/1 Maskable- 64bit+\n" not in out:
                return "lspci does not show MSI enabled: " + out[-400:]
            if f"\t\tIRQ {state.get('msi')} (PCI-MSI), INTx disabled\n" not in out:
                return "lspci does not name the MSI's IRQ: " + out[-400:]
            return None
        check("pci-edu-lspci-shows-bar-irq-level-and-msi", lspci)

        def raise5():
            irq = state.get("msi")
            if irq is None:
                return "no MSI IRQ at boot"
            before = irq_row(q, irq)
            out = emu.clean(q.command("edu raise 5"))
            after = irq_row(q, irq)
            m = RAISED.search(out)
            if not m or m.group(1) != "00:04.0" or m.groups()[1:] != ("5", "5", "5", "5", "0"):
                return f"edu raise 5 said: {out!r}"
            if before is None or after is None:
                return f"IRQ {irq} has no row in interrupts"
            if after[0] - before[0] != 5:
                return f"IRQ {irq} count grew by {after[0] - before[0]}, not 5"
            if after[1] != "edu:00:04.0":
                return f"IRQ {irq} actions: {after[1]!r}"
            s = emu.clean(q.command("edu"))
            if f"edu 00:04.0: IRQ {irq} (edge, MSI), driver ok, status 0x00000000\n" not in s:
                return "edu status after the raises: " + s[:300]
            return None
        check("pci-edu-raise-5-served-and-counted", raise5)

        def bad_input():
            problems = []
            for line, want in (("edu raise x", "edu: N must be 1..1000000, not 'x'"),
                               ("edu raise 1 9", "edu: no edu device '9' (1 present)"),
                               ("edu faulty maybe", "usage: edu"),
                               ("edu frobnicate", "usage: edu"),
                               ("lspci -x", "usage: lspci")):
                out = emu.clean(q.command(line))
                if want not in out:
                    problems.append(f"{line!r} -> {out.strip()[:80]!r}")
            return "; ".join(problems) or None
        check("pci-edu-bad-input-answered", bad_input)


def two_edus_share_a_line(iso, outdir, check):
    log = os.path.join(outdir, "e2e-pci-edu-shared.serial.log")
    open(log, "w").close()
    with emu.QemuSession(iso, extra=SECOND_EDU, log_path=log) as q:
        check("pci-edu-shared-boot-to-prompt", lambda: q.wait_for(r"irqos> ", BOOT_TIMEOUT) and None)
        state = {}

        def same_line():
            for dev in ("0", "1"):  # both bound on MSI: IRQF_SHARED needs the INTx line
                said = emu.clean(q.command(f"edu mode intx {dev}"))
                if "INTx" not in said:
                    return f"edu mode intx {dev} said: {said!r}"
            out = emu.clean(q.command("lspci"))
            found = LSPCI_EDU.findall(out)
            names = [f[0] for f in found]
            if names != ["00:04.0", "00:08.0"]:
                return f"edu functions in lspci: {names}"
            irqs = {f[2] for f in found}
            if len(irqs) != 1 or any(f[3] != "level" for f in found):
                return f"not one level line: {found}"
            state["irq"] = int(irqs.pop())
            row = irq_row(q, state["irq"])
            if not row or row[1] != "edu:00:04.0, edu:00:08.0":
                return f"interrupts row of IRQ {state['irq']}: {row}"
            return None
        check("pci-edu-two-devices-one-line", same_line)

        def both_served():
            irq = state.get("irq")
            if irq is None:
                return "no shared line found"
            before = irq_row(q, irq)[0]
            a = RAISED.search(emu.clean(q.command("edu raise 3 00:04.0")))
            b = RAISED.search(emu.clean(q.command("edu raise 4 1")))
            after = irq_row(q, irq)[0]
            if not a or a.groups() != ("00:04.0", "3", "3", "3", "3", "0"):
                return f"first device: {a.group(0) if a else 'no answer'}"
            if not b or b.groups() != ("00:08.0", "4", "4", "4", "4", "0"):
                return f"second device: {b.group(0) if b else 'no answer'}"
            if after - before != 7:
                return f"IRQ {irq} count grew by {after - before}, not 7"
            s = status(q)
            first, second = s.get("00:04.0"), s.get("00:08.0")
            if not first or not second:
                return "edu status misses a device"
            # Each handler is asked for every interrupt on the line; the first in the chain sees the
            # second device's 4 as not its own. The second is asked only when the first did not claim
            # (the core calls every action; a claim does not stop the chain), so it sees the 3 too.
            if (first.group(8), first.group(9)) != ("3", "4") or (second.group(8), second.group(9)) != ("4", "3"):
                return (f"handled/not mine: 00:04.0 {first.group(8)}/{first.group(9)}, "
                        f"00:08.0 {second.group(8)}/{second.group(9)}")
            if first.group(5) != "0x00000000" or second.group(5) != "0x00000000":
                return "a device still asserts"
            emu.note(outdir, "pci-edu", "two edu devices on IRQ %d: %s | %s" % (irq, first.group(0), second.group(0)))
            return None
        check("pci-edu-shared-line-both-served", both_served)


CHECKS = [one_edu, two_edus_share_a_line]
