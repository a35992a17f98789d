#!/usr/bin/env bash
# Installs everything the build and the tests need on a fresh Debian bookworm
# machine (run as root, or with sudo available). Safe to run again: it only
# installs what is missing.
#
# Elsewhere, install by hand:
#   - Rust via rustup (the toolchain in rust-toolchain.toml is picked up
#     automatically, with the aarch64-unknown-none target)
#   - QEMU >= 9 with qemu-system-aarch64 (raspi4b needs >= 9)
#   - e2fsprogs (mke2fs, e2fsck), dosfstools, mtools, fdisk (sfdisk)
set -euo pipefail

need_qemu_major=9
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

log() { printf '[setup] %s\n' "$*"; }

qemu_ok() {
    command -v qemu-system-aarch64 >/dev/null 2>&1 || return 1
    local v
    v=$(qemu-system-aarch64 --version | head -n1 | sed -E 's/.*version ([0-9]+).*/\1/')
    [ "${v:-0}" -ge "$need_qemu_major" ]
}

missing_pkgs=()
command -v mke2fs >/dev/null 2>&1 || missing_pkgs+=(e2fsprogs)
command -v mkfs.fat >/dev/null 2>&1 || missing_pkgs+=(dosfstools)
command -v mcopy >/dev/null 2>&1 || missing_pkgs+=(mtools)
command -v sfdisk >/dev/null 2>&1 || missing_pkgs+=(fdisk)
command -v make >/dev/null 2>&1 || missing_pkgs+=(make)

if [ -r /etc/os-release ] && grep -q '^ID=debian' /etc/os-release; then
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    if ! qemu_ok; then
        if [ "$codename" = "bookworm" ]; then
            if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
                log "adding bookworm-backports (QEMU >= 9 is needed for raspi4b)"
                echo 'deb http://deb.debian.org/debian bookworm-backports main' |
                    $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
            fi
            $SUDO apt-get update -qq
            $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -t bookworm-backports qemu-system-arm
        else
            $SUDO apt-get update -qq
            $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-arm
        fi
    fi
    if [ ${#missing_pkgs[@]} -gt 0 ]; then
        log "installing ${missing_pkgs[*]}"
        $SUDO apt-get update -qq
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}"
    fi
else
    if ! qemu_ok || [ ${#missing_pkgs[@]} -gt 0 ]; then
        log "not Debian: please install QEMU >= $need_qemu_major (qemu-system-aarch64), e2fsprogs, dosfstools, mtools, fdisk"
        exit 1
    fi
fi

qemu_ok || { log "qemu-system-aarch64 >= $need_qemu_major still missing"; exit 1; }

if ! command -v rustup >/dev/null 2>&1; then
    log "installing rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain none
    # shellcheck disable=SC1091
    . "$HOME/.cargo/env"
fi
# rust-toolchain.toml names the toolchain, its components and target.
(cd "$(dirname "$0")/.." && rustup show active-toolchain >/dev/null 2>&1 || rustup toolchain install)
(cd "$(dirname "$0")/.." && rustup target add aarch64-unknown-none aarch64-unknown-none-softfloat >/dev/null)

# The Raspberry Pi firmware (Debian's raspi-firmware, non-free-firmware)
# for `make sdimage` and its check in `make test`, into a cache under
# target/ (scripts/fetch-firmware.sh: a private apt configuration, no root,
# no change to the system's apt sources). Not fatal: without it
# `make test-sdimage` is skipped with a message, and FIRMWARE_DIR= gives
# the files by hand.
if fwdir=$(cd "$(dirname "$0")/.." && scripts/fetch-firmware.sh --no-dtbs target/firmware-cache); then
    log "Raspberry Pi firmware: $fwdir"
else
    log "warning: no Raspberry Pi firmware (see above); make test will skip the SD image check"
fi

log "ok: $(qemu-system-aarch64 --version | head -n1)"
