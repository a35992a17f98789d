# `make sdimage BOARD=rpi3|rpi4`: the flashable SD card image
# target/<board>-sd.img (design.md section 8). Included from the Makefile,
# whose variables it uses: BOARD, BOOTIMG (the host tool), INITRD_DIR (the
# user programs, filled by `make build`).
#
#   FIRMWARE_DIR=dir  take the Pi firmware from dir (bootcode.bin, start.elf,
#                     fixup.dat for the Pi 3; start4.elf, fixup4.dat for the
#                     Pi 4; DTBs optional) instead of fetching Debian's
#                     raspi-firmware package into $(FIRMWARE_CACHE)
#   NO_DTBS=1         when fetching, skip the device trees (they come from
#                     Debian's arm64 kernel package, a ~60 MB download)
#
# The image: MBR; FAT32 boot partition (firmware, DTBs, config.txt,
# kernel8.img, README.txt); ext2 root partition made from $(ROOTFS) (the
# Makefile's `rootfs` target: bootimg/rootfs/ plus /bin, /mnt, /boot, /tmp).

FIRMWARE_CACHE ?= target/firmware-cache
FIRMWARE_DIR ?=
NO_DTBS ?=
SD_IMAGE = target/$(BOARD)-sd.img
SD_KERNEL = target/$(BOARD)/kernel8.img

ifneq ($(filter sdimage,$(MAKECMDGOALS)),)
ifeq ($(filter rpi3 rpi4,$(BOARD)),)
$(error make sdimage: BOARD must be rpi3 or rpi4, not $(BOARD))
endif
endif

.PHONY: sdimage
sdimage: build rootfs
	@set -e; \
	fw="$(FIRMWARE_DIR)"; \
	if [ -z "$$fw" ]; then fw=$$(scripts/fetch-firmware.sh $(if $(NO_DTBS),--no-dtbs) $(FIRMWARE_CACHE)); fi; \
	rm -f $(SD_IMAGE).inputs; \
	$(BOOTIMG) sdimage --board $(BOARD) --kernel $(SD_KERNEL) --firmware "$$fw" \
	    --root $(ROOTFS) --out $(SD_IMAGE); \
	scripts/sd-inputs.sh $(SD_KERNEL) $(ROOTFS) $(BOOTIMG) > $(SD_IMAGE).inputs

# `make test-sdimage` (part of `make test`): `make sdimage` with the real
# firmware for both Pis, twice each, into $(SDCHECK_DIR) (not over
# target/<board>-sd.img, which `make qemu` keeps), then: both builds are
# byte-identical, and scripts/check-sdimage.sh checks the image with
# sfdisk, fsck.fat, e2fsck, mtools and debugfs (the firmware, kernel8.img
# and config.txt on the boot partition, the root tree on the ext2 one).
# The firmware: FIRMWARE_DIR if given, else scripts/fetch-firmware.sh
# --no-dtbs into $(FIRMWARE_CACHE) (scripts/setup.sh fetches it there).
# If it cannot be had, the check is SKIPPED with a message saying why and
# how to provide it, and does not fail, unless REQUIRE_FIRMWARE=1.
SDCHECK_DIR := target/sdimage-check
REQUIRE_FIRMWARE ?=

.PHONY: test-sdimage
test-sdimage: bootimg
	@rm -rf $(SDCHECK_DIR) && mkdir -p $(SDCHECK_DIR)
	@fw="$(FIRMWARE_DIR)"; \
	if [ -z "$$fw" ] && ! fw=$$(scripts/fetch-firmware.sh --no-dtbs $(FIRMWARE_CACHE) 2>$(SDCHECK_DIR)/fetch.log); then \
	    sed 's/^/  | /' $(SDCHECK_DIR)/fetch.log; \
	    if [ -n "$(REQUIRE_FIRMWARE)" ]; then echo "make test-sdimage: FAILED: no Raspberry Pi firmware (REQUIRE_FIRMWARE=1)"; exit 1; fi; \
	    echo "make test-sdimage: SKIPPED: the Raspberry Pi firmware cannot be fetched (above); give FIRMWARE_DIR=<dir> to run this check"; \
	    exit 0; \
	fi; \
	fail=0; \
	for b in rpi3 rpi4; do \
	    for n in 1 2; do \
	        $(MAKE) --no-print-directory sdimage BOARD=$$b FIRMWARE_DIR="$$fw" SD_IMAGE=$(SDCHECK_DIR)/$$b-sd-$$n.img \
	            >$(SDCHECK_DIR)/$$b-make-$$n.log 2>&1 || { cat $(SDCHECK_DIR)/$$b-make-$$n.log; fail=1; continue 2; }; \
	    done; \
	    tail -n 2 $(SDCHECK_DIR)/$$b-make-1.log; \
	    if cmp $(SDCHECK_DIR)/$$b-sd-1.img $(SDCHECK_DIR)/$$b-sd-2.img; then \
	        echo "[sdimage-check] $$b: building twice gave identical bytes"; \
	    else echo "[sdimage-check] $$b: FAILED: two builds differ"; fail=1; fi; \
	    scripts/check-sdimage.sh $$b $(SDCHECK_DIR)/$$b-sd-1.img "$$fw" target/$$b/kernel8.img || fail=1; \
	done; \
	if [ $$fail -ne 0 ]; then echo "make test-sdimage: FAILED"; exit 1; fi; \
	echo "make test-sdimage: rpi3 and rpi4 images built with the firmware from $$fw and checked"
