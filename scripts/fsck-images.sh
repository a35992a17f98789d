#!/usr/bin/env bash
# Run `e2fsck -fn` on the ext2 file system in each image given: the whole
# image, or the Linux (0x83) partition of an MBR-partitioned one (an SD
# card image). Exits non-zero if any check reports a problem.
set -u
status=0
for img in "$@"; do
    offset=0
    if start=$(sfdisk -d "$img" 2>/dev/null | awk -F'[=,]' '/type=83/ {gsub(/ /,"",$2); print $2; exit}'); [ -n "$start" ]; then
        offset=$((start * 512))
    fi
    if out=$(e2fsck -fn "$img?offset=$offset" 2>&1); then
        echo "[fsck] $img: clean"
    else
        echo "[fsck] $img: e2fsck reported problems:"
        echo "$out" | sed 's/^/  | /'
        status=1
    fi
done
exit $status
