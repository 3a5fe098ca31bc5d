#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /init of L1, the emulated ARM host (arm64, under TCG in L0, with the
# emulated SMMUv3 that can nest).  It checks what the host offers, binds
# the DMA devices to vfio-pci, runs the uAPI programs, runs L2 under its
# KVM with devices assigned, and powers off.  Results are E2E records on
# the console (see e2e-report.h); "E2E-STAGE name" lines mark progress.
#
# Kernel command line: e2e.mode=baseline|accel|stale|bench (what L2 runs
# with, see init-l2.sh and run_l2 below), e2e.disksum=SHA256 of the
# disk's first MiB, e2e.l1boot=dt|acpi (how L0 booted L1, for the check),
# e2e.l2boot=dt|acpi (L2 from a device tree, or from
# UEFI firmware with ACPI tables), e2e.l2timeout=SECONDS,
# e2e.l2trace=EVENTS (trace events of L1's QEMU, comma-separated).
#
# L0's devices (tests/e2e/harness.py): 00:02.0 edu (nest-check, dma-check,
# assigned to L2), 00:03.0 virtio-blk (read here, assigned to L2),
# 00:04.0 + 00:04.1 edu, one multi-function slot: one iommu group.

/bin/busybox --install -s /bin
export PATH=/bin
PROG=l1
. /lib/e2e.sh
mount -t debugfs none /sys/kernel/debug 2>/dev/null

EDU=0000:00:02.0
BLK=0000:00:03.0
GA=0000:00:04.0
GB=0000:00:04.1

stage init
echo "# L1: $(uname -r), mode $MODE, uptime $(cut -d' ' -f1 /proc/uptime) s"
dmesg | grep -i -E 'smmu|iommu|vfio|kvm|its@|GICv3|psci' | sed 's/^/# dmesg: /'

# --- what the host offers -------------------------------------------------
if [ -e /sys/firmware/acpi/tables/IORT ]; then fw=acpi; else fw=dt; fi
rec boot "L1 booted from the expected description (device tree or ACPI)" \
    "$(arg e2e.l1boot)" $fw
rec dev_iommu "L1 has /dev/iommu (iommufd)" yes "$(yesno test -c /dev/iommu)"
rec dev_kvm "L1 has /dev/kvm" yes "$(yesno test -c /dev/kvm)"
rec kvm_vhe "L1's KVM initialised in VHE mode" yes \
    "$(yesno logged 'VHE mode initialized')"
rec smmu_probed "L1's arm-smmu-v3 driver probed the emulated SMMU" yes \
    "$(yesno logged 'arm-smmu-v3.*features')"
# L0's SMMU has a CMDQV (unless run.sh --l0-smmu legacy): L1's kernel
# gives VINTF0 all its logical VCMDQs, two on the emulated part
if [ "$(arg e2e.l0smmu)" = cmdqv ]; then vcmdqs=2; else vcmdqs=0; fi
rec cmdqv_vcmdqs "L1's kernel took VINTF0's VCMDQs of L0's CMDQV" $vcmdqs \
    "$(dmesg | grep -c 'entries for vcmdq')"
if [ $fw = acpi ]; then
    rec cmdqv_found "L1's kernel found the CMDQV's NVDA200C device" \
        "$([ $vcmdqs = 0 ] && echo no || echo yes)" \
        "$(yesno logged 'found companion CMDQV device')"
fi
rec cmdqv_no_fallback "L1's kernel kept the CMDQV (no fallback)" no \
    "$(yesno logged 'Falling back to standard SMMU CMDQ')"
rec cmd_sync_timeout "no CMD_SYNC timed out in L1" no \
    "$(yesno logged 'CMD_SYNC timeout')"
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
rec disk_read "L1 reads the disk through virtio-blk behind the SMMU" \
    "$DISKSUM" "$(disk_sum)"
rec disk_write "L1 writes a marker at 1 MiB" ok "$(disk_mark e2e-l1-marker 2048)"

