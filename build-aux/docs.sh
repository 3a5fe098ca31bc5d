#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the QEMU manual of the prepared tree, our pages included
# (docs/system/devices/arm-smmuv3-accel.rst, docs/devel/arm-smmuv3-accel*.rst),
# with Sphinx warnings as errors.  Prints TAP: one line per page of ours,
# then the build's verdict; exit status 1 on any warning.
#
#   build-aux/docs.sh TREE BUILD      HTML in BUILD/docs/html
#
# Sphinx keeps what it read (doctrees) in the cache directory, for a copy
# of the tree at a path that stays the same for every checkout (QEMU's
# conf.py resolves its own directory): the upstream pages keep the
# tarball's times, so a new clone re-reads only the pages that changed.

set -uo pipefail

tree=${1:?usage: docs.sh TREE BUILD}
build=${2:?usage: docs.sh TREE BUILD}
top=$(cd "$(dirname "$0")/.." && pwd)
out=$build/docs
log=$out/sphinx.log
cache=$(sed -n 's/^CACHE_DIR := //p' "$top/config.mk" 2>/dev/null)
cache=${cache:-$HOME/.cache/qemu-smmuv3-accel}/docs

if ! command -v sphinx-build >/dev/null; then
    echo "1..1"
    echo "not ok 1 - sphinx-build is missing: run 'make setup' (python3-sphinx, python3-sphinx-rtd-theme)"
    exit 1
fi

mapfile -t pages < <(cd "$top" && git ls-files --cached --others --exclude-standard 'docs/*.rst')
echo "1..$(( ${#pages[@]} + 1 ))"
mkdir -p "$out" "$cache"
# The copy keeps each file's time; links (our files) are copied as files
rm -rf "$cache/tree"
mkdir -p "$cache/tree"
tar -C "$tree" -ch --exclude=./.git --exclude=./roms --exclude=./pc-bios \
    --exclude=./subprojects --exclude=./tests/data . | tar -C "$cache/tree" -x
rm -rf "$out/html"
ln -s "$cache/html" "$out/html"
echo "# sphinx-build of $tree/docs (2-3 minutes cold, less warm)"
env CONFDIR=/etc/qemu sphinx-build -q -W --keep-going -j 2 \
    -Dversion="$(cat "$tree/VERSION")" -Drelease= \
    -b html -d "$cache/doctrees" "$cache/tree/docs" "$cache/html" \
    > "$log" 2>&1
rc=$?
# Sphinx keeps what it read even with warnings: without this, a page that
# failed and did not change would pass the next run
[ $rc -eq 0 ] || rm -rf "$cache/doctrees"

n=0
for p in "${pages[@]}"; do
    n=$((n + 1))
    html=$cache/html/${p#docs/}
    html=${html%.rst}.html
    if grep -q "${p#docs/}:" "$log"; then
        echo "not ok $n - $p: $(grep -m1 "${p#docs/}:" "$log" | sed 's|.*/docs/||')"
    elif [ ! -s "$html" ]; then
        echo "not ok $n - $p: not built (is it in a toctree? see $log)"
    else
        echo "ok $n - $p"
    fi
done
n=$((n + 1))
if [ $rc -eq 0 ]; then
    echo "ok $n - the QEMU manual builds without warnings"
else
    sed 's/^/# /' "$log" | head -40
    echo "not ok $n - the QEMU manual: sphinx-build failed ($log)"
    exit 1
fi
