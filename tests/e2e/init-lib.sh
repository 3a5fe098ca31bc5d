# SPDX-License-Identifier: GPL-2.0-or-later
#
# What the /init of L1 and of L2 share, sourced by both after busybox has
# installed its applets (it is /lib/e2e.sh in both images): the mounts,
# the kernel command line, the records and stages (see e2e-report.h), and
# the helpers for the disk and for VFIO.  The caller sets PROG first.

mkdir -p /proc /sys /dev /tmp
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
# Kernel messages (an SMMU's event log among them) would cut records on the
# console in two, or interleave with L2's: they are read from dmesg.
dmesg -n 1

# arg NAME: the value of NAME=... on the kernel command line
arg() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" < /proc/cmdline | head -n 1; }
# stage NAME: marks progress, with the uptime
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

# disk_sum: the checksum of the disk's first MiB, read through /dev/vda
disk_sum() {
    sum=$(dd if=/dev/vda bs=65536 count=16 2>/dev/null | sha256sum |
          cut -d' ' -f1)
    echo "${sum:-none}"
}
# disk_mark TEXT SECTOR: writes TEXT at SECTOR (512 bytes); ok or failed
disk_mark() {
    if echo "$1" | dd of=/dev/vda bs=512 seek="$2" conv=fsync 2>/dev/null
    then echo ok; else echo failed; fi
}

# to_vfio BDF: binds the device to vfio-pci
to_vfio() {
    d=/sys/bus/pci/devices/$1
    [ -e "$d/driver" ] && echo "$1" > "$d/driver/unbind"
    echo vfio-pci > "$d/driver_override"
    echo "$1" > /sys/bus/pci/drivers_probe
}
# cdev BDF: the device's VFIO cdev
cdev() {
    echo "/dev/vfio/devices/$(ls "/sys/bus/pci/devices/$1/vfio-dev" 2>/dev/null)"
}