# --- devices to vfio-pci ---------------------------------------------------
stage bind
for bdf in $EDU $BLK $GA $GB; do
    to_vfio "$bdf"
    drv=$(basename "$(readlink "/sys/bus/pci/devices/$bdf/driver")" 2>/dev/null)
    rec "vfio_bound_$bdf" "$bdf is bound to vfio-pci" vfio-pci "${drv:-none}"
done
rec vfio_cdevs "L1 has a VFIO cdev for each of the 4 devices" 4 \
    "$(ls /dev/vfio/devices 2>/dev/null | wc -l)"
ls -l /dev/vfio/devices | sed 's/^/# /'

# --- the nesting uAPI against the kernel ----------------------------------
if [ "$MODE" = baseline ]; then
    stage nest
    cq=
    [ "$(arg e2e.l0smmu)" = cmdqv ] && cq=-c
    /bin/nest-check $cq -s 0x42 -g "$(cdev $GA),$(cdev $GB)" "$(cdev $EDU)"
    rec nest_exit "nest-check exit status" 0 $?
fi
stage dma
/bin/dma-check -n l1dma "$(cdev $EDU)"
rec dma_exit "dma-check exit status" 0 $?

# --- L2 under L1's KVM with edu and virtio-blk assigned --------------------
L2BOOT=$(arg e2e.l2boot)
L2BOOT=${L2BOOT:-dt}
# L2 is killed after e2e.l2timeout seconds (default 240), so that a hung
# L2 still leaves L1's checks after it and a clean L0 exit.
L2TIMEOUT=$(arg e2e.l2timeout)

# qmp_at_shutdown LABEL [replug]: waits for L2's SHUTDOWN, prints the
# vSMMU's state as "E2E-QMP LABEL <reply>", and quits L2's QEMU; prints the
# reply of the query l2_console sends while L2 runs as "E2E-QMP LABEL-live
# <reply>".  With "replug", then unplugs both assigned devices (L2's pciehp
# lets them go), reads the state (LABEL-unplugged: the vIOMMU went with the
# last device), plugs them back into their root ports and reads it again
# (LABEL-replugged) once L2 has recorded them gone: L2 waits for both and
# uses them again.  Opened
# read-write, the pipes never block, even when that QEMU does not start;
# killed after it.
qmp_at_shutdown() {
    exec 3<> /tmp/qmp.in 4<> /tmp/qmp.out
    echo '{"execute":"qmp_capabilities"}' >&3
    gone=0
    while read -r line <&4; do
        case "$line" in
        *'"SHUTDOWN"'*)
            echo '{"execute":"x-query-smmuv3-accel","id":"state"}' >&3 ;;
        *'"id": "live"'*)
            echo "E2E-QMP $1-live $line"
            if [ "$2" = replug ]; then
                for d in edu blk; do
                    echo '{"execute":"device_del","arguments":{"id":"'$d'"},'\
'"id":"del-'$d'"}' >&3
                done
            fi ;;
        *'"DEVICE_DELETED"'*'"device": "edu"'*|\
        *'"DEVICE_DELETED"'*'"device": "blk"'*)
            gone=$((gone + 1))
            [ $gone = 2 ] &&
                echo '{"execute":"x-query-smmuv3-accel","id":"unplugged"}' >&3
            ;;
        *'"id": "del-'*)
            echo "E2E-QMP $1-del $line" ;;
        *'"id": "unplugged"'*)
            echo "E2E-QMP $1-unplugged $line"
            # not before L2 has seen both go (l2_console), or it may miss it
            for _ in $(seq 120); do
                [ -e /tmp/l2-unplug-seen ] && break
                sleep 1
            done
            plug edu $EDU rp1 >&3
            plug blk $BLK rp2 >&3 ;;
        *'"id": "add-'*)
            echo "E2E-QMP $1-add $line"
            case "$line" in *'"id": "add-blk"'*)
                echo '{"execute":"x-query-smmuv3-accel","id":"replugged"}' >&3
            esac ;;
        *'"id": "replugged"'*)
            echo "E2E-QMP $1-replugged $line" ;;
        *'"id": "state"'*)
            echo "E2E-QMP $1 $line"
            echo '{"execute":"quit"}' >&3 ;;
        esac
    done
}
# plug ID HOST BUS: the device_add command of an assigned device
plug() {
    echo '{"execute":"device_add","arguments":{"driver":"vfio-pci",'\
'"host":"'$2'","iommufd":"iommufd0","bus":"'$3'","id":"'$1'"},'\
'"id":"add-'$1'"}'
}

