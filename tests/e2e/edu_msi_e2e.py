"""End-to-end checks of the edu device on MSI on QEMU (run by shell_e2e.py, one job per function in
CHECKS; each function takes (iso, outdir, check) and records its results through `check(name, fn)`):

- `edu mode msi` moves 00:04.0 from its INTx line to an MSI IRQ of its own, `edu` shows the mode and the
  message (address 0xfee0_0000 with the destination APIC ID, data = the vector), and `lspci` shows the
  capability enabled ("Capabilities: [40] MSI: Enable+ Count=1/1 Maskable- 64bit+");
- `edu raise 5` is served 5 times and the MSI's own row in `interrupts` ("PCI-MSI 65536-edge
  edu:00:04.0") grows by exactly 5 while the INTx line's count does not move;
- `edu mode intx` goes back: the line serves the next raises, the MSI row is gone, and MSI is off in
  `lspci`.
"""
import re

import emu

BOOT_TIMEOUT = 60
SWITCHED = re.compile(r"edu 00:04\.0: INTx IRQ (\d+) -> MSI IRQ (\d+)\n")
MSI_STATUS = re.compile(r"edu 00:04\.0: IRQ (\d+) \(edge, MSI\), driver ok, status 0x00000000\n.*\n"
                        r"  mode MSI: address 0xfee([0-9a-f]{2})000 data 0x00([0-9a-f]{2}) \(vector 0x\3, "
                        r"APIC ID (\d+)\), INTx disabled\n")
RAISED = re.compile(r"edu 00:04\.0: raised (\d+), served (\d+) \(handler calls \+(\d+): handled \+(\d+), "
                    r"not mine \+(\d+)\)")


def row(q, irq):
    """The `interrupts` row of `irq` as (count summed over the CPUs, the rest of the line), or None."""
    for line in emu.clean(q.command("interrupts")).splitlines():
        m = re.match(rf"\s*{irq}:((?:\s+\d+)+)\s+(\S.*)$", line)
        if m:
            return sum(int(x) for x in m.group(1).split()), m.group(2).strip()
    return None


def edu_on_msi(iso, outdir, check):
    log = f"{outdir}/e2e-edu-msi.serial.log"
    open(log, "w").close()
    with emu.QemuSession(iso, log_path=log) as q:
        check("edu-msi-boot-to-prompt", lambda: q.wait_for(r"irqos> ", BOOT_TIMEOUT) and None)
        state = {}

        def switch():
            out = emu.clean(q.command("edu mode msi"))
            emu.note(outdir, "edu-msi", out)
            m = SWITCHED.search(out)
            if not m:
                return f"edu mode msi said: {out!r}"
            state["intx"], state["msi"] = int(m.group(1)), int(m.group(2))
            s = MSI_STATUS.search(out)
            if not s or int(s.group(1)) != state["msi"]:
                return f"no MSI status after the switch: {out!r}"
            if int(s.group(2), 16) != int(s.group(4)):
                return f"address names APIC ID 0x{s.group(2)}, the status says {s.group(4)}"
            caps = emu.clean(q.command("lspci"))
            if "\tCapabilities: [40] MSI: Enable+ Count=1/1 Maskable- 64bit+\n" not in caps:
                return "lspci does not show MSI enabled: " + caps[-400:]
            return None
        check("edu-msi-mode-switch-shows-message", switch)

        def raise5():
            if "msi" not in state:
                return "no MSI IRQ"
            msi, intx = state["msi"], state["intx"]
            before, intx_before = row(q, msi), row(q, intx)
            out = emu.clean(q.command("edu raise 5"))
            after, intx_after = row(q, msi), row(q, intx)
            m = RAISED.search(out)
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
            m = RAISED.search(out)
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


CHECKS = [edu_on_msi]
