#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A Debian chroot with libvirt, for driving this QEMU through a real
# libvirtd (tests/libvirt/):
#   sid        libvirt 12.x: native arm-smmuv3 accel and iommufd hostdev
#              XML (it cannot be installed on bookworm, hence the chroot)
#   bookworm   bookworm-backports' libvirt 11.3, which has neither
# Made once into CACHE_DIR/libvirt/RELEASE-KEY (KEY: hash of this script),
# reused after; a half-made chroot is removed and made again.
#
# usage: libvirt-chroot.sh CACHE_DIR [sid|bookworm]
#        (prints the chroot directory)
set -euo pipefail

cache=${1:?usage: libvirt-chroot.sh CACHE_DIR [sid|bookworm]}
release=${2:-sid}
die() { echo "libvirt-chroot: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "debootstrap and chroot need root"
case $release in
sid) target=() ;;
bookworm) target=(-t bookworm-backports) ;;
*) die "unknown release '$release' (sid or bookworm)" ;;
esac
# libvirt's QEMU driver depends on some qemu-system; the domains use ours
packages="libvirt-daemon-driver-qemu libvirt-clients libvirt-daemon \
libvirt-daemon-log"
key=$(sha256sum "$0" | cut -c1-12)
root=$cache/libvirt/$release-$key
if [ -f "$root/.done" ]; then
    echo "$root"
    exit 0
fi
command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap)"
# an older recipe's chroot of this release goes
rm -rf "$cache/libvirt/$release-"*
mkdir -p "$cache/libvirt"
echo "libvirt-chroot: debootstrap $release into $root" >&2
debootstrap --variant=minbase "$release" "$root" http://deb.debian.org/debian >&2
if [ "$release" = bookworm ]; then
    echo "deb http://deb.debian.org/debian bookworm-backports main" \
        > "$root/etc/apt/sources.list.d/backports.list"
fi
# The archive's Release files may be older than their Valid-Until
echo 'Acquire::Check-Valid-Until "false";' \
    > "$root/etc/apt/apt.conf.d/99libvirt-chroot"
# Only what libvirt needs; QEMU is ours, from outside the chroot
chroot "$root" apt-get update >&2
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y \
    --no-install-recommends "${target[@]}" $packages >&2 ||
    die "libvirt did not install into $root"
chroot "$root" apt-get clean
touch "$root/.done"
echo "$root"
