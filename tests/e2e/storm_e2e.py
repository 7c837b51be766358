"""End-to-end checks of one misbehaving-device scenario (run by shell_e2e.py, one job per function in
CHECKS; each function takes (iso, outdir, check) and records its results through `check(name, fn)`)."""
import emu  # noqa: F401

CHECKS = []