# l2_console: L2's console, each line prefixed; when L2 says it is at stage
# "live" (its devices in use, the vSMMU's state worth reading), asks for
# that state through QMP (with the vSMMU only: qmp_at_shutdown reads it).
l2_console() {
    while IFS= read -r line; do
        echo "[L2] $line"
        case "$line" in
        "E2E-STAGE live "*)
            [ -p /tmp/qmp.in ] &&
                echo '{"execute":"x-query-smmuv3-accel","id":"live"}' \
                    > /tmp/qmp.in ;;
        *'"step":"hot_unplug"'*)
            : > /tmp/l2-unplug-seen ;;
        esac
    done
}

# run_l2 L2MODE VIOMMU [APPEND]: one L2 boot.  VIOMMU: none, virtio-iommu,
# or the options of an accel vSMMU (",x-..."; "" for the defaults).
run_l2() {
    l2mode=$1 viommu=$2 label=$1
    case $3 in e2e.bench=*) label=${3#e2e.bench=}; label=${label%% *} ;; esac
    args="-M virt,gic-version=3 -accel kvm -cpu host -smp 1 -m 512M
 -nodefaults -display none -serial stdio -no-reboot
 -kernel /l2/Image -initrd /l2/initrd.cpio.gz
 -object iommufd,id=iommufd0"
    append="console=ttyAMA0 panic=-1 e2e.mode=$l2mode e2e.disksum=$DISKSUM"
    append="$append e2e.l2boot=$L2BOOT $3"
    # a vIOMMU before the devices of its bus: they are placed behind it as
    # they are created.  With the vSMMU, L2's power-off stops its QEMU
    # instead of ending it, so that its state can be read before 'quit'.
    case $viommu in
    none)
        append="$append quiet" ;;
    virtio-iommu)
        args="$args -device virtio-iommu-pci"
        append="$append iommu.strict=1" ;;
    *)
        mkfifo /tmp/qmp.in /tmp/qmp.out
        args="$args -device arm-smmuv3,primary-bus=pcie.0,accel=on,id=vsmmu0$viommu
 -no-shutdown -qmp pipe:/tmp/qmp"
        append="$append iommu.strict=1" ;;
    esac
    # each behind a root port, where it can be unplugged
    args="$args -device pcie-root-port,id=rp1,chassis=1,bus=pcie.0,addr=4.0
 -device vfio-pci,host=$EDU,iommufd=iommufd0,id=edu,bus=rp1"
    # stale: no kernel driver in L2 would survive stale translations, and
    # the check is dma-check's alone
    [ "$l2mode" = stale ] ||
        args="$args -device pcie-root-port,id=rp2,chassis=2,bus=pcie.0,addr=5.0
 -device vfio-pci,host=$BLK,iommufd=iommufd0,id=blk,bus=rp2"
    if [ "$L2BOOT" = acpi ]; then
        # UEFI (Debian's AAVMF) loads -kernel/-initrd and hands over ACPI
        args="$args -bios /l2/AAVMF_CODE.fd"
        append="$append acpi=force"
    fi
    # e2e.l2trace=PATTERN[,PATTERN...]: trace events of L1's QEMU
    for t in $(arg e2e.l2trace | tr ',' ' '); do
        args="$args -trace $t"
    done
    echo "# L2: $QEMU $(echo $args) -append '$append'"
    echo none > /tmp/l2.status
    rm -f /tmp/l2-unplug-seen
    stage l2-boot
    qmp_pid=
    case $viommu in
    none|virtio-iommu) ;;
    *)  replug=
        [ "$l2mode" = accel ] && replug=replug
        qmp_at_shutdown "$label" $replug &
        qmp_pid=$! ;;
    esac
    # QEMU's stderr apart: written by other threads than L2's serial
    # output, it could split a record line of L2's in two
    (
        timeout -s KILL "${L2TIMEOUT:-240}" \
            "$QEMU" $args -append "$append" < /dev/null \
            2> /tmp/l2-qemu.err
        echo $? > /tmp/l2.status
    ) | l2_console
    sed 's/^/# L2 qemu: /' /tmp/l2-qemu.err
    rm -f /tmp/l2-qemu.err
    [ -n "$qmp_pid" ] && kill "$qmp_pid" 2>/dev/null
    rm -f /tmp/qmp.in /tmp/qmp.out
    step=l2_qemu_exit
    [ "$l2mode" = bench ] && step=${step}_$label
    rec $step "L2's QEMU exits with status 0 after L2 powers off" 0 \
        "$(cat /tmp/l2.status)"
}

