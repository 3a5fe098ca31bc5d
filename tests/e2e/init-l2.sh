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
# e2e.mode=bench: timed I/O and unmaps only (e2e.bench says under what).
# e2e.mode=stale: accel with x-forward-invalidations=off: the DMA to an
# unmapped IOVA must land (a stale host translation), proving that accel's
# check of it would catch a lost invalidation.

/bin/busybox --install -s /bin
export PATH=/bin
PROG=l2
. /lib/e2e.sh
VSMMU=no
case $MODE in accel|stale) VSMMU=yes ;; esac
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
# e2e.l2cmdqv=1: the vSMMU has cmdqv=on; L2's kernel takes its VINTF0's
# two VCMDQs (the host's HW queues) and issues its commands there
if [ "$(arg e2e.l2cmdqv)" = 1 ]; then
    rec l2_cmdqv_vcmdqs "L2's kernel took its VINTF0's VCMDQs (the host's)" \
        2 "$(dmesg | grep -c 'entries for vcmdq')"
    if [ $fw = acpi ]; then
        rec l2_cmdqv_found "L2's kernel found the CMDQV's NVDA200C device" \
            yes "$(yesno logged 'found companion CMDQV device')"
    fi
    rec l2_cmdqv_no_fallback "L2's kernel kept the CMDQV (no fallback)" no \
        "$(yesno logged 'Falling back to standard SMMU CMDQ')"
    rec l2_cmd_sync_timeout "no CMD_SYNC timed out in L2" no \
        "$(yesno logged 'CMD_SYNC timeout')"
fi
rec edu_visible "L2 sees the assigned edu (1234:11e8)" yes \
    "$(yesno test -n "$EDU")"
if [ "$MODE" != stale ]; then
    rec blk_visible "L2 sees the assigned virtio-blk (1af4:1042)" yes \
        "$(yesno test -n "$BLK")"
fi

# e2e.bench=CONFIG (bench mode): the same timed work under each vIOMMU
# configuration of L1's run_l2; tests/e2e/harness.py prints the ratios.
if [ "$MODE" = bench ]; then
    B=$(arg e2e.bench)
    stage "bench-$B"
    /bin/io-bench -n "${B}_4k" -b 4096 -c 2048 /dev/vda
    /bin/io-bench -n "${B}_64k" -b 65536 -c 512 /dev/vda
    if [ "$B" != none ] && [ -n "$EDU" ]; then
        # without a vIOMMU, L2's VFIO has no IOMMU to drive
        to_vfio "$EDU"
        dev=$(cdev "$EDU")
        /bin/inval-bench -n "${B}_1p" -p 1 -r 400 "$dev"
        /bin/inval-bench -n "${B}_64p" -p 64 -r 100 "$dev"
    fi
    poweroff -f
fi

if [ $VSMMU = yes ]; then
    rec smmu_probed "L2's arm-smmu-v3 driver probed the vSMMU" yes \
        "$(yesno logged 'arm-smmu-v3.*features')"
    dmesg | grep 'arm-smmu-v3' | sed 's/^/# vsmmu: /'
    for bdf in $EDU $BLK; do
        rec "iommu_group_$bdf" "$bdf is behind the vSMMU in L2" yes \
            "$(yesno test -e "/sys/bus/pci/devices/$bdf/iommu_group")"
    done
fi

# Events L2's SMMU driver logged ("event: NAME client: ... iova: A"), and
# those of them that are translation faults at dma-check's unmapped IOVA
# (1 MiB at 2 MiB, tests/e2e/dma-check.c)
smmu_events() {
    dmesg | grep -c 'arm-smmu-v3.*event: '
}
blocked_dma_events() {
    dmesg | sed -n 's/.*arm-smmu-v3.*event: F_TRANSLATION .* iova: \(0x[0-9a-f]*\).*/\1/p' |
        while read -r a; do
            [ $((a)) -ge $((0x200000)) ] && [ $((a)) -lt $((0x300000)) ] &&
                echo "$a"
        done | grep -c .
}

