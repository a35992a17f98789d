#!/usr/bin/env bash
# Fetches the Raspberry Pi boot firmware (Debian's raspi-firmware package,
# component non-free-firmware) into a cache directory and prints the
# directory holding bootcode.bin, start*.elf, fixup*.dat and, unless
# --no-dtbs, the Pi 3 and Pi 4 device trees. Needs no root and changes
# nothing outside the cache.
#
#   usage: scripts/fetch-firmware.sh [--no-dtbs] <cache dir>
#
#   stdout  one line: the firmware directory (for bootimg sdimage --firmware)
#   stderr  progress, warnings, errors
#   exit    0 done; 1 the firmware cannot be had (the message says how to
#           provide it by hand with FIRMWARE_DIR=); 2 usage
#
# The package comes from the first of these that works:
#   1. `apt-get download raspi-firmware` with the system's apt sources
#      (they need the non-free-firmware component; when the system sources lack
#      it, a private apt setup under the cache is used);
#   2. the same through a private apt configuration under <cache>/apt that
#      names the Debian mirror this machine already uses, with
#      non-free-firmware.
# The device trees are not in raspi-firmware: Debian ships them in its arm64
# kernel package (linux-image-*-arm64, under /usr/lib/linux-image-*/broadcom/).
# They are fetched through the private configuration (for arm64) and only the
# DTBs are kept. They are optional (the kernel finds RAM through the firmware
# mailbox without one), so failing to get them is a warning, remembered in
# <cache>/dtbs-unavailable (delete it to try again).
#
# Idempotent: once the files are in the cache it only prints the directory.
set -euo pipefail

FIRMWARE=(bootcode.bin start.elf fixup.dat start4.elf fixup4.dat)
# Mainline Linux's names (bootimg then adds upstream_kernel=1 to config.txt
# for the Pi 3, whose Raspberry Pi names are bcm2710-*).
DTBS=(bcm2837-rpi-3-b.dtb bcm2837-rpi-3-b-plus.dtb bcm2711-rpi-4-b.dtb)

log() { printf 'fetch-firmware: %s\n' "$*" >&2; }

usage() {
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
}

want_dtbs=1
while [ $# -gt 0 ]; do
    case "$1" in
    --no-dtbs) want_dtbs=0; shift ;;
    -h | --help) usage; exit 0 ;;
    --) shift; break ;;
    -*) usage >&2; exit 2 ;;
    *) break ;;
    esac
