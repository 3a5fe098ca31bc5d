#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run QEMU's own configure for the fork's x86_64 build, once: again only
# when its arguments change (meson re-runs itself when meson.build files
# change).
#
# usage: configure-qemu.sh TREE BUILD_DIR DEBUG_INFO(yes|no) [EXTRA_ARGS]
set -euo pipefail

tree=$(cd "${1:?}" && pwd)
mkdir -p "${2:?}"; build=$(cd "$2" && pwd)
debug=${3:?}
extra=${4:-}

# shellcheck source=build-aux/qemu-config-args.sh
. "$(dirname "$0")/qemu-config-args.sh"
args=("${qemu_common_args[@]}")
# shellcheck disable=SC2206
[ -z "$extra" ] || args+=($extra)

stamp=$build/.fork-configure-args
if [ -f "$build/build.ninja" ] && [ "$(cat "$stamp" 2>/dev/null)" = "${args[*]}" ]; then
    exit 0
fi
mkdir -p "$build"
cd "$build"
echo "configure-qemu: $tree/configure ${args[*]}"
"$tree/configure" "${args[@]}" || {
    echo "configure-qemu: QEMU's configure failed; see $build/meson-logs/meson-log.txt" >&2
    exit 1
}
printf '%s' "${args[*]}" > "$stamp"
