#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Upstream QEMU 11.1.3 for L1, the comparison anchor of make
# compare-upstream: Debian's arm64 build of it (qemu-system-arm
# 1:11.1.3+ds-1, sid) and the shared libraries it loads, extracted (never
# installed) into an initramfs fragment that is appended to L1's image:
#   /upstream/bin/qemu-system-aarch64   the binary, as Debian built it
#   /lib/ld-linux-aarch64.so.1, /lib/aarch64-linux-gnu/   its libraries
# (L1's own programs are static, so nothing else there loads them).
#
# Why the binary package: the archive lists the source package
# 1:11.1.3+ds-1 but serves none of its files (404 for the .dsc, the orig
# tarball and the Debian tarball, checked November 28 2026), so it cannot
# be built here; tests/e2e/README.md says what that changes.
#
# The .deb is checked against the sha256 recorded here (the one the
# signed Packages index gives); every shared object the binary and its
# libraries need must be in the fragment, or the script fails.  Cached in
# CACHE_DIR/e2e/upstream/KEY (KEY: the version, the sha256, this recipe).
#
# usage: upstream-qemu.sh CACHE_DIR     (prints the directory)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${1:?usage: upstream-qemu.sh CACHE_DIR}
package=qemu-system-arm
version=1:11.1.3+ds-1
sha256=163eec3ceb8cf3fad0ddc70e4757ae137f8b9d9a49a1f659eeb101e9a3011551
recipe=1
readelf=aarch64-linux-gnu-readelf

die() { echo "upstream-qemu: $*" >&2; exit 1; }
say() { echo "upstream-qemu: $*" >&2; }

command -v $readelf >/dev/null || die "$readelf not found; run build-aux/setup.sh"
key=$(echo "recipe=$recipe $package=$version $sha256" | sha256sum | cut -c1-16)
out=$cache/e2e/upstream/$key
if [ -f "$out/upstream.cpio.gz" ]; then
    echo "$out"
    exit 0
fi

debs=$cache/e2e/debs/upstream
mkdir -p "$debs"
say "resolving the arm64 libraries of $package=$version (sid)"
mapfile -t closure < <("$here/upstream-closure.py" sid "$package=$version")
[ "${closure[0]:-}" = "$package=$version" ] ||
    die "$package:arm64=$version is not in the apt lists; run build-aux/setup.sh (sid, arm64) and apt-get update"
get=()
for pv in "${closure[@]}"; do
    p=${pv%%=*} v=${pv#*=}
    [ -f "$debs/${p}_${v//:/%3a}_arm64.deb" ] || get+=("$p:arm64=$v")
done
if [ ${#get[@]} -gt 0 ]; then
    say "downloading ${#get[@]} packages"
    (cd "$debs" && apt-get download -q "${get[@]}" >&2) ||
        die "apt-get download failed: ${get[*]}"
fi
main=$debs/${package}_${version//:/%3a}_arm64.deb
echo "$sha256  $main" | sha256sum -c --quiet - ||
    die "$main has the wrong sha256 (expected $sha256)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for pv in "${closure[@]}"; do
    p=${pv%%=*} v=${pv#*=}
    dpkg-deb -x "$debs/${p}_${v//:/%3a}_arm64.deb" "$work/x"
done
root=$work/root
mkdir -p "$root/upstream/bin" "$root/lib/aarch64-linux-gnu"
cp "$work/x/usr/bin/qemu-system-aarch64" "$root/upstream/bin/"
for d in "$work/x/lib/aarch64-linux-gnu" "$work/x/usr/lib/aarch64-linux-gnu"; do
    [ -d "$d" ] || continue
    find "$d" -maxdepth 1 -name '*.so*' \( -type f -o -type l \) \
        -exec cp -a {} "$root/lib/aarch64-linux-gnu/" \;
done
ld=$(readlink -f "$work/x/usr/lib/ld-linux-aarch64.so.1" 2>/dev/null ||
     readlink -f "$work/x/lib/ld-linux-aarch64.so.1")
[ -f "$ld" ] || die "no ld-linux-aarch64.so.1 in libc6"
cp "$ld" "$root/lib/ld-linux-aarch64.so.1"

# Every DT_NEEDED of the binary and of each library must be there
interp=$($readelf -l "$root/upstream/bin/qemu-system-aarch64" |
         sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
[ "$interp" = /lib/ld-linux-aarch64.so.1 ] ||
    die "unexpected interpreter '$interp'"
missing=$(for f in "$root/upstream/bin/qemu-system-aarch64" \
                   "$root"/lib/aarch64-linux-gnu/*.so*; do
              $readelf -d "$f" 2>/dev/null |
                  sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
          done | sort -u | while read -r so; do
              [ -e "$root/lib/aarch64-linux-gnu/$so" ] ||
                  [ -e "$root/lib/$so" ] || echo "$so"
          done)
[ -z "$missing" ] || die "shared objects not found: ${missing//$'\n'/ }"

tmp=$out.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 |
 gzip -1 -n) > "$tmp/upstream.cpio.gz"
printf '%s\n' "${closure[@]}" > "$tmp/packages"
echo "$sha256  ${main##*/}" > "$tmp/sha256"
mv "$tmp" "$out"
say "built $out ($(du -h "$out/upstream.cpio.gz" | cut -f1), ${#closure[@]} packages)"
echo "$out"
