#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build or reuse the end-to-end artifacts that live in the cache (the
# kernel, then the initramfs images, which hold the cross-built QEMU) and
# write BUILD/e2e/artifacts.env, which run.sh reads.  The two QEMU builds
# are make targets of their own ('qemu', 'qemu-aarch64'), made before this.
#
# usage: artifacts.sh CACHE_DIR BUILD_DIR CROSS_BUILD_DIR
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${1:?usage: artifacts.sh CACHE_DIR BUILD_DIR CROSS_BUILD_DIR}
build=$(cd "${2:?}" && pwd)
cross=$(cd "${3:?}" && pwd)
out=$build/e2e
mkdir -p "$out"

qemu=$build/qemu-system-aarch64
qemu_cross=$cross/qemu-system-aarch64
for f in "$qemu" "$qemu_cross"; do
    [ -x "$f" ] || { echo "e2e-artifacts: $f is missing" >&2; exit 1; }
done

t=$(date +%s)
kernel=$("$here/build-kernel.sh" "$cache")
tk=$(( $(date +%s) - t ))
t=$(date +%s)
initramfs=$("$here/build-initramfs.sh" "$cache" "$kernel" "$qemu_cross")
ti=$(( $(date +%s) - t ))

cat > "$out/artifacts.env.tmp" <<EOF
# written by tests/e2e/artifacts.sh
E2E_QEMU=$qemu
E2E_QEMU_CROSS=$qemu_cross
E2E_KERNEL=$kernel
E2E_INITRAMFS=$initramfs
EOF
mv "$out/artifacts.env.tmp" "$out/artifacts.env"
echo "e2e-artifacts: kernel $kernel (${tk} s)"
echo "e2e-artifacts: initramfs $initramfs (${ti} s)"
