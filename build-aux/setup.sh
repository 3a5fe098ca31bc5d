#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Install every Debian package the build and the tests need, and the apt
# sources they come from.  Idempotent: a second run changes nothing and
# performs no download when all packages are present.
set -euo pipefail

die() { echo "setup: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || SUDO=sudo
SUDO=${SUDO:-}

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || die "$keyring is missing; install debian-archive-keyring"

# The sources this project adds, beside the machine's own bookworm source:
#  - bookworm-backports: meson >= 1.5 and python3-pycotap (QEMU 10.2 needs them)
#  - sid deb-src: the qemu 1:10.2.2+ds-1 source package (the upstream base)
#  - sid deb (pinned low): only for packages named explicitly with /sid
list=/etc/apt/sources.list.d/qemu-smmuv3-accel.sources
want=$(cat <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: $keyring

Types: deb-src
URIs: http://deb.debian.org/debian
Suites: sid
Components: main
Signed-By: $keyring

Types: deb
URIs: http://deb.debian.org/debian
Suites: sid
Components: main
Architectures: amd64 arm64
Signed-By: $keyring
SRC
)
pin=/etc/apt/preferences.d/qemu-smmuv3-accel
want_pin=$(cat <<PIN
Package: *
Pin: release n=sid
Pin-Priority: 50
PIN
)

changed=0
if [ "$(cat "$list" 2>/dev/null)" != "$want" ]; then
    printf '%s\n' "$want" | $SUDO tee "$list" >/dev/null
    changed=1
fi
if [ "$(cat "$pin" 2>/dev/null)" != "$want_pin" ]; then
    printf '%s\n' "$want_pin" | $SUDO tee "$pin" >/dev/null
    changed=1
fi
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    # arm64 is only used to *download* .debs for the cross sysroot and the
    # guest initramfs; nothing of arm64 is ever installed.
    $SUDO dpkg --add-architecture arm64
    changed=1
fi

# Packages from bookworm (and two from bookworm-backports).
pkgs_bookworm=(
    build-essential git ccache ninja-build pkg-config python3 python3-venv
    libglib2.0-dev libpixman-1-dev libfdt-dev zlib1g-dev device-tree-compiler
    bzip2 xz-utils dpkg-dev cpio bc bison flex perl
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-efi-aarch64
    python3-sphinx python3-sphinx-rtd-theme debootstrap
    clang-16 libclang-rt-16-dev llvm-16
)
pkgs_bpo=(meson/bookworm-backports python3-pycotap/bookworm-backports)

missing=()
for p in "${pkgs_bookworm[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing+=("$p")
done
meson_ok=0
if dpkg-query -W -f='${Version}' meson 2>/dev/null | grep -q .; then
    v=$(dpkg-query -W -f='${Version}' meson)
    dpkg --compare-versions "$v" ge 1.5 && meson_ok=1
fi
pycotap_ok=0
dpkg-query -W -f='${Status}' python3-pycotap 2>/dev/null |
    grep -q 'install ok installed' && pycotap_ok=1

stamp=/var/lib/apt/lists/.qemu-smmuv3-accel-updated
if [ $changed = 1 ] || [ ! -e "$stamp" ] ||
   [ ${#missing[@]} -gt 0 ] || [ $meson_ok = 0 ] || [ $pycotap_ok = 0 ]; then
    echo "setup: apt-get update"
    $SUDO apt-get update -q >/dev/null ||
        die "apt-get update failed; check the network access to deb.debian.org"
    $SUDO touch "$stamp"
fi

export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    $SUDO apt-get install -y -q -t bookworm --no-install-recommends "${missing[@]}" ||
        die "apt-get install failed for: ${missing[*]}"
fi
if [ $meson_ok = 0 ] || [ $pycotap_ok = 0 ]; then
    echo "setup: installing meson and python3-pycotap from bookworm-backports"
    $SUDO apt-get install -y -q --no-install-recommends "${pkgs_bpo[@]}" ||
        die "could not install meson >= 1.5 from bookworm-backports"
fi
echo "setup: all packages present"
