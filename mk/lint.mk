# `make lint`: every C++ file is formatted as .clang-format says (clang-format --dry-run --Werror), and
# clang-tidy finds nothing in the portable core (kernel/irq and the per-CPU, lock and hard-IRQ code)
# with the checks below, compiled as the host tests compile it. `make test` runs it as the lint step
# and counts one result per part: results go to $(LINT_RESULTS).
LINT_SOURCES := $(shell find arch init mm kernel lib drivers tests -name '*.cpp' -o -name '*.h' 2>/dev/null | sort)
LINT_TIDY_SOURCES := $(sort $(wildcard kernel/irq/*.cpp)) kernel/percpu.cpp kernel/spinlock.cpp kernel/hardirq.cpp
LINT_TIDY_CHECKS := -*,bugprone-*,-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier,clang-analyzer-*,performance-*,misc-redundant-expression,misc-unused-using-decls,readability-misleading-indentation,readability-redundant-*
LINT_RESULTS := $(BUILD)/lint.results

.PHONY: lint
lint: deps
	@mkdir -p $(BUILD); rm -f $(LINT_RESULTS); rc=0; \
	bad=$$(for f in $(LINT_SOURCES); do clang-format --dry-run --Werror "$$f" >/dev/null 2>&1 || echo "$$f"; done); \
	if [ -n "$$bad" ]; then echo "lint: not formatted as .clang-format says (clang-format -i FILE fixes it):"; \
	  echo "$$bad" | sed 's/^/  /'; echo "FAIL lint/clang-format: $$(echo "$$bad" | wc -l) file(s)" >> $(LINT_RESULTS); rc=1; \
	else echo "PASS lint/clang-format" >> $(LINT_RESULTS); fi; \
	out=$$(clang-tidy -quiet -checks='$(LINT_TIDY_CHECKS)' -warnings-as-errors='*' $(LINT_TIDY_SOURCES) -- \
	  -std=c++20 -I. -Itests/host/support/include -DCONFIG_DEBUG_SPINLOCK=1 -DCONFIG_DEBUG_IRQFLAGS=1 2>&1); trc=$$?; \
	if [ $$trc -ne 0 ]; then echo "$$out" | grep -E 'warning:|error:' | head -n 20; \
	  echo "FAIL lint/clang-tidy: see the messages above" >> $(LINT_RESULTS); rc=1; \
	else echo "PASS lint/clang-tidy" >> $(LINT_RESULTS); fi; \
	cat $(LINT_RESULTS); exit $$rc
