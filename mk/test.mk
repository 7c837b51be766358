# `make test` and `make bench` (test helper). `make test` runs every level and keeps going after a failing
# step, so that every count is collected; tools/test-summary then adds them up and prints the final line
# "N passed, N failed". A step that crashes or yields no results counts as a failure, never as 0 tests.
#
#   lint        make lint: clang-format over every C++ file, clang-tidy on the portable core (two results)
#   harness     tests/e2e/test_harness.py: the KTAP reader and this summary never count a crash,
#               an empty plan, a doubled result or a missing step as passing
#   host        make host-test: GoogleTest suites of the portable core (build/host/results.xml)
#   host-tsan   the simulated-CPU suites (*Smp*) again under ThreadSanitizer: each gtest counts, and a
#               data race report fails the step (halt_on_error)
#   host-clang  the same suite built with clang++: passes, and compiles with no warning (one test)
#   build-gcc   a fresh g++/GNU ld kernel build (own build dir) with no warning at all
#   build-clang the same with clang++/ld.lld
#   isos        build/irqos.iso and build/irqos-test.iso (incremental; a failure counts as one)
#   ktest-qemu  the in-kernel tests (irqos-test.iso) in QEMU with one CPU: one test per KTAP result + the
#               exit status
#   ktest-smp4  the same ISO in QEMU -smp 4 (multi-threaded TCG): APs started, ticking, IPIs delivered
#   ktest-plain the in-kernel tests booted with a plain `ktest` command line (QEMU): the suite must not
#               depend on the test ISO's command line
#   ktest-bochs the same ISO in Bochs with two CPUs: one test per KTAP result + the IRQOS-VERDICT line
#   ktest-noapic the in-kernel tests booted with `noapic` (the test ISO's line + noapic): the 8259 pair
#               delivers the interrupts, so the 8259-only tests (which skip in APIC mode) run, in QEMU and
#               in Bochs (where the provoked spurious IRQ7 must run)
#   ktest-debug the debug image (KDEBUG=1: CONFIG_DEBUG_SPINLOCK, CONFIG_DEBUG_IRQFLAGS, built warning-free
#               in $(BUILD)/debug) runs the in-kernel tests in QEMU
#   ktest-repeat tests/e2e/ktest_repeat.py: `ktest` run three times from the shell of one boot (typed on
#               serial and on the keyboard), every run all ok, the keyboard line left as found
#   e2e         tests/e2e/shell_e2e.py: serial shell, monitor sendkey, and one boot per crash= kind
#               (every exception arch/x86/crashtest.cpp can raise) checked for its panic report; the
#               8259 scenarios (lazy, halfduplex) boot an ISO with `noapic`
#   bench       `make bench`'s measurement completes (three tests: dispatch, storm, IPI; the figures are printed, never asserted)
#
# Variables: TEST_STEPS="host ktest-qemu ..." runs a subset (the summary still demands each listed step).
# Sub-makes run with -j$(JOBS).
#
# Progress: each step starts with "[i/N] name ..." and ends with "[i/N] name: exit S after T s"; a step
# that prints nothing for TEST_HEARTBEAT seconds gets a "still running" line (with the last line of its
# log where it has one), and the emulator steps print each KTAP result as it arrives. A ten-minute run
# is never silent; the last line stays "N passed, N failed".

TOUT := $(BUILD)/test
TEST_STEPS ?= lint harness host host-tsan host-clang build-gcc build-clang ktest-qemu ktest-smp4 ktest-plain ktest-bochs ktest-noapic \
  ktest-debug ktest-repeat \
  e2e bench
TEST_HEARTBEAT ?= 30
HOST_RESULTS := $(BUILD)/host/results.xml
GCC_CHECK_BUILD := $(BUILD)/check-gcc
CLANG_CHECK_BUILD := $(BUILD)/check-clang
DEBUG_BUILD := $(BUILD)/debug
# The crash= kinds come from arch/x86/crashtest.cpp's table, so a new kind is booted (and must get
# expectations in shell_e2e.py) without editing this file.
CRASH_KINDS := $(shell grep -o '{"[a-z]*", Crash::' arch/x86/crashtest.cpp 2>/dev/null | sed 's/{"\([a-z]*\)".*/\1/')
CRASH_ISOS := $(foreach k,$(CRASH_KINDS),$(TOUT)/irqos-crash-$(k).iso)
# A test run that dies: the kernel must end the emulator with FAIL at once, not wait for the timeout.
KTEST_CRASH_ISO := $(TOUT)/irqos-ktest-crash.iso
# The in-kernel tests with nothing on the command line but `ktest`.
KTEST_PLAIN_ISO := $(TOUT)/irqos-ktest-plain.iso
# The in-kernel tests in PIC mode: the test ISO's line plus Linux's `noapic`.
KTEST_NOAPIC_ISO := $(TOUT)/irqos-ktest-noapic.iso
# The shell in PIC mode, for the e2e scenarios of the 8259 pair (lazy, halfduplex).
E2E_NOAPIC_ISO := $(TOUT)/irqos-noapic.iso

