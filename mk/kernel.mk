# Kernel build (boot/arch helper): build/kernel/irqos.elf, the ISOs, and the QEMU/Bochs/gdb entry points.
# Sources are wildcards: every .asm under arch/x86 and every .cpp under arch/ init/ mm/ kernel/ lib/
# drivers/ tests/kernel/. The ELF is linked twice (Linux kallsyms style, tools/gen-symbols.py).
#
# Variables:  KCXX=gcc|clang  (compiler; default gcc: g++ + GNU ld, clang: clang++ + ld.lld)
#             CMDLINE="..."   (kernel command line of the default "irqos" entry of irqos.iso)
#             KTEST_CMDLINE="ktest ..."  (line of the "irqos in-kernel tests" entry, default of irqos-test.iso)
#             QEMU_DISPLAY=none|gtk|...  QEMU_EXTRA="..."  (extra QEMU options)  ISO=...  (ISO to boot)
#             SMP=N           (CPUs of `make run`, run-ktest, debug and run-bochs; default 2)
#             BOCHS_SERIAL=file (where run-bochs writes COM1)  BOCHS_TIMEOUT=seconds (0: none)
#             KERNEL_EXCLUDE="path.cpp ..." / KERNEL_EXTRA_SRCS="..." (temporarily leave out / add sources)

KCXX ?= gcc
# KDEBUG=1: the debug image, with the checks that cost on the hot path (Linux's CONFIG_DEBUG_SPINLOCK,
# CONFIG_DEBUG_IRQFLAGS). Build it in its own BUILD directory; `make test` builds and tests it too.
KDEBUG ?= 0
KERNEL_DEBUG_FLAGS := $(if $(filter 1,$(KDEBUG)),-DCONFIG_DEBUG_SPINLOCK=1 -DCONFIG_DEBUG_IRQFLAGS=1)
CMDLINE ?=
# The test run boots at a non-default HZ with words the parser must reject (unknown, malformed value,
# key without value): tests/kernel/test_cmdline_boot.cpp reads this line back and checks each word.
KTEST_CMDLINE ?= ktest hz=250 irqos_bogus_word hz=300x loglevel
QEMU_DISPLAY ?= none
SMP ?= 2
QEMU_EXTRA ?=
KERNEL_EXCLUDE ?=
KERNEL_EXTRA_SRCS ?=

KDIR := $(BUILD)/kernel
KOBJ := $(KDIR)/obj-$(KCXX)
KGEN := $(KDIR)/gen
KERNEL_ELF := $(KDIR)/irqos.elf
KERNEL_PASS1 := $(KDIR)/irqos.pass1.elf
ISO := $(BUILD)/irqos.iso
KTEST_ISO := $(BUILD)/irqos-test.iso
LINKER_SCRIPT := arch/x86/linker.ld

ifeq ($(KCXX),clang)
  KERNEL_CXX := clang++ --target=x86_64-unknown-none-elf
  KERNEL_LD := ld.lld
  KERNEL_CXXFLAGS_CC :=
else ifeq ($(KCXX),gcc)
  KERNEL_CXX := g++ -m64
  KERNEL_LD := ld -m elf_x86_64
  # A guessed direct call in front of every chip callback costs two instructions per interrupt and
  # saves none: the chips are chosen at run time.
  KERNEL_CXXFLAGS_CC := -fno-devirtualize-speculatively
else
  $(error KCXX must be gcc or clang, not '$(KCXX)')
endif

KERNEL_CXXFLAGS := -std=c++20 -ffreestanding -fno-exceptions -fno-rtti -nostdlib -fno-stack-protector \
  -fno-pic -fno-pie -fno-threadsafe-statics -fno-asynchronous-unwind-tables -mno-red-zone -mno-mmx \
  -mno-sse -mno-sse2 -mcmodel=small -O2 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
  -Wall -Wextra -MMD -MP -I. -Iarch/x86/include -I$(KGEN) $(KERNEL_CXXFLAGS_CC) \
  $(KERNEL_DEBUG_FLAGS)
KERNEL_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -T $(LINKER_SCRIPT)
NASMFLAGS := -f elf64 -g -F dwarf -I$(KGEN)/ -Werror

