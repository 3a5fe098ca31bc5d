# SPDX-License-Identifier: GPL-2.0-or-later
#
# Host model (libhostmodel.so), its client and its tests.
#
# Included by the top-level Makefile, or used on its own:
#   make -f tests/hostmodel/hostmodel.mk QEMU_TREE=qemu BUILD=/tmp/hm \
#        check-hostmodel
#
# QEMU_TREE: the prepared QEMU tree; its linux-headers (newer iommufd.h
#            and vfio.h) take precedence over the system's.
# BUILD:     output directory; everything goes to $(BUILD)/hostmodel/.

HOSTMODEL_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
QEMU_TREE ?= qemu
BUILD ?= build

HM_OUT := $(BUILD)/hostmodel
HM_CC ?= gcc
HM_CFLAGS ?= -O2 -g
HM_CFLAGS_ALL := -std=gnu11 $(HM_CFLAGS) -Wall -Wextra -fPIC -pthread \
                 -fvisibility=hidden -isystem $(QEMU_TREE)/linux-headers \
                 -I$(HOSTMODEL_DIR)

# hm-iommufd.c and the files after it follow drivers/iommu/iommufd/
HM_LIB_NAMES := hm-main hm-uaccess hm-config hm-iommufd hm-ioas hm-hwpt \
                hm-viommu hm-cmdqv hm-device hm-eventq hm-smmu hm-vfio hm-vfio-pci \
                hm-log hm-control
HM_LIB_OBJS := $(patsubst %,$(HM_OUT)/%.o,$(HM_LIB_NAMES))
HM_HEADERS := $(HOSTMODEL_DIR)/hm-internal.h \
              $(HOSTMODEL_DIR)/hostmodel-client.h

# One test program: main() and the harness, then the tests by area
HM_TEST_NAMES := test-hostmodel test-hm-iommufd test-hm-ioas test-hm-hwpt \
                 test-hm-device test-hm-viommu test-hm-cmdqv test-hm-smmu test-hm-eventq \
                 test-hm-vfio test-hm-control
HM_TEST_OBJS := $(patsubst %,$(HM_OUT)/%.o,$(HM_TEST_NAMES))

HM_LIB := $(HM_OUT)/libhostmodel.so
HM_CLIENT := $(HM_OUT)/hostmodel-client.o
HM_TEST := $(HM_OUT)/test-hostmodel

.PHONY: hostmodel check-hostmodel check-hostmodel-qemu clean-hostmodel

hostmodel: $(HM_LIB) $(HM_CLIENT) $(HM_TEST)

$(HM_OUT)/%.o: $(HOSTMODEL_DIR)/%.c $(HM_HEADERS)
	@mkdir -p $(HM_OUT)
	$(HM_CC) $(HM_CFLAGS_ALL) -c -o $@ $<

$(HM_LIB): $(HM_LIB_OBJS)
	$(HM_CC) -shared -pthread -o $@ $^ -ldl

$(HM_TEST_OBJS): $(HOSTMODEL_DIR)/test-hostmodel.h

$(HM_TEST): $(HM_TEST_OBJS) $(HM_CLIENT)
	$(HM_CC) -pthread -o $@ $^

# Runs the TAP test with the library preloaded, a fresh temporary
# directory for the control socket, the log and the report.
check-hostmodel: hostmodel
	@tmp=$$(mktemp -d /tmp/hostmodel-check.XXXXXX) && \
	HOSTMODEL_HOST=$(abspath $(HOSTMODEL_DIR))/hosts/test.conf \
	HOSTMODEL_CONTROL=$$tmp/control.sock \
	HOSTMODEL_LOG=$$tmp/calls.jsonl \
	HOSTMODEL_REPORT=$$tmp/report.jsonl \
	HOSTMODEL_TEST_TMPDIR=$$tmp \
	HOSTMODEL_TEST_LIB=$(abspath $(HM_LIB)) \
	LD_PRELOAD=$(abspath $(HM_LIB)) $(HM_TEST); \
	rc=$$?; rm -rf $$tmp; exit $$rc

clean-hostmodel:
	rm -rf $(HM_OUT)

# Realize a model vfio-pci device in a real QEMU (QEMU=path to
# qemu-system-aarch64); not part of check-hostmodel since it needs QEMU.
QEMU ?= $(BUILD)/qemu-system-aarch64
check-hostmodel-qemu: $(HM_LIB)
	$(HOSTMODEL_DIR)/qemu-smoke.sh $(abspath $(QEMU)) $(abspath $(HM_LIB))