# accel=on takes iommufd devices only: a vfio-pci device on the legacy
# container (no iommufd=) must be refused with a message that says so.
legacy_check() {
    out=$(timeout -s KILL 120 "$QEMU" -M virt,gic-version=3 \
          -accel kvm -cpu host -m 128M -nodefaults -display none -S \
          -device arm-smmuv3,primary-bus=pcie.0,accel=on \
          -device vfio-pci,host=$EDU 2>&1 < /dev/null)
    rc=$?
    echo "$out" | sed 's/^/# legacy: /'
    rec legacy_refused "QEMU exits with status 1: vfio-pci without iommufd \
behind accel=on" 1 $rc
    rec legacy_message "the error says to use iommufd" yes \
        "$(yesno eval 'echo "$out" | grep -q "must use iommufd: add -object iommufd"')"
    [ "$MODE" = compare ] &&
        rec legacy_reason "what QEMU said to that" '*' \
            "$(echo "$out" | grep -m1 . | tr -d '"\\' | cut -c1-160)"
}

# start_probe STEP WHAT ARGS...: QEMU builds the machine with the accel
# vSMMU on pcie.0 and ARGS (-S: no guest runs), then quits through QMP;
# status 0 expected.  Compare mode: what each QEMU accepts.
start_probe() {
    step=$1 what=$2
    shift 2
    out=$(printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"quit"}' |
          timeout -s KILL 120 "$QEMU" -M virt,gic-version=3 -accel kvm \
          -cpu host -m 128M -nodefaults -display none -S -qmp stdio \
          -object iommufd,id=iommufd0 \
          -device arm-smmuv3,primary-bus=pcie.0,accel=on "$@" 2>&1)
    rc=$?
    echo "$out" | grep -v '"return"\|QMP\|"event"\|Cannot reset' |
        sed "s/^/# $step: /"
    rec "$step" "$what" 0 $rc
}
start_probes() {
    edu="-device vfio-pci,host=$EDU,iommufd=iommufd0"
    fw="-bios /l2/AAVMF_CODE.fd"
    # shellcheck disable=SC2086
    start_probe dt_start "QEMU builds the machine for a device-tree guest \
(no firmware) with the accel vSMMU" $edu
    # shellcheck disable=SC2086
    start_probe emulated_start "QEMU takes an emulated device (virtio-rng) \
beside the assigned one behind the accel vSMMU" $fw $edu \
        -device virtio-rng-pci,bus=pcie.0
    # shellcheck disable=SC2086
    start_probe two_vsmmus_start "QEMU takes a second accel vSMMU on a \
pxb-pcie bus, with virtio-blk assigned behind it" $fw $edu \
        -device pxb-pcie,id=pxb1,bus_nr=8,bus=pcie.0 \
        -device arm-smmuv3,primary-bus=pxb1,accel=on \
        -device pcie-root-port,id=rpx,chassis=9,bus=pxb1 \
        -device vfio-pci,host=$BLK,iommufd=iommufd0,bus=rpx
    # shellcheck disable=SC2086
    start_probe no_device_start "QEMU takes the accel vSMMU with no assigned \
device at start (hot-plugged later)" $fw
}

