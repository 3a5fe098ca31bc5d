#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Prepare the QEMU source tree that is built: upstream 10.2.2 as the first
# commit of a git repository, one commit per patch of patches/series on top,
# and every file of ours linked in at its place in QEMU's layout.
#
# Incremental: nothing is extracted again once the tree exists, and only the
# patches from the first changed one onwards are re-applied, so that ninja
# rebuilds only what a change touches.
#
# usage: prepare-tree.sh TREE CACHE_DIR
set -euo pipefail

die() { echo "prepare-tree: $*" >&2; exit 1; }

top=$(cd "$(dirname "$0")/.." && pwd)
tree=${1:?usage: prepare-tree.sh TREE CACHE_DIR}
cache=${2:?usage: prepare-tree.sh TREE CACHE_DIR}
series=$top/patches/series

# Directories whose files are ours and are linked into the tree.
our_dirs=(backends configs docs hw include qapi stubs tests)

git_t() { git -C "$tree" "$@"; }

tarball=$("$top/build-aux/fetch-upstream.sh" "$cache/upstream")

# 1. The upstream commit, made once.
if ! git_t rev-parse -q --verify refs/tags/upstream >/dev/null 2>&1; then
    [ ! -e "$tree" ] || [ -z "$(ls -A "$tree")" ] ||
        die "$tree exists but is not a prepared tree; remove it and run make again"
    echo "prepare-tree: extracting $(basename "$tarball")"
    mkdir -p "$tree"
    tar -xJf "$tarball" -C "$tree" --strip-components=1 --no-same-owner
    git init -q "$tree"
    git_t config user.name "QEMU SMMUv3 accel"
    git_t config user.email "qemu-smmuv3-accel@localhost"
    git_t config core.autocrlf false
    git_t config gc.auto 0
    git_t add -A -f .
    git_t commit -q --no-verify -m "upstream: QEMU 10.2.2 (Debian qemu_10.2.2+ds.orig.tar.xz)"
    git_t tag upstream
fi

# 2. The patch series.  .git/fork-applied records, one line per applied
# patch, "<commit> <sha256 of the patch file> <file>"; the common prefix of
# that record and of the series is kept.
record=$tree/.git/fork-applied
touch "$record"
mapfile -t want < <(grep -v -e '^#' -e '^[[:space:]]*$' "$series" 2>/dev/null || true)
mapfile -t have < "$record"

keep=0
base=$(git_t rev-parse upstream)
for i in "${!want[@]}"; do
    [ "$i" -lt "${#have[@]}" ] || break
    f=$top/patches/${want[$i]}
    [ -f "$f" ] || die "patches/series names ${want[$i]}, which does not exist"
    read -r c h _ <<<"${have[$i]}"
    [ "$h" = "$(sha256sum < "$f" | cut -d' ' -f1)" ] || break
    git_t merge-base --is-ancestor "$c" HEAD 2>/dev/null || break
    base=$c
    keep=$((i + 1))
done

head=$(git_t rev-parse HEAD)
if [ "$keep" != "${#want[@]}" ] || [ "$keep" != "${#have[@]}" ] || [ "$head" != "$base" ]; then
    if [ "$head" != "$base" ] && [ "$keep" = "${#want[@]}" ] &&
       [ "$keep" = "${#have[@]}" ]; then
        die "the tree has commits that are not in patches/; run 'make export-patches' to keep them, or 'git -C $tree reset --hard $base' to drop them"
    fi
    if [ -n "$(git_t status --porcelain --untracked-files=no)" ]; then
        die "$tree has uncommitted changes; commit them and run 'make export-patches', or discard them with 'git -C $tree checkout -- .'"
    fi
    git_t reset -q --hard "$base"
    head -n "$keep" "$record" > "$record.new"
    for ((i = keep; i < ${#want[@]}; i++)); do
        f=$top/patches/${want[$i]}
        [ -f "$f" ] || die "patches/series names ${want[$i]}, which does not exist"
        echo "prepare-tree: applying ${want[$i]}"
        git_t am -q --keep-cr --committer-date-is-author-date "$f" || {
            git_t am --abort || true
            die "patch ${want[$i]} does not apply; fix it in patches/ (see README, 'Changing upstream files')"
        }
        echo "$(git_t rev-parse HEAD) $(sha256sum < "$f" | cut -d' ' -f1) ${want[$i]}" >> "$record.new"
    done
    mv "$record.new" "$record"
fi

# 3. Our files, linked in.  A file of ours must not take the place of an
# upstream one: upstream files change only through patches.
exclude=$tree/.git/info/exclude
links=$tree/.git/fork-links
touch "$links"
declare -A now=()
while IFS= read -r -d '' rel; do
    now[$rel]=1
    dst=$tree/$rel
    if [ -L "$dst" ]; then
        continue
    fi
    if [ -e "$dst" ]; then
        die "$rel is an upstream file; change it with a patch instead of a copy"
    fi
    mkdir -p "$(dirname "$dst")"
    ln -sr "$top/$rel" "$dst"
done < <(cd "$top" && git ls-files -z --cached --others --exclude-standard -- "${our_dirs[@]}" |
         xargs -0 -r -I{} sh -c 'test -f "{}" && printf "%s\0" "{}"')
# Remove links to files that are gone.
while IFS= read -r rel; do
    [ -n "$rel" ] || continue
    if [ -z "${now[$rel]:-}" ] && [ -L "$tree/$rel" ]; then
        rm -f "$tree/$rel"
    fi
done < "$links"
printf '%s\n' "${!now[@]}" | sort > "$links"
{ echo "# files linked in from the fork's repository"; cat "$links"; } > "$exclude"

# 4. Firmware blobs the +ds tarball lacks.  meson wants the compressed edk2
# images to exist: the aarch64 ones are made from Debian's AAVMF
# (qemu-efi-aarch64, for bios-tables-test), the others are empty
# placeholders.  Never committed, excluded from the tree's git status.
aavmf=/usr/share/AAVMF
for f in aarch64-code.fd arm-code.fd arm-vars.fd riscv-code.fd riscv-vars.fd \
         i386-code.fd i386-secure-code.fd i386-vars.fd x86_64-code.fd \
         x86_64-secure-code.fd loongarch64-code.fd loongarch64-vars.fd; do
    dst=$tree/pc-bios/edk2-$f.bz2
    case $f in
    aarch64-code.fd) src=$aavmf/AAVMF_CODE.fd ;;
    arm-vars.fd) src=$aavmf/AAVMF_VARS.fd ;;
    *) src= ;;
    esac
    if [ -n "$src" ] && [ -f "$src" ]; then
        if [ ! -s "$dst" ] || [ "$src" -nt "$dst" ]; then
            bzip2 -c "$src" > "$dst.tmp" && mv "$dst.tmp" "$dst"
        fi
    elif [ ! -e "$dst" ]; then
        printf '' | bzip2 > "$dst"
    fi
done
grep -qx 'pc-bios/edk2-\*.fd.bz2' "$exclude" || echo 'pc-bios/edk2-*.fd.bz2' >> "$exclude"
exit 0
