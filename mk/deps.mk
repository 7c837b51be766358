# Debian packages the build, the emulators and the tests need (see docs/running.md).
# `make deps` installs the missing ones when run as root, otherwise prints the exact command and stops.
DEB_PACKAGES := build-essential nasm clang lld grub-pc-bin grub-common xorriso mtools qemu-system-x86 \
                bochs bochs-term bochsbios vgabios libgtest-dev libgmock-dev libbenchmark-dev gdb python3 \
                clang-format clang-tidy

.PHONY: deps
deps: $(BUILD)/.deps-ok

$(BUILD)/.deps-ok: mk/deps.mk
	@missing=""; for p in $(DEB_PACKAGES); do \
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
