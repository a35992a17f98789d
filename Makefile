# Entry points (design.md section 8). Thin: cargo and bootimg do the work.
#
#   make qemu [BOARD=virt|rpi3|rpi4]   set up if needed, build, boot to the console
#   make test                          host tests, the kernel suites and shell
#                                      scripts under QEMU, SD image checks
#   make build BOARD=...               kernel for that board
#   make clippy | fmt | doc | setup

BOARD  ?= virt
BOARDS := virt rpi3 rpi4
# The kernel is built without FP/SIMD; user programs with it.
TARGET := aarch64-unknown-none-softfloat
USER_TARGET := aarch64-unknown-none
KOUT   := target/$(TARGET)/release
UOUT   := target/$(USER_TARGET)/release
# Programs packed into the kernel's boot archive.
USER_PROGRAMS := init hello bench utest spin fpspin crashme peer chanhog sh ls cat echo mkdir rmdir rm mv cp touch ln stat sha256sum wc head tail grep hexdump ps kill df free uptime sync poweroff reboot mount help true false sleep yes
INITRD_DIR := $(CURDIR)/target/initrd
# The root file system tree every disk image is made from.
ROOTFS := target/rootfs
# make qemu's persistent disk on virt (FRESH=1 starts a new one), and an
# optional second disk (mounted at /mnt).
DISK_SIZE ?= 256M
FRESH ?=
DISK2 ?=
# QEMU runner and image tool (host build).
BOOTIMG := target/release/bootimg
TEST_TIMEOUT ?= 120

ifeq ($(filter $(BOARD),$(BOARDS)),)
$(error BOARD must be one of: $(BOARDS))
endif

# The kernel file QEMU boots: the ELF on virt, the flat kernel8.img on a Pi.
kernel_file = $(if $(filter virt,$(1)),target/$(1)/kernel$(2).elf,target/$(1)/kernel8$(2).img)

.PHONY: all setup build build-test qemu test test-host test-qemu clippy fmt fmt-fix doc gdb bootimg user rootfs FORCE
all: build

setup:
	scripts/setup.sh

bootimg:
	cargo build --release -q -p bootimg

# User programs, stripped of debug info, collected into the directory the
# kernel's build.rs packs and the disk images' /bin is made from.
LLVM_STRIP := $(shell rustc --print sysroot)/lib/rustlib/$(shell rustc -vV | sed -n 's/host: //p')/bin/llvm-strip
user:
	cargo build --release -q -p userprogs --target $(USER_TARGET)
	mkdir -p $(INITRD_DIR)
	for p in $(USER_PROGRAMS); do $(LLVM_STRIP) --strip-debug $(UOUT)/$$p -o $(INITRD_DIR)/$$p.tmp && \
	    { cmp -s $(INITRD_DIR)/$$p.tmp $(INITRD_DIR)/$$p && rm $(INITRD_DIR)/$$p.tmp || mv $(INITRD_DIR)/$$p.tmp $(INITRD_DIR)/$$p; }; done

