#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The libvirt test rig: a real libvirtd (Debian sid's, in the chroot that
# build-aux/libvirt-chroot.sh makes) driving this tree's
# build/qemu-system-aarch64, with the host kernel model standing in for
# the kernel.  Sourced by check-libvirt.sh, which runs in its own mount
# namespace: every mount below goes away with it.
#
# What is faked, and why (docs/devel/arm-smmuv3-accel-libvirt.rst has the
# facts): libvirtd checks /dev/iommu, /dev/vfio/vfio and the VFIO cdevs
# exist and reads the PCI devices in /sys/bus/pci and
# /sys/kernel/iommu_groups; those are device nodes as on a host and
# files and directories on tmpfs.  Its opens of /dev/iommu and /dev/vfio/devices/vfioN go to the
# model (preloaded into libvirtd), and QEMU, started through a wrapper that
# preloads the model too, adopts the fds libvirtd passes.  QEMU itself is
# run unmodified.  The chroot's root lacks CAP_SYS_RESOURCE here (a
# container), which libvirtd on a host has: HOSTMODEL_CAPS grants it.

rig_die() { echo "Bail out! libvirt rig: $*"; exit 1; }

# rig_mount ROOT TOP HOST: mount the chroot's view; HOST is the model's
# host file (its [device] sections become the fake PCI devices)
rig_mount() {
    local c=$1 top=$2 host=$3 d

    mount -t proc proc "$c/proc"
    mount --rbind /sys "$c/sys"
    mount --make-rslave "$c/sys"
    mount -t tmpfs rig-dev "$c/dev"
    mknod -m 666 "$c/dev/null" c 1 3
    mknod -m 666 "$c/dev/zero" c 1 5
    mknod -m 666 "$c/dev/full" c 1 7
    mknod -m 666 "$c/dev/random" c 1 8
    mknod -m 666 "$c/dev/urandom" c 1 9
    mknod -m 666 "$c/dev/tty" c 5 0
    mkdir -p "$c/dev/pts" "$c/dev/shm" "$c/dev/vfio/devices"
    mount -t devpts -o newinstance,ptmxmode=0666 devpts "$c/dev/pts"
    ln -s pts/ptmx "$c/dev/ptmx"
    # the nodes as on a host (misc 10:N, the VFIO cdevs 511:N); opening them
    # is the model's
    mknod -m 666 "$c/dev/iommu" c 10 121
    mknod -m 666 "$c/dev/vfio/vfio" c 10 196
    for d in run tmp var/lib/libvirt var/cache/libvirt var/log/libvirt; do
        mount -t tmpfs "rig-${d//\//-}" "$c/$d"
    done
    mkdir -p "$c/var/lib/libvirt/qemu" "$c/var/cache/libvirt/qemu" \
        "$c/var/log/libvirt/qemu" "$c/run/rig"
    # UEFI for the guests (ACPI): the host's AAVMF (qemu-efi-aarch64)
    mkdir -p "$c/usr/share/AAVMF"
    mount --bind /usr/share/AAVMF "$c/usr/share/AAVMF"
    # the fork's tree, where the domains' <emulator> points
    mkdir -p "$c$top"
    mount --bind "$top" "$c$top"
    mount -o remount,bind,ro "$c$top"
    rig_fake_pci "$c" "$host"
}

