#!/usr/bin/env bash
# Checks a Raspberry Pi SD card image from `make sdimage` with the real
# tools (design.md section 8):
#
#   usage: scripts/check-sdimage.sh <rpi3|rpi4> <image> <firmware dir> <kernel8.img>
#
#   - the size is a power of two (QEMU's -drive if=sd needs it);
#   - `sfdisk -d`: two primary partitions, FAT32 LBA (type c) at 1 MiB, then
#     Linux (type 83);
#   - `fsck.fat -n` and `e2fsck -fn` find both file systems clean
#     (scripts/fsck-images.sh);
#   - the FAT partition (mtools) holds the board's firmware files, byte for
#     byte those of <firmware dir>, the kernel as kernel8.img, byte for byte
#     <kernel8.img>, config.txt (with arm_64bit=1, kernel=kernel8.img,
#     enable_uart=1) and README.txt;
#   - the ext2 partition (debugfs) has /bin/sh, /etc/motd and /README.
#
# Prints one line per check; exits 1 if any fails, 2 on a usage error.
set -u

if [ $# -ne 4 ]; then
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
board=$1 img=$2 fw=$3 kernel=$4
case "$board" in
rpi3) firmware="bootcode.bin start.elf fixup.dat" ;;
rpi4) firmware="start4.elf fixup4.dat" ;;
*) echo "check-sdimage: board must be rpi3 or rpi4, not $board" >&2; exit 2 ;;
esac

status=0
ok() { echo "[sdimage-check] $img: $*"; }
bad() { echo "[sdimage-check] $img: FAILED: $*"; status=1; }

[ -f "$img" ] || { bad "no such image"; exit 1; }

size=$(stat -c %s "$img")
if [ "$size" -gt 0 ] && [ $((size & (size - 1))) -eq 0 ]; then
    ok "size $size bytes, a power of two"
else
    bad "size $size bytes is not a power of two"
fi

table=$(sfdisk -d "$img" 2>&1) || { bad "sfdisk -d failed: $table"; exit 1; }
parts=$(echo "$table" | awk -F'[=,]' '/^[^ ]+ : start=/ {gsub(/ /,"",$2); gsub(/ /,"",$4); gsub(/ /,"",$6); print $2, $4, $6}')
read -r -d '' p1 s1 t1 p2 s2 t2 extra <<<"$parts"
if [ -z "${extra:-}" ] && [ -n "${t2:-}" ] && [ "$p1" = 2048 ] && [ "$t1" = c ] && [ "$p2" -ge $((p1 + s1)) ] && [ "$t2" = 83 ]; then
    ok "partitions: FAT32 (c) at sector $p1, $s1 sectors; ext2 (83) at sector $p2, $s2 sectors"
    boot=$((p1 * 512)) root=$((p2 * 512))
else
    bad "unexpected partition table:"
    echo "$table" | sed 's/^/  | /'
    exit 1
fi

if out=$("$(dirname "$0")/fsck-images.sh" "$img" 2>&1); then
    ok "e2fsck -fn and fsck.fat -n: clean"
else
    bad "file system check:"
    echo "$out" | sed 's/^/  | /'
fi

names=$(mdir -i "$img@@$boot" -b :: 2>&1 | sed 's|^::/||')
listed=$(echo "$names" | tr '\n' ' ')
for f in $firmware kernel8.img config.txt README.txt; do
    echo "$names" | grep -qx "$f" || bad "the boot partition lacks $f (it has: $listed)"
done
for f in $firmware; do
    if mtype -i "$img@@$boot" "::$f" 2>/dev/null | cmp -s - "$fw/$f"; then
        ok "/boot/$f is $fw/$f"
    else
        bad "/boot/$f differs from $fw/$f"
    fi
done
if mtype -i "$img@@$boot" ::kernel8.img 2>/dev/null | cmp -s - "$kernel"; then
    ok "/boot/kernel8.img is $kernel"
else
    bad "/boot/kernel8.img differs from $kernel"
fi
config=$(mtype -i "$img@@$boot" ::config.txt 2>/dev/null)
for line in arm_64bit=1 kernel=kernel8.img enable_uart=1; do
    echo "$config" | grep -qx "$line" || bad "config.txt lacks the line $line"
done
ok "boot partition: $listed"

for f in /bin/sh /etc/motd /README; do
    if debugfs -R "stat $f" "$img?offset=$root" 2>/dev/null | grep -q '^Inode:.*Type: regular'; then
        :
    else
        bad "the root partition lacks $f"
    fi
done
ok "root partition: $(debugfs -R 'ls -p /' "$img?offset=$root" 2>/dev/null | awk -F/ 'NF > 5 && $6 != "." && $6 != ".." { print $6 }' | tr '\n' ' ')"
exit $status