# An ISO whose only menu entry boots the kernel with command line $(1) (test configurations of our own,
# so that `make test` never rebuilds build/irqos.iso with a different CMDLINE).
define test_iso
	@rm -rf $@.dir && mkdir -p $@.dir/boot/grub
	cp $(KERNEL_ELF) $@.dir/boot/irqos.elf
	printf 'set timeout=0\nset default=0\nmenuentry "irqos $(1)" {\n  multiboot2 /boot/irqos.elf $(1)\n  boot\n}\n' \
	  > $@.dir/boot/grub/grub.cfg
	grub-mkrescue --install-modules="$(GRUB_MODULES)" -o $@ $@.dir 2>$@.log || { cat $@.log; exit 1; }
	@rm -rf $@.dir
endef

$(TOUT)/irqos-crash-%.iso: $(KERNEL_ELF) mk/test.mk
	@mkdir -p $(dir $@)
	$(call test_iso,crash=$*)

$(KTEST_CRASH_ISO): $(KERNEL_ELF) mk/test.mk
	@mkdir -p $(dir $@)
	$(call test_iso,ktest crash=gp)

$(E2E_NOAPIC_ISO): $(KERNEL_ELF) mk/test.mk
	@mkdir -p $(dir $@)
	$(call test_iso,$(CMDLINE) noapic)

$(KTEST_NOAPIC_ISO): $(KERNEL_ELF) mk/test.mk
	@mkdir -p $(dir $@)
	$(call test_iso,$(KTEST_CMDLINE) noapic)

$(KTEST_PLAIN_ISO): $(KERNEL_ELF) mk/test.mk
	@mkdir -p $(dir $@)
	$(call test_iso,ktest)

# Build check: $(1) name, $(2) log, rest: the command. Writes a one-line results file.
define build_check_fn
build_check() { local bname=$$1 log=$$2 rc; shift 2; "$$@" >"$$log" 2>&1; rc=$$?; \
  if [ $$rc -ne 0 ]; then echo "FAIL build/$$bname: exit status $$rc (log: $$log)"; tail -n 20 "$$log" >&2; \
  elif grep -q 'warning:' "$$log"; then echo "FAIL build/$$bname: compiler warnings (log: $$log)"; \
    grep -m 5 'warning:' "$$log" >&2; \
  else echo "PASS build/$$bname"; fi > $(TOUT)/$$bname.results; return $$rc; }
endef

