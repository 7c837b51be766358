# irqos: the one entry point. `make run` boots the ISO in QEMU; `make test` runs every test.
# Both first make sure the Debian packages are present (mk/deps.mk). Pieces live in mk/*.mk.
.DEFAULT_GOAL := help
SHELL := /bin/bash
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

include mk/deps.mk
include mk/kernel.mk
include mk/host.mk
include mk/test.mk
include mk/lint.mk

.PHONY: help clean
help:
	@echo "make run        boot irqos in QEMU (serial console on this terminal; Ctrl-A X quits)"
	@echo "make test       host tests, in-kernel tests (QEMU, Bochs) and end-to-end tests"
	@echo "make iso        build $(BUILD)/irqos.iso"
	@echo "make run-bochs  boot the ISO in Bochs (headless, serial on this terminal)"
	@echo "make debug      QEMU paused with its gdb stub; then: gdb -x tools/gdbinit"
	@echo "make bench      instruction counts of the dispatch path, stepped through QEMU's gdb stub"
	@echo "make plot       a storm on the edu device, drawn: interrupt rate per line against time (PNG)"
	@echo "make lint       clang-format check of every C++ file, clang-tidy on the portable core"
	@echo "make clean      remove $(BUILD)/"

clean:
	rm -rf $(BUILD)
