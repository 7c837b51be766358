#!/usr/bin/env python3
"""Tests of the test harness itself: the KTAP reader (tests/e2e/ktap.py) and the run summary
(tools/test-summary). `make test` is only as honest as these two: a crashed run, an empty plan, a doubled
result or a step that produced nothing must never be counted as passing. Also the code blocks of
docs/adding-a-driver.md, which must be the tree's code.

  test_harness.py OUTDIR     writes OUTDIR/harness.results (one PASS/FAIL line per test)"""
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ktap  # noqa: E402

SUMMARY = os.path.join(HERE, "..", "..", "tools", "test-summary")
GOOD = "boot log\nKTAP version 1\n1..2\nok 1 a.x\nok 2 a.y\n# irqos ktest: 2 passed, 0 failed\n"


def fails(text, must_run=()):
    return [l for l in ktap.check_lines(ktap.parse(text), "emu", must_run) if l.startswith("FAIL")]


class KtapReader(unittest.TestCase):
    def test_a_clean_run_has_one_pass_per_test(self):
        lines = ktap.check_lines(ktap.parse(GOOD), "emu")
        self.assertEqual(lines, ["PASS emu/a.x", "PASS emu/a.y"])

    def test_no_version_line_is_a_failure(self):
        self.assertEqual(len(fails("1..1\nok 1 a.x\n")), 1)

    def test_an_empty_plan_is_a_failure(self):
        self.assertIn("1..0", fails("KTAP version 1\n1..0\n")[0])

    def test_a_run_that_stopped_early_fails_each_missing_test(self):
        self.assertEqual(fails("KTAP version 1\n1..3\nok 1 a.x\n"),
                         ["FAIL emu/test-2: no result on serial (the run stopped early)",
                          "FAIL emu/test-3: no result on serial (the run stopped early)"])

    def test_a_result_printed_twice_is_a_failure(self):
        self.assertEqual(len(fails(GOOD + "ok 2 a.y\n")), 1)

    def test_a_result_beyond_the_plan_is_a_failure(self):
        self.assertEqual(len(fails(GOOD + "ok 3 a.z\n")), 1)

    def test_not_ok_carries_the_diagnostics(self):
        f = fails("KTAP version 1\n1..1\n# test.cpp:9: expected 1 == 2\nnot ok 1 a.x\n")
        self.assertEqual(f, ["FAIL emu/a.x: test.cpp:9: expected 1 == 2"])

    def test_a_skip_is_neither_pass_nor_fail(self):
        lines = ktap.check_lines(ktap.parse("KTAP version 1\n1..1\nok 1 a.x # SKIP no device\n"), "emu")
        self.assertEqual(lines, ["SKIP emu/a.x: no device"])

    def test_a_skip_of_a_must_run_test_is_a_failure(self):
        self.assertEqual(len(fails("KTAP version 1\n1..1\nok 1 a.x # SKIP no device\n", must_run=("a.x",))), 1)

    def test_a_must_run_test_without_a_result_is_a_failure(self):
        self.assertEqual(len(fails(GOOD, must_run=("a.renamed",))), 1)


class Summary(unittest.TestCase):
    def run_summary(self, steps, files):
        """steps: {name: exit status}; files: {name: (filename, content)}. Returns (exit, last line)."""
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "steps"), "w") as f:
                for name, rc in steps.items():
                    f.write(f"{name} {rc}\n")
            specs = []
            for name, (fname, content) in files.items():
                path = os.path.join(d, fname)
                if content is not None:
                    with open(path, "w") as f:
                        f.write(content)
                specs.append(f"{name}={path}")
            r = subprocess.run([sys.executable, SUMMARY, d] + specs, capture_output=True, text=True)
            return r.returncode, r.stdout.strip().splitlines()[-1]

    def test_totals_add_up_and_skips_are_not_counted(self):
        rc, last = self.run_summary({"a": 0, "b": 0},
                                    {"a": ("a.results", "PASS x\nPASS y\nSKIP z: n/a\n"), "b": ("b.results", "PASS w\n")})
        self.assertEqual((rc, last), (0, "3 passed, 0 failed"))

    def test_a_failure_makes_the_exit_status_non_zero(self):
        self.assertEqual(self.run_summary({"a": 1}, {"a": ("a.results", "PASS x\nFAIL y: broke\n")}),
                         (1, "1 passed, 1 failed"))

    def test_a_step_that_did_not_run_is_a_failure(self):
        self.assertEqual(self.run_summary({}, {"a": ("a.results", "PASS x\n")}), (1, "1 passed, 1 failed"))

    def test_a_step_without_results_is_a_failure_not_zero_tests(self):
        self.assertEqual(self.run_summary({"a": 0}, {"a": ("a.results", None)}), (1, "0 passed, 1 failed"))

    def test_a_crashed_step_whose_results_all_passed_is_a_failure(self):
        self.assertEqual(self.run_summary({"a": 139}, {"a": ("a.results", "PASS x\n")}), (1, "1 passed, 1 failed"))

    def test_a_truncated_gtest_report_is_a_failure(self):
        self.assertEqual(self.run_summary({"h": 0}, {"h": ("r.xml", "<testsuites><testsuite>")}),
                         (1, "0 passed, 1 failed"))

    def test_gtest_cases_are_counted_one_by_one(self):
        xml = ('<testsuites><testsuite name="S"><testcase classname="S" name="a"/>'
               '<testcase classname="S" name="b"><failure message="x"/></testcase>'
               '<testcase classname="S" name="c" status="notrun"/></testsuite></testsuites>')
        self.assertEqual(self.run_summary({"h": 1}, {"h": ("r.xml", xml)}), (1, "1 passed, 1 failed"))