# --- virtio-blk: the kernel driver's DMA ----------------------------------
# Interrupts of virtio-blk's MSI-X request vectors so far.
blk_msis() {
    grep 'MSI.*virtio.*-req' /proc/interrupts |
        awk '{ for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i }
             END { print n + 0 }'
}
# stale: no virtio-blk (init-l1.sh, run_l2)
if [ "$MODE" != stale ]; then
    stage disk
    msis=$(blk_msis)
    rec disk_read "L2 reads the disk through the assigned virtio-blk" \
        "$DISKSUM" "$(disk_sum)"
    rec disk_write "L2 writes a marker at 2 MiB" ok \
        "$(disk_mark e2e-l2-marker 4096)"
    grep 'virtio' /proc/interrupts | sed 's/^/# irq: /'
    # Completions come by MSI-X: in accel mode the device's doorbell write goes
    # through the guest's stage 1, which maps the host's MSI window 1:1 only
    # when the firmware described it (the IORT RMR).
    rec blk_msi "virtio-blk's MSI-X interrupts reach L2 during that I/O" yes \
        "$(yesno test "$(blk_msis)" -gt "$msis")"
fi

# --- accel: the guest's own VFIO drives edu DMA through the vSMMU ----------
if [ $VSMMU = yes ] && [ -n "$EDU" ]; then
    stage dma
    to_vfio "$EDU"
    if [ "$MODE" = stale ]; then s=-s; else s=; fi
    # Under a device tree the MSI window is a firmware-required 1:1 map
    # (IOMMU_RESV_DIRECT), and Linux then keeps the device from userspace
    if [ "$(arg e2e.l2boot)" = dt ]; then s="$s -b EINVAL"; fi
    # Under ACPI it is an IORT RMR that permits remapping: a relaxable 1:1
    # map, which leaves the device free for the guest's own VFIO
    rr=/sys/bus/pci/devices/$EDU/iommu_group/reserved_regions
    sed 's/^/# reserved region: /' "$rr"
    if [ "$MODE" = accel ] && [ "$(arg e2e.l2boot)" = acpi ]; then
        rec msi_window_relaxable "the MSI window mapped 1:1 for edu is \
direct-relaxable (so the guest may give edu to its own VFIO)" yes \
            "$(yesno grep -q '^0x0*8000000 .* direct-relaxable$' "$rr")"
    fi
    /bin/dma-check -n l2dma -g $s "$(cdev "$EDU")"
    rec dma_exit "dma-check in L2 exit status" 0 $?
    if [ "$MODE" = accel ] && [ "$(arg e2e.l2boot)" != dt ]; then
        rec smmu_event "L2's SMMU event log shows the blocked DMA (a \
translation fault at dma-check's unmapped IOVA)" yes \
            "$(yesno test "$(blocked_dma_events)" -gt 0)"
    fi
    # L1 reads the vSMMU's state now, with the devices' STEs in place
    # (init-l1.sh, l2_console); a power-off would take them away.
    stage live
    if [ "$MODE" = accel ]; then
        # ... then unplugs both devices and plugs them back
        # (qmp_at_shutdown): their vDEVICEs, nested HWPTs and the vIOMMU
        # go and come back on the host
        wait_devs() {   # wait_devs yes|no: until both are (not) there
            for i in $(seq 90); do
                e=$(find_pci 0x1234 0x11e8)$(find_pci 0x1af4 0x1042)
                if [ "$1" = no ] && [ -z "$e" ]; then return 0; fi
                if [ "$1" = yes ] && [ -n "$(find_pci 0x1234 0x11e8)" ] &&
                   [ -n "$(find_pci 0x1af4 0x1042)" ]; then return 0; fi
                sleep 1
            done
            return 1
        }
        rec hot_unplug "edu and virtio-blk leave L2 when L1 unplugs them \
(pciehp)" yes "$(yesno wait_devs no)"
        rec hot_replug "both come back when L1 plugs them in again" yes \
            "$(yesno wait_devs yes)"
        EDU=$(find_pci 0x1234 0x11e8)
        if [ -n "$EDU" ]; then
            stage replugged
            for i in $(seq 20); do [ -b /dev/vda ] && break; sleep 1; done
            rec disk_read_replug "L2 reads the disk through the plugged-back \
virtio-blk" "$DISKSUM" "$(disk_sum)"
            to_vfio "$EDU"
            /bin/dma-check -n l2replug -g $s "$(cdev "$EDU")"
            rec dma_replug_exit "dma-check on the plugged-back edu" 0 $?
        fi
    else
        sleep 3
    fi
fi

# Every event in L2's log must come from a transaction of L2's: the
# blocked DMA's translation faults and nothing else (QEMU's own lookups,
# STE installs outside a command, ... must write none)
if [ $VSMMU = yes ]; then
    dmesg | grep 'arm-smmu-v3.*event' | sed 's/^/# event: /'
    rec smmu_events_only_blocked "L2's SMMU event log holds no event but \
the blocked DMA's" 0 \
        $(( $(smmu_events) - $(blocked_dma_events) ))
fi

stage end
poweroff -f