done
if [ $# -ne 1 ] || [ -z "$1" ]; then
    usage >&2
    exit 2
fi

mkdir -p "$1"
cache=$(cd "$1" && pwd)
pkgroot="$cache/raspi-firmware"
fwdir="$pkgroot/usr/lib/raspi-firmware"
aptdir="$cache/apt"
dtb_marker="$cache/dtbs-unavailable"

# True if every named file is in directory $1 and not empty.
have_all() {
    local dir=$1 f
    shift
    for f in "$@"; do
        [ -s "$dir/$f" ] || return 1
    done
}

tmp=""
cleanup() {
    if [ -n "$tmp" ]; then rm -rf "$tmp"; fi
    rm -rf "$aptdir"
}
trap cleanup EXIT
scratch() {
    if [ -z "$tmp" ]; then tmp=$(mktemp -d "$cache/.tmp.XXXXXX"); fi
}

# apt-get/apt-cache with the private configuration, once private_apt_setup
# has run.
APT_OPTS=()

# Quiet apt's harmless complaint, as root, that it cannot drop privileges to
# download into a directory its _apt user cannot write.
apt_quiet() {
    "$@" 2> >(grep -v -e 'unsandboxed as root' -e "^rm: cannot remove '/var/cache/apt/" >&2)
}

# Sets up and updates the private apt configuration for arm64 with the
# components in $1 (e.g. "main non-free-firmware"). Fails if this is not a
# Debian machine with apt, or its sources name no mirror for its release.
private_apt_setup() {
    local components=$1 codename keyring uri
    command -v apt-get >/dev/null 2>&1 || return 1
    # shellcheck disable=SC1091
    codename=$( (. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}") || true)
    [ -n "$codename" ] || return 1
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    [ -r "$keyring" ] || return 1
    # The mirror the system's own sources use for this release.
    # shellcheck disable=SC2016  # $(...) is apt's format syntax, not the shell's
    uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
        awk -v c="$codename" '$2 == c { print $1; exit }')
    [ -n "$uri" ] || return 1
    mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
    echo "deb [arch=arm64 signed-by=$keyring] $uri $codename $components" >"$aptdir/sources.list"
    APT_OPTS=(
        -o "Dir::Etc::sourcelist=$aptdir/sources.list"
        -o "Dir::Etc::sourceparts=-"
        -o "Dir::State::Lists=$aptdir/lists"
        -o "Dir::Cache=$aptdir/cache"
        -o "Dir::State::status=/dev/null"
        -o "APT::Architecture=arm64"
        -o "APT::Architectures::=arm64"
        -o "Acquire::Languages=none"
        -o "Debug::NoLocking=1"
    )
    log "updating a private package list for $codename ($components) in $aptdir"
    apt_quiet apt-get -q "${APT_OPTS[@]}" update >&2
}

# Downloads package $1 into $tmp/deb, with the system's sources or, if
# $2 = private, the private configuration.
download() {
    local pkg=$1 how=$2
    scratch
    rm -rf "$tmp/deb"
    mkdir -p "$tmp/deb"
    chmod 755 "$tmp" "$tmp/deb"
    if [ "$how" = private ]; then
        (cd "$tmp/deb" && apt_quiet apt-get -q "${APT_OPTS[@]}" download "$pkg") >&2
    else
        (cd "$tmp/deb" && apt_quiet apt-get -q download "$pkg") >&2
    fi
}

cannot_fetch() {
    cat >&2 <<EOF
fetch-firmware: cannot get Debian's raspi-firmware package.

It is in Debian's non-free-firmware component. To enable that (as root):
  - deb822 sources (/etc/apt/sources.list.d/debian.sources): in the stanza
    whose "Suites:" line names your release (e.g. bookworm), extend the
    "Components:" line, e.g.
        Components: main non-free-firmware
  - one-line sources (/etc/apt/sources.list): append non-free-firmware to
    the "deb <mirror> bookworm main" line
then run: apt-get update    (scripts/setup.sh does all this on Debian.)

Or provide the files by hand: a directory holding
  bootcode.bin start.elf fixup.dat     (Raspberry Pi 3)
  start4.elf fixup4.dat                (Raspberry Pi 4)
and, optionally, the device trees bcm2710-rpi-3-b.dtb bcm2710-rpi-3-b-plus.dtb
bcm2711-rpi-4-b.dtb,
e.g. a copy of the boot/ directory of
https://github.com/raspberrypi/firmware (tree master, folder boot), then
  make sdimage BOARD=rpi4 FIRMWARE_DIR=/path/to/that/directory
EOF
    exit 1
}

# Extracts the downloaded raspi-firmware package into $pkgroot.
install_firmware() {
    local deb
    deb=$(find "$tmp/deb" -name 'raspi-firmware_*.deb' -print -quit)
    [ -n "$deb" ] || return 1
    command -v dpkg-deb >/dev/null 2>&1 || { log "dpkg-deb is missing"; return 1; }
    rm -rf "$tmp/pkg"
    dpkg-deb -x "$deb" "$tmp/pkg"
    have_all "$tmp/pkg/usr/lib/raspi-firmware" "${FIRMWARE[@]}" || {
        log "$(basename "$deb") lacks some of: ${FIRMWARE[*]}"
        return 1
    }
    rm -rf "$pkgroot"
    mv "$tmp/pkg" "$pkgroot"
    log "raspi-firmware: $(basename "$deb")"
}

fetch_firmware() {
    log "fetching Debian's raspi-firmware package"
    if download raspi-firmware system 2>/dev/null && install_firmware; then
        return 0
    fi
    log "not available from the system's apt sources; trying a private apt configuration"
    local components="non-free-firmware"
    if [ "$want_dtbs" = 1 ]; then components="main non-free-firmware"; fi
    if private_apt_setup "$components" && download raspi-firmware private && install_firmware; then
        return 0
    fi
    cannot_fetch
}

# Copies the DTBs from Debian's arm64 kernel package into $fwdir.
fetch_dtbs() {
    local kpkg deb d found
    if [ ${#APT_OPTS[@]} -eq 0 ]; then
        private_apt_setup "main" || return 1
    fi
    kpkg=$(apt-cache "${APT_OPTS[@]}" depends linux-image-arm64 2>/dev/null |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
    [ -n "$kpkg" ] || { log "no arm64 kernel package found"; return 1; }
    log "fetching the device trees from $kpkg (arm64 kernel package, large; done once)"
    download "$kpkg" private || return 1
    deb=$(find "$tmp/deb" -name "${kpkg}_*.deb" -print -quit)
    [ -n "$deb" ] || return 1
    mkdir -p "$tmp/kernel" || return 1
    dpkg-deb --fsys-tarfile "$deb" |
        tar -x -C "$tmp/kernel" --wildcards '*/broadcom/bcm2837-rpi-3-b*.dtb' \
            '*/broadcom/bcm2711-rpi-4-b.dtb'
    rm -f "$deb"
    for d in "${DTBS[@]}"; do
        found=$(find "$tmp/kernel" -name "$d" -print -quit)
        [ -n "$found" ] || { log "$kpkg has no $d"; return 1; }
        cp "$found" "$fwdir/$d" || return 1
    done
    log "device trees: ${DTBS[*]}"
}

if ! have_all "$fwdir" "${FIRMWARE[@]}"; then
    fetch_firmware
fi
if [ "$want_dtbs" = 1 ] && ! have_all "$fwdir" "${DTBS[@]}"; then
    if [ -e "$dtb_marker" ]; then
        log "no device trees (an earlier attempt failed; delete $dtb_marker to retry)"
    elif ! fetch_dtbs; then
        echo "Debian's arm64 kernel package could not be fetched" >"$dtb_marker"
        log "warning: no device trees; the image will boot without one (provide them with FIRMWARE_DIR= to include them)"
    fi
fi
echo "$fwdir"
