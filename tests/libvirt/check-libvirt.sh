#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make check-libvirt: Debian sid's libvirt drives this tree's QEMU through
# the domain XML of tests/libvirt/*.xml (the ones the docs show), on the
# host kernel model; TAP on stdout.  Each domain is started paused (TCG),
# checked over QMP (virsh qemu-monitor-command) and destroyed.
#
# The chroot (Debian sid with libvirt 12.x) is made once into the cache
# directory (a few minutes, downloads from Debian's archive), then reused.
#
# usage: check-libvirt.sh TOP [CACHE_DIR]   (default: config.mk's)
set -euo pipefail

top=$(cd "${1:?usage: check-libvirt.sh TOP [CACHE_DIR]}" && pwd)
cache=${2:-$(sed -n 's/^CACHE_DIR := //p' "$top/config.mk" 2>/dev/null)}
cache=${cache:-$HOME/.cache/qemu-smmuv3-accel}
here=$top/tests/libvirt
host=$here/host.conf

# shellcheck source=tests/libvirt/rig.sh
. "$here/rig.sh"

[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (chroot, mounts)"; exit 0; }
for f in "$top/build/qemu-system-aarch64" \
         "$top/build/hostmodel/libhostmodel.so"; do
    [ -x "$f" ] || [ -f "$f" ] || rig_die "$f is missing: make check builds it"
done

# Everything below in a mount namespace of its own
if [ -z "${RIG_IN_NS:-}" ]; then
    root=$("$top/build-aux/libvirt-chroot.sh" "$cache" sid | tail -n1) ||
        rig_die "no libvirt 12 chroot (build-aux/libvirt-chroot.sh)"
    root11=$("$top/build-aux/libvirt-chroot.sh" "$cache" bookworm |
             tail -n1) ||
        rig_die "no libvirt 11 chroot (build-aux/libvirt-chroot.sh)"
    RIG_IN_NS=1 RIG_ROOT=$root RIG_ROOT11=$root11 \
        exec unshare -m --propagation private "$0" "$@"
fi
c=$RIG_ROOT
rig_mount "$c" "$top" "$host"
rig_config "$c" "$top" "$host"
trap rig_stop EXIT
rig_start "$c" "$top" "$host"

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() {
    n=$((n + 1))
    fails=$((fails + 1))
    echo "not ok $n - $1"
    shift
    printf '%s\n' "$@" | sed 's/^/# /'
}
virsh() { chroot "$c" virsh -q -c qemu:///system "$@" 2>&1; }
qmp() {     # qmp DOMAIN JSON
    virsh qemu-monitor-command "$1" "$2"
}
emulator=/run/rig/qemu-system-aarch64

# domain XML from tests/libvirt/NAME.xml, with the emulator filled in
domxml() {
    sed "s|/usr/bin/qemu-system-aarch64|$emulator|" "$here/$1.xml" \
        > "$c/run/rig/$1.xml"
    echo "/run/rig/$1.xml"
}

# libvirt probes the fork: the SMMU's accel and per-bus properties,
# iommufd objects and iommufd hostdevs
caps=$(virsh domcapabilities --emulatorbin "$emulator" --arch aarch64 \
       --machine virt --virttype qemu)
flags=$(cat "$c"/var/cache/libvirt/qemu/capabilities/*.xml 2>/dev/null)
if grep -A3 "<enum name='iommufd'>" <<< "$caps" | grep -q "<value>yes" &&
   grep -q "flag name='arm-smmuv3.accel'" <<< "$flags" &&
   grep -q "flag name='arm-smmuv3.smmu_per_bus'" <<< "$flags" &&
   grep -q "flag name='iommufd'" <<< "$flags"; then
    ok "domcapabilities: iommufd hostdevs; arm-smmuv3 accel and pciBus probed"
else
    not_ok "domcapabilities: iommufd hostdevs; arm-smmuv3 accel and pciBus probed" \
        "$caps" "$(grep -o "flag name='[^']*smmu[^']*'" <<< "$flags")"
fi

# start NAME: virsh create --paused; prints virsh's output
start() {
    virsh create --paused "$(domxml "$1")" || true
}

# the emulated SMMU, native XML with pciBus
out=$(start emulated)
typ=$(qmp emulated '{"execute":"qom-get","arguments":{"path":"/machine/peripheral/iommu0","property":"type"}}' || true)
if grep -q '"return":"arm-smmuv3"' <<< "$typ"; then
    ok "emulated smmuv3 with pciBus"
else
    not_ok "emulated smmuv3 with pciBus" "$out" "$typ"
fi
virsh destroy emulated > /dev/null || true

# accel=on with its attributes and an iommufd hostdev, cold-plugged:
# libvirt passes the device and iommufd fds, QEMU adopts them
out=$(start accel)
state=$(qmp accel '{"execute":"x-query-smmuv3-accel"}' || true)
if grep -q '"host-group":1' <<< "$state"; then
    ok "accel=on, iommufd hostdev cold-plugged; its host group found from the fd"
else
    not_ok "accel=on, iommufd hostdev cold-plugged; its host group found from the fd" \
        "$out" "$state" "$(tail -5 "$c/var/log/libvirt/qemu/accel.log" 2>/dev/null)"
fi
# each accel attribute reaches the guest's ID registers
idr() {     # idr JSON N: SMMU_IDR<N> of the guest, from x-query-smmuv3-accel
    python3 -c 'import json, sys
print(json.loads(sys.argv[1])["return"][0]["guest-idr"][int(sys.argv[2])])' \
        "$1" "$2" 2>/dev/null || echo none
}
i0=$(idr "$state" 0) i1=$(idr "$state" 1) i3=$(idr "$state" 3)
i5=$(idr "$state" 5)
if [ "$i0" != none ] && (( (i0 >> 10 & 1) == 0 )) &&
   (( (i1 >> 6 & 31) == 16 )) && (( (i3 >> 10 & 1) == 0 )) &&
   (( (i5 & 7) == 4 )); then
    ok "ats='off' ril='off' ssidsize='16' oas='44' in the guest's IDRs"
else
    not_ok "ats='off' ril='off' ssidsize='16' oas='44' in the guest's IDRs" \
        "IDR0 $i0 IDR1 $i1 IDR3 $i3 IDR5 $i5"
fi

# ats='on' where the host SMMU has ATS: IDR0.ATS is 1
sed -e "s/ats='off'/ats='on'/; s/<name>accel</<name>accel-ats-host</" \
    -e "s/bus='0x01' slot='0x00'/bus='0x04' slot='0x00'/" \
    -e "s|/usr/bin/qemu-system-aarch64|$emulator|" \
    "$here/accel.xml" > "$c/run/rig/accel-ats-host.xml"
out=$(virsh create --paused /run/rig/accel-ats-host.xml || true)
ats=$(qmp accel-ats-host '{"execute":"x-query-smmuv3-accel"}' || true)
a0=$(idr "$ats" 0)
if [ "$a0" != none ] && (( (a0 >> 10 & 1) == 1 )); then
    ok "ats='on' on a host SMMU with ATS: IDR0.ATS is 1"
else
    not_ok "ats='on' on a host SMMU with ATS: IDR0.ATS is 1" "$out" "IDR0 $a0"
fi
virsh destroy accel-ats-host > /dev/null || true

# hot-plug of a second iommufd hostdev: libvirt passes its fd over QMP
# (getfd), QEMU adopts it and nests it
cp "$here/hostdev-vfio1.xml" "$c/run/rig/"
out=$(virsh attach-device accel /run/rig/hostdev-vfio1.xml --live || true)
state=$(qmp accel '{"execute":"x-query-smmuv3-accel"}' || true)
if [ "$(grep -o '"host-group"' <<< "$state" | wc -l)" = 2 ] &&
   grep -q '"host-group":2' <<< "$state"; then
    ok "iommufd hostdev hot-plugged with virsh attach-device"
else
    not_ok "iommufd hostdev hot-plugged with virsh attach-device" "$out" "$state"
fi

# virsh destroy: QEMU is gone and libvirtd keeps none of the files it
# passed, so the kernel frees every object with them
held() {    # the model files (memfds named hostmodel:*) a process holds
    local f k=0

    for f in /proc/"$1"/fd/*; do
        case $(readlink "$f" 2>/dev/null) in
        /memfd:hostmodel:*) k=$((k + 1)) ;;
        esac
    done
    echo $k
}
qpid=$(cat "$c/run/libvirt/qemu/accel.pid" 2>/dev/null || echo 0)
before=$(held "$qpid")
virsh destroy accel > /dev/null || true
sleep 0.5
if [ "$before" -ge 3 ] && ! kill -0 "$qpid" 2>/dev/null &&
   [ "$(held "$rig_libvirtd")" = 0 ]; then
    ok "virsh destroy: QEMU gone, libvirtd holds no iommufd or VFIO file"
else
    not_ok "virsh destroy: QEMU gone, libvirtd holds no iommufd or VFIO file" \
        "QEMU $qpid held $before model files; libvirtd holds $(held "$rig_libvirtd")"
fi

# an attribute the host cannot honour: refused at start, saying why
sed "s/ats='off'/ats='on'/; s/<name>accel</<name>accel-ats</; s|/usr/bin/qemu-system-aarch64|$emulator|" \
    "$here/accel.xml" > "$c/run/rig/accel-ats.xml"
out=$(virsh create --paused /run/rig/accel-ats.xml || true)
if grep -q "ats=on cannot be honoured: the host SMMU has IDR0.ATS=0" <<< "$out"; then
    ok "ats='on' on a host without ATS: QEMU's error reaches virsh"
else
    not_ok "ats='on' on a host without ATS: QEMU's error reaches virsh" "$out"
    virsh destroy accel-ats > /dev/null 2>&1 || true
fi

# a value no SMMU has: QEMU's error names the values it takes
sed "s/oas='44'/oas='45'/; s/<name>accel</<name>accel-oas</; s|/usr/bin/qemu-system-aarch64|$emulator|" \
    "$here/accel.xml" > "$c/run/rig/accel-oas.xml"
out=$(virsh create --paused /run/rig/accel-oas.xml || true)
if grep -q "Parameter 'oas' does not accept value '45'" <<< "$out" &&
   grep -q "oas takes auto, 32, 36" <<< "$out"; then
    ok "oas='45': QEMU's error, with the values oas takes, reaches virsh"
else
    not_ok "oas='45': QEMU's error, with the values oas takes, reaches virsh" "$out"
    virsh destroy accel-oas > /dev/null 2>&1 || true
fi

# two vSMMUs, on pcie.0 and on a pxb-pcie, one host SMMU each
out=$(start two-vsmmus)
state=$(qmp two-vsmmus '{"execute":"x-query-smmuv3-accel"}' || true)
per=$(python3 -c 'import json, sys
print(" ".join(str(len(s["devices"])) for s in json.loads(sys.argv[1])["return"]))' \
      "$state" 2>/dev/null || echo none)
if [ "$per" = "1 1" ]; then
    ok "two accel vSMMUs (pcie.0 and a pxb-pcie), a host device behind each"
else
    not_ok "two accel vSMMUs (pcie.0 and a pxb-pcie), a host device behind each" \
        "$out" "devices per vSMMU: $per" "$state"
fi
virsh destroy two-vsmmus > /dev/null || true

# libvirt 11.3 (bookworm-backports): no accel attribute, no iommufd
# hostdev; the vSMMU and the device go through <qemu:commandline>
rig_stop
c=$RIG_ROOT11
rig_mount "$c" "$top" "$host"
rig_config "$c" "$top" "$host"
rig_start "$c" "$top" "$host"
ver=$(virsh version 2>/dev/null | sed -n 's/.*libvirt \([0-9.]*\).*/\1/p' | head -n1)

# the manual's XML for it: JSON-form arguments, after libvirt's devices
out=$(start accel-11)
state=$(qmp accel-11 '{"execute":"x-query-smmuv3-accel"}' || true)
if grep -q '"host-group":1' <<< "$state"; then
    ok "libvirt $ver: <qemu:commandline> (JSON form) on a root port libvirt defines"
else
    not_ok "libvirt $ver: <qemu:commandline> (JSON form) on a root port libvirt defines" \
        "$out" "$state" "$(tail -5 "$c/var/log/libvirt/qemu/accel-11.log" 2>/dev/null)"
fi
virsh destroy accel-11 > /dev/null || true

# a legacy-form vfio-pci is created before the JSON-form vSMMU:
# refused, and the error says what to change
sed -e 's|{"driver":"vfio-pci","host":"0000:01:00.0","iommufd":"iommufd0","id":"hostdev0","bus":"ua-rp-vfio"}|vfio-pci,host=0000:01:00.0,iommufd=iommufd0,id=hostdev0,bus=pcie.0,addr=0x1f|' \
    -e 's/<name>accel-11</<name>accel-11-legacy</' \
    -e "s|/usr/bin/qemu-system-aarch64|$emulator|" \
    "$here/accel-11.xml" > "$c/run/rig/accel-11-legacy.xml"
out=$(virsh create --paused /run/rig/accel-11-legacy.xml || true)
if grep -q "was created before this arm-smmuv3" <<< "$out" &&
   grep -q "in JSON form" <<< "$out"; then
    ok "libvirt $ver: a legacy-form vfio-pci before a JSON vSMMU is refused, saying why"
else
    not_ok "libvirt $ver: a legacy-form vfio-pci before a JSON vSMMU is refused, saying why" "$out"
    virsh destroy accel-11-legacy > /dev/null 2>&1 || true
fi

echo "1..$n"
[ $fails = 0 ]
