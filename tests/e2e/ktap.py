"""A KTAP version 1 reader (Linux Documentation/dev-tools/ktap.rst) for the in-kernel test output on the
serial log: the version line, the plan "1..N", result lines "ok N desc [# SKIP reason]" / "not ok N desc",
and the "# " diagnostic lines the runner prints before a failing result."""
import re

RESULT = re.compile(r"^(not ok|ok) (\d+)(?: ([^#]*?))?\s*(?:#\s*(SKIP|TODO)\b\s*(.*))?$")
PLAN = re.compile(r"^1\.\.(\d+)\s*$")


class Ktap:
    def __init__(self):
        self.version = False
        self.plan = None
        self.results = []    # (number, name, status "PASS"/"FAIL"/"SKIP", diagnostics, raw line)
        self.summary = None  # the runner's "# irqos ktest: ..." line
        self.duplicates = []  # test numbers whose result line appeared twice verbatim


def parse(text):
    k = Ktap()
    diags = []
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if line.strip() == "KTAP version 1":
            k.version = True
            continue
        if not k.version:
            continue   # boot log before the test run
        m = PLAN.match(line)
        if m and k.plan is None:
            k.plan = int(m.group(1))
            continue
        m = RESULT.match(line)
        if m and any(r[0] == int(m.group(2)) for r in k.results):
            prev = next(r for r in k.results if r[0] == int(m.group(2)))
            if prev[4] == line.strip():
                k.duplicates.append(prev[0])   # the same line again: a test that ran twice, or output doubled
                diags = []
                continue
        if m:
            ok = m.group(1) == "ok"
            status = "PASS" if ok else "FAIL"
            if m.group(4) == "SKIP":
                status = "SKIP" if ok else "FAIL"
            k.results.append((int(m.group(2)), (m.group(3) or "").strip(), status,
                              diags + ([m.group(5)] if m.group(5) else []), line.strip()))
            diags = []
            continue
        s = line.strip()
        if s.startswith("# irqos ktest:"):
            k.summary = s
        elif s.startswith("#"):
            diags.append(s[1:].strip())
    return k


def check_lines(k, prefix, must_run=()):
    """The results-file lines for a parsed run: one per KTAP test, plus FAIL lines for a missing version,
    plan, or results the plan promised but the log does not have (the kernel died mid-run). A test named
    in `must_run` fails if it skipped: on that emulator a skip can only mean the feature broke."""
    out = []
    if not k.version:
        return [f"FAIL {prefix}/ktap: no 'KTAP version 1' line on serial"]
    if k.plan is None:
        out.append(f"FAIL {prefix}/ktap: no plan line '1..N'")
    elif k.plan == 0:
        out.append(f"FAIL {prefix}/ktap: the plan is '1..0': no test was registered")
    for num in k.duplicates:   # either way something ran or printed twice: never count it once silently
        out.append(f"FAIL {prefix}/test-{num}: its result line appears twice")
    seen = set()
    for num, name, status, diags, _ in k.results:
        if num in seen:
            out.append(f"FAIL {prefix}/test-{num}: two different results for one test number")
            continue
        seen.add(num)
        label = f"{prefix}/{name or num}"
        if status == "PASS":
            out.append(f"PASS {label}")
        elif status == "SKIP" and name in must_run:
            out.append(f"FAIL {label}: skipped ({diags[-1] if diags else 'no reason'}), but it must run on {prefix}")
        elif status == "SKIP":
            out.append(f"SKIP {label}: {diags[-1] if diags else 'skipped'}")
        else:
            why = "; ".join(diags[-3:]) if diags else "not ok"
            out.append(f"FAIL {label}: {why}")
    names = {r[1] for r in k.results}
    for name in must_run:
        if name not in names:   # renamed or removed: the must-run rule would quietly stop applying
            out.append(f"FAIL {prefix}/{name}: must run on {prefix} but has no result")
    if k.plan is not None:
        for n in sorted(n for n in seen if n > k.plan):
            out.append(f"FAIL {prefix}/test-{n}: result beyond the plan 1..{k.plan}")
        missing = [n for n in range(1, k.plan + 1) if n not in seen]
        for n in missing:
            out.append(f"FAIL {prefix}/test-{n}: no result on serial (the run stopped early)")
    return out
