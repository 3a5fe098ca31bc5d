#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Boot the virt machine with a user-created arm-smmuv3 in front of a PCIe
# device, with Debian's arm64 kernel and a busybox initramfs, and show what
# the guest's arm-smmu-v3 driver probed.
#
# usage: demo.sh BUILD_DIR CACHE_DIR
set -euo pipefail

die() { echo "demo: $*" >&2; exit 1; }

build=$(cd "${1:?usage: demo.sh BUILD CACHE}" && pwd)
cache=${2:?usage: demo.sh BUILD CACHE}
qemu=$build/qemu-system-aarch64
dir=$cache/demo
mkdir -p "$dir"
cd "$dir"

fetch() {   # fetch PACKAGE: download an arm64 .deb once, print its path
    local pkg=$1 deb
    deb=$(ls "${pkg%%:*}"_*_arm64.deb 2>/dev/null | head -n1 || true)
    if [ -z "$deb" ]; then
        echo "demo: downloading $pkg" >&2
        apt-get download -q "$pkg" >&2 ||
            die "apt-get download $pkg failed; run build-aux/setup.sh (it enables arm64 package lists)"
        deb=$(ls "${pkg%%:*}"_*_arm64.deb | head -n1)
    fi
    echo "$dir/$deb"
}

# Debian's arm64 kernel: the versioned package the metapackage points to.
kpkg=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
       sed -n 's/^ *Depends: \(linux-image-[^ ]*-arm64\).*/\1/p' | head -n1)
[ -n "$kpkg" ] || die "cannot resolve linux-image-arm64:arm64; run build-aux/setup.sh"
kdeb=$(fetch "${kpkg%:arm64}:arm64")
if [ ! -f kernel/vmlinuz ]; then
    rm -rf kroot && mkdir kroot
    dpkg-deb -x "$kdeb" kroot
    mkdir -p kernel
    cp kroot/boot/vmlinuz-* kernel/vmlinuz
    rm -rf kroot
fi

bdeb=$(fetch busybox-static:arm64)
if [ ! -f initramfs.cpio.gz ] || [ "$0" -nt initramfs.cpio.gz ]; then
    rm -rf root && mkdir -p root/bin root/proc root/sys root/dev
    dpkg-deb -x "$bdeb" bbx
    cp bbx/bin/busybox root/bin/busybox
    rm -rf bbx
    cat > root/init <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
echo "=== guest: arm-smmu-v3 driver messages"
dmesg | grep -i 'smmu' | sed 's/^\[[^]]*\] //'
echo "=== guest: IOMMU groups"
for g in /sys/kernel/iommu_groups/*; do
    [ -d "$g" ] || continue
    echo "group $(basename $g): $(ls $g/devices | tr '\n' ' ')"
done
echo "=== guest: done"
poweroff -f
INIT
    chmod +x root/init
    (cd root && find . | cpio -o -H newc --quiet | gzip -9) > initramfs.cpio.gz
fi

echo "demo: booting -M virt with -device arm-smmuv3,primary-bus=pcie.0 (TCG)"
timeout 300 "$qemu" -M virt,gic-version=3 -cpu max -accel tcg -m 1G -smp 2 \
    -nodefaults -display none -serial stdio -no-reboot \
    -device arm-smmuv3,primary-bus=pcie.0 \
    -device virtio-rng-pci,disable-legacy=on,iommu_platform=on \
    -kernel kernel/vmlinuz -initrd initramfs.cpio.gz \
    -append "console=ttyAMA0 quiet loglevel=4 rdinit=/init" | tee run.log |
    sed -n '/=== guest/,$p'
grep -q 'arm-smmu-v3.*features' run.log ||
    die "the guest did not report the SMMU; full console in $dir/run.log"
echo "demo: ok (console: $dir/run.log)"
