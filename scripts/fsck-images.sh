#!/usr/bin/env bash
# Run `e2fsck -fn` on the ext2 file system in each image given: the whole
# image, or the Linux (0x83) partition of an MBR-partitioned one (an SD
# card image). In an MBR image, also run `fsck.fat -n` on each FAT
# partition (types 0x0b, 0x0c, 0x0e: the Pi's boot partition), extracted
# to a temporary file; it counts as clean only if fsck.fat exits 0 and
# prints nothing but its banner and the summary line. Exits non-zero if
# any check reports a problem.
set -u
status=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for img in "$@"; do
    offset=0
    table=$(sfdisk -d "$img" 2>/dev/null) || table=""
    if start=$(echo "$table" | awk -F'[=,]' '/type=83(,|$)/ {gsub(/ /,"",$2); print $2; exit}'); [ -n "$start" ]; then
        offset=$((start * 512))
    fi
    if out=$(e2fsck -fn "$img?offset=$offset" 2>&1); then
        echo "[fsck] $img: clean"
    else
        echo "[fsck] $img: e2fsck reported problems:"
        echo "$out" | sed 's/^/  | /'
        status=1
    fi
    # start size per FAT partition
    echo "$table" | awk -F'[=,]' '/type=(b|c|e)(,|$)/ {gsub(/ /,"",$2); gsub(/ /,"",$4); print $2, $4}' |
        while read -r fstart fsize; do
            fat="$tmp/fat.img"
            rm -f "$fat"
            if ! dd if="$img" of="$fat" bs=512 skip="$fstart" count="$fsize" conv=sparse status=none; then
                echo "[fsck] $img: cannot extract the FAT partition at sector $fstart"
                exit 1
            fi
            if out=$(fsck.fat -n "$fat" 2>&1) && [ "$(echo "$out" | wc -l)" -eq 2 ]; then
                echo "[fsck] $img: FAT partition at sector $fstart clean"
            else
                echo "[fsck] $img: fsck.fat reported problems in the FAT partition at sector $fstart:"
                echo "$out" | sed 's/^/  | /'
                exit 1
            fi
        done || status=1
done
exit $status
