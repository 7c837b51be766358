#!/usr/bin/env python3
"""Run Bochs headless with its `term` display drained, so that the guest never stops on a full terminal.

Debian's Bochs is built with the debugger, and then its term display (ncurses, the only display that needs
no X or VNC client) always draws the VGA text screen on a pseudo-terminal it opens itself, announcing
"Bochs connected to screen "/dev/pts/N"" on stderr. Nobody reads that terminal unless told to: once its
buffer is full (a few screens of kernel messages), Bochs blocks in the write for good and the guest stops,
at a point that depends on how the screen happened to change. Here the announced terminal is opened and
read for as long as Bochs runs, and the screen output is thrown away or kept in SCREEN_LOG.

  bochs_headless.py BOCHSRC DEBUGGER_RC TIMEOUT [OUTPUT_LOG [SCREEN_LOG]]
      BX_* come from the environment as tools/bochsrc.template expects; TIMEOUT 0: none. OUTPUT_LOG gets
      Bochs's own standard output and error. Exit status: Bochs's, or 124 when the timeout ended it.
      SIGTERM or SIGINT ends Bochs first (with SIGKILL: Bochs ignores SIGTERM).
"""
import os
import re
import signal
import subprocess
import sys
import termios
import threading

SCREEN_RE = re.compile(rb'Bochs connected to screen "(/dev/[^"]+)"')


def _drain_screen(path, sink):
    fd = os.open(path, os.O_RDONLY | os.O_NOCTTY)
    try:
        attrs = termios.tcgetattr(fd)  # no echo: what Bochs draws must not come back to it as key presses
        attrs[3] &= ~(termios.ECHO | termios.ICANON)
        termios.tcsetattr(fd, termios.TCSANOW, attrs)
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: Bochs closed its side
                return
            if not data:
                return
            if sink is not None:
                sink.write(data)
    finally:
        os.close(fd)


def _follow_output(pipe, out, screen_sink, threads):
    for line in iter(pipe.readline, b""):
        if out is not None:
            out.write(line)
            out.flush()
        m = SCREEN_RE.search(line)
        if m:
            t = threading.Thread(target=_drain_screen, args=(m.group(1).decode(), screen_sink), daemon=True)
            t.start()
            threads.append(t)


class Bochs:
    """Bochs started in its own session, its output followed and its screen drained."""

    def __init__(self, bochsrc, debugger_rc, env=None, cwd=None, output_log=None, screen_log=None):
        self.out = open(output_log, "wb") if output_log else None
        self.screen = open(screen_log, "wb") if screen_log else None
        self.proc = subprocess.Popen(["bochs", "-q", "-f", bochsrc, "-rc", debugger_rc], env=env, cwd=cwd,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.threads = []
        self.follower = threading.Thread(target=_follow_output,
                                         args=(self.proc.stdout, self.out, self.screen, self.threads),
                                         daemon=True)
        self.follower.start()

    def wait(self, timeout):
        """Bochs's exit status, or None if it still runs after `timeout` seconds (None or 0: no limit)."""
        try:
            return self.proc.wait(timeout=timeout or None)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        """SIGKILL to Bochs and all it started (its session): Bochs ignores SIGTERM."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def stop(self):
        """End Bochs, then close the logs."""
        self.kill()
        self.proc.wait()
        self.follower.join(5)
        for t in list(self.threads):
            t.join(5)
        for f in (self.out, self.screen):
            if f is not None:
                f.close()


def run(bochsrc, debugger_rc, timeout, env=None, cwd=None, output_log=None, screen_log=None):
    """Run Bochs to its end or for `timeout` seconds. Returns its exit status, None on timeout."""
    b = Bochs(bochsrc, debugger_rc, env, cwd, output_log, screen_log)
    try:
        return b.wait(timeout)
    finally:
        b.stop()


def main():
    if not 4 <= len(sys.argv) <= 6:
        sys.exit(__doc__)
    bochsrc, debugger_rc, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    logs = sys.argv[4:] + [None] * (6 - len(sys.argv))
    b = Bochs(bochsrc, debugger_rc, output_log=logs[0], screen_log=logs[1])

    ended_by = []

    def on_signal(signum, _frame):  # only the kill here: the main thread's wait() holds Popen's lock
        ended_by.append(signum)
        b.kill()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    status = b.wait(timeout)
    b.stop()
    if ended_by:
        sys.exit(128 + ended_by[0])
    sys.exit(124 if status is None else status if status >= 0 else 128 - status)


if __name__ == "__main__":
    main()
