#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run the real-kernel end-to-end test and print TAP (tests/e2e/README.md).
# Unless --no-build, the artifacts are first built or reused with
# 'make e2e-artifacts' (its output becomes TAP comments).
#
# usage: run.sh [--mode baseline|accel|accel-cmdqv|stale|stale-cmdqv|bench|compare] [--run-dir DIR] [--no-build]
#               [--summary] [--brief] [--timeout SECONDS] [--trace PATTERN]
#               [--l1-boot dt|acpi] [--l2-boot dt|acpi] [--l2-timeout S]
#               [--l2-trace EVENT] [--l0-smmu cmdqv|legacy]
# --l2-trace adds a trace event of L1's QEMU (the accel device's, e.g.
# 'smmuv3_accel*'), printed on the console.
# --l0-smmu legacy: L0's SMMU is iommu=smmuv3, without the CMDQV.
# --trace adds an L0 trace event (e.g. 'smmu_iotlb*') to l0.log.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${E2E_BUILD:-$top/build}
mode=baseline
run_dir=
do_build=1
extra=()

while [ $# -gt 0 ]; do
    case $1 in
    --mode) mode=${2:?}; shift ;;
    --mode=*) mode=${1#*=} ;;
    --run-dir) run_dir=${2:?}; shift ;;
    --run-dir=*) run_dir=${1#*=} ;;
    --no-build) do_build=0 ;;
    --summary) extra+=(--summary) ;;
    --brief) extra+=(--brief) ;;
    --timeout) extra+=(--timeout "${2:?}"); shift ;;
    --trace) extra+=(--trace "${2:?}"); shift ;;
    --l1-boot) extra+=(--l1-boot "${2:?}"); shift ;;
    --l2-boot) extra+=(--l2-boot "${2:?}"); shift ;;
    --l2-timeout) extra+=(--l2-timeout "${2:?}"); shift ;;
    --l2-trace) extra+=(--l2-trace "${2:?}"); shift ;;
    --l0-smmu) extra+=(--l0-smmu "${2:?}"); shift ;;
    *) echo "usage: run.sh [--mode baseline|accel|accel-cmdqv|stale|stale-cmdqv|bench|compare] [--run-dir DIR] [--no-build] [--summary] [--brief] [--timeout S] [--trace P] [--l1-boot dt|acpi] [--l2-boot dt|acpi] [--l2-timeout S] [--l2-trace E] [--l0-smmu cmdqv|legacy]" >&2
       exit 2 ;;
    esac
    shift
done

bail() {    # a TAP stream of one failure
    echo "not ok 1 - $*"
    echo "1..1"
    exit 1
}

if [ $do_build = 1 ]; then
    echo "# building or reusing the artifacts (make e2e-artifacts)"
    # A make running us (make check) must not hand its jobserver down.
    unset MAKEFLAGS MFLAGS MAKELEVEL
    log=$build/e2e/artifacts.log
    mkdir -p "$build/e2e"
    if ! make -C "$top" --no-print-directory e2e-artifacts 2>&1 |
            tee "$log" | sed -u 's/^/# /'; then
        bail "the end-to-end artifacts build (log: $log)"
    fi
fi

env=$build/e2e/artifacts.env
[ -f "$env" ] || bail "no $env: run 'make e2e-artifacts' first"
# shellcheck source=/dev/null
. "$env"

# compare: upstream 11.1.3's QEMU, appended to L1's image
# (make compare-upstream gives its directory: E2E_UPSTREAM)
if [ "$mode" = compare ]; then
    [ -f "${E2E_UPSTREAM:-}/upstream.cpio.gz" ] ||
        bail "no upstream QEMU for L1: run make compare-upstream (E2E_UPSTREAM is '${E2E_UPSTREAM:-}')"
    extra+=(--extra-initrd "$E2E_UPSTREAM/upstream.cpio.gz")
fi

run_dir=${run_dir:-$build/e2e/run-$mode}
rm -rf "$run_dir"
mkdir -p "$run_dir"
exec python3 "$here/harness.py" --qemu "$E2E_QEMU" --kernel "$E2E_KERNEL" \
    --initramfs "$E2E_INITRAMFS" --run-dir "$run_dir" --mode "$mode" \
    "${extra[@]}"
