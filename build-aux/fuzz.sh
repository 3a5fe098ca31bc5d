#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run the fuzz targets of the fuzz build (make fuzz, make fuzz-smoke):
# each target for SECONDS, from its corpus in the cache directory and its
# seeds in tests/fuzz/seeds/, then a table of executions, exec/s, corpus
# size, findings and line coverage of the accel files.  A finding is an
# input libFuzzer wrote to the findings directory (crash, timeout, leak,
# out of memory); its path and the sanitizer's first lines are printed.
# Every run is added to the ledger (CACHE_DIR/fuzz/ledger.tsv), whose
# total is printed.  Exits 1 when a target had a finding or did not run.
#
# --smoke: each target from its seeds only (a temporary corpus), nothing
# added to the ledger; TAP on stdout (one line a target), the rest on
# stderr (make check's suite fuzz/smoke).
#
# FUZZ_LEAKS=0 turns off libFuzzer's leak check after each input that
# allocated more than it freed (smmuv3_fuzz.c's host object check still
# runs after every input): about twice the executions.  The smoke always
# checks.
#
# --uncovered: no run; the lines of hw/arm/smmuv3-accel*.c and
# backends/iommufd-*.c the last make fuzz did not reach (make fuzz-coverage)
#
# usage: fuzz.sh [--smoke|--uncovered] TOP FUZZ_BUILD CACHE_DIR SECONDS [TARGET...]
set -uo pipefail

smoke=0
uncovered=0
if [ "${1:-}" = --smoke ]; then smoke=1; shift; fi
if [ "${1:-}" = --uncovered ]; then uncovered=1; shift; fi
top=$(cd "${1:?usage: fuzz.sh [--smoke] TOP FUZZ_BUILD CACHE_DIR SECONDS [TARGET...]}" && pwd)
build=$(cd "${2:?}" && pwd)
cache=${3:?}
seconds=${4:?}
shift 4

bin=$build/qemu-fuzz-aarch64
hmlib=$build/hostmodel/libhostmodel.so
seeds=$top/tests/fuzz/seeds

die() { echo "fuzz: $*" >&2; exit 1; }
[ -x "$bin" ] || die "$bin is missing; run make fuzz-build"
if [ "$uncovered" = 1 ]; then
    prof=$cache/fuzz/last.profdata
    [ -f "$prof" ] || die "$prof is missing; run make fuzz"
    cd "$build" || exit 1
    for f in ../qemu/hw/arm/smmuv3-accel*.c ../qemu/backends/iommufd-*.c; do
        llvm-cov-16 show "$bin" -instr-profile="$prof" "$f" 2>/dev/null |
            awk -v f="${f#../qemu/}" -F'|' '$2 ~ /^ *0$/ { sub(/^ */, "", $1); print f ":" $1 ":" $3 }'
    done
    exit 0
fi
[ -f "$hmlib" ] || die "$hmlib is missing; run make fuzz-build"

# name | fuzz target | host model's host file (none: no model) |
# SMMUV3_FUZZ_OPTS | QEMU_FUZZ_ARGS | QEMU_FUZZ_OBJECTS (generic-fuzz) |
# more environment (VAR=VALUE ...)
devs="-device e1000e,bus=pcie.0,addr=4.0,romfile=
 -device ich9-ahci,id=s0,bus=pcie.0,addr=5.0
 -blockdev null-co,node-name=null0 -device ide-hd,drive=null0,bus=s0.0
 -blockdev null-co,node-name=null1
 -device nvme,serial=fuzz,drive=null1,bus=pcie.0,addr=6.0
 -blockdev null-co,node-name=null2
 -device virtio-blk-pci,drive=null2,bus=pcie.0,addr=7.0,disable-legacy=on"
