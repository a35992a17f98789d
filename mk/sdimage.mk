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
	$(BOOTIMG) sdimage --board $(BOARD) --kernel $(SD_KERNEL) --firmware "$$fw" \
	    --root $(ROOTFS) --out $(SD_IMAGE)
