# SPDX-License-Identifier: GPL-2.0-or-later
#
# The QEMU configure arguments every build of the fork shares (the native
# x86_64 build and the static aarch64 cross build), sourced by
# configure-qemu.sh and configure-qemu-cross.sh.  $debug is yes or no.

qemu_common_args=(
    --target-list=aarch64-softmmu
    --with-devices-aarch64=smmuv3-accel
    --python=/usr/bin/python3
    --without-default-features
    --enable-fdt=system
    --enable-trace-backends=log
    --disable-docs
    --disable-rust
    --disable-install-blobs
    --disable-werror
)
[ "$debug" = yes ] || qemu_common_args+=(--disable-debug-info)
