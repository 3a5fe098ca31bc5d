# SPDX-License-Identifier: GPL-2.0-or-later
#
# The fork's build: prepare the QEMU 10.2.2 tree (upstream + patches/ + our
# files), build qemu-system-aarch64 into build/, run the tests.
#
#   make                 build build/qemu-system-aarch64
#   make check           build, lint and run every test; last line "N passed, N failed"
#   make demo            the whole stack: an emulated ARM host runs our QEMU with
#                        accel=on for a Linux guest doing DMA; prints a summary
#   make lint            checkpatch.pl on our files and patches
#   make docs            the QEMU manual with our pages (build/docs/html),
#                        Sphinx warnings as errors
#   make bench           benchmarks: bench-model (invalidation forwarding against
#                        the host model), bench-e2e (real kernels: L2 I/O and
#                        unmap latency under each vIOMMU, batched vs per command)
#                        and compare-upstream (ours and upstream 11.1.3 in L1)
#   make mutate          mutation testing of the accel code against the fast
#                        suites (long; MUTATE_MAX=N samples N mutants)
#   make fuzz-build      the clang/libFuzzer/ASan/UBSan build (build-fuzz/)
#   make fuzz            every fuzz target for FUZZ_SECONDS (default 300) each,
#                        corpora in the cache; FUZZ_TARGETS=... picks some;
#                        FUZZ_COVERAGE=1 builds with line coverage and reports it
#   make fuzz-smoke      each target briefly from its seeds (make check runs it)
#   make fuzz-coverage   the lines of the accel files the last make fuzz missed
#   make export-patches  write the tree's commits back into patches/
#   make setup           install the Debian packages (run by .ci/run)

TOP := $(CURDIR)
TREE := $(TOP)/qemu
BUILD := $(TOP)/build

ifeq ($(wildcard config.mk),)
$(shell ./configure >&2)
endif
include config.mk

export PATH := /usr/lib/ccache:$(PATH)
export CCACHE_BASEDIR := $(TOP)
export CCACHE_NOHASHDIR := 1
export CCACHE_MAXSIZE ?= 5G

NINJA := ninja -C $(BUILD)

# QEMU targets the tests need, beyond the emulator itself: the test
# programs tests/suites.list runs from the build, and bios-tables-test's
# firmware images.
TEST_TARGETS := $(shell sed -n 's|.*@BUILD@/\(tests/[^ ]*\).*|\1|p' \
                  tests/suites.list | sort -u) \
                pc-bios/edk2-aarch64-code.fd pc-bios/edk2-arm-vars.fd
QEMU_TARGETS := qemu-system-aarch64 $(TEST_TARGETS)

.PHONY: all setup tree qemu check check-libvirt lint docs bench bench-model export-patches \
	demo clean fuzz-build fuzz fuzz-smoke fuzz-coverage \
	distclean mutate FORCE

all: qemu

setup:
	@build-aux/setup.sh

tree: setup
	@build-aux/prepare-tree.sh $(TREE) $(CACHE_DIR)

$(BUILD)/build.ninja: tree config.mk build-aux/configure-qemu.sh
	@build-aux/configure-qemu.sh $(TREE) $(BUILD) $(DEBUG_INFO) "$(EXTRA_QEMU_ARGS)"

qemu: $(BUILD)/build.ninja
	@$(NINJA) qemu-system-aarch64

# The host kernel model (tests/hostmodel) is built by its own makefile.
QEMU_TREE := $(TREE)
-include tests/hostmodel/hostmodel.mk
HOSTMODEL_TARGET := $(if $(wildcard tests/hostmodel/hostmodel.mk),hostmodel)

check: $(BUILD)/build.ninja
	@$(NINJA) $(QEMU_TARGETS)
	@$(if $(HOSTMODEL_TARGET),$(MAKE) --no-print-directory $(HOSTMODEL_TARGET))
	@build-aux/run-tests.py --build $(BUILD) --top $(TOP)

lint: tree
	@build-aux/lint.sh $(TREE)

docs: tree
	@build-aux/docs.sh $(TREE) $(BUILD)

bench: bench-model bench-e2e compare-upstream

bench-model: $(BUILD)/build.ninja
	@$(NINJA) qemu-system-aarch64 tests/qtest/arm-smmuv3-accel-bench
	@$(MAKE) --no-print-directory hostmodel
	@HOSTMODEL_LIB=$(BUILD)/hostmodel/libhostmodel.so \
	 HOSTMODEL_DIR=$(TOP)/tests/hostmodel \
	 QTEST_QEMU_BINARY=$(BUILD)/qemu-system-aarch64 \
	 $(BUILD)/tests/qtest/arm-smmuv3-accel-bench 2>/dev/null

export-patches:
	@build-aux/export-patches.sh $(TREE)

# Not in check: each mutant is a rebuild and a run of the fast suites.
MUTATE_MAX ?= 0
mutate: $(BUILD)/build.ninja
	@$(NINJA) $(QEMU_TARGETS)
	@$(MAKE) --no-print-directory hostmodel
	@build-aux/mutate.py --max $(MUTATE_MAX)

# libvirt (Debian sid's, in a cached chroot) driving our QEMU (tests/libvirt/)
check-libvirt: $(BUILD)/build.ninja
	@$(NINJA) qemu-system-aarch64
	@$(MAKE) --no-print-directory hostmodel
	@tests/libvirt/check-libvirt.sh $(TOP) $(CACHE_DIR)

# Fuzzing (tests/fuzz/README.md): its own build with clang 16, and the host
# model, unsanitized, for the fuzzer to preload.
FUZZ_BUILD := $(TOP)/build-fuzz
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_TARGETS ?=
FUZZ_COVERAGE ?= 0
export FUZZ_COVERAGE
FUZZ_HM_CFLAGS := -O2 -g

fuzz-build: tree
	@build-aux/configure-qemu-fuzz.sh $(TREE) $(FUZZ_BUILD)
	@ninja -C $(FUZZ_BUILD) qemu-fuzz-aarch64
	@$(MAKE) --no-print-directory -f tests/hostmodel/hostmodel.mk \
		QEMU_TREE=$(TREE) BUILD=$(FUZZ_BUILD) HM_CC=clang-16 \
		HM_CFLAGS="$(FUZZ_HM_CFLAGS)" $(FUZZ_BUILD)/hostmodel/libhostmodel.so

fuzz: fuzz-build
	@build-aux/fuzz.sh $(TOP) $(FUZZ_BUILD) $(CACHE_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# the lines of the accel files the last make fuzz did not reach
fuzz-coverage:
	@build-aux/fuzz.sh --uncovered $(TOP) $(FUZZ_BUILD) $(CACHE_DIR) 0

fuzz-smoke: fuzz-build
	@build-aux/fuzz.sh --smoke $(TOP) $(FUZZ_BUILD) $(CACHE_DIR) \
		$(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

# Builds what is missing (make e2e-artifacts, with progress), then runs it.
demo:
	@tests/e2e/run.sh --mode accel --summary --brief

clean:
	rm -rf $(BUILD)

distclean: clean
	rm -rf $(TREE) config.mk

# The real-kernel end-to-end tests (tests/e2e/README.md)
-include tests/e2e/e2e.mk
