#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /init of L1, the emulated ARM host (arm64, under TCG in L0, with the
# emulated SMMUv3 that can nest).  It checks what the host offers, binds
# the DMA devices to vfio-pci, runs the uAPI programs, runs L2 under its
# KVM with devices assigned, and powers off.  Results are E2E records on
# the console (see e2e-report.h); "E2E-STAGE name" lines mark progress.
#
# Kernel command line: e2e.mode=baseline|accel, e2e.disksum=SHA256 of the
# disk's first MiB, e2e.l2boot=dt|acpi (L2 from a device tree, or from
# UEFI firmware with ACPI tables), e2e.l2timeout=SECONDS,
# e2e.l2trace=EVENTS (trace events of L1's QEMU, comma-separated).
#
# L0's devices (tests/e2e/harness.py): 00:02.0 edu (nest-check, dma-check,
# assigned to L2), 00:03.0 virtio-blk (read here, assigned to L2),
# 00:04.0 + 00:04.1 edu, one multi-function slot: one iommu group.

/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /tmp
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t debugfs none /sys/kernel/debug 2>/dev/null
# Kernel messages would interleave with L2's console: keep them in dmesg.
dmesg -n 1

PROG=l1
arg() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" < /proc/cmdline | head -n 1; }
stage() { echo "E2E-STAGE $1 $(cut -d' ' -f1 /proc/uptime)"; }
# rec STEP WHAT EXPECT GOT: one record (no quotes in the arguments)
rec() {
    printf 'E2E {"prog":"%s","step":"%s","call":"-","what":"%s","expect":"%s","got":"%s","errno":0}\n' \
        "$PROG" "$1" "$2" "$3" "$4"
}
yesno() { if "$@"; then echo yes; else echo no; fi; }
logged() { dmesg | grep -q "$1"; }
MODE=$(arg e2e.mode)
MODE=${MODE:-baseline}
DISKSUM=$(arg e2e.disksum)

EDU=0000:00:02.0
BLK=0000:00:03.0
GA=0000:00:04.0
GB=0000:00:04.1

stage init
echo "# L1: $(uname -r), mode $MODE, uptime $(cut -d' ' -f1 /proc/uptime) s"
dmesg | grep -i -E 'smmu|iommu|vfio|kvm|its@|GICv3|psci' | sed 's/^/# dmesg: /'

# --- what the host offers -------------------------------------------------
rec dev_iommu "L1 has /dev/iommu (iommufd)" yes "$(yesno test -c /dev/iommu)"
rec dev_kvm "L1 has /dev/kvm" yes "$(yesno test -c /dev/kvm)"
rec kvm_vhe "L1's KVM initialised in VHE mode" yes \
    "$(yesno logged 'VHE mode initialized')"
rec smmu_probed "L1's arm-smmu-v3 driver probed the emulated SMMU" yes \
    "$(yesno logged 'arm-smmu-v3.*features')"