devs=${devs//$'\n'/}
objects="arm-smmuv3 e1000e ich9-ahci nvme virtio* vfio-pci"
hosts=$top/tests/hostmodel/hosts
targets=(
    "smmuv3-accel-ops|smmuv3-accel-ops|$hosts/qemu.conf|||"
    "accel-small|smmuv3-accel-ops|$hosts/fuzz-small.conf|ril=off,oas=44,ssidsize=8||"
    "accel-ats|smmuv3-accel-ops|$hosts/fuzz-ats.conf|ats=on,ssidsize=8||"
    "accel-hotplug|smmuv3-accel-ops|$hosts/qemu.conf|x-batch-invalidations=off|||SMMUV3_FUZZ_HOTPLUG=1"
    "smmuv3-ops|smmuv3-ops||||"
    "generic-accel|generic-fuzz|$hosts/qemu.conf||-M virt -nodefaults -object iommufd,id=i0 -device arm-smmuv3,primary-bus=pcie.0,accel=on -device vfio-pci,id=d0,fd=100,iommufd=i0,bus=pcie.0,addr=1.0 $devs|$objects"
    "generic-emulated|generic-fuzz|||-M virt -nodefaults -device arm-smmuv3,primary-bus=pcie.0 $devs|$objects"
    "generic-cmdqv|generic-fuzz|||-M virt -nodefaults -device arm-smmuv3,primary-bus=pcie.0,stage=nested,cmdqv=on $devs|tegra241-cmdqv*"
    "generic-accel-cmdqv|generic-fuzz|$hosts/fuzz-cmdqv.conf||-M virt -nodefaults -object iommufd,id=i0 -device arm-smmuv3,primary-bus=pcie.0,accel=on,cmdqv=on -device vfio-pci,id=d0,fd=100,iommufd=i0,bus=pcie.0,addr=1.0 $devs|tegra241-cmdqv*"
)

want=("$@")
chosen=()
for t in "${targets[@]}"; do
    name=${t%%|*}
    if [ ${#want[@]} -eq 0 ] || printf '%s\n' "${want[@]}" | grep -qx "$name"; then
        chosen+=("$t")
    fi
done
[ ${#chosen[@]} -gt 0 ] || die "no target among: $(printf '%s ' "${targets[@]%%|*}")"

run=$(mktemp -d /tmp/qemu-fuzz.XXXXXX)
trap 'rm -rf "$run"' EXIT
mkdir -p "$run/prof" "$cache/fuzz/findings"
# The sanitizers' symbolizer must not load the preloaded host model
mkdir -p "$run/bin"
printf '#!/bin/sh\nexec env -u LD_PRELOAD llvm-symbolizer-16 "$@"\n' > "$run/bin/llvm-symbolizer"
chmod +x "$run/bin/llvm-symbolizer"
ledger=$cache/fuzz/ledger.tsv
leaks=${FUZZ_LEAKS:-1}
# the smoke is the same run each time: it checks the build, not luck
seed_opt=()
if [ "$smoke" = 1 ]; then leaks=1; seed_opt=(-seed=1); fi

# One of the figures libFuzzer prints at the end (-print_final_stats)
final_stat() { sed -n "s/^stat::$2: *//p" "$1" | tail -1; }

# Line coverage of hw/arm/smmuv3-accel*.c over the profiles given
accel_coverage() {
    [ -f "$1" ] || { echo -; return; }
    llvm-profdata-16 merge -sparse "$@" -o "$run/one.profdata" 2>/dev/null &&
    (cd "$build" && llvm-cov-16 report "$bin" -instr-profile="$run/one.profdata" \
        ../qemu/hw/arm/smmuv3-accel*.c 2>/dev/null) | awk '/^TOTAL/ { print $10 }'
}

# The smoke replays each past finding of the target (tests/fuzz/findings/
# TARGET-*) many times in one process, with a smaller quarantine and RSS
# limit, so that a slow growth fails too.
# The first line of a report: a sanitizer's, libFuzzer's (a hang is an
# ALARM, a growth out-of-memory), or our target's own checks
report_re='^==[0-9]+==ERROR|runtime error:|ALARM|out-of-memory|smmuv3-fuzz:|deadly signal'

replay_findings() {
    local f rlog status first
    for f in "$top/tests/fuzz/findings/$name"-*; do
        [ -f "$f" ] || continue
        n=$((n + 1))
        rlog=$run/replay-${f##*/}.log
        (cd "$run" && env "${env[@]}" \
            "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:quarantine_size_mb=16:external_symbolizer_path=$run/bin/llvm-symbolizer" \
            "$bin" --fuzz-target="$target" -runs="$replay_runs" \
            -rss_limit_mb="$replay_rss" -timeout=20 "$f") > "$rlog" 2>&1
        status=$?
        if [ "$status" = 0 ]; then
            tap+=("ok $n - $name: ${f##*/} replayed $replay_runs times")
            continue
        fi
        rc=1
        first=$(grep -m1 -E "$report_re" "$rlog")
        echo "fuzz: $name: ${f##*/} fails again (exit $status):" >&2
        tail -20 "$rlog" >&2
        tap+=("not ok $n - $name: ${f##*/}: ${first:-exit $status}")
    done
}
replay_runs=${FUZZ_REPLAY_RUNS:-500}
replay_rss=${FUZZ_REPLAY_RSS_MB:-384}

rc=0
n=0
rows=()
tap=()
# the smoke speaks TAP on stdout; the tables go to stderr
if [ "$smoke" = 1 ]; then exec 3>&1 1>&2; fi
for t in "${chosen[@]}"; do
    IFS='|' read -r name target hostconf opts args objs extra <<<"$t"
    if [ "$smoke" = 1 ]; then
        corpus=$run/corpus-$name
    else
        corpus=$cache/fuzz/corpus/$name
    fi
    # the variants of a target share its seeds
    seed=$seeds/$name
    [ -d "$seed" ] || seed=$seeds/$target
    mkdir -p "$corpus"
    findings=$cache/fuzz/findings/$name
    mkdir -p "$findings"
    before=$(find "$findings" -type f | sort)
    env=(LLVM_PROFILE_FILE="$run/prof/$name-%p.profraw"
         "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:external_symbolizer_path=$run/bin/llvm-symbolizer"
         "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:external_symbolizer_path=$run/bin/llvm-symbolizer")
    if [ -n "$opts" ]; then
        env+=(SMMUV3_FUZZ_OPTS="$opts")
    fi
    if [ -n "$hostconf" ]; then
        env+=(LD_PRELOAD="$hmlib" HOSTMODEL_HOST="$hostconf"
              HOSTMODEL_CONTROL="$run/$name.sock"
              HOSTMODEL_PREOPEN=100=/dev/vfio/devices/vfio0)
    fi
    if [ -n "$args" ]; then
        env+=(QEMU_FUZZ_ARGS="$args" QEMU_FUZZ_OBJECTS="$objs")
    fi
    if [ -n "$extra" ]; then
        read -r -a more <<<"$extra"
        env+=("${more[@]}")
    fi
    log=$run/$name.log
    echo "fuzz: $name for ${seconds}s ($(find "$corpus" -type f | wc -l) corpus inputs)" >&2
    t0=$SECONDS
    (cd "$run" && env "${env[@]}" "$bin" --fuzz-target="$target" \
        -max_total_time="$seconds" -timeout=20 -rss_limit_mb=6144 \
        -detect_leaks="$leaks" "${seed_opt[@]}" \
        -max_len=4096 -print_final_stats=1 -artifact_prefix="$findings/" \
        "$corpus" "$seed") > "$log" 2>&1
    status=$?
    elapsed=$((SECONDS - t0))
    execs=$(final_stat "$log" number_of_executed_units)
    rate=$(final_stat "$log" average_exec_per_sec)
    size=$(find "$corpus" -type f | wc -l)
    found=$(comm -13 <(printf '%s\n' "$before") <(find "$findings" -type f | sort))
    new=$(printf '%s' "$found" | grep -c .)
    n=$((n + 1))
    if [ "$status" != 0 ] || [ "$new" != 0 ] || [ -z "$execs" ]; then
        rc=1
        first=$(grep -m1 -E "$report_re" "$log")
        echo "fuzz: $name: FINDING (exit $status); the log's first report:" >&2
        grep -m1 -A14 -E "$report_re" "$log" >&2 ||
            tail -20 "$log" >&2
        printf '%s\n' "$found" | sed '/^$/d; s/^/fuzz:   reproducer /' >&2
        tap+=("not ok $n - $name: ${first:-exit $status, see the log above}")
    else
        tap+=("ok $n - $name: $execs executions ($rate/s), corpus $size, no finding")
    fi
    if [ "$smoke" = 1 ]; then
        replay_findings
    fi
    cov=$(accel_coverage "$run/prof/$name-"*.profraw)
    rows+=("$(printf '%-18s %10s %8s %8s %9s %9s' "$name" "${execs:-?}" "${rate:-?}" "$size" "$new" "$cov")")
    if [ "$smoke" = 0 ] && [ -n "$execs" ]; then
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$name" \
            "$elapsed" "$execs" "$new" "$leaks" >> "$ledger"
    fi
done

printf '%-18s %10s %8s %8s %9s %9s\n' target executions exec/s corpus findings accel-cov
printf '%s\n' "${rows[@]}"

# Line coverage of the accel files over this run's inputs (the corpus is
# replayed at each target's start, so this covers the corpus too)
shopt -s nullglob
profs=("$run"/prof/*.profraw)
if [ ${#profs[@]} -gt 0 ]; then
    llvm-profdata-16 merge -sparse "${profs[@]}" -o "$run/merged.profdata" &&
    (cd "$build" && llvm-cov-16 report "$bin" -instr-profile="$run/merged.profdata" \
        ../qemu/hw/arm/smmuv3*.c ../qemu/backends/iommufd*.c 2>/dev/null) |
        awk 'BEGIN { printf "%-36s %6s %8s\n", "file", "lines", "covered" }
             /smmuv3|iommufd|TOTAL/ { sub("^[.][.]/qemu/", "", $1)
                                      printf "%-36s %6s %8s\n", $1, $8, $10 }'
    if [ "$smoke" = 0 ]; then
        mkdir -p "$cache/fuzz"
        cp "$run/merged.profdata" "$cache/fuzz/last.profdata"
    fi
fi
if [ -f "$ledger" ] && [ "$smoke" = 0 ]; then
    awk -F'\t' '{ n += $4; s += $3 } END {
        printf "ledger: %d executions in %.1f h of fuzzing since the first run\n", n, s / 3600 }' "$ledger"
fi
if [ "$smoke" = 1 ]; then
    {
        echo "1..$n"
        printf '%s\n' "${tap[@]}"
    } >&3
fi
exit $rc
