# `make test-shell`: the host-driven end-to-end test of the interactive
# shell (issue 6, design.md sections 6-8), on virt and on the Pis
# (`make test-shell-virt`, `make test-shell-rpi`). Included from the
# Makefile, whose variables it uses: BOOTIMG (the host tool), ROOTFS (the
# root tree, made by its `rootfs` target).
#
# test-shell-virt:
# Boots the normal (not the test) virt kernel once per tests/shell/*.script
# and plays the script on the serial console with `bootimg shell-test`
# (the step language: tests/shell/README.md). Each script gets fresh disks:
#   root  $(ROOTFS) plus /data (tests/shell/data and two generated files,
#         big.txt with double-indirect blocks and the binary bin.gz)
#   /mnt  an empty scratch disk
# made once into $(SHELLTEST_DIR) and copied. `host` steps find the host
# copy of /data in $SHELLTEST_DATA. After each script, `e2fsck -fn` must
# find both disks clean. Transcripts: $(SHELLTEST_DIR)/<script>.log.
#
#   SHELLTEST_TIMEOUT=secs   limit per script, every boot included (300)
#   SHELLTEST_SCRIPTS=...    run only these scripts (virt)
#
# test-shell-rpi (issue 7): for each of rpi3 and rpi4, builds the normal
# kernel, writes a fresh SD image with `bootimg sdimage` (placeholder
# firmware, as `make qemu BOARD=rpi*` does: QEMU loads kernel8.img itself)
# into $(SHELLTEST_RPI_DIR), and plays each tests/shell/rpi/*.script on a
# copy of it, booting raspi3b/raspi4b from the card: root = its ext2
# partition, /boot = its FAT partition. The untouched image is in
# $SHELLTEST_PRISTINE for the script. Afterwards `e2fsck -fn` and
# `fsck.fat -n` must find the card's partitions clean. Transcripts:
# $(SHELLTEST_RPI_DIR)/<board>-<script>.log.
#
#   SHELLTEST_RPI_BOARDS=...   only these boards (rpi3 rpi4)
#   SHELLTEST_RPI_SCRIPTS=...  only these scripts

SHELLTEST_DIR     := target/shelltest
SHELLTEST_SCRIPTS ?= $(sort $(wildcard tests/shell/*.script))
SHELLTEST_TIMEOUT ?= 300
SHELLTEST_KERNEL  := target/virt/kernel.elf

.PHONY: test-shell test-shell-virt test-shell-rpi
test-shell: test-shell-virt test-shell-rpi

test-shell-virt: bootimg rootfs
	@$(MAKE) --no-print-directory build BOARD=virt
	@set -e; d=$(SHELLTEST_DIR); rm -rf $$d; mkdir -p $$d/root; \
	cp -R $(ROOTFS)/. $$d/root/; \
	mkdir -p $$d/root/data; cp -R tests/shell/data/. $$d/root/data/; \
	seq 1 60000 > $$d/root/data/big.txt; \
	seq 1 30000 | gzip -n -9 > $$d/root/data/bin.gz; \
	mke2fs -q -t ext2 -L root -d $$d/root $$d/root.img 64M; \
	mke2fs -q -t ext2 -L scratch $$d/mnt.img 8M
	@fail=0; d=$(SHELLTEST_DIR); \
	for s in $(SHELLTEST_SCRIPTS); do \
	    n=$$(basename $$s .script); \
	    cp $$d/root.img $$d/$$n-root.img; cp $$d/mnt.img $$d/$$n-mnt.img; \
	    SHELLTEST_DATA=$(CURDIR)/$$d/root/data $(BOOTIMG) shell-test --board virt \
	        --kernel $(SHELLTEST_KERNEL) --disk $$d/$$n-root.img --disk $$d/$$n-mnt.img \
	        --script $$s --timeout $(SHELLTEST_TIMEOUT) --log $$d/$$n.log || fail=1; \
	    scripts/fsck-images.sh $$d/$$n-root.img $$d/$$n-mnt.img || fail=1; \
	done; \
	if [ $$fail -ne 0 ]; then echo "make test-shell-virt: FAILED (transcripts in $$d/*.log)"; exit 1; fi; \
	echo "make test-shell-virt: all scripts passed"

SHELLTEST_RPI_DIR     := target/shelltest-rpi
SHELLTEST_RPI_BOARDS  ?= rpi3 rpi4
SHELLTEST_RPI_SCRIPTS ?= $(sort $(wildcard tests/shell/rpi/*.script))

test-shell-rpi: bootimg rootfs $(foreach b,$(SHELLTEST_RPI_BOARDS),target/$(b)/fake-firmware)
	@set -e; for b in $(SHELLTEST_RPI_BOARDS); do $(MAKE) --no-print-directory build BOARD=$$b; done
	@set -e; d=$(SHELLTEST_RPI_DIR); rm -rf $$d; mkdir -p $$d; \
	for b in $(SHELLTEST_RPI_BOARDS); do \
	    $(BOOTIMG) sdimage --board $$b --kernel target/$$b/kernel8.img --firmware target/$$b/fake-firmware \
	        --root $(ROOTFS) --out $$d/$$b-sd.img >/dev/null; \
	done
	@fail=0; d=$(SHELLTEST_RPI_DIR); \
	for b in $(SHELLTEST_RPI_BOARDS); do \
	    for s in $(SHELLTEST_RPI_SCRIPTS); do \
	        n=$$b-$$(basename $$s .script); \
	        cp --sparse=always $$d/$$b-sd.img $$d/$$n.img; \
	        SHELLTEST_PRISTINE=$(CURDIR)/$$d/$$b-sd.img $(BOOTIMG) shell-test --board $$b \
	            --kernel target/$$b/kernel8.img --disk $$d/$$n.img \
	            --script $$s --timeout $(SHELLTEST_TIMEOUT) --log $$d/$$n.log || fail=1; \
	        scripts/fsck-images.sh $$d/$$n.img || fail=1; \
	    done; \
	done; \
	if [ $$fail -ne 0 ]; then echo "make test-shell-rpi: FAILED (transcripts in $$d/*.log)"; exit 1; fi; \
	echo "make test-shell-rpi: all scripts passed on $(SHELLTEST_RPI_BOARDS)"