for d in /sys/bus/pci/devices/*; do
    g=$(basename "$(readlink "$d/iommu_group")" 2>/dev/null)
    drv=$(basename "$(readlink "$d/driver")" 2>/dev/null)
    echo "# pci $(basename "$d") $(cat "$d/vendor"):$(cat "$d/device") group=${g:--} driver=${drv:--}"
done
group() { basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")" 2>/dev/null; }
for bdf in $EDU $BLK $GA $GB; do
    rec "iommu_group_$bdf" "$bdf is behind the SMMU (has an iommu group)" yes \
        "$(yesno test -n "$(group $bdf)")"
done
rec group_shared "the two functions of slot 4 share one iommu group" yes \
    "$(yesno test -n "$(group $GA)" -a "$(group $GA)" = "$(group $GB)")"
rec group_alone "00:02.0 is alone in its iommu group" 1 \
    "$(ls /sys/bus/pci/devices/$EDU/iommu_group/devices 2>/dev/null | wc -l)"

# --- virtio-blk with L1's kernel driver, DMA through the emulated SMMU -----
stage disk
sum=$(dd if=/dev/vda bs=65536 count=16 2>/dev/null | sha256sum | cut -d' ' -f1)
rec disk_read "L1 reads the disk through virtio-blk behind the SMMU" \
    "$DISKSUM" "${sum:-none}"
if echo e2e-l1-marker | dd of=/dev/vda bs=512 seek=2048 conv=fsync 2>/dev/null
then w=ok; else w=failed; fi
rec disk_write "L1 writes a marker at 1 MiB" ok $w

# --- devices to vfio-pci ---------------------------------------------------
stage bind
vfio_bind() {
    d=/sys/bus/pci/devices/$1
    [ -e "$d/driver" ] && echo "$1" > "$d/driver/unbind"
    echo vfio-pci > "$d/driver_override"
    echo "$1" > /sys/bus/pci/drivers_probe
}
cdev() { echo "/dev/vfio/devices/$(ls "/sys/bus/pci/devices/$1/vfio-dev" 2>/dev/null)"; }
for bdf in $EDU $BLK $GA $GB; do
    vfio_bind "$bdf"
    drv=$(basename "$(readlink "/sys/bus/pci/devices/$bdf/driver")" 2>/dev/null)
    rec "vfio_bound_$bdf" "$bdf is bound to vfio-pci" vfio-pci "${drv:-none}"
done
rec vfio_cdevs "L1 has a VFIO cdev for each of the 4 devices" 4 \
    "$(ls /dev/vfio/devices 2>/dev/null | wc -l)"
ls -l /dev/vfio/devices | sed 's/^/# /'

# --- the nesting uAPI against the kernel ----------------------------------
if [ "$MODE" = baseline ]; then
    stage nest
    /bin/nest-check -s 0x42 -g "$(cdev $GA),$(cdev $GB)" "$(cdev $EDU)"
    rec nest_exit "nest-check exit status" 0 $?
fi
stage dma
/bin/dma-check -n l1dma "$(cdev $EDU)"
rec dma_exit "dma-check exit status" 0 $?

# --- L2 under L1's KVM with edu and virtio-blk assigned --------------------
stage l2-start
L2ARGS="-M virt,gic-version=3 -accel kvm -cpu host -smp 1 -m 512M
 -nodefaults -display none -serial stdio -no-reboot
 -kernel /l2/Image -initrd /l2/initrd.cpio.gz
 -object iommufd,id=iommufd0"
L2APPEND="console=ttyAMA0 panic=-1 e2e.mode=$MODE e2e.disksum=$DISKSUM"
if [ "$MODE" = accel ]; then
    # the vSMMU before the devices of its bus: they are placed behind it
    # as they are created
    L2ARGS="$L2ARGS -device arm-smmuv3,primary-bus=pcie.0,accel=on"
    # the guest's SMMU driver messages are part of what is checked
    L2APPEND="$L2APPEND iommu.strict=1"
else
    L2APPEND="$L2APPEND quiet"
fi
L2ARGS="$L2ARGS -device vfio-pci,host=$EDU,iommufd=iommufd0
 -device vfio-pci,host=$BLK,iommufd=iommufd0"
L2BOOT=$(arg e2e.l2boot)
L2APPEND="$L2APPEND e2e.l2boot=${L2BOOT:=dt}"
if [ "$L2BOOT" = acpi ]; then
    # UEFI (Debian's AAVMF) loads -kernel/-initrd and hands over ACPI
    L2ARGS="$L2ARGS -bios /l2/AAVMF_CODE.fd"
    L2APPEND="$L2APPEND acpi=force"
fi
# e2e.l2trace=PATTERN[,PATTERN...]: trace events of L1's QEMU (on the console)
for t in $(arg e2e.l2trace | tr ',' ' '); do
    L2ARGS="$L2ARGS -trace $t"
done
echo "# L2: qemu-system-aarch64 $(echo $L2ARGS)"
echo none > /tmp/l2.status
# L2 is killed after e2e.l2timeout seconds (default 240), so that a hung
# L2 still leaves L1's checks after it and a clean L0 exit.
L2TIMEOUT=$(arg e2e.l2timeout)
(
    timeout -s KILL "${L2TIMEOUT:-240}" \
        /bin/qemu-system-aarch64 $L2ARGS -append "$L2APPEND" < /dev/null
    echo $? > /tmp/l2.status
) 2>&1 | sed 's/^/[L2] /'
stage l2-exit
rec l2_qemu_exit "L2's QEMU exits with status 0 after L2 powers off" 0 \
    "$(cat /tmp/l2.status)"

# --- after L2: the devices are usable again in L1 -------------------------
stage after
/bin/dma-check -n l1after "$(cdev $EDU)"
rec dma_after_exit "dma-check after L2 exit status" 0 $?
d=/sys/bus/pci/devices/$BLK
echo "$BLK" > "$d/driver/unbind"
echo > "$d/driver_override"
echo "$BLK" > /sys/bus/pci/drivers_probe
drv=$(basename "$(readlink "$d/driver")" 2>/dev/null)
rec blk_rebind "virtio-blk rebinds to its kernel driver after L2" virtio-pci \
    "${drv:-none}"
sleep 1
m=$(dd if=/dev/vda bs=512 skip=4096 count=1 2>/dev/null | head -c 13)
rec disk_l2_marker "L1 reads the marker L2 wrote at 2 MiB" e2e-l2-marker \
    "${m:-none}"

stage end
poweroff -f