# The root tree: the skeleton in bootimg/rootfs, mount points, /bin.
rootfs: user
	rm -rf $(ROOTFS) && mkdir -p $(ROOTFS)/bin $(ROOTFS)/mnt $(ROOTFS)/boot $(ROOTFS)/tmp
	cp -R bootimg/rootfs/. $(ROOTFS)/
	cp $(INITRD_DIR)/* $(ROOTFS)/bin/

# virt's disk for `make qemu`: kept between runs (files you make survive);
# rebuilt programs are copied into /bin each time.
target/virt/disk.img: FORCE rootfs
	@mkdir -p target/virt
	@if [ -n "$(FRESH)" ] || [ ! -f $@ ]; then \
	    rm -f $@ && mke2fs -q -t ext2 -L root -d $(ROOTFS) $@ $(DISK_SIZE) && echo "made a fresh $@"; \
	else scripts/update-bin.sh $@ $(ROOTFS)/bin; fi

# The SD image `make qemu BOARD=rpi3|rpi4` boots: kept between runs (files
# you make survive) while the kernel, the root tree and bootimg are what it
# was made from (scripts/sd-inputs.sh, recorded in <image>.inputs; `make
# sdimage` records them too); made anew, with placeholder firmware, when
# they changed, when it is missing, or with FRESH=1.
target/rpi3-sd.img target/rpi4-sd.img: target/%-sd.img: FORCE rootfs target/%/fake-firmware
	@set -e; b=$*; \
	inputs=$$(scripts/sd-inputs.sh target/$$b/kernel8.img $(ROOTFS) $(BOOTIMG)); \
	if [ -z "$(FRESH)" ] && [ -f $@ ] && [ "$$(cat $@.inputs 2>/dev/null)" = "$$inputs" ]; then \
	    echo "using $@ (kernel and root tree unchanged since it was made)"; \
	else \
	    if [ -f $@ ]; then why="$(if $(FRESH),FRESH=1,the kernel or the root tree changed)"; \
	        echo "making $@ anew ($$why): files written in earlier runs are gone"; fi; \
	    rm -f $@.inputs; \
	    $(BOOTIMG) sdimage --board $$b --kernel target/$$b/kernel8.img --firmware target/$$b/fake-firmware \
	        --root $(ROOTFS) --out $@ >/dev/null; \
	    echo "$$inputs" > $@.inputs; \
	fi

# A Pi SD image for tests and `make qemu BOARD=rpi*` without real firmware
# (QEMU loads the kernel itself): placeholder firmware files.
target/%/fake-firmware:
	mkdir -p $@ && for f in bootcode.bin start.elf fixup.dat start4.elf fixup4.dat; do echo "placeholder: QEMU does not run the Pi firmware" > $@/$$f; done

# $(1) = board, $(2) = "" or "-test", $(3) = extra cargo flags
define build_kernel
	KERNEL_INITRD_DIR=$(INITRD_DIR) cargo build --release -q -p board-$(1) --target $(TARGET) $(3)
	mkdir -p target/$(1)
	cp $(KOUT)/kernel-$(1) target/$(1)/kernel$(2).elf
	$(if $(filter virt,$(1)),,$(BOOTIMG) objcopy target/$(1)/kernel$(2).elf target/$(1)/kernel8$(2).img >/dev/null)
endef

build: bootimg user
	$(call build_kernel,$(BOARD),,)
	@echo "built $(call kernel_file,$(BOARD),)"

build-test: bootimg user
	$(call build_kernel,$(BOARD),-test,--features ktest)

qemu: FORCE
	@command -v qemu-system-aarch64 >/dev/null 2>&1 || scripts/setup.sh
	$(MAKE) build BOARD=$(BOARD)
ifeq ($(BOARD),virt)
	$(MAKE) --no-print-directory target/virt/disk.img
	$(BOOTIMG) qemu --board virt --kernel $(call kernel_file,virt,) --disk target/virt/disk.img $(if $(DISK2),--disk $(DISK2))
else
	$(MAKE) --no-print-directory target/$(BOARD)-sd.img
	$(BOOTIMG) qemu --board $(BOARD) --kernel $(call kernel_file,$(BOARD),) --disk target/$(BOARD)-sd.img
endif

gdb: build
	@echo "QEMU waits for gdb on :1234: gdb-multiarch $(KOUT)/kernel-$(BOARD) -ex 'target remote :1234'"
	$(BOOTIMG) qemu --board $(BOARD) --kernel $(call kernel_file,$(BOARD),) -- -s -S

test: test-host test-qemu test-shell test-sdimage bench-check

# The host-buildable crates are the workspace's default members.
test-host:
	cargo test

# Every board's suite with fresh disks (virt: root disk + a small second
# disk at /mnt; Pi: an SD image), then `e2fsck -fn` on every image the run
# wrote to; the persistence test (two boots of virt on one disk); then two
# tests of the harness on virt: a deliberately failing test must be seen as
# a failure, and a deliberate kernel fault must produce the exception report
# and a panic backtrace.
RUN = $(BOOTIMG) run --timeout $(TEST_TIMEOUT)
test-qemu: bootimg rootfs target/rpi3/fake-firmware target/rpi4/fake-firmware
	@set -e; for b in $(BOARDS); do $(MAKE) --no-print-directory build-test BOARD=$$b; done
	@set -e; rm -f target/virt/test-*.img; \
	mke2fs -q -t ext2 -L root -d $(ROOTFS) target/virt/test-root.img 64M; \
	mke2fs -q -t ext2 -L scratch target/virt/test-mnt.img 8M; \
	mke2fs -q -t ext2 -L root -d $(ROOTFS) target/virt/test-persist.img 64M; \
	for b in rpi3 rpi4; do rm -f target/$$b/test-sd.img; \
	    $(BOOTIMG) sdimage --board $$b --kernel target/$$b/kernel8-test.img --firmware target/$$b/fake-firmware \
	        --root $(ROOTFS) --out target/$$b/test-sd.img >/dev/null; done
	@fail=0; \
	$(RUN) --board virt --kernel target/virt/kernel-test.elf --symbols target/virt/kernel-test.elf \
	    --disk target/virt/test-root.img --disk target/virt/test-mnt.img --log target/virt/test.log || fail=1; \
	for b in rpi3 rpi4; do \
	    $(RUN) --board $$b --kernel target/$$b/kernel8-test.img --symbols target/$$b/kernel-test.elf \
	        --disk target/$$b/test-sd.img --log target/$$b/test.log || fail=1; \
	done; \
	$(RUN) --board virt --kernel target/virt/kernel-test.elf --disk target/virt/test-persist.img \
	    --append utest=persist-write --log target/virt/test-persist-1.log || fail=1; \
	$(RUN) --board virt --kernel target/virt/kernel-test.elf --disk target/virt/test-persist.img \
	    --append utest=persist-check --log target/virt/test-persist-2.log || fail=1; \
	scripts/fsck-images.sh target/virt/test-root.img target/virt/test-mnt.img target/virt/test-persist.img \
	    target/rpi3/test-sd.img target/rpi4/test-sd.img || fail=1; \
	$(RUN) --board virt --kernel target/virt/kernel-test.elf \
	    --append ktest.inject_failure --expect-fail --log target/virt/test-inject.log || fail=1; \
	$(RUN) --board virt --kernel target/virt/kernel-test.elf \
	    --append ktest.crash --expect-crash --require "unexpected Sync exception from EL1" \
	    --require "FAR 0xffff7e00dead0000" --require "data abort from the same EL" \
	    --log target/virt/test-crash.log || fail=1; \
	if [ $$fail -ne 0 ]; then echo "make test: FAILED"; exit 1; fi; echo "make test: all suites passed"

clippy:
	cargo clippy --all-targets -- -D warnings
	cargo clippy --target $(TARGET) -p kernel -p bsp-api -p bsp-drivers -p board-virt -p board-rpi3 -p board-rpi4 -- -D warnings
	cargo clippy --target $(USER_TARGET) -p rt -p userprogs -- -D warnings
	cargo clippy --target $(TARGET) -p kernel --features ktest -- -D warnings

fmt:
	cargo fmt --all -- --check

fmt-fix:
	cargo fmt --all

doc:
	cargo doc --no-deps --target $(TARGET) -p kernel -p bsp-api -p bsp-drivers -p abi -p klib -p rt
	cargo doc --no-deps -p bootimg

include mk/sdimage.mk
include mk/shelltest.mk
include mk/bench.mk
