#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build (or reuse) the end-to-end initramfs images:
#   l2.cpio.gz  busybox, dma-check, io-bench, inval-bench, init-l2.sh,
#               init-lib.sh
#   l1.cpio.gz  busybox, nest-check, dma-check, init-l1.sh, the static
#               aarch64 qemu-system-aarch64 (stripped), and under /l2:
#               L2's kernel, l2.cpio.gz and the UEFI firmware (Debian's
#               AAVMF, qemu-efi-aarch64) for an ACPI boot of L2
# busybox is bookworm's busybox-static:arm64, downloaded and extracted
# (never installed); the test programs are cross-compiled here, static,
# against the kernel's uapi headers.
#
# They live in CACHE/e2e/initramfs/KEY/, KEY being the hash of every input:
# the busybox version, our sources in tests/e2e, the kernel Image and
# headers, the QEMU binary and this recipe.  Only the newest is kept.
#
# usage: build-initramfs.sh CACHE_DIR KERNEL_DIR QEMU_AARCH64
#        (prints the directory)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${1:?usage: build-initramfs.sh CACHE_DIR KERNEL_DIR QEMU_AARCH64}
kdir=${2:?}
qemu=${3:?}
recipe=2
firmware=/usr/share/AAVMF/AAVMF_CODE.fd
cc=aarch64-linux-gnu-gcc
cflags=(-std=gnu11 -O2 -Wall -Wextra -static -isystem "$kdir/include")
common=(e2e-report.c iommufd-calls.c vfio-edu.c)

die() { echo "build-initramfs: $*" >&2; exit 1; }
say() { echo "build-initramfs: $*" >&2; }

[ -f "$kdir/Image" ] || die "no kernel in $kdir"
[ -x "$qemu" ] || die "no QEMU binary $qemu"
[ -f "$firmware" ] || die "no $firmware; run build-aux/setup.sh (qemu-efi-aarch64)"
command -v $cc >/dev/null || die "$cc not found; run build-aux/setup.sh"

base=$cache/e2e
mkdir -p "$base/debs" "$base/initramfs"

bbver=$(apt-cache madison busybox-static:arm64 2>/dev/null |
        awk -F'|' '$3 ~ / bookworm\// { gsub(/ /, "", $2); print $2; exit }')
[ -n "$bbver" ] || die "no busybox-static:arm64 in the bookworm lists; run build-aux/setup.sh"

key=$( {
    echo "recipe=$recipe busybox=$bbver"
    (cd "$here" && sha256sum -- *.c *.h init-l1.sh init-l2.sh init-lib.sh)
    sha256sum < "$kdir/Image"
    find "$kdir/include" -type f -name '*.h' -print0 | sort -z |
        xargs -0 cat | sha256sum
    sha256sum < "$qemu"
    sha256sum < "$firmware"
} | sha256sum | cut -c1-16)
out=$base/initramfs/$key
if [ -f "$out/l1.cpio.gz" ]; then
    say "reusing $out"
    echo "$out"
    exit 0
fi

t0=$(date +%s)
# busybox
deb=$base/debs/busybox-static_${bbver//:/%3a}_arm64.deb
if [ ! -f "$deb" ]; then
    say "downloading busybox-static:arm64=$bbver"
    (cd "$base/debs" && apt-get download -q "busybox-static:arm64=$bbver" >&2) ||
        die "apt-get download busybox-static:arm64 failed"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$deb" "$work/bb"
bb=$work/bb/bin/busybox
[ -x "$bb" ] || die "no bin/busybox in $deb"

# the test programs
say "cross-compiling the test programs"
mkdir -p "$work/bin"
(cd "$here" &&
 $cc "${cflags[@]}" -o "$work/bin/nest-check" nest-check.c \
     nest-check-objects.c nest-check-inval.c nest-check-dma.c \
     nest-check-group.c nest-check-cmdqv.c smmu-s1.c vevent.c "${common[@]}" &&
 $cc "${cflags[@]}" -o "$work/bin/dma-check" dma-check.c "${common[@]}" &&
 $cc "${cflags[@]}" -o "$work/bin/io-bench" io-bench.c e2e-report.c &&
 $cc "${cflags[@]}" -o "$work/bin/inval-bench" inval-bench.c \
     "${common[@]}") ||
    die "the test programs do not compile"

mkcpio() {   # mkcpio DIR OUT LEVEL
    (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 |
     gzip -"$3" -n) > "$2"
}

# L2
l2=$work/l2
mkdir -p "$l2/bin" "$l2/dev" "$l2/lib" "$l2/proc" "$l2/sys" "$l2/tmp"
cp "$bb" "$l2/bin/busybox"
cp "$work/bin/dma-check" "$work/bin/io-bench" "$work/bin/inval-bench" \
    "$l2/bin/"
install -m 755 "$here/init-l2.sh" "$l2/init"
install -m 644 "$here/init-lib.sh" "$l2/lib/e2e.sh"
tmp=$out.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
mkcpio "$l2" "$tmp/l2.cpio.gz" 9

# L1
l1=$work/l1
mkdir -p "$l1/bin" "$l1/dev" "$l1/lib" "$l1/proc" "$l1/sys" "$l1/tmp" "$l1/l2"
cp "$bb" "$l1/bin/busybox"
cp "$work/bin/nest-check" "$work/bin/dma-check" "$l1/bin/"
aarch64-linux-gnu-strip -o "$l1/bin/qemu-system-aarch64" "$qemu"
cp "$kdir/Image" "$l1/l2/Image"
cp "$tmp/l2.cpio.gz" "$l1/l2/initrd.cpio.gz"
cp "$firmware" "$l1/l2/AAVMF_CODE.fd"
install -m 755 "$here/init-l1.sh" "$l1/init"
install -m 644 "$here/init-lib.sh" "$l1/lib/e2e.sh"
mkcpio "$l1" "$tmp/l1.cpio.gz" 1

echo "busybox-static:arm64=$bbver" > "$tmp/inputs"
mv "$tmp" "$out"
# Keep the newest few: another checkout (a CI run beside a developer's
# tree) may be using its own images from this cache right now.
ls -1dt "$base/initramfs"/*/ | tail -n +5 | while read -r d; do
    rm -rf "$d"
done
say "built $out in $(( $(date +%s) - t0 )) s (l1 $(du -h "$out/l1.cpio.gz" | cut -f1), l2 $(du -h "$out/l2.cpio.gz" | cut -f1))"
echo "$out"