REPO = os.path.join(HERE, "..", "..")
SNIPPET = re.compile(r"<!-- snippet: (\S+) -->\n```[a-z]*\n(.*?)```", re.S)


def doc_snippets(text):
    """[(path, code)] for each code block of a doc that is marked as copied from a source file."""
    return [(m.group(1), m.group(2)) for m in SNIPPET.finditer(text)]


def snippet_problems(doc):
    """Why the marked code blocks of `doc` (a path under docs/) are not in their files, one line each."""
    problems = []
    with open(os.path.join(REPO, doc), encoding="utf-8") as f:
        snippets = doc_snippets(f.read())
    if not snippets:
        problems.append(f"{doc} has no marked snippets")
    for path, code in snippets:
        try:
            with open(os.path.join(REPO, path), encoding="utf-8") as f:
                source = f.read()
        except OSError as e:
            problems.append(f"{doc}: {path}: {e}")
            continue
        if code not in source:
            problems.append(f"{doc}: this block is not in {path}: {code.splitlines()[0]!r}")
    return problems


class DocSnippets(unittest.TestCase):
    """docs/adding-a-driver.md shows the RTC driver as it is in the tree: every marked block is checked."""

    def test_the_reader_finds_marked_blocks(self):
        text = "x\n<!-- snippet: a.cpp -->\n```cpp\nint a;\n```\n```cpp\nunmarked\n```\n"
        self.assertEqual(doc_snippets(text), [("a.cpp", "int a;\n")])

    def test_adding_a_driver_matches_the_sources(self):
        self.assertEqual(snippet_problems("docs/adding-a-driver.md"), [])

    def test_a_changed_source_line_is_caught(self):
        with tempfile.TemporaryDirectory(dir=REPO) as d:
            rel = os.path.relpath(d, REPO)
            with open(os.path.join(d, "src.cpp"), "w") as f:
                f.write("int a = 1;\n")
            with open(os.path.join(d, "doc.md"), "w") as f:
                f.write(f"<!-- snippet: {rel}/src.cpp -->\n```cpp\nint a = 2;\n```\n")
            self.assertEqual(len(snippet_problems(f"{rel}/doc.md")), 1)


# A stand-in for Debian's Bochs (debugger build, term display): it opens a pseudo-terminal of its own,
# announces it on stderr as Bochs does, writes SIZE bytes of "screen" to it and exits 7. Unread, the
# terminal fills after a few KiB and the write blocks for good, which is how real Bochs runs stopped.
FAKE_BOCHS = """#!/usr/bin/env python3
import ctypes, os, sys
libc = ctypes.CDLL(None)
libc.ptsname.restype = ctypes.c_char_p
master = os.open("/dev/ptmx", os.O_RDWR | os.O_NOCTTY)  # as Bochs: the other side never opened here
libc.grantpt(master)
libc.unlockpt(master)
name = libc.ptsname(master).decode()
sys.stderr.write('\\nBochs connected to screen "%s"\\n' % name)
sys.stderr.flush()
chunk = b"x" * 4096
for _ in range(SIZE // 4096):
    os.write(master, chunk)
sys.exit(7)
"""


class BochsScreen(unittest.TestCase):
    """tools/bochs_headless.py drains the terminal Bochs draws its screen on, so the guest never stops."""

    def run_fake(self, size, timeout=20):
        sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
        import bochs_headless
        with tempfile.TemporaryDirectory() as d:
            fake = os.path.join(d, "bochs")
            with open(fake, "w") as f:
                f.write(FAKE_BOCHS.replace("SIZE", str(size)))
            os.chmod(fake, 0o755)
            env = dict(os.environ, PATH=d + os.pathsep + os.environ["PATH"])
            screen = os.path.join(d, "screen")
            status = bochs_headless.run("rc", "dbg", timeout, env=env, cwd=d,
                                        output_log=os.path.join(d, "out"), screen_log=screen)
            with open(screen, "rb") as f:
                return status, len(f.read())

    def test_a_screen_far_larger_than_the_terminal_buffer_is_drained_to_the_end(self):
        status, drained = self.run_fake(4 << 20)
        self.assertEqual(status, 7)  # it ran to its end, not into the timeout (None)
        # What was still in the terminal when it exited may be lost with it (Linux drops a pty's
        # unread input once its other side has closed): at most the buffer, never the bulk.
        self.assertGreater(drained, (4 << 20) - (256 << 10))

    def test_the_timeout_ends_a_run_and_says_so(self):
        sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
        import bochs_headless
        with tempfile.TemporaryDirectory() as d:
            fake = os.path.join(d, "bochs")
            with open(fake, "w") as f:
                f.write("#!/bin/sh\nexec sleep 60\n")
            os.chmod(fake, 0o755)
            env = dict(os.environ, PATH=d + os.pathsep + os.environ["PATH"])
            self.assertIsNone(bochs_headless.run("rc", "dbg", 1, env=env, cwd=d))


class Recorder(unittest.TextTestResult):
    lines = []

    def addSuccess(self, test):
        super().addSuccess(test)
        Recorder.lines.append(f"PASS harness/{test.id().split('.', 1)[1]}")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        Recorder.lines.append(f"FAIL harness/{test.id().split('.', 1)[1]}: {err[1]}")

    def addError(self, test, err):
        super().addError(test, err)
        Recorder.lines.append(f"FAIL harness/{test.id().split('.', 1)[1]}: {type(err[1]).__name__}: {err[1]}")


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = unittest.TextTestRunner(resultclass=Recorder, verbosity=0, stream=sys.stderr).run(suite)
    with open(os.path.join(outdir, "harness.results"), "w") as f:
        f.write("\n".join(line.replace("\n", " ") for line in Recorder.lines) + "\n")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
