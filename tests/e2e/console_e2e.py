"""End-to-end checks of the console path (run by shell_e2e.py, one job per function in CHECKS):

- a serial reader that stops reading never stops the clock: with the far end stalled, a printk flood and
  shell output wait in buffers while the timer keeps its rate; once reading resumes, the flood's end
  arrives after one "** N printk messages dropped **" note;
- a paste of 200 commands, faster than the shell runs them, runs all 200 (the UART is throttled);
- the line editor eats escape sequences whole and a lone ESC never eats Enter;
- `loglevel=0` hides kernel messages but never the shell; `dmesg` holds no shell echo;
- a command line longer than the kernel keeps is printed whole and cut at a word with a warning;
- `poweroff` powers the machine off every time (QMP reports a guest shutdown, no "power-off failed").

Each function takes (iso, outdir, check) and records its results through `check(name, fn)`. The boots
with their own command line get an ISO made here from the kernel next to `iso` (BUILD/kernel/irqos.elf).
"""
import json
import os
import re
import socket
import subprocess
import tempfile
import threading
import time

import emu

BOOT_TIMEOUT = 60
STALL_SECONDS = 4.0        # how long the far end stops reading
FLOOD_MESSAGES = 3000      # more than the 64 KiB log holds, so some are overwritten while stalled
RATE_MIN_PERCENT = 50      # as tests/kernel/test_timer.cpp: a busy host merges ticks, never adds any
PASTE_COMMANDS = 200
PASTE_PAUSE_SECONDS = 1.0  # the terminal stops reading while the paste arrives
POWEROFF_BOOTS = 5
LONG_CMDLINE_WORDS = 375   # "hz=1000 " x 375 = 3000 bytes: more than the kernel keeps
KEPT_BYTES = 2047          # COMMAND_LINE_SIZE - 1 (kernel/cmdline.h)
GRUB_MODULES = "multiboot2 normal iso9660 biosdisk part_msdos"
UPTIME = r"up (\d+)\.(\d{3}) s \((\d+) jiffies, HZ=(\d+)\)"


def note(outdir, line):
    """Figures worth reading in the log of a passing run (never asserted beyond the checks)."""
    print(f"    {line}", flush=True)
    with open(os.path.join(outdir, "e2e-console-figures.txt"), "a") as f:
        f.write(line + "\n")


def make_iso(iso, outdir, name, cmdline):
    """An ISO whose only entry boots the kernel beside `iso` with `cmdline` (as mk/test.mk's test_iso)."""
    elf = os.path.join(os.path.dirname(os.path.abspath(iso)), "kernel", "irqos.elf")
    root = tempfile.mkdtemp(prefix="irqos-iso-", dir=outdir)
    os.makedirs(os.path.join(root, "boot", "grub"))
    with open(elf, "rb") as src, open(os.path.join(root, "boot", "irqos.elf"), "wb") as dst:
        dst.write(src.read())
    with open(os.path.join(root, "boot", "grub", "grub.cfg"), "w") as f:
        f.write(f'set timeout=0\nset default=0\nmenuentry "irqos {name}" {{\n'
                f'  multiboot2 /boot/irqos.elf {cmdline}\n  boot\n}}\n')
    out = os.path.join(outdir, f"irqos-{name}.iso")
    subprocess.run(["grub-mkrescue", f"--install-modules={GRUB_MODULES}", "-o", out, root],
                   check=True, capture_output=True)
    subprocess.run(["rm", "-rf", root], check=True)
    return out


def uptime(q):
    m = re.search(UPTIME, q.command("uptime"))
    if not m:
        raise RuntimeError("no uptime answer")
    return int(m.group(3)), int(m.group(4)), time.monotonic()