# compare mode: which QEMU runs L2 from here on ("E2E-QEMU NAME" tells the
# harness whose records follow): ours, or upstream 11.1.3 (Debian's arm64
# build, appended to this image by tests/e2e/upstream-qemu.sh)
QEMU=/bin/qemu-system-aarch64
use_qemu() {     # use_qemu ours|upstream [-bench|-cmdqv|-cmdqv-bench]
    case $1 in
    ours) QEMU=/bin/qemu-system-aarch64 ;;
    upstream) QEMU=/upstream/bin/qemu-system-aarch64 ;;
    esac
    echo "E2E-QEMU $1${2:-}"
    echo "# $1: $("$QEMU" --version 2>&1 | head -1)"
    rec qemu_runs "this QEMU runs in L1 (--version)" 0 \
        "$("$QEMU" --version > /dev/null 2>&1; echo $?)"
}
[ "$MODE" = accel ] && legacy_check

stage l2-start
case $MODE in
baseline)
    run_l2 baseline none ;;
accel)
    run_l2 accel "" ;;
stale)
    run_l2 stale ,x-forward-invalidations=off ;;
accel-cmdqv)
    # the accel mode's L2 with the host's CMDQV (L0's, through L1's kernel)
    run_l2 accel ,cmdqv=on e2e.l2cmdqv=1 ;;
stale-cmdqv)
    # the stale mode's L2 on it; L0 drops its TLBIs (harness.py)
    run_l2 stale ,cmdqv=on e2e.l2cmdqv=1 ;;
compare)
    # the accel mode's L2 under each QEMU, the same command line; cmdqv=off
    # said, as upstream's default (auto) would take L0's CMDQV
    for q in ours upstream; do
        use_qemu $q
        legacy_check
        start_probes
        run_l2 accel ,cmdqv=off
    done
    # and the bench mode's accel run under each (ril=off: one TLBI a page)
    for q in ours upstream; do
        use_qemu $q -bench
        run_l2 bench ,ril=off,cmdqv=off e2e.bench=$q
    done
    # then both again with cmdqv=on: L2's VCMDQs on L0's CMDQV
    for q in ours upstream; do
        use_qemu $q -cmdqv
        run_l2 accel ,cmdqv=on e2e.l2cmdqv=1
    done
    for q in ours upstream; do
        use_qemu $q -cmdqv-bench
        run_l2 bench ,ril=off,cmdqv=on "e2e.bench=$q-cmdqv e2e.l2cmdqv=1"
    done
    echo "E2E-QEMU none" ;;
bench)
    # The same work under each vIOMMU (tests/e2e/init-l2.sh, bench mode).
    # Range invalidation off: a multi-page unmap is then one command per
    # page, which is where batching shows.
    run_l2 bench none e2e.bench=none
    run_l2 bench virtio-iommu e2e.bench=virtio-iommu
    run_l2 bench ,ril=off e2e.bench=accel
    run_l2 bench ,ril=off,x-batch-invalidations=off e2e.bench=accel-percmd
    run_l2 bench ,ril=off,cmdqv=on "e2e.bench=accel-cmdqv e2e.l2cmdqv=1"
    ;;
esac
stage l2-exit

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
if [ "$MODE" != bench ] && [ "${MODE#stale}" = "$MODE" ]; then
    m=$(dd if=/dev/vda bs=512 skip=4096 count=1 2>/dev/null | head -c 13)
    rec disk_l2_marker "L1 reads the marker L2 wrote at 2 MiB" e2e-l2-marker \
        "${m:-none}"
fi

stage end
poweroff -f
