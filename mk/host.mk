# Host test build (genirq core helper): GoogleTest/GoogleMock binary built from the SAME portable
# sources the kernel compiles (every .cpp under kernel/ lib/ drivers/) plus tests/host/**/*.cpp, with
# AddressSanitizer and UBSan. Results also go to a JUnit XML file that mk/test.mk counts.
#
#   make host-test                      build and run (g++)
#   make host-test HOSTCXX=clang++      same with clang (objects in a separate directory)
#   make host-test HOST_TEST_ARGS='--gtest_filter=Spurious*'
#   make host-test-tsan                 ThreadSanitizer build, runs the multi-CPU tests (*Smp*)
#   make host-test-counts               "host: N passed, N failed, N skipped" from the last XML
#
# Variables for other makefiles: HOST_TEST_BIN, HOST_RESULTS_XML, HOST_COUNT_CMD.

HOSTCXX ?= g++
HOST_TEST_ARGS ?=
HOST_CXX_NAME := $(notdir $(firstword $(HOSTCXX)))
ifeq ($(HOST_CXX_NAME),g++)
  HOST_DIR := $(BUILD)/host
else
  HOST_DIR := $(BUILD)/host-$(HOST_CXX_NAME)
endif
HOST_OBJDIR := $(HOST_DIR)/obj
HOST_TEST_BIN := $(HOST_DIR)/irqos-host-tests
HOST_RESULTS_XML := $(HOST_DIR)/results.xml
HOST_COUNT_CMD := python3 tests/host/count_results.py $(HOST_RESULTS_XML)

HOST_PORTABLE_SRCS := $(shell find kernel lib drivers -name '*.cpp' 2>/dev/null | sort)
HOST_TEST_SRCS := $(shell find tests/host -name '*.cpp' 2>/dev/null | sort)
HOST_SRCS := $(HOST_PORTABLE_SRCS) $(HOST_TEST_SRCS)
HOST_OBJS := $(patsubst %.cpp,$(HOST_OBJDIR)/%.o,$(HOST_SRCS))

HOST_SAN ?= -fsanitize=address,undefined -fno-sanitize-recover=undefined
# Warnings are errors in the host build (the rule: warning-free with gcc and clang). The ThreadSanitizer
# variant leaves them warnings: gcc says there that TSan does not model atomic_thread_fence (-Wtsan).
HOST_WERROR ?= -Werror
HOST_CXXFLAGS := -std=c++20 -Wall -Wextra $(HOST_WERROR) -g -O1 -fno-omit-frame-pointer $(HOST_SAN) -I. -Itests/host/support/include \
  -DCONFIG_DEBUG_SPINLOCK=1 -DCONFIG_DEBUG_IRQFLAGS=1 -MMD -MP
HOST_LDFLAGS := $(HOST_SAN) -rdynamic
HOST_LIBS := -lgmock -lgtest -lpthread -ldl

.PHONY: host-build host-test host-test-counts host-test-tsan
host-build: $(HOST_TEST_BIN)

# ASAN_OPTIONS: detect_leaks stays on (request/free must balance); abort_on_error keeps death tests honest.
host-test: $(HOST_TEST_BIN)
	@rm -f $(HOST_RESULTS_XML)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(HOST_TEST_BIN) --gtest_output=xml:$(HOST_RESULTS_XML) $(HOST_TEST_ARGS)

host-test-counts:
	@$(HOST_COUNT_CMD)

$(HOST_TEST_BIN): $(HOST_OBJS)
	@mkdir -p $(dir $@)
	$(HOSTCXX) $(HOST_LDFLAGS) -o $@ $^ $(HOST_LIBS)

$(HOST_OBJDIR)/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(HOSTCXX) $(HOST_CXXFLAGS) -c $< -o $@

-include $(HOST_OBJS:.o=.d)

# ThreadSanitizer variant (separate objects; ASan and TSan cannot be combined).
# Results go to $(HOST_TSAN_RESULTS_XML) (make test counts them as the host-tsan step).
HOST_TSAN_DIR := $(BUILD)/host-tsan-$(HOST_CXX_NAME)
HOST_TSAN_RESULTS_XML := $(HOST_TSAN_DIR)/results.xml
host-test-tsan:
	$(MAKE) --no-print-directory host-build HOST_DIR=$(HOST_TSAN_DIR) HOST_SAN=-fsanitize=thread HOST_WERROR=
	@rm -f $(HOST_TSAN_RESULTS_XML)
	TSAN_OPTIONS=halt_on_error=1 $(HOST_TSAN_DIR)/irqos-host-tests --gtest_filter='*Smp*' \
	  --gtest_output=xml:$(HOST_TSAN_RESULTS_XML) $(HOST_TEST_ARGS)
