/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * arm-smmuv3,accel=on: the host MSI window in a device-tree guest's tree
 * (a /reserved-memory node whose iommu-addresses name each cold-plugged
 * assigned device, and the PCI nodes those need).  Why and how Linux reads
 * it: docs/devel/arm-smmuv3-accel.rst, "The host MSI window".
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "hw/boards.h"
#include "hw/pci/pci.h"
#include "hw/pci/pci_bridge.h"
#include "hw/pci/pci_bus.h"
#include "system/device_tree.h"
#include "system/system.h"
#include <libfdt.h>
#include "smmuv3-accel-internal.h"
#include "smmuv3-accel-acpi.h"
#include "trace.h"

/* The virt machine's PCIe host bridge, the one bus a device tree shows */
#define HOST_BRIDGE_COMPAT  "pci-host-ecam-generic"
#define MSI_WINDOW_NODE     "/reserved-memory/smmuv3-accel-msi@8000000"

/* Cells of a PCI address (phys.hi, phys.mid, phys.lo) and of a size */
#define PCI_ADDR_CELLS      3
#define PCI_SIZE_CELLS      2
/* phys.hi: 32-bit memory space, and where the devfn goes */
#define PCI_PHYS_HI_MEM32   0x02000000
#define PCI_PHYS_HI_DEVFN   8

static char *smmuv3_accel_fdt_devfn_unit(int devfn)
{
    if (PCI_FUNC(devfn)) {
        return g_strdup_printf("%x,%x", PCI_SLOT(devfn), PCI_FUNC(devfn));
    }
    return g_strdup_printf("%x", PCI_SLOT(devfn));
}

static void smmuv3_accel_fdt_set_pci_reg(void *fdt, const char *path,
                                         int devfn)
{
    qemu_fdt_setprop_cells(fdt, path, "reg",
                           (uint32_t)devfn << PCI_PHYS_HI_DEVFN, 0, 0, 0, 0);
}

/* The node of @bus (created with those of its bridges), or NULL */
static char *smmuv3_accel_fdt_bus_node(void *fdt, const char *host_bridge,
                                       PCIBus *bus)
{
    PCIDevice *bridge;
    g_autofree char *parent = NULL;
    g_autofree char *unit = NULL;
    char *path;

    if (pci_bus_is_root(bus)) {
        return g_strdup(host_bridge);
    }
    bridge = pci_bridge_get_device(bus);
    parent = smmuv3_accel_fdt_bus_node(fdt, host_bridge,
                                       pci_get_bus(bridge));
    unit = smmuv3_accel_fdt_devfn_unit(bridge->devfn);
    path = g_strdup_printf("%s/pci@%s", parent, unit);
    qemu_fdt_add_path(fdt, path);
    qemu_fdt_setprop_string(fdt, path, "device_type", "pci");
    qemu_fdt_setprop_cell(fdt, path, "#address-cells", PCI_ADDR_CELLS);
    qemu_fdt_setprop_cell(fdt, path, "#size-cells", PCI_SIZE_CELLS);
    qemu_fdt_setprop(fdt, path, "ranges", NULL, 0);
    smmuv3_accel_fdt_set_pci_reg(fdt, path, bridge->devfn);
    return path;
}

/* Adds the node of @dev's PCI function, pointing at @window; its phandle */
static uint32_t smmuv3_accel_fdt_device_node(void *fdt,
                                             const char *host_bridge,
                                             SMMUv3AccelDevice *dev,
                                             uint32_t window)
{
    PCIDevice *pdev = dev->bus->devices[dev->devfn];
    g_autofree char *parent = smmuv3_accel_fdt_bus_node(fdt, host_bridge,
                                                        dev->bus);
    g_autofree char *unit = smmuv3_accel_fdt_devfn_unit(dev->devfn);
    g_autofree char *path = g_strdup_printf(
        "%s/pci%04x,%04x@%s", parent,
        pci_get_word(pdev->config + PCI_VENDOR_ID),
        pci_get_word(pdev->config + PCI_DEVICE_ID), unit);
    uint32_t phandle;

    qemu_fdt_add_path(fdt, path);
    smmuv3_accel_fdt_set_pci_reg(fdt, path, dev->devfn);
    qemu_fdt_setprop_cell(fdt, path, "memory-region", window);
    phandle = fdt_get_phandle(fdt, fdt_path_offset(fdt, path));
    if (!phandle) {
        phandle = qemu_fdt_alloc_phandle(fdt);
        qemu_fdt_setprop_cell(fdt, path, "phandle", phandle);
    }
    trace_smmuv3_accel_fdt_device(path, phandle);
    return phandle;
}