# The model's devices as sysfs shows PCI devices bound to vfio-pci
rig_fake_pci() {
    local c=$1 host=$2 name bdf group n p
    local pci=$c/sys/bus/pci groups=$c/sys/kernel/iommu_groups

    mount -t tmpfs rig-pci "$pci"
    mount -t tmpfs rig-groups "$groups"
    mkdir -p "$pci/devices" "$pci/drivers/vfio-pci" "$pci/slots" \
        "$pci/root/pci0000:00"
    # name bdf group, one line per [device] of the host file
    awk '/^\[device /{ if (n) print n, b, g; n = $2; sub(/\]/, "", n);
                       b = ""; g = "" }
         /^bdf *=/{ b = $3 } /^group *=/{ g = $3 }
         END { if (n) print n, b, g }' "$host" |
    while read -r name bdf group; do
        if [ -z "$bdf" ] || [ -z "$group" ]; then
            continue
        fi
        n=${name#vfio}
        # a device on the root bus: its parent directory is the host bridge
        p=$pci/root/pci0000:00/$bdf
        mkdir -p "$p/vfio-dev/$name"
        echo "511:$n" > "$p/vfio-dev/$name/dev"
        printf '0x1b36\n' > "$p/vendor"
        printf '0x0005\n' > "$p/device"
        printf '0x00ff00\n' > "$p/class"
        echo "pci:v00001B36d00000005sv00001AF4sd00001100bc00scFFi00" \
            > "$p/modalias"
        # type 0 header, vendor 1b36 device 0005, a capability list with
        # one PCI Express endpoint capability (libvirt places a PCIe
        # device on a root port, a conventional one behind a bridge)
        {
            printf '\x36\x1b\x05\x00\x06\x00\x10\x00'
            printf '\x00\x00\xff\x00\x00\x00\x00\x00'
            head -c 36 /dev/zero
            printf '\x40\x00\x00\x00'
            head -c 8 /dev/zero
            printf '\x10\x00\x02\x00'
            head -c 188 /dev/zero
        } > "$p/config"
        ln -s ../../../drivers/vfio-pci "$p/driver"
        mkdir -p "$groups/$group/devices"
        ln -s "../../../../bus/pci/root/pci0000:00/$bdf" \
            "$groups/$group/devices/$bdf"
        ln -s "../../../../kernel/iommu_groups/$group" "$p/iommu_group"
        ln -s "../root/pci0000:00/$bdf" "$pci/devices/$bdf"
        ln -s "../../devices/$bdf" "$pci/drivers/vfio-pci/$bdf"
        mknod -m 600 "$c/dev/vfio/devices/$name" c 511 "$n"
    done
}

# rig_config ROOT TOP HOST: libvirt's configuration and the emulator wrapper
rig_config() {
    local c=$1 top=$2 host=$3

    cat > "$c/etc/libvirt/qemu.conf" <<EOF
# written by tests/libvirt/rig.sh
user = "+0"
group = "+0"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
namespaces = [ ]
cgroup_controllers = [ ]
stdio_handler = "file"
seccomp_sandbox = 0
EOF
    cat > "$c/etc/libvirt/libvirtd.conf" <<EOF
# written by tests/libvirt/rig.sh
auth_unix_rw = "none"
auth_unix_ro = "none"
log_outputs = "1:file:/var/log/libvirt/libvirtd.log"
log_filters = "1:qemu 1:util.iommufd 1:util.pci 3:util 4:object 4:json 4:rpc 4:event"
EOF
    cat > "$c/run/rig/qemu-system-aarch64" <<EOF
#!/bin/sh
# the fork's QEMU, unmodified, on the host kernel model
export LD_PRELOAD=$top/build/hostmodel/libhostmodel.so
export HOSTMODEL_HOST=$host
export HOSTMODEL_REPORT=/run/rig/report-%p.jsonl
exec $top/build/qemu-system-aarch64 "\$@"
EOF
    chmod 755 "$c/run/rig/qemu-system-aarch64"
}

# rig_start ROOT TOP HOST: libvirtd, with the model preloaded
rig_start() {
    local c=$1 top=$2 host=$3

    rig_chroot=$c
    # in the foreground, in our background: its pid is ours to stop
    chroot "$c" env LD_PRELOAD="$top/build/hostmodel/libhostmodel.so" \
        HOSTMODEL_HOST="$host" HOSTMODEL_CAPS=sys_resource \
        /usr/sbin/libvirtd > "$c/run/rig/libvirtd.out" 2>&1 &
    rig_libvirtd=$!
    for _ in $(seq 1 100); do
        [ -S "$c/run/libvirt/libvirt-sock" ] && return 0
        sleep 0.1
    done
    rig_die "libvirtd made no socket in 10 s (log: $c/var/log/libvirt/libvirtd.log)"
}

# Destroy what is still running (a check that bailed out), then libvirtd
rig_stop() {
    local pid=${rig_libvirtd:-} d

    rig_libvirtd=
    [ -n "$pid" ] || return 0
    for d in $(chroot "$rig_chroot" virsh -q -c qemu:///system list --name \
               2>/dev/null); do
        chroot "$rig_chroot" virsh -q -c qemu:///system destroy "$d" \
            > /dev/null 2>&1 || true
    done
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
}
