#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build (or reuse) the end-to-end arm64 kernel: Debian's linux-source package
# from sid, arm64 allnoconfig plus tests/e2e/kernel.config, everything built
# in; also its uapi headers, for the test programs.
#
# The result lives in CACHE/e2e/kernel/KEY/ (Image, config, include/, and
# build-times), KEY being derived from the source package version, the
# fragment and this recipe; it is built only when that directory does not
# exist.  The unpacked source and the object directory are kept per source
# version, so that a changed fragment rebuilds incrementally.
#
# With --source-only it stops after the download, the unpacking and the
# configuration (single-threaded steps): e2e.mk runs that in the background
# while QEMU builds, and a lock makes the full run wait for it.
#
# usage: build-kernel.sh [--source-only] CACHE_DIR
#        (prints the kernel directory, unless --source-only)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source_only=0
if [ "${1:-}" = --source-only ]; then
    source_only=1
    shift
fi
cache=${1:?usage: build-kernel.sh [--source-only] CACHE_DIR}
pkg=${E2E_LINUX_SOURCE:-linux-source-7.2}
release=sid
fragment=$here/kernel.config
recipe=1        # bump when the way the kernel is built changes
jobs=${E2E_JOBS:-2}

die() { echo "build-kernel: $*" >&2; exit 1; }
say() { echo "build-kernel: $*" >&2; }

base=$cache/e2e
mkdir -p "$base/debs" "$base/kernel"

# The version the archive offers (local apt lists, no network).
version=$(apt-cache madison "$pkg" 2>/dev/null |
          awk -F'|' -v r="$release" '$3 ~ "/" r "/" || $3 ~ " " r "/" {
              gsub(/ /, "", $2); print $2; exit }')
[ -n "$version" ] ||
    die "no $pkg in the $release lists; run build-aux/setup.sh (it adds the sid entry) and apt-get update"

key=$( { echo "$pkg=$version recipe=$recipe arch=arm64"; cat "$fragment"; } |
       sha256sum | cut -c1-16)
out=$base/kernel/$version-$key
if [ -f "$out/Image" ] && [ -d "$out/include/linux" ]; then
    [ $source_only = 1 ] && exit 0
    say "reusing $out"
    echo "$out"
    exit 0
fi

# Steps 1-3 one process at a time: a --source-only run in the background
# may be doing them now.
exec 9>"$base/.prepare.lock"
if ! flock -n 9; then
    say "waiting for the kernel source (being prepared in the background)"
    flock 9
fi

now() { date +%s; }
t_start=$(now)
times=()

# 1. The source package, downloaded once per version.
deb=$base/debs/${pkg}_${version}_all.deb
if [ ! -f "$deb" ]; then
    say "downloading $pkg=$version from $release"
    rm -f "$base/debs/${pkg}_"*.deb
    (cd "$base/debs" && apt-get download -q "$pkg=$version" >&2) ||
        die "apt-get download $pkg=$version failed"
    # apt-get names the file with the epoch escaped; find it whatever it is.
    f=$(ls "$base/debs/${pkg}_"*.deb | head -n1)
    [ "$f" = "$deb" ] || mv "$f" "$deb"
fi

# 2. The source, unpacked once per version (other versions are removed).
src=$base/linux-src/$version
if [ ! -f "$src/.unpacked" ]; then
    say "unpacking $pkg $version (about 2 minutes)"
    t=$(now)
    rm -rf "$base/linux-src"
    mkdir -p "$src"
    dpkg-deb --fsys-tarfile "$deb" |
        tar -x --to-stdout --wildcards "./usr/src/$pkg.tar.*" |
        tar -xJ -C "$src" --strip-components=1 ||
        die "cannot unpack the kernel source from $deb"
    echo $(( $(now) - t )) > "$src/.unpacked"
fi
u=$(cat "$src/.unpacked")
times+=("unpack ${u:-0}")

# 3. Configure: allnoconfig with the fragment, then check the fragment took.
obj=$base/kbuild/$version
if [ ! -d "$obj" ]; then
    rm -rf "$base/kbuild"
    mkdir -p "$obj"