KERNEL_ASM_SRCS := $(shell find arch/x86 -name '*.asm' 2>/dev/null | sort)
KERNEL_CXX_SRCS := $(filter-out arch/x86/asm-offsets.cpp $(KERNEL_EXCLUDE), \
  $(shell find arch init mm kernel lib drivers tests/kernel -name '*.cpp' 2>/dev/null | sort)) \
  $(KERNEL_EXTRA_SRCS)
KERNEL_OBJS := $(patsubst %,$(KOBJ)/%.o,$(KERNEL_ASM_SRCS) $(KERNEL_CXX_SRCS))
ASM_OFFSETS := $(KGEN)/asm-offsets.inc

# Relink when the compiler choice changes (objects live in per-compiler directories).
KERNEL_TOOLCHAIN_STAMP := $(KDIR)/toolchain
$(shell mkdir -p $(KDIR); echo '$(KCXX)' | cmp -s - $(KERNEL_TOOLCHAIN_STAMP) 2>/dev/null || echo '$(KCXX)' > $(KERNEL_TOOLCHAIN_STAMP))

.PHONY: kernel iso ktest-iso run run-ktest run-bochs debug
kernel: $(KERNEL_ELF)

$(KOBJ)/%.cpp.o: %.cpp
	@mkdir -p $(dir $@)
	$(KERNEL_CXX) $(KERNEL_CXXFLAGS) -c $< -o $@

$(KOBJ)/%.asm.o: %.asm $(ASM_OFFSETS)
	@mkdir -p $(dir $@)
	nasm $(NASMFLAGS) -MD $(@:.o=.d) -MP $< -o $@

# NASM constants from the C++ structure layouts (see arch/x86/asm-offsets.cpp).
$(ASM_OFFSETS): arch/x86/asm-offsets.cpp arch/x86/trapframe.h arch/x86/irq_vectors.h
	@mkdir -p $(KGEN)
	$(KERNEL_CXX) $(filter-out -MMD -MP,$(KERNEL_CXXFLAGS)) -S $< -o $(KGEN)/asm-offsets.s
	{ echo '; generated from arch/x86/asm-offsets.cpp: do not edit'; \
	  sed -n 's/.*->\([A-Z0-9_]*\) \$$\{0,1\}\([0-9-]*\).*/%define \1 \2/p' $(KGEN)/asm-offsets.s; } > $@.tmp
	@grep -q TF_RAX $@.tmp || { echo "asm-offsets: no constants generated"; exit 1; }
	mv $@.tmp $@

# Link 1 with an empty symbol table, generate the table from its symbols, link 2 with it. .ksyms is the
# last section (arch/x86/linker.ld), so the table's size cannot move anything it describes; the check
# below proves it by comparing every other symbol of both links.
$(KGEN)/ksyms-empty.cpp: tools/gen-symbols.py
	@mkdir -p $(KGEN)
	tools/gen-symbols.py --empty $@

$(KOBJ)/gen/%.cpp.o: $(KGEN)/%.cpp
	@mkdir -p $(dir $@)
	$(KERNEL_CXX) $(KERNEL_CXXFLAGS) -c $< -o $@

$(KERNEL_PASS1): $(KERNEL_OBJS) $(KOBJ)/gen/ksyms-empty.cpp.o $(LINKER_SCRIPT) $(KERNEL_TOOLCHAIN_STAMP)
	$(KERNEL_LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJS) $(KOBJ)/gen/ksyms-empty.cpp.o

$(KGEN)/ksyms.cpp: $(KERNEL_PASS1) tools/gen-symbols.py
	tools/gen-symbols.py $< $@

$(KERNEL_ELF): $(KERNEL_PASS1) $(KOBJ)/gen/ksyms.cpp.o
	$(KERNEL_LD) $(KERNEL_LDFLAGS) -o $@.tmp $(KERNEL_OBJS) $(KOBJ)/gen/ksyms.cpp.o
	@tools/gen-symbols.py --compare $(KERNEL_PASS1) $@.tmp
	@grub-file --is-x86-multiboot2 $@.tmp || { echo "$@: no Multiboot2 header in the first 32 KiB"; exit 1; }
	mv $@.tmp $@