def serial_checks(iso, outdir, check):
    log = os.path.join(outdir, "e2e-console.serial.log")
    open(log, "w").close()
    with emu.QemuSession(iso, log_path=log) as q:
        check("console-boot-to-prompt", lambda: q.wait_for(r"irqos> ", BOOT_TIMEOUT) and None)

        def stalled_reader():
            j1, hz, t1 = uptime(q)
            start = q.mark()
            # From here the far end reads nothing: QEMU's 16550 keeps THRE clear once the socket is full.
            q.serial.sendall(f"kmsg -n {FLOOD_MESSAGES} flood from the shell while nobody reads\r".encode())
            q.serial.sendall(b"help\r")
            time.sleep(STALL_SECONDS)
            at = q.wait_for(r"list the commands", 120, start).end()   # reading again
            q.wait_for(r"irqos> ", 60, at)
            j2, _, t2 = uptime(q)
            rate = (j2 - j1) / (t2 - t1)
            text = emu.clean(q.text()[start:])
            notes = re.findall(r"\*\* (\d+) printk messages dropped \*\*\n", text)
            note(outdir, f"stalled reader: {j2 - j1} jiffies in {t2 - t1:.2f} s = {rate:.0f}/s at HZ={hz}; "
                         f"dropped notes {notes}")
            problems = []
            if rate * 100 < hz * RATE_MIN_PERCENT:
                problems.append(f"the timer fell to {rate:.0f} ticks/s (HZ={hz}) while the reader was stalled")
            if len(notes) != 1 or int(notes[0]) <= 0:
                problems.append(f"expected one '** N printk messages dropped **' note, got {notes}")
            elif f"flood from the shell while nobody reads #{FLOOD_MESSAGES}\n" not in text:
                problems.append("the newest flood message did not arrive")
            return "; ".join(problems) or None
        check("console-stalled-reader-keeps-the-tick-rate", stalled_reader)

        def paste():
            lines = [f"echo paste-{i:03d}" for i in range(PASTE_COMMANDS)]
            start = q.mark()
            # The whole paste at once while the terminal is paused: the shell waits to print, the tty
            # fills, and the guest throttles its receiver (QEMU then leaves the rest in the socket).
            q.serial.sendall("\r".join(lines).encode() + b"\r")
            time.sleep(PASTE_PAUSE_SECONDS)
            last = q.wait_for(rf"\npaste-{PASTE_COMMANDS - 1:03d}\r?\n", 120, start)
            q.wait_for(r"irqos> ", 20, last.end())
            ran = [int(m) for m in re.findall(r"^paste-(\d{3})$", emu.clean(q.text()[start:]), re.M)]
            stats = emu.clean(q.command("tty"))
            note(outdir, f"paste of {PASTE_COMMANDS}: {len(ran)} ran; tty: {stats.strip()}")
            if ran != list(range(PASTE_COMMANDS)):
                missing = sorted(set(range(PASTE_COMMANDS)) - set(ran))
                return f"{len(ran)} of {PASTE_COMMANDS} ran (missing {missing[:10]}...)"
            m = re.search(r"dropped (\d+), throttled (\d+)", stats)
            if not m or int(m.group(1)) != 0:
                return f"input was dropped: {stats!r}"
            if int(m.group(2)) == 0:
                return "the paste never filled the tty (nothing throttled): the check proved nothing"
            return None
        check("console-paste-of-200-commands-runs-all", paste)

        def run(keys):
            """Type `keys` and Enter; return what follows the echo, up to the next prompt."""
            start = q.mark()
            q.type(keys + "\r")
            out = emu.clean(q.text()[start:q.wait_for(r"irqos> ", 20, start).start()])
            return out[out.find("\n") + 1:]

        def escapes():
            problems = []
            out = run("echo lone\x1b")   # ESC right before Enter
            if out != "lone\n":
                problems.append(f"ESC swallowed Enter: {out!r}")
            out = run("\x1b]0;a title\x07\x1b[1;5Hecho osc\x1b]2;x\x1b\\")
            if out != "osc\n" or "title" in q.text()[-200:]:
                problems.append(f"OSC/CSI not consumed whole: {out!r}")
            out = run("\x1b[A")   # up arrow: the last command again
            if out != "osc\n":
                problems.append(f"up arrow did not recall 'echo osc': {out!r}")
            return "; ".join(problems) or None
        check("console-escape-sequences-consumed-whole", escapes)