fi
kmake() {
    make -C "$src" O="$obj" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- \
        KBUILD_BUILD_USER=e2e KBUILD_BUILD_HOST=e2e "$@"
}
configure_kernel() {
    say "configuring (arm64 allnoconfig + $(basename "$fragment"))"
    rm -f "$obj/.config-key"
    kmake -s KCONFIG_ALLCONFIG="$fragment" allnoconfig >&2 ||
        die "allnoconfig failed"
    bad=0
    while IFS= read -r line; do
        case $line in
        CONFIG_*=n)
            sym=${line%%=*}
            if grep -q "^$sym=" "$obj/.config"; then
                say "$sym is set in the .config, the fragment wants it off"
                bad=1
            fi
            ;;
        CONFIG_*=*)
            if ! grep -qxF "$line" "$obj/.config"; then
                say "fragment line '$line' did not take: $(grep "^${line%%=*}=\|${line%%=*} is not set" "$obj/.config" || echo unset)"
                bad=1
            fi
            ;;
        esac
    done < "$fragment"
    [ $bad = 0 ] || die "the fragment does not apply to $pkg $version (see above)"
    echo "$key" > "$obj/.config-key"
}
# Configured already for this key (by a --source-only run): keep it.
if [ "$(cat "$obj/.config-key" 2>/dev/null)" != "$key" ] ||
   [ ! -f "$obj/.config" ]; then
    configure_kernel
fi
flock -u 9
[ $source_only = 1 ] && { say "source ready for $pkg $version"; exit 0; }

# 4. Build the Image and the uapi headers.
# Objects of a whole build with this configuration: learnt from the last
# one, else what it was for Linux 7.2 (1219).  Only for the progress line.
total_file=$base/kernel/objects-$key
total=$(cat "$total_file" 2>/dev/null || echo 1219)
done_objs() { find "$obj" -name '*.o' -newer "$obj/.config" 2>/dev/null | wc -l; }

# How long the last build took, else 0.8 s an object (Linux 7.2 on this
# project's 2-core machine, November 2026); the progress lines correct it
secs_file=$base/kernel/seconds-$key
secs=$(cat "$secs_file" 2>/dev/null || echo $(( total * 8 / 10 )))
say "building Image with -j$jobs: $total objects, about $(( (secs + 59) / 60 )) min, a line every 30 s"
t=$(now)
kmake -j"$jobs" Image >"$obj/build.log" 2>&1 &
kpid=$!
# A line every 30 s, with an estimate from the rate so far
while kill -0 $kpid 2>/dev/null; do
    for _ in 1 2 3 4 5 6; do
        kill -0 $kpid 2>/dev/null || break
        sleep 5
    done
    kill -0 $kpid 2>/dev/null || break
    n=$(done_objs)
    el=$(( $(now) - t ))
    if [ "$n" -gt 0 ] && [ "$n" -lt "$total" ]; then
        left=$(( el * (total - n) / n ))
        say "Image: $n/$total objects ($(( n * 100 / total ))%), $(( el / 60 )) min $(( el % 60 )) s so far, about $(( (left + 59) / 60 )) min left"
    else
        say "Image: $n objects, linking ($(( el / 60 )) min $(( el % 60 )) s so far)"
    fi
done
wait $kpid || {
    tail -n 30 "$obj/build.log" >&2
    die "kernel build failed; log in $obj/build.log"
}
find "$obj" -name '*.o' | wc -l > "$total_file"
echo $(( $(now) - t )) > "$secs_file"
times+=("image $(( $(now) - t ))")
t=$(now)
kmake -s headers >&2 || die "make headers failed"
times+=("headers $(( $(now) - t ))")

# 5. Publish atomically.
tmp=$out.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
cp "$obj/arch/arm64/boot/Image" "$tmp/Image"
cp "$obj/.config" "$tmp/config"
cp -r "$obj/usr/include" "$tmp/include"
{
    echo "package $pkg=$version"
    printf '%s\n' "${times[@]}"
    echo "total $(( $(now) - t_start ))"
} > "$tmp/build-times"
rm -rf "$out"
mv "$tmp" "$out"
say "built $out ($(du -h "$out/Image" | cut -f1) Image, $(( $(now) - t_start )) s)"
echo "$out"
