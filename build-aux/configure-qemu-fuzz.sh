#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Configure the fuzzing build of the fork ('make fuzz-build'): the same
# prepared tree as the x86_64 build, built into its own directory with
# clang 16, libFuzzer, ASan and UBSan (UBSan findings are fatal), and with
# FUZZ_COVERAGE=1 source-based coverage, for the lines the fuzzers reached.
# The result is BUILD_DIR/qemu-fuzz-aarch64.  The tree is only read.
#
# ccache is used through a symlink named after the compiler in
# BUILD_DIR/fuzz-bin (Debian's /usr/lib/ccache has none for clang-16).
# QEMU's configure runs again only when its arguments change.
#
# usage: configure-qemu-fuzz.sh TREE BUILD_DIR
set -euo pipefail

tree=$(cd "${1:?}" && pwd)
mkdir -p "${2:?}"; build=$(cd "$2" && pwd)

die() { echo "configure-qemu-fuzz: $*" >&2; exit 1; }

for tool in clang-16 clang++-16 llvm-profdata-16 llvm-cov-16; do
    command -v "$tool" >/dev/null ||
        die "$tool not found; run build-aux/setup.sh (clang-16, libclang-rt-16-dev, llvm-16)"
done
[ -f "$(clang-16 -print-resource-dir)/lib/linux/libclang_rt.fuzzer-x86_64.a" ] ||
    die "libFuzzer is missing; run build-aux/setup.sh (libclang-rt-16-dev)"

bin=$build/fuzz-bin
mkdir -p "$bin"
if command -v ccache >/dev/null; then
    for c in clang-16 clang++-16; do
        [ -L "$bin/$c" ] || ln -sf "$(command -v ccache)" "$bin/$c"
    done
    cc=$bin/clang-16 cxx=$bin/clang++-16
else
    cc=clang-16 cxx=clang++-16
fi

# Coverage only on demand: ccache never reuses an object compiled with
# -fprofile-instr-generate in another directory, so each fresh clone would
# compile everything again.
cov=
[ "${FUZZ_COVERAGE:-0}" = 0 ] || cov="-fprofile-instr-generate -fcoverage-mapping"

# shellcheck source=build-aux/qemu-config-args.sh
debug=no . "$(dirname "$0")/qemu-config-args.sh"
args=()
for a in "${qemu_common_args[@]}"; do
    # its own device set (configs/devices/aarch64-softmmu/smmuv3-fuzz.mak)
    [[ $a = --with-devices-aarch64=* ]] || args+=("$a")
done
args+=(
      --cc="$cc" --cxx="$cxx" --host-cc=clang-16
      --with-devices-aarch64=smmuv3-fuzz
      --enable-fuzzing --enable-asan --enable-ubsan
      "--extra-cflags=-gline-tables-only -fno-sanitize-recover=undefined${cov:+ $cov}")
[ -z "$cov" ] || args+=(--extra-ldflags=-fprofile-instr-generate)

stamp=$build/.fork-configure-args
if [ -f "$build/build.ninja" ] && [ "$(cat "$stamp" 2>/dev/null)" = "${args[*]}" ]; then
    exit 0
fi
cd "$build"
echo "configure-qemu-fuzz: $tree/configure ${args[*]}"
"$tree/configure" "${args[@]}" || {
    echo "configure-qemu-fuzz: QEMU's configure failed; see $build/meson-logs/meson-log.txt" >&2
    exit 1
}
printf '%s' "${args[*]}" > "$stamp"
