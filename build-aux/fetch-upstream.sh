#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fetch the upstream base (Debian's qemu 1:10.2.2+ds-1 source package) into
# the cache directory given as $1 and check the orig tarball's sha256.
# Prints the tarball's path.  Nothing is downloaded when it is already there.
set -euo pipefail

version=1:10.2.2+ds-1
orig=qemu_10.2.2+ds.orig.tar.xz
sha256=be05230fe47a6937cd29f28f562932c8125f9c93c2a82c625198f7a4aa601dfb

die() { echo "fetch-upstream: $*" >&2; exit 1; }

dir=${1:?usage: fetch-upstream.sh CACHE_DIR}
mkdir -p "$dir"
cd "$dir"

if [ -f "$orig" ] && echo "$sha256  $orig" | sha256sum -c --quiet - 2>/dev/null; then
    echo "$dir/$orig"
    exit 0
fi
rm -f "$orig"
echo "fetch-upstream: downloading qemu=$version source package into $dir" >&2
apt-get source --download-only "qemu=$version" >&2 ||
    die "apt-get source qemu=$version failed; run build-aux/setup.sh (it adds the sid deb-src entry) and check access to deb.debian.org"
[ -f "$orig" ] || die "$orig was not among the downloaded files"
echo "$sha256  $orig" | sha256sum -c --quiet - ||
    die "$orig has the wrong sha256 (expected $sha256); delete $dir and retry, or report a changed archive"
echo "$dir/$orig"
