#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Write the prepared tree's commits on top of upstream back into patches/
# (one file per commit, numbered) and patches/series, and record them as
# applied so that the next 'make' keeps the tree as it is.
#
# usage: export-patches.sh TREE
set -euo pipefail

die() { echo "export-patches: $*" >&2; exit 1; }

top=$(cd "$(dirname "$0")/.." && pwd)
tree=${1:?usage: export-patches.sh TREE}
git_t() { git -C "$tree" "$@"; }

git_t rev-parse -q --verify refs/tags/upstream >/dev/null ||
    die "$tree is not a prepared tree; run make first"
[ -z "$(git_t status --porcelain --untracked-files=no)" ] ||
    die "$tree has uncommitted changes; commit them first (git -C $tree commit)"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
git_t format-patch -q --no-signature --zero-commit --no-stat -N \
    -o "$out" upstream..HEAD

rm -f "$top"/patches/*.patch
mkdir -p "$top/patches"
: > "$top/patches/series.new"
: > "$tree/.git/fork-applied.new"
mapfile -t commits < <(git_t rev-list --reverse upstream..HEAD)
i=0
for f in "$out"/*.patch; do
    [ -e "$f" ] || break
    name=$(basename "$f")
    cp "$f" "$top/patches/$name"
    echo "$name" >> "$top/patches/series.new"
    echo "${commits[$i]} $(sha256sum < "$f" | cut -d' ' -f1) $name" >> "$tree/.git/fork-applied.new"
    i=$((i + 1))
done
mv "$top/patches/series.new" "$top/patches/series"
mv "$tree/.git/fork-applied.new" "$tree/.git/fork-applied"
echo "export-patches: $i patches written to patches/"
