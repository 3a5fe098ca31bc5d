# SPDX-License-Identifier: GPL-2.0-or-later
#
# The real-kernel end-to-end tests (tests/e2e/README.md), included by the
# top-level Makefile after its own targets; uses its TOP, TREE, BUILD,
# CACHE_DIR, DEBUG_INFO, EXTRA_QEMU_ARGS and CROSS.
#
#   make qemu-aarch64    the static aarch64 cross build (build-aarch64/)
#   make e2e-artifacts   build or reuse everything the tests boot
#   make check-e2e       run them, TAP on stdout (E2E_MODES: baseline accel stale)
#   make bench-e2e       the benchmark mode: figures side by side, as ratios
#   make compare-upstream   ours and upstream QEMU 11.1.3 in the same run
#   make compare-hostmodel  the host model against the last baseline run
# (make demo, in the top-level Makefile, is the accel mode with a summary.)

E2E_DIR := $(TOP)/tests/e2e
CROSS_BUILD := $(TOP)/build-aarch64
# Parallel jobs of the cross build (the kernel build has E2E_JOBS too).
E2E_JOBS ?= 2
export E2E_JOBS
# baseline: no vIOMMU in L2; accel: -device arm-smmuv3,accel=on in L1's
# QEMU; stale: accel with invalidations withheld (tests/e2e/README.md)
E2E_MODES ?= baseline accel stale

# Keep the including Makefile's default goal.
e2e_saved_goal := $(.DEFAULT_GOAL)

.PHONY: qemu-aarch64 e2e-kernel-source e2e-artifacts check-e2e bench-e2e compare-hostmodel \
	compare-upstream

# After the x86_64 build: one heavy build at a time.
qemu-aarch64: tree | qemu
	@$(TOP)/build-aux/configure-qemu-cross.sh $(TREE) $(CROSS_BUILD) $(CACHE_DIR) \
		$(DEBUG_INFO) "$(EXTRA_QEMU_ARGS)"
	@ninja -C $(CROSS_BUILD) -j$(E2E_JOBS) qemu-system-aarch64

ifeq ($(CROSS),aarch64)
all: qemu-aarch64
endif

# The kernel's download, unpacking and configuration use one core: they
# start in the background before the QEMU builds (build-kernel.sh's lock
# makes artifacts.sh wait for them).
e2e-kernel-source:
	@$(E2E_DIR)/build-kernel.sh --source-only $(CACHE_DIR) >&2 &

e2e-artifacts: e2e-kernel-source qemu qemu-aarch64
	@$(E2E_DIR)/artifacts.sh $(CACHE_DIR) $(BUILD) $(CROSS_BUILD)

check-e2e: e2e-artifacts
	@rc=0; for m in $(E2E_MODES); do \
		$(E2E_DIR)/run.sh --no-build --mode $$m || rc=1; \
	done; exit $$rc

# L2 is booted four times, hence the longer time limits.
bench-e2e: e2e-artifacts
	@$(E2E_DIR)/run.sh --no-build --mode bench --l2-timeout 600 --timeout 2400

# Ours and upstream QEMU 11.1.3 side by side in L1 (tests/e2e/README.md)
compare-upstream: e2e-artifacts
	@up=$$($(E2E_DIR)/upstream-qemu.sh $(CACHE_DIR)) && \
	E2E_UPSTREAM=$$up $(E2E_DIR)/run.sh --no-build --mode compare --l2-timeout 420 \
		--timeout 2700

compare-hostmodel:
	@$(E2E_DIR)/compare-hostmodel.py --top $(TOP) --build $(BUILD)

.DEFAULT_GOAL := $(e2e_saved_goal)
