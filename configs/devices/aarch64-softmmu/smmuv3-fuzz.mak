# SPDX-License-Identifier: GPL-2.0-or-later
#
# Device configuration of the fuzz build (make fuzz-build): the fork's
# (smmuv3-accel.mak) without the PCI devices the virt machine brings by
# default, but those the fuzz targets put behind the SMMU: e1000e, AHCI,
# NVMe, virtio-blk, edu, vfio-pci.

source smmuv3-accel.mak

CONFIG_PCI_DEVICES=n
CONFIG_E1000E_PCI_EXPRESS=y
CONFIG_AHCI_ICH9=y
CONFIG_NVME_PCI=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_BLK=y
CONFIG_EDU=y
# virt brings CXL, whose root port is a PCIe root port
CONFIG_PCIE_PORT=y
# pcie-pci-bridge, which virt has, calls into the PCI bridge device
CONFIG_PCI_BRIDGE=y
