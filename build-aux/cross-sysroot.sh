#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The arm64 sysroot for the static aarch64 cross build of QEMU: bookworm's
# arm64 library packages, downloaded with apt-get and extracted (never
# installed: arm64 -dev packages cannot be co-installed with the amd64 ones
# on bookworm) into CACHE_DIR/e2e/sysroot/KEY.  KEY is the hash of the
# package list with the versions the apt lists offer, so a new point
# release makes a new sysroot and an unchanged one is reused.
#
# usage: cross-sysroot.sh CACHE_DIR    (prints the sysroot directory)
set -euo pipefail

cache=${1:?usage: cross-sysroot.sh CACHE_DIR}
release=bookworm
# What a static qemu-system-aarch64 links: glib (and pcre2, libffi for its
# pkg-config closure), pixman, libfdt, zlib.
pkgs=(libglib2.0-dev libglib2.0-0 libpcre2-dev libpcre2-8-0 libffi-dev libffi8
      libpixman-1-dev libpixman-1-0 libfdt-dev libfdt1 zlib1g-dev zlib1g)

die() { echo "cross-sysroot: $*" >&2; exit 1; }

base=$cache/e2e
debs=$base/debs/sysroot
mkdir -p "$debs" "$base/sysroot"

# Resolve the versions from the local apt lists (one apt-cache call: each
# one reads every list).
mapfile -t found < <(apt-cache madison "${pkgs[@]/%/:arm64}" 2>/dev/null |
    awk -F'|' -v r="$release" '$3 ~ " " r "/" && $3 ~ /arm64/ {
        gsub(/ /, "", $1); sub(/:arm64$/, "", $1); gsub(/ /, "", $2); print $1 "=" $2 }')
want=()
for p in "${pkgs[@]}"; do
    pv=$(printf '%s\n' "${found[@]}" | grep -m1 "^$p=" || true)
    [ -n "$pv" ] ||
        die "no $p:arm64 in the $release lists; run build-aux/setup.sh (it enables arm64) and apt-get update"
    want+=("$pv")
done
key=$(printf '%s\n' "${want[@]}" | sha256sum | cut -c1-16)
root=$base/sysroot/$key
if [ -f "$root/.complete" ]; then
    echo "$root"
    exit 0
fi

echo "cross-sysroot: extracting ${#want[@]} bookworm arm64 packages into $root" >&2
rm -rf "$root"
mkdir -p "$root"
for pv in "${want[@]}"; do
    p=${pv%%=*}
    v=${pv#*=}
    # apt-get encodes ':' of an epoch as %3a in the file name.
    f=$debs/${p}_${v//:/%3a}_arm64.deb
    if [ ! -f "$f" ]; then
        (cd "$debs" && apt-get download -q "$p:arm64=$v" >&2) ||
            die "apt-get download $p:arm64=$v failed"
    fi
    [ -f "$f" ] || die "expected $f after the download"
    dpkg-deb -x "$f" "$root"
done
# Only one sysroot is kept.
for d in "$base/sysroot"/*; do
    [ "$d" = "$root" ] || rm -rf "$d"
done
touch "$root/.complete"
echo "$root"
