#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# checkpatch.pl (from the prepared upstream tree) on every C file of ours
# and on every patch of the series.  Prints TAP; exit status 1 on any error
# or warning.
#
# usage: lint.sh TREE
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tree=$(cd "${1:?usage: lint.sh TREE}" && pwd)
cp=$tree/scripts/checkpatch.pl

mapfile -t files < <(cd "$top" && git ls-files --cached --others --exclude-standard \
    -- backends hw include qapi stubs tests | grep -E '\.[ch]$' | sort)
mapfile -t patches < <(grep -v -e '^#' -e '^[[:space:]]*$' "$top/patches/series" 2>/dev/null)

echo "1..$(( ${#files[@]} + ${#patches[@]} ))"
n=0
fail=0
# The one finding accepted: a new expected ACPI table of bios-tables-test
# (tests/data/acpi/) is binary and cannot carry an SPDX tag.
exempt="^WARNING: Does new file 'tests/data/acpi/[^']*' need 'SPDX-License-Identifier'\\?$"
check() {
    local what=$1; shift
    local out
    n=$((n + 1))
    if out=$(cd "$tree" && perl "$cp" --no-color --strict "$@" 2>&1); then
        echo "ok $n - checkpatch $what"
    elif printf '%s\n' "$out" | grep -qE '^(ERROR|WARNING):' &&
         ! printf '%s\n' "$out" | grep -E '^(ERROR|WARNING):' |
           grep -qvE "$exempt"; then
        echo "ok $n - checkpatch $what # binary ACPI test data, no SPDX"
    else
        echo "not ok $n - checkpatch $what"
        printf '%s\n' "$out" | grep -v '^$' | sed 's/^/# /'
        fail=1
    fi
}
for f in "${files[@]}"; do
    check "$f" -f "$f"
done
for p in "${patches[@]}"; do
    check "patches/$p" --patch "$top/patches/$p"
done
exit $fail