-include $(KERNEL_OBJS:.o=.d) $(KOBJ)/gen/ksyms.cpp.d $(KOBJ)/gen/ksyms-empty.cpp.d

# ISOs. iso/grub.cfg.in gets the default entry and both command lines; a stamp holds the values so
# changing CMDLINE rebuilds the ISO.
GRUB_MODULES := multiboot2 normal iso9660 biosdisk part_msdos
define iso_cfg_stamp
$(shell mkdir -p $(KDIR); printf '%s\n' '$(1)' | cmp -s - $(2) 2>/dev/null || printf '%s\n' '$(1)' > $(2))
endef
$(call iso_cfg_stamp,$(CMDLINE)|$(KTEST_CMDLINE),$(KDIR)/iso-cmdline)

# $(1): ISO, $(2): default entry index (0 normal, 1 in-kernel tests)
define make_iso
	@rm -rf $@.dir && mkdir -p $@.dir/boot/grub
	cp $(KERNEL_ELF) $@.dir/boot/irqos.elf
	sed -e 's|@DEFAULT@|$(2)|' -e 's|@CMDLINE@|$(CMDLINE)|' -e 's|@KTEST_CMDLINE@|$(KTEST_CMDLINE)|' \
	  iso/grub.cfg.in > $@.dir/boot/grub/grub.cfg
	grub-mkrescue --install-modules="$(GRUB_MODULES)" -o $@ $@.dir 2>$@.log || { cat $@.log; exit 1; }
	@rm -rf $@.dir
endef

iso: deps $(ISO)
ktest-iso: deps $(KTEST_ISO)

$(ISO): $(KERNEL_ELF) iso/grub.cfg.in $(KDIR)/iso-cmdline | $(BUILD)/.deps-ok
	$(call make_iso,$@,0)

$(KTEST_ISO): $(KERNEL_ELF) iso/grub.cfg.in $(KDIR)/iso-cmdline | $(BUILD)/.deps-ok
	$(call make_iso,$@,1)

QEMU := qemu-system-x86_64
# The machine every QEMU run gets: QEMU's `edu` PCI device (the misbehaving-device scenarios) and, after
# COM1 on the command line, a second 16550 (COM2, IRQ 3, output discarded) for the half-duplex bus.
QEMU_FLAGS := -M pc -accel tcg -m 128M -smp $(SMP) -no-reboot -boot d \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 -device edu $(QEMU_EXTRA)
QEMU_COM2 := -serial null

# Serial (and the QEMU monitor: Ctrl-A C) on this terminal; Ctrl-A X quits.
run: deps $(ISO)
	$(QEMU) $(QEMU_FLAGS) -serial mon:stdio $(QEMU_COM2) -display $(QEMU_DISPLAY) -cdrom $(ISO)

run-ktest: deps $(KTEST_ISO)
	$(QEMU) $(QEMU_FLAGS) -serial mon:stdio $(QEMU_COM2) -display $(QEMU_DISPLAY) -cdrom $(KTEST_ISO)

# QEMU paused at the first instruction with its gdb stub on :1234; then `gdb -x tools/gdbinit`.
debug: deps $(ISO)
	@echo "QEMU waits for gdb on :1234. In another terminal: $(if $(filter build,$(BUILD)),,IRQOS_ELF=$(KERNEL_ELF) )gdb -x tools/gdbinit"
	$(QEMU) $(QEMU_FLAGS) -serial mon:stdio $(QEMU_COM2) -display $(QEMU_DISPLAY) -cdrom $(ISO) -s -S

# Bochs, headless (tools/run-bochs.sh: display_library term, COM1 to a file followed here; Ctrl-C stops).
BOCHS_ISO ?= $(ISO)
BOCHS_SERIAL ?= $(BUILD)/bochs-serial.log
BOCHS_TIMEOUT ?= 0
run-bochs: deps $(BOCHS_ISO)
	BX_CPUS=$(SMP) tools/run-bochs.sh $(BOCHS_ISO) $(BOCHS_SERIAL) $(BOCHS_TIMEOUT)
