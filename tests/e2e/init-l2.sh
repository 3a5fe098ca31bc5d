#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /init of L2, the guest that L1 runs under its KVM with edu and virtio-blk
# assigned through vfio-pci (iommufd).  Records as in init-l1.sh.
#
# e2e.l2boot=dt|acpi: how L1 booted it (device tree, or UEFI and ACPI).
# e2e.mode=baseline: no vIOMMU; the devices are visible and virtio-blk
# does DMA through L1's iommufd domain (L2 RAM mapped by L1's QEMU).
# e2e.mode=accel: L1's QEMU adds -device arm-smmuv3,accel=on; L2's own
# arm-smmu-v3 driver drives the vSMMU, and its DMA goes through the guest
# stage 1 nested over the host stage 2.

/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /tmp
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null

PROG=l2
arg() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" < /proc/cmdline | head -n 1; }
stage() { echo "E2E-STAGE $1 $(cut -d' ' -f1 /proc/uptime)"; }
rec() {
    printf 'E2E {"prog":"%s","step":"%s","call":"-","what":"%s","expect":"%s","got":"%s","errno":0}\n' \
        "$PROG" "$1" "$2" "$3" "$4"
}
yesno() { if "$@"; then echo yes; else echo no; fi; }
logged() { dmesg | grep -q "$1"; }
MODE=$(arg e2e.mode)
MODE=${MODE:-baseline}
DISKSUM=$(arg e2e.disksum)

stage init
echo "# L2: $(uname -r), mode $MODE, uptime $(cut -d' ' -f1 /proc/uptime) s"
dmesg | grep -i -E 'smmu|iommu|vfio|its@|GICv3' | sed 's/^/# dmesg: /'
find_pci() {   # find_pci VENDOR DEVICE: the first matching BDF
    for d in /sys/bus/pci/devices/*; do
        if [ "$(cat "$d/vendor")" = "$1" ] && [ "$(cat "$d/device")" = "$2" ]; then
            basename "$d"
            return
        fi
    done
}
for d in /sys/bus/pci/devices/*; do
    g=$(basename "$(readlink "$d/iommu_group")" 2>/dev/null)
    echo "# pci $(basename "$d") $(cat "$d/vendor"):$(cat "$d/device") group=${g:--}"
done
EDU=$(find_pci 0x1234 0x11e8)
BLK=$(find_pci 0x1af4 0x1042)
if [ -e /sys/firmware/acpi/tables/DSDT ]; then fw=acpi; else fw=dt; fi
rec boot "L2 booted from the expected description (device tree or ACPI)" \
    "$(arg e2e.l2boot)" $fw
rec edu_visible "L2 sees the assigned edu (1234:11e8)" yes \
    "$(yesno test -n "$EDU")"
rec blk_visible "L2 sees the assigned virtio-blk (1af4:1042)" yes \
    "$(yesno test -n "$BLK")"

if [ "$MODE" = accel ]; then
    rec smmu_probed "L2's arm-smmu-v3 driver probed the vSMMU" yes \
        "$(yesno logged 'arm-smmu-v3.*features')"
    dmesg | grep 'arm-smmu-v3' | sed 's/^/# vsmmu: /'
    for bdf in $EDU $BLK; do
        rec "iommu_group_$bdf" "$bdf is behind the vSMMU in L2" yes \
            "$(yesno test -e "/sys/bus/pci/devices/$bdf/iommu_group")"
    done
fi

# --- virtio-blk: the kernel driver's DMA ----------------------------------
stage disk
sum=$(dd if=/dev/vda bs=65536 count=16 2>/dev/null | sha256sum | cut -d' ' -f1)
rec disk_read "L2 reads the disk through the assigned virtio-blk" \
    "$DISKSUM" "${sum:-none}"
if echo e2e-l2-marker | dd of=/dev/vda bs=512 seek=4096 conv=fsync 2>/dev/null
then w=ok; else w=failed; fi
rec disk_write "L2 writes a marker at 2 MiB" ok $w

# --- accel: the guest's own VFIO drives edu DMA through the vSMMU ----------
if [ "$MODE" = accel ] && [ -n "$EDU" ]; then
    stage dma
    d=/sys/bus/pci/devices/$EDU
    echo vfio-pci > "$d/driver_override"
    echo "$EDU" > /sys/bus/pci/drivers_probe
    /bin/dma-check -n l2dma "/dev/vfio/devices/$(ls "$d/vfio-dev")"
    rec dma_exit "dma-check in L2 exit status" 0 $?
    rec smmu_event "L2's SMMU event log shows the blocked DMA" yes \
        "$(yesno logged 'arm-smmu-v3.*event 0x10')"
fi

stage end
poweroff -f
