#!/usr/bin/env bash
# Prints one digest of what a Pi SD image is made from: the kernel
# (kernel8.img), the root tree (every path, its type, mode and link target,
# and every file's bytes) and the bootimg binary. `make qemu BOARD=rpi*`
# keeps target/<board>-sd.img while this digest is the one recorded next to
# the image, and makes the image anew when it differs.
#
#   usage: scripts/sd-inputs.sh <kernel8.img> <root dir> <bootimg>
set -euo pipefail
if [ $# -ne 3 ]; then
    sed -n '7p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
kernel=$1 root=$2 bootimg=$3
{
    sha256sum <"$kernel"
    sha256sum <"$bootimg"
    (cd "$root" && find . -printf '%y %m %p %l\n' | LC_ALL=C sort)
    (cd "$root" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
} | sha256sum | cut -d' ' -f1
