#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A Debian sid chroot with libvirt (12.x: native arm-smmuv3 accel and
# iommufd hostdev XML), for driving this QEMU through a real libvirtd.
# libvirt 12 cannot be installed on bookworm, hence the chroot.  Made once
# into CACHE_DIR/libvirt/sid-KEY (KEY: hash of this script), reused after;
# a half-made chroot is removed and made again.
#
# usage: libvirt-chroot.sh CACHE_DIR    (prints the chroot directory)
set -euo pipefail

cache=${1:?usage: libvirt-chroot.sh CACHE_DIR}
die() { echo "libvirt-chroot: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "debootstrap and chroot need root"
# libvirt's QEMU driver depends on some qemu-system; the domains use ours
packages="libvirt-daemon-driver-qemu libvirt-clients libvirt-daemon \
libvirt-daemon-log"
key=$(sha256sum "$0" | cut -c1-12)
root=$cache/libvirt/sid-$key
if [ -f "$root/.done" ]; then
    echo "$root"
    exit 0
fi
command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap)"
rm -rf "$root"
mkdir -p "$cache/libvirt"
echo "libvirt-chroot: debootstrap sid into $root" >&2
debootstrap --variant=minbase sid "$root" http://deb.debian.org/debian >&2
# The archive's Release files may be older than their Valid-Until
echo 'Acquire::Check-Valid-Until "false";' \
    > "$root/etc/apt/apt.conf.d/99libvirt-chroot"
# Only what libvirt needs; QEMU is ours, from outside the chroot
chroot "$root" apt-get update >&2
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y \
    --no-install-recommends $packages >&2 ||
    die "libvirt did not install into $root"
chroot "$root" apt-get clean
touch "$root/.done"
echo "$root"
