"""Emulator sessions for the end-to-end tests: QEMU with its serial port and monitor on Unix sockets
(so a script can type on the serial line and press keys through the monitor), and batch runs of QEMU
and Bochs whose serial output goes to a file (the in-kernel test runs). QEMU's isa-debug-exit turns the
guest's write of v to port 0xf4 into exit status (v << 1) | 1; the monitor's `sendkey` presses keys on
the emulated keyboard; Bochs's debugger build needs an rc file whose first command is `c` (continue).
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

QEMU = "qemu-system-x86_64"
QEMU_BASE = ["-M", "pc", "-accel", "tcg", "-m", "128M", "-display", "none", "-no-reboot", "-boot", "d",
             "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-device", "edu"]
# COM2 (IRQ 3) exists only if a second -serial follows COM1's: the half-duplex scenario's UART.
QEMU_COM2 = ["-serial", "null"]
# isa-debug-exit: the guest writes v to port 0xf4, QEMU exits with (v << 1) | 1.
EXIT_PASS = (0x10 << 1) | 1   # 33
EXIT_FAIL = (0x11 << 1) | 1   # 35


def clean(s):
    """Serial text as the guest meant it: without the carriage returns of its "\\r\\n" line ends."""
    return s.replace("\r", "")


def note(outdir, name, text):
    """Append a line worth reading in a passing run's output directory (outdir/e2e-NAME.notes); figures
    written here are never asserted beyond the checks themselves."""
    with open(os.path.join(outdir, f"e2e-{name}.notes"), "a") as f:
        f.write(text + "\n")


class Timeout(Exception):
    pass


class QemuSession:
    """QEMU booting `iso`, serial on a socket we read and write, monitor on another socket."""

    def __init__(self, iso, extra=None, log_path=None):
        self.dir = tempfile.mkdtemp(prefix="irqos-e2e-")
        self.serial_path = os.path.join(self.dir, "serial.sock")
        self.monitor_path = os.path.join(self.dir, "monitor.sock")
        self.log_path = log_path
        self.buf = b""
        cmd = [QEMU] + QEMU_BASE + [
            # wait=on: QEMU does not start the guest before we are connected, so no output is lost.
            "-chardev", f"socket,id=ser0,path={self.serial_path},server=on,wait=on",
            "-serial", "chardev:ser0"] + QEMU_COM2 + [
            "-monitor", f"unix:{self.monitor_path},server=on,wait=off",
            "-cdrom", iso] + (extra or [])
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.serial = self._connect(self.serial_path)
        self.serial.setblocking(False)
        self.monitor = None

    def _connect(self, path, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                return s
            except OSError:
                s.close()
                if self.proc.poll() is not None:
                    out = self.proc.stdout.read().decode(errors="replace")
                    raise RuntimeError(f"QEMU exited ({self.proc.returncode}) before {path} opened: {out}")
                if time.monotonic() > deadline:
                    raise Timeout(f"no socket {path}")
                time.sleep(0.05)

    def _pump(self, wait):
        """Read what the serial port has (waiting up to `wait` seconds for the first byte)."""
        import select
        r, _, _ = select.select([self.serial], [], [], wait)
        if not r:
            return False
        try:
            data = self.serial.recv(65536)
        except BlockingIOError:
            return False
        if not data:
            return False
        self.buf += data
        if self.log_path:
            with open(self.log_path, "ab") as f:
                f.write(data)
        return True

    def text(self):
        return self.buf.decode("latin-1")

    def wait_for(self, pattern, timeout=20.0, start=0):
        """Wait until regex `pattern` matches the serial output after offset `start`; returns the match."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.text(), start)
            if m:
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout(f"no /{pattern}/ on serial within {timeout}s; tail: {self.text()[-400:]!r}")
            if self.proc.poll() is not None:
                self._pump(0)
                m = rx.search(self.text(), start)
                if m:
                    return m
                raise RuntimeError(f"QEMU exited ({self.proc.returncode}) waiting for /{pattern}/; "
                                   f"tail: {self.text()[-400:]!r}")
            self._pump(min(left, 0.2))

    def mark(self):
        return len(self.buf)

    def type(self, text, delay=0.01):
        """Type on the serial line, one byte at a time (as a person at a terminal would)."""
        for ch in text.encode("latin-1"):
            self.serial.sendall(bytes([ch]))
            time.sleep(delay)
            self._pump(0)

    def command(self, line, timeout=20.0):
        """Type `line` + Enter at the prompt; return the output between the echo and the next prompt."""
        start = self.mark()
        self.type(line + "\r")
        m = self.wait_for(r"irqos> ", timeout, start + len(line))
        out = self.text()[start:m.start()]
        # Drop the echoed command line itself.
        nl = out.find("\n")
        return out[nl + 1:] if nl >= 0 else ""

    def monitor_cmd(self, cmd, timeout=10.0):
        if self.monitor is None:
            self.monitor = self._connect(self.monitor_path)
            self.monitor.settimeout(timeout)
            self._monitor_read_until(b"(qemu) ")
        self.monitor.sendall(cmd.encode() + b"\n")
        return self._monitor_read_until(b"(qemu) ")

    def _monitor_read_until(self, token):
        data = b""
        while not data.endswith(token):
            chunk = self.monitor.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.decode(errors="replace")

    def wait_exit(self, timeout=20.0):
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                raise Timeout("QEMU did not exit")
            self._pump(0.1)
        while self._pump(0):
            pass
        return self.proc.returncode

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for s in (self.serial, self.monitor):
            if s:
                s.close()
        for p in (self.serial_path, self.monitor_path):
            if os.path.exists(p):
                os.unlink(p)
        os.rmdir(self.dir)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def qemu_batch(iso, serial_log, timeout, extra=None):
    """Boot `iso` with serial to a file until the guest exits; returns QEMU's exit code (None: timeout)."""
    cmd = [QEMU] + QEMU_BASE + ["-serial", f"file:{serial_log}"] + QEMU_COM2 + ["-cdrom", iso] + (extra or [])
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
        return r.returncode
    except subprocess.TimeoutExpired:
        return None


# The in-kernel tests run on Bochs with two CPUs (Debian's Bochs is built with SMP support).
BOCHS_CPUS = 2
TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools")
sys.path.insert(0, TOOLS)
import bochs_headless  # noqa: E402  (tools/: `make run-bochs` starts Bochs through it too)


def bochs_batch(iso, serial_log, bochs_log, timeout):
    """Boot `iso` in headless Bochs (tools/bochsrc.template, its screen drained by tools/bochs_headless.py)
    until it ends ("Shutdown" at port 0x8900) or `timeout` seconds. Bochs's exit status carries no
    verdict; returns (status or None on timeout)."""
    work = tempfile.mkdtemp(prefix="irqos-bochs-")
    rc_path = os.path.join(work, "bochsrc")
    cont_path = os.path.join(work, "cont.rc")
    with open(os.path.join(TOOLS, "bochsrc.template")) as src, open(rc_path, "w") as f:
        f.write(src.read())
    with open(cont_path, "w") as f:
        f.write("c\n")   # the Debian build has the debugger: continue at its first prompt
    open(serial_log, "w").close()
    env = dict(os.environ, BX_ISO=os.path.abspath(iso), BX_SERIAL=os.path.abspath(serial_log),
               BX_LOG=os.path.abspath(bochs_log), BX_CPUS=str(BOCHS_CPUS))
    try:
        return bochs_headless.run(rc_path, cont_path, timeout, env=env, cwd=work)
    finally:
        for p in (rc_path, cont_path):
            os.unlink(p)
        os.rmdir(work)
