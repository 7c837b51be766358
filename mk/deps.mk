# Debian packages the build, the emulators and the tests need (see docs/running.md).
# `make deps` installs the missing ones when run as root, otherwise prints the exact command and stops.
DEB_PACKAGES := build-essential nasm clang lld grub-pc-bin grub-common xorriso mtools qemu-system-x86 \
                bochs bochs-term bochsbios vgabios libgtest-dev libgmock-dev libbenchmark-dev gdb python3 \
                clang-format clang-tidy

# `make plot` alone needs matplotlib (a large package the rest never uses).
PLOT_PACKAGES := python3-matplotlib

.PHONY: deps plot-deps
deps: $(BUILD)/.deps-ok
plot-deps: $(BUILD)/.plot-deps-ok

$(BUILD)/.deps-ok: DEPS_LIST = $(DEB_PACKAGES)
$(BUILD)/.plot-deps-ok: DEPS_LIST = $(PLOT_PACKAGES)
$(BUILD)/.deps-ok $(BUILD)/.plot-deps-ok: mk/deps.mk
	@missing=""; for p in $(DEPS_LIST); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "irqos: missing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "+ apt-get update && apt-get install -y --no-install-recommends$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing || exit 1; \
	  else \
	    echo "Run as root:  apt-get install -y --no-install-recommends$$missing"; exit 1; \
	  fi; \
	fi
	@mkdir -p $(BUILD) && touch $@
