#!/usr/bin/env python3
"""Draw the per-tick interrupt record (`irqrate dump`, kernel/scenario/irqrate.cpp) as interrupt rate
against time, one curve per line that took any interrupt: a storm climbs to its line's ceiling and drops
to zero when the spurious detector disables the line, while the timer stays flat at HZ.

  plot_irqrate.py CAPTURE PNG          draw an existing capture (the text of `irqrate dump`)
  plot_irqrate.py --boot ISO OUTDIR    boot ISO in QEMU, run `storm edu` and `irqrate dump`, keep the
                                       capture (OUTDIR/storm-edu.irqrate.txt) and draw OUTDIR/storm-edu.png
                                       (this is `make plot`)
"""
import os
import re
import sys

HEADER = re.compile(r"irqrate-dump: HZ=(\d+) lines=(\d+) samples=(\d+) overwritten=(\d+)")
LINE_NAMES = {0: "timer", 1: "keyboard (i8042)", 3: "COM2", 4: "COM1 (console)", 8: "rtc0", 11: "edu"}


def parse(text):
    """(hz, {irq: [count per tick]}, [jiffies]) from the text of `irqrate dump`."""
    text = text.replace("\r", "")
    m = None
    for m in HEADER.finditer(text):
        pass  # the last dump in the capture
    if not m:
        raise ValueError("no 'irqrate-dump:' header in the capture")
    hz, lines, samples = int(m.group(1)), int(m.group(2)), int(m.group(3))
    body = text[m.end():].split("irqrate-dump: end", 1)
    if len(body) != 2:
        raise ValueError("the dump has no end line (cut short?)")
    jiffies, counts = [], {irq: [] for irq in range(lines)}
    for row in body[0].strip().splitlines():
        fields = [int(f) for f in row.split()]
        if len(fields) != lines + 1:
            raise ValueError(f"bad sample line: {row!r}")
        jiffies.append(fields[0])
        for irq in range(lines):
            counts[irq].append(fields[1 + irq])
    if len(jiffies) != samples:
        raise ValueError(f"header says {samples} samples, found {len(jiffies)}")
    return hz, counts, jiffies


def draw(capture_text, png, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    hz, counts, jiffies = parse(capture_text)
    if not jiffies:
        raise ValueError("the capture holds no samples")
    t_ms = [(j - jiffies[0]) * 1000.0 / hz for j in jiffies]
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=100)
    for irq, series in counts.items():
        if not any(series):
            continue
        rate = [c * hz for c in series]   # interrupts per second during that tick
        ax.step(t_ms, [max(r, 0.5) for r in rate], where="pre",
                label=f"IRQ {irq} {LINE_NAMES.get(irq, '')}".strip())
    ax.set_yscale("log")
    ax.set_xlabel(f"time (ms, one sample per tick, HZ={hz})")
    ax.set_ylabel("interrupts per second")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(png)
    return hz, counts


def boot_and_capture(iso, outdir):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
    import emu
    os.makedirs(outdir, exist_ok=True)
    with emu.QemuSession(iso, log_path=os.path.join(outdir, "storm-edu.serial.log")) as q:
        q.wait_for(r"irqos> ", 60)
        storm = q.command("storm edu", timeout=120)
        dump = q.command("irqrate dump", timeout=60)
    capture = os.path.join(outdir, "storm-edu.irqrate.txt")
    with open(capture, "w") as f:
        f.write(storm + "\n" + dump + "\n")
    return capture, storm + "\n" + dump


def main(argv):
    if len(argv) == 3 and argv[1] != "--boot":
        with open(argv[1]) as f:
            text = f.read()
        draw(text, argv[2], os.path.basename(argv[1]))
        print(f"plot: {argv[2]}")
        return 0
    if len(argv) == 4 and argv[1] == "--boot":
        capture, text = boot_and_capture(argv[2], argv[3])
        if "storm: contained" not in text:
            print("plot: the storm was not contained; see " + capture)
            return 1
        png = os.path.join(argv[3], "storm-edu.png")
        hz, counts = draw(text, png, "storm edu: IRQ 11 storms until the spurious detector disables it")
        print(f"plot: capture {capture}\nplot: picture {png}")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