/* The host bridge node that routes to an IOMMU, or NULL */
static char *smmuv3_accel_fdt_host_bridge_node(void *fdt)
{
    g_auto(GStrv) paths = qemu_fdt_node_path(fdt, NULL, HOST_BRIDGE_COMPAT,
                                             NULL);

    if (!paths || !paths[0] || paths[1] ||
        !qemu_fdt_getprop(fdt, paths[0], "iommu-map", NULL, NULL)) {
        return NULL;
    }
    return g_strdup(paths[0]);
}

static void smmuv3_accel_fdt_machine_done(Notifier *n, void *data)
{
    SMMUv3Accel *a = container_of(n, SMMUv3Accel, fdt_notifier);
    PCIBus *primary = ARM_SMMU(a->smmu)->primary_bus;
    void *fdt = MACHINE(qdev_get_machine())->fdt;
    g_autofree char *host_bridge = NULL;
    g_autofree uint32_t *cells = NULL;
    SMMUv3AccelDevice *dev;
    uint32_t window;
    int n_devs = 0, i = 0;

    /* Only pcie.0, the root the machine describes, is in a device tree */
    if (!a->smmu->dt_msi_window || !fdt || !primary ||
        !pci_bus_is_root(primary) ||
        strcmp(primary->qbus.name, "pcie.0")) {
        return;
    }
    host_bridge = smmuv3_accel_fdt_host_bridge_node(fdt);
    QLIST_FOREACH(dev, &a->devices, next) {
        n_devs++;
    }
    if (!host_bridge || !n_devs) {
        return;
    }

    qemu_fdt_add_path(fdt, "/reserved-memory");
    qemu_fdt_setprop_cell(fdt, "/reserved-memory", "#address-cells", 2);
    qemu_fdt_setprop_cell(fdt, "/reserved-memory", "#size-cells", 2);
    qemu_fdt_setprop(fdt, "/reserved-memory", "ranges", NULL, 0);
    qemu_fdt_add_path(fdt, MSI_WINDOW_NODE);
    window = qemu_fdt_alloc_phandle(fdt);
    qemu_fdt_setprop_cell(fdt, MSI_WINDOW_NODE, "phandle", window);
    /* The doorbell is not RAM: nothing for the guest to allocate there */
    qemu_fdt_setprop(fdt, MSI_WINDOW_NODE, "no-map", NULL, 0);
    qemu_fdt_setprop_sized_cells(fdt, MSI_WINDOW_NODE, "reg",
                                 2, SMMUV3_ACCEL_MSI_IOVA_BASE,
                                 2, SMMUV3_ACCEL_MSI_IOVA_SIZE);

    /* Per device: phandle, PCI address of the window, its size */
    cells = g_new(uint32_t, n_devs * (1 + PCI_ADDR_CELLS + PCI_SIZE_CELLS));
    QLIST_FOREACH(dev, &a->devices, next) {
        cells[i++] = cpu_to_be32(smmuv3_accel_fdt_device_node(fdt, host_bridge,
                                                              dev, window));
        cells[i++] = cpu_to_be32(PCI_PHYS_HI_MEM32);
        cells[i++] = cpu_to_be32(SMMUV3_ACCEL_MSI_IOVA_BASE >> 32);
        cells[i++] = cpu_to_be32((uint32_t)SMMUV3_ACCEL_MSI_IOVA_BASE);
        cells[i++] = cpu_to_be32(SMMUV3_ACCEL_MSI_IOVA_SIZE >> 32);
        cells[i++] = cpu_to_be32((uint32_t)SMMUV3_ACCEL_MSI_IOVA_SIZE);
    }
    qemu_fdt_setprop(fdt, MSI_WINDOW_NODE, "iommu-addresses", cells,
                     i * sizeof(cells[0]));
}

void smmuv3_accel_fdt_init(SMMUv3Accel *a)
{
    /*
     * Machine-init-done notifiers run newest first: this one runs before
     * the board's, which loads the device tree into the guest.
     */
    a->fdt_notifier.notify = smmuv3_accel_fdt_machine_done;
    qemu_add_machine_init_done_notifier(&a->fdt_notifier);
}