def loglevel_checks(iso, outdir, check):
    log = os.path.join(outdir, "e2e-loglevel0.serial.log")
    open(log, "w").close()
    iso0 = make_iso(iso, outdir, "loglevel0", "loglevel=0")
    with emu.QemuSession(iso0, log_path=log) as q:
        def shell_not_hidden():
            q.wait_for(r"irqos> ", BOOT_TIMEOUT)
            problems = []
            boot = emu.clean(q.text())
            if "ttyS0 at I/O" in boot:
                problems.append("loglevel=0 did not hide the boot messages")
            out = emu.clean(q.command("echo still here"))
            if out != "still here\n":
                problems.append(f"shell output hidden or garbled: {out!r}")
            out = emu.clean(q.command("kmsg -l 0 an emergency the console must not show"))
            if out != "":
                problems.append(f"a kernel message reached the console at loglevel=0: {out!r}")
            out = emu.clean(q.command("dmesg"))
            if "an emergency the console must not show\n" not in out:
                problems.append("dmesg lacks the kernel message")
            if "irqos> " in out or "echo still here" in out or "still here\n" in out:
                problems.append("dmesg shows the shell's echo or output")
            return "; ".join(problems) or None
        check("console-loglevel0-hides-kernel-messages-not-the-shell", shell_not_hidden)


def cmdline_checks(iso, outdir, check):
    log = os.path.join(outdir, "e2e-long-cmdline.serial.log")
    open(log, "w").close()
    line = " ".join(["hz=1000"] * LONG_CMDLINE_WORDS)
    long_iso = make_iso(iso, outdir, "long-cmdline", line)
    with emu.QemuSession(long_iso, log_path=log) as q:
        def printed_whole_and_cut_with_warning():
            q.wait_for(r"irqos> ", BOOT_TIMEOUT)
            text = emu.clean(q.text())
            problems = []
            m = re.search(r"^Command line: (.*)$", text, re.M)
            if not m or m.group(1) != line:
                problems.append(f"the command line is not printed whole ({len(m.group(1)) if m else 0} of "
                                f"{len(line)} bytes shown)")
            kept_words = sum(1 for i in range(LONG_CMDLINE_WORDS) if 8 * i + 7 <= KEPT_BYTES)   # whole words
            want = (f"Kernel command line is {len(line)} bytes, more than the {KEPT_BYTES} kept: "
                    f"{LONG_CMDLINE_WORDS - kept_words} word(s) from \"hz=1000\" on ignored.")
            if want not in text:
                problems.append(f"no warning '{want}'")
            if "Unknown kernel command line parameter" in text or "rejected" in text:
                problems.append("a cut word was parsed")
            return "; ".join(problems) or None
        check("console-long-cmdline-printed-whole-and-cut-at-a-word", printed_whole_and_cut_with_warning)


def qmp_connect(path, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            break
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    f = s.makefile("rw")
    json.loads(f.readline())   # greeting
    f.write(json.dumps({"execute": "qmp_capabilities"}) + "\n")
    f.flush()
    while "return" not in json.loads(f.readline()):
        pass
    return s, f


def poweroff_checks(iso, outdir, check):
    def boots():
        failures = []
        for i in range(POWEROFF_BOOTS):
            log = os.path.join(outdir, f"e2e-poweroff-{i}.serial.log")
            open(log, "w").close()
            qdir = tempfile.mkdtemp(prefix="irqos-qmp-")
            qmp_path = os.path.join(qdir, "qmp.sock")
            with emu.QemuSession(iso, log_path=log, extra=["-qmp", f"unix:{qmp_path},server=on,wait=off"]) as q:
                s, f = qmp_connect(qmp_path)
                try:
                    q.wait_for(r"irqos> ", BOOT_TIMEOUT)
                    q.type("poweroff\r")
                    q.wait_exit(30)
                    events = []
                    for raw in f:   # until QEMU closes the socket
                        msg = json.loads(raw)
                        if "event" in msg:
                            events.append((msg["event"], msg.get("data", {}).get("reason")))
                finally:
                    s.close()
                    if os.path.exists(qmp_path):
                        os.unlink(qmp_path)
                    os.rmdir(qdir)
                text = emu.clean(q.text())
                if ("SHUTDOWN", "guest-shutdown") not in events:
                    failures.append(f"boot {i}: QEMU did not stop by a guest power-off (events {events})")
                if "irqos: power down\n" not in text:
                    failures.append(f"boot {i}: no 'irqos: power down'")
                if "power-off failed" in text:
                    failures.append(f"boot {i}: the kernel printed 'power-off failed'")
        note(outdir, f"poweroff: {POWEROFF_BOOTS - len(failures)} of {POWEROFF_BOOTS} boots powered off cleanly")
        return "; ".join(failures) or None
    check(f"console-poweroff-{POWEROFF_BOOTS}-boots-each-powers-off", boots)


CHECKS = [serial_checks, poweroff_checks, loglevel_checks, cmdline_checks]
