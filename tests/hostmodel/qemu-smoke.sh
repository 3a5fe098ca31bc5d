#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Realize vfio-pci devices served by the host model in an unmodified
# qemu-system-aarch64 and check that the guest's PCI bus shows them.
#
#   tests/hostmodel/qemu-smoke.sh QEMU_BINARY LIBHOSTMODEL [EXTRA QEMU ARGS]
#
# Prints TAP.  Extra arguments (e.g. -device arm-smmuv3,...) are added to
# the command line.
set -u
qemu=$1
lib=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/hostmodel-qemu.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

out=$(printf 'info pci\nquit\n' | \
    HOSTMODEL_HOST="$here/hosts/qemu.conf" \
    HOSTMODEL_PREOPEN="100=/dev/vfio/devices/vfio0,101=/dev/iommu" \
    HOSTMODEL_LOG="$tmp/calls.jsonl" HOSTMODEL_REPORT="$tmp/report.jsonl" \
    LD_PRELOAD="$lib" timeout 120 "$qemu" -M virt -accel tcg \
        -display none -nodefaults -S -monitor stdio \
        -object iommufd,id=i0,fd=101 \
        -device vfio-pci,id=d0,fd=100,iommufd=i0 "$@" 2>&1)
rc=$?
n=0
fail=0
check() {
    n=$((n + 1))
    if [ "$1" = 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        fail=$((fail + 1))
    fi
}
check $rc "qemu exits cleanly"
echo "$out" | grep -q 'PCI device 1b36:0005' ; check $? "info pci shows the model device"
echo "$out" | grep -q 'id "d0"' ; check $? "the device is d0"
grep -q '"call":"VFIO_DEVICE_BIND_IOMMUFD".*"errno":""' "$tmp/calls.jsonl"
check $? "QEMU bound the device to the iommufd"
grep -q '"call":"VFIO_DEVICE_ATTACH_IOMMUFD_PT".*"errno":""' "$tmp/calls.jsonl"
check $? "QEMU attached the device"
grep -q '"call":"IOMMU_IOAS_MAP".*"errno":""' "$tmp/calls.jsonl"
check $? "QEMU mapped guest RAM"
echo "1..$n"
if [ $fail -ne 0 ]; then
    echo "$out" | sed 's/^/# /'
fi
echo "hostmodel-qemu: $((n - fail)) passed, $fail failed"
[ $fail -eq 0 ]
