# Entry points (design.md section 8). Thin: cargo and bootimg do the work.
#
#   make qemu [BOARD=virt|rpi3|rpi4]   set up if needed, build, boot to the console
#   make test                          host tests, then the kernel suites under QEMU
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
USER_PROGRAMS := init hello utest spin fpspin crashme peer chanhog
INITRD_DIR := $(CURDIR)/target/initrd
# QEMU runner and image tool (host build).
BOOTIMG := target/release/bootimg
TEST_TIMEOUT ?= 120

ifeq ($(filter $(BOARD),$(BOARDS)),)
$(error BOARD must be one of: $(BOARDS))
endif

# The kernel file QEMU boots: the ELF on virt, the flat kernel8.img on a Pi.
kernel_file = $(if $(filter virt,$(1)),target/$(1)/kernel$(2).elf,target/$(1)/kernel8$(2).img)

.PHONY: all setup build build-test qemu test test-host test-qemu clippy fmt fmt-fix doc gdb bootimg user FORCE
all: build

setup:
	scripts/setup.sh

bootimg:
	cargo build --release -q -p bootimg

# User programs, collected into the directory the kernel's build.rs packs.
user:
	cargo build --release -q -p userprogs --target $(USER_TARGET)
	mkdir -p $(INITRD_DIR)
	cp $(addprefix $(UOUT)/,$(USER_PROGRAMS)) $(INITRD_DIR)/

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
	$(BOOTIMG) qemu --board $(BOARD) --kernel $(call kernel_file,$(BOARD),)

gdb: build
	@echo "QEMU waits for gdb on :1234: gdb-multiarch $(KOUT)/kernel-$(BOARD) -ex 'target remote :1234'"
	$(BOOTIMG) qemu --board $(BOARD) --kernel $(call kernel_file,$(BOARD),) -- -s -S

test: test-host test-qemu

# The host-buildable crates are the workspace's default members.
test-host:
	cargo test

# Every board's suite; then two tests of the harness on virt: a deliberately
# failing test must be seen as a failure, and a deliberate kernel fault must
# produce the exception report and a panic backtrace.
test-qemu: bootimg
	@set -e; for b in $(BOARDS); do $(MAKE) --no-print-directory build-test BOARD=$$b; done
	@fail=0; for b in $(BOARDS); do \
	    $(BOOTIMG) run --board $$b --kernel $$( [ $$b = virt ] && echo target/$$b/kernel-test.elf || echo target/$$b/kernel8-test.img ) \
	        --symbols target/$$b/kernel-test.elf --timeout $(TEST_TIMEOUT) --log target/$$b/test.log || fail=1; \
	done; \
	$(BOOTIMG) run --board virt --kernel target/virt/kernel-test.elf --timeout $(TEST_TIMEOUT) \
	    --append ktest.inject_failure --expect-fail --log target/virt/test-inject.log || fail=1; \
	$(BOOTIMG) run --board virt --kernel target/virt/kernel-test.elf --timeout $(TEST_TIMEOUT) \
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
