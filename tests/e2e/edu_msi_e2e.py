"""End-to-end checks of the edu device on MSI on QEMU -smp 2 (run by shell_e2e.py, one job per function
in CHECKS; each function takes (iso, outdir, check) and records its results through `check(name, fn)`):

- in APIC mode the driver binds 00:04.0 on MSI at boot ("IRQ N (MSI, edge)": Linux's drivers ask for MSI
  first), `edu` shows the mode and the message (address 0xfee0_0000 with the destination APIC ID, data =
  the vector), and `lspci` shows the capability enabled ("Capabilities: [40] MSI: Enable+ Count=1/1
  Maskable- 64bit+") with the MSI's IRQ;
- `edu raise 5` is served 5 times and the MSI's own row in `interrupts` ("PCI-MSI 65536-edge
  edu:00:04.0") grows by exactly 5 while the INTx line's count does not move;
- `irq N affinity 1` moves the MSI to CPU 1 ("IRQ N: affinity 1, effective 1", the message now names APIC
  ID 1) and the next 5 raises land in its CPU1 column; `irq N affinity 0` brings the next 5 back;
- `edu mode intx` goes back to the INTx line (which serves the next raises, the MSI row gone, MSI off in
  `lspci`), and `edu mode msi` returns to MSI.
"""
import re

import edu_affinity
import emu

BOOT_TIMEOUT = 60
BOUND = re.compile(r"edu 00:04\.0: version \d+\.\d+, BAR0 0x[0-9a-f]+, IRQ (\d+) \(MSI, edge\)\n")
LSPCI_INTX = re.compile(r"00:04\.0 Unclassified device.*?\n\tInterrupt: pin A routed to IRQ (\d+),", re.S)
SWITCHED = re.compile(r"edu 00:04\.0: INTx IRQ (\d+) -> MSI IRQ (\d+)\n")
MSI_STATUS = re.compile(r"edu 00:04\.0: IRQ (\d+) \(edge, MSI\), driver ok, status 0x00000000\n.*\n"
                        r"  mode MSI: address 0xfee([0-9a-f]{2})000 data 0x00([0-9a-f]{2}) \(vector 0x\3, "
                        r"APIC ID (\d+)\), INTx disabled\n")


def row(q, irq):
    """The `interrupts` row of `irq` as (count summed over the CPUs, the rest of the line), or None."""
    c = edu_affinity.columns(q, irq)
    return (sum(c[0]), c[1]) if c else None


def message_names(q, target):
    """None when the MSI message now carries `target`'s APIC ID (CPU n has APIC ID n on QEMU)."""
    s = MSI_STATUS.search(emu.clean(q.command("edu")))
    if not s or int(s.group(4)) != target:
        return f"the message does not name CPU {target}'s APIC ID: {s.group(0) if s else 'no MSI status'}"
    return None


def move_and_raise(q, outdir, irq, target):
    """Move the MSI to `target` (its message must follow) and raise 5 there: None when all 5 landed."""
    return edu_affinity.move_and_raise(q, outdir, "edu-msi", irq, target, message_names)


def edu_on_msi(iso, outdir, check):
    log = f"{outdir}/e2e-edu-msi.serial.log"
    open(log, "w").close()
    with emu.QemuSession(iso, extra=["-smp", "2"], log_path=log) as q:
        check("edu-msi-boot-to-prompt", lambda: q.wait_for(r"irqos> ", BOOT_TIMEOUT) and None)
        state = {}

        def at_boot():
            b = BOUND.search(emu.clean(q.text()))
            if not b:
                return "the driver did not bind 00:04.0 on MSI at boot"
            state["msi"] = int(b.group(1))
            out = emu.clean(q.command("edu"))
            emu.note(outdir, "edu-msi", out)
            s = MSI_STATUS.search(out)
            if not s or int(s.group(1)) != state["msi"]:
                return f"edu status is not MSI on IRQ {state['msi']}: {out!r}"
            caps = emu.clean(q.command("lspci"))
            if "\tCapabilities: [40] MSI: Enable+ Count=1/1 Maskable- 64bit+\n" not in caps:
                return "lspci does not show MSI enabled: " + caps[-400:]
            i = LSPCI_INTX.search(caps)
            if not i:
                return "lspci shows no INTx routing for 00:04.0"
            state["intx"] = int(i.group(1))
            return None
        check("edu-msi-at-boot-in-apic-mode", at_boot)

        def raise5():
            if "msi" not in state:
                return "no MSI IRQ"
            msi, intx = state["msi"], state["intx"]
            before, intx_before = row(q, msi), row(q, intx)
            out = emu.clean(q.command("edu raise 5"))
            after, intx_after = row(q, msi), row(q, intx)
            m = edu_affinity.RAISED.search(out)
            if not m or m.groups() != ("5", "5", "5", "5", "0"):
                return f"edu raise 5 said: {out!r}"
            if not before or not after:
                return f"IRQ {msi} has no row in interrupts"
            if after[0] - before[0] != 5:
                return f"IRQ {msi} grew by {after[0] - before[0]}, not 5"
            if not re.fullmatch(r"PCI-MSI\s+65536-edge\s+edu:00:04\.0", after[1]):
                return f"IRQ {msi} row: {after[1]!r}"
            if (intx_before and intx_after and intx_after[0] != intx_before[0]):
                return f"the INTx line IRQ {intx} moved from {intx_before[0]} to {intx_after[0]}"
            emu.note(outdir, "edu-msi", f"IRQ {msi}: {after}")
            return None
        check("edu-msi-raise-5-on-its-own-row", raise5)

        def affinity():
            if "msi" not in state:
                return "no MSI IRQ"
            return move_and_raise(q, outdir, state["msi"], 1) or move_and_raise(q, outdir, state["msi"], 0)
        check("edu-msi-affinity-to-cpu1-and-back", affinity)

        def back():
            if "msi" not in state:
                return "no MSI IRQ"
            msi, intx = state["msi"], state["intx"]
            out = emu.clean(q.command("edu mode intx"))
            if f"edu 00:04.0: MSI IRQ {msi} -> INTx IRQ {intx}\n" not in out:
                return f"edu mode intx said: {out!r}"
            before = row(q, intx)
            out = emu.clean(q.command("edu raise 2"))
            after = row(q, intx)
            m = edu_affinity.RAISED.search(out)
            if not m or m.groups() != ("2", "2", "2", "2", "0"):
                return f"edu raise 2 on INTx said: {out!r}"
            if not before or not after or after[0] - before[0] != 2:
                return f"IRQ {intx} rows {before} -> {after}"
            if row(q, msi) is not None:
                return f"IRQ {msi} still listed after the switch back"
            if "MSI: Enable- Count=1/1" not in emu.clean(q.command("lspci")):
                return "lspci still shows MSI enabled"
            return None
        check("edu-msi-back-to-intx", back)

        def again():
            out = emu.clean(q.command("edu mode msi"))
            m = SWITCHED.search(out)
            if not m or int(m.group(1)) != state.get("intx"):
                return f"edu mode msi said: {out!r}"
            r = row(q, int(m.group(2)))
            if not r or not re.fullmatch(r"PCI-MSI\s+65536-edge\s+edu:00:04\.0", r[1]):
                return f"no PCI-MSI row for IRQ {m.group(2)}: {r}"
            return None
        check("edu-msi-and-back-to-msi", again)


CHECKS = [edu_on_msi]