.PHONY: test bench
test: deps
	@rm -rf $(TOUT) && mkdir -p $(TOUT)
	@$(build_check_fn); \
	host_run() { local rc; $(MAKE) --no-print-directory -j$(JOBS) host-test >$(TOUT)/host.log 2>&1; rc=$$?; \
	  grep -E '^\[  (PASSED|FAILED) |^\[==========\]|: Failure$$|ERROR: AddressSanitizer|runtime error|error:' \
	    $(TOUT)/host.log | head -n 40; [ $$rc -eq 0 ] || echo "(host-test exit status $$rc; log: $(TOUT)/host.log)"; \
	  return $$rc; }; \
	want() { [[ " $(TEST_STEPS) " == *" $$1 "* ]]; }; \
	debug_run() { $(MAKE) --no-print-directory -j$(JOBS) BUILD=$(DEBUG_BUILD) KDEBUG=1 KCXX=gcc ktest-iso \
	    >$(TOUT)/build-debug.log 2>&1 || { echo "FAIL debug/build: see $(TOUT)/build-debug.log" \
	    > $(TOUT)/ktest-debug.results; tail -n 20 $(TOUT)/build-debug.log; return 1; }; \
	  if grep -q 'warning:' $(TOUT)/build-debug.log; then grep -m 5 'warning:' $(TOUT)/build-debug.log; \
	    echo "FAIL debug/build: compiler warnings" > $(TOUT)/ktest-debug.results; return 1; fi; \
	  python3 tests/e2e/ktest_run.py qemu $(DEBUG_BUILD)/irqos-test.iso $(TOUT) ktest-debug; }; \
	emulated() { want ktest-qemu || want ktest-smp4 || want ktest-plain || want ktest-bochs || want ktest-noapic || want ktest-repeat || want e2e || want bench; }; \
	total=0; for s in lint harness host host-tsan build-gcc build-clang host-clang ktest-qemu ktest-smp4 ktest-plain ktest-bochs \
	  ktest-noapic ktest-debug \
	  ktest-repeat e2e bench; do want $$s && total=$$((total + 1)); done; emulated && total=$$((total + 1)); done_steps=0; \
	heartbeat() { local label=$$1 log=$$2 t0=$$(date +%s); while sleep $(TEST_HEARTBEAT); do \
	  echo "  $$label: still running, $$(( $$(date +%s) - t0 )) s$${log:+ (log: $$(tail -n 1 "$$log" 2>/dev/null | cut -c1-100))}"; \
	  done; }; \
	step() { local sname=$$1 rc hb t0=$$(date +%s); shift; done_steps=$$((done_steps + 1)); \
	  local label="[$$done_steps/$$total] $$sname"; echo "$$label ..."; \
	  heartbeat "$$label" "$$steplog" & hb=$$!; \
	  "$$@"; rc=$$?; kill $$hb 2>/dev/null; wait $$hb 2>/dev/null; steplog=; \
	  echo "$$label: exit $$rc after $$(( $$(date +%s) - t0 )) s"; echo "$$sname $$rc" >> $(TOUT)/steps; }; \
	specs=""; steplog=; \
	if want lint; then steplog=; step lint $(MAKE) --no-print-directory lint; \
	  specs="$$specs lint=$(LINT_RESULTS)"; fi; \
	if want harness; then step harness python3 tests/e2e/test_harness.py $(TOUT); \
	  specs="$$specs harness=$(TOUT)/harness.results"; fi; \
	if want host; then rm -f $(HOST_RESULTS); steplog=$(TOUT)/host.log; \
	  step host host_run; specs="$$specs host=$(HOST_RESULTS)"; fi; \
	if want host-tsan; then rm -f $(HOST_TSAN_RESULTS_XML); steplog=$(TOUT)/host-tsan.log; \
	  step host-tsan sh -c '$(MAKE) --no-print-directory -j$(JOBS) host-test-tsan >$(TOUT)/host-tsan.log 2>&1; rc=$$?; \
	    grep -E "^\[  (PASSED|FAILED) |WARNING: ThreadSanitizer|SUMMARY: ThreadSanitizer" $(TOUT)/host-tsan.log | head -n 20; \
	    exit $$rc'; \
	  specs="$$specs host-tsan=$(HOST_TSAN_RESULTS_XML)"; fi; \
	if want build-gcc; then rm -rf $(GCC_CHECK_BUILD); steplog=$(TOUT)/build-gcc.log; \
	  step build-gcc build_check gcc $(TOUT)/build-gcc.log $(MAKE) --no-print-directory -j$(JOBS) \
	    BUILD=$(GCC_CHECK_BUILD) KCXX=gcc kernel; \
	  specs="$$specs build-gcc=$(TOUT)/gcc.results"; fi; \
	if want build-clang; then rm -rf $(CLANG_CHECK_BUILD); steplog=$(TOUT)/build-clang.log; \
	  step build-clang build_check clang $(TOUT)/build-clang.log $(MAKE) --no-print-directory -j$(JOBS) \
	    BUILD=$(CLANG_CHECK_BUILD) KCXX=clang kernel; \
	  specs="$$specs build-clang=$(TOUT)/clang.results"; fi; \
	if want host-clang; then steplog=$(TOUT)/build-host-clang.log; \
	  step host-clang build_check host-clang $(TOUT)/build-host-clang.log $(MAKE) --no-print-directory -j$(JOBS) \
	    HOSTCXX=clang++ host-test; \
	  specs="$$specs host-clang=$(TOUT)/host-clang.results"; fi; \
	if emulated; then \
	  rm -f $(ISO) $(KTEST_ISO) $(CRASH_ISOS) $(KTEST_CRASH_ISO) $(KTEST_PLAIN_ISO) $(KTEST_NOAPIC_ISO) $(E2E_NOAPIC_ISO); \
	  steplog=$(TOUT)/build-isos.log; \
	  step isos build_check isos $(TOUT)/build-isos.log $(MAKE) --no-print-directory -j$(JOBS) KCXX=gcc \
	    iso ktest-iso $(CRASH_ISOS) $(KTEST_CRASH_ISO) $(KTEST_PLAIN_ISO) $(KTEST_NOAPIC_ISO) $(E2E_NOAPIC_ISO); \
	  specs="$$specs isos=$(TOUT)/isos.results"; fi; \
	if want ktest-qemu; then step ktest-qemu python3 tests/e2e/ktest_run.py qemu $(KTEST_ISO) $(TOUT); \
	  specs="$$specs ktest-qemu=$(TOUT)/ktest-qemu.results"; fi; \
	if want ktest-smp4; then step ktest-smp4 python3 tests/e2e/ktest_run.py qemu $(KTEST_ISO) $(TOUT) ktest-smp4 4; \
	  specs="$$specs ktest-smp4=$(TOUT)/ktest-smp4.results"; fi; \
	if want ktest-plain; then step ktest-plain python3 tests/e2e/ktest_run.py qemu $(KTEST_PLAIN_ISO) $(TOUT) \
	    ktest-plain; specs="$$specs ktest-plain=$(TOUT)/ktest-plain.results"; fi; \
	if want ktest-bochs; then step ktest-bochs python3 tests/e2e/ktest_run.py bochs $(KTEST_ISO) $(TOUT); \
	  specs="$$specs ktest-bochs=$(TOUT)/ktest-bochs.results"; fi; \
	if want ktest-noapic; then step ktest-noapic sh -c 'python3 tests/e2e/ktest_run.py qemu $(KTEST_NOAPIC_ISO) \
	    $(TOUT) ktest-qemu-noapic; q=$$?; python3 tests/e2e/ktest_run.py bochs $(KTEST_NOAPIC_ISO) $(TOUT) \
	    ktest-bochs-noapic; b=$$?; cat $(TOUT)/ktest-qemu-noapic.results $(TOUT)/ktest-bochs-noapic.results \
	    > $(TOUT)/ktest-noapic.results; [ $$q -eq 0 ] && [ $$b -eq 0 ]'; \
	  specs="$$specs ktest-noapic=$(TOUT)/ktest-noapic.results"; fi; \
	if want ktest-debug; then steplog=$(TOUT)/build-debug.log; step ktest-debug debug_run; \
	  specs="$$specs ktest-debug=$(TOUT)/ktest-debug.results"; fi; \
	if want ktest-repeat; then step ktest-repeat python3 tests/e2e/ktest_repeat.py $(ISO) $(TOUT); \
	  specs="$$specs ktest-repeat=$(TOUT)/ktest-repeat.results"; fi; \
	if want e2e; then step e2e python3 tests/e2e/shell_e2e.py $(ISO) $(TOUT) \
	    $(if $(CRASH_KINDS),$(foreach k,$(CRASH_KINDS),$(k)=$(TOUT)/irqos-crash-$(k).iso),no-crash-kinds) \
	    ktest-crash=$(KTEST_CRASH_ISO) noapic=$(E2E_NOAPIC_ISO); \
	  specs="$$specs e2e=$(TOUT)/e2e.results"; fi; \
	if want bench; then step bench python3 tools/bench.py $(ISO) $(E2E_NOAPIC_ISO) $(KERNEL_ELF) $(TOUT) \
	    $(TOUT)/bench.results; \
	  specs="$$specs bench=$(TOUT)/bench.results"; fi; \
	echo "=== summary"; \
	tools/test-summary $(TOUT) $$specs

# Dispatch-path instruction counts in APIC mode (-smp 1 and 4) and PIC mode, stepped through QEMU's gdb stub (tools/bench.py).
# Prints the figures beside the committed baseline; fails only if the measurement cannot be made.
bench: deps $(ISO) $(E2E_NOAPIC_ISO)
	python3 tools/bench.py $(ISO) $(E2E_NOAPIC_ISO) $(KERNEL_ELF) $(BUILD)/bench

# The storm scenario drawn (tools/plot_irqrate.py): boot the default image, `storm edu`, `irqrate dump`,
# then a PNG of every line's interrupt rate against time. docs/images/storm-edu.png is one such picture.
# Debian's interpreter: python3-matplotlib installs there (a python3 earlier on PATH may not see it).
PLOT_PYTHON ?= /usr/bin/python3
.PHONY: plot
plot: deps plot-deps $(ISO)
	$(PLOT_PYTHON) tools/plot_irqrate.py --boot $(ISO) $(BUILD)/plot
