#!/usr/bin/env bash
# Copy freshly built programs into /bin of an existing ext2 disk image
# (without mounting it): `update-bin.sh <image> <dir of programs>`.
set -euo pipefail
img=$1
dir=$2
cmds=$(mktemp)
trap 'rm -f "$cmds"' EXIT
echo "mkdir /bin" >>"$cmds"
for f in "$dir"/*; do
    name=$(basename "$f")
    echo "rm /bin/$name" >>"$cmds"
    echo "write $f /bin/$name" >>"$cmds"
done
debugfs -w -f "$cmds" "$img" >/dev/null 2>&1
e2fsck -fn "$img" >/dev/null 2>&1 || { echo "update-bin: $img does not check clean after updating /bin" >&2; exit 1; }
echo "updated /bin on $img"
