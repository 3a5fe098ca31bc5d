/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * arm-smmuv3,cmdqv=on on the virt machine: how a guest finds the CMDQV
 * beside its SMMU.  Linux looks for it from the SMMU's description: in a
 * device tree, the SMMU node is compatible with "nvidia,tegra264-smmu" and
 * its "nvidia,cmdqv" names the CMDQV's node; under ACPI, a DSDT device
 * NVDA200C whose _UID is the decimal identifier of the SMMU's IORT node.
 * Either way the CMDQV's own description gives one MMIO range and one
 * interrupt.  docs/devel/arm-smmuv3-accel-cmdqv.rst has the layout.
 */

#include "qemu/osdep.h"
#include "hw/acpi/aml-build.h"
#include "hw/arm/fdt.h"
#include "hw/arm/virt.h"
#include "hw/intc/arm_gic_common.h"
#include "hw/platform-bus.h"
#include "system/device_tree.h"
#include "smmuv3-cmdqv-internal.h"
#include "trace.h"

#define SMMUV3_CMDQV_COMPAT         "nvidia,tegra264-cmdqv"
#define SMMUV3_CMDQV_SMMU_COMPAT    "nvidia,tegra264-smmu"
#define SMMUV3_CMDQV_ACPI_HID       "NVDA200C"

/* Where the platform bus put @smmu's CMDQV, and its SPI */
static void smmuv3_cmdqv_virt_resources(VirtMachineState *vms, Object *smmu,
                                        hwaddr *base, int *spi)
{
    PlatformBusDevice *pbus = PLATFORM_BUS_DEVICE(vms->platform_bus_dev);
    SysBusDevice *sbd = SYS_BUS_DEVICE(smmu);

    *base = vms->memmap[VIRT_PLATFORM_BUS].base +
            platform_bus_get_mmio_addr(pbus, sbd, SMMUV3_CMDQV_SYSBUS_MMIO);
    *spi = vms->irqmap[VIRT_PLATFORM_BUS] +
           platform_bus_get_irqn(pbus, sbd, SMMUV3_CMDQV_SYSBUS_IRQ);
}

void smmuv3_cmdqv_fdt_add(VirtMachineState *vms, Object *smmu,
                          hwaddr smmu_base)
{
    static const char smmu_compat[] = SMMUV3_CMDQV_SMMU_COMPAT
                                      "\0arm,smmu-v3";
    void *fdt = MACHINE(vms)->fdt;
    g_autofree char *smmu_node = NULL;
    g_autofree char *node = NULL;
    uint32_t phandle;
    hwaddr base;
    int spi;

    if (!smmuv3_cmdqv_present(smmu)) {
        return;
    }
    smmuv3_cmdqv_virt_resources(vms, smmu, &base, &spi);
    node = g_strdup_printf("/cmdqv@%" PRIx64, base);
    phandle = qemu_fdt_alloc_phandle(fdt);
    qemu_fdt_add_subnode(fdt, node);
    qemu_fdt_setprop_string(fdt, node, "compatible", SMMUV3_CMDQV_COMPAT);
    qemu_fdt_setprop_sized_cells(fdt, node, "reg", 2, base,
                                 2, smmuv3_cmdqv_mmio_size(smmu));
    qemu_fdt_setprop_cells(fdt, node, "interrupts", GIC_FDT_IRQ_TYPE_SPI,
                           spi, GIC_FDT_IRQ_FLAGS_EDGE_LO_HI);
    qemu_fdt_setprop_cell(fdt, node, "phandle", phandle);

    smmu_node = g_strdup_printf("/smmuv3@%" PRIx64, smmu_base);
    qemu_fdt_setprop(fdt, smmu_node, "compatible", smmu_compat,
                     sizeof(smmu_compat));
    qemu_fdt_setprop_cell(fdt, smmu_node, "nvidia,cmdqv", phandle);
    trace_smmuv3_cmdqv_described("device tree", base, spi, phandle);
}

void smmuv3_cmdqv_acpi_add(Aml *scope, VirtMachineState *vms, Object *smmu,
                           uint32_t iort_id, unsigned index)
{
    uint32_t gsi;
    hwaddr base;
    Aml *dev, *crs;
    int spi;

    if (!smmuv3_cmdqv_present(smmu)) {
        return;
    }
    smmuv3_cmdqv_virt_resources(vms, smmu, &base, &spi);
    gsi = spi + GIC_INTERNAL;   /* SPI 0's INTID */
    dev = aml_device("CQ%02X", index);
    aml_append(dev, aml_name_decl("_HID", aml_string(SMMUV3_CMDQV_ACPI_HID)));
    /* Linux matches the _UID as a string against "%u" of the IORT id */
    aml_append(dev, aml_name_decl("_UID", aml_int(iort_id)));
    aml_append(dev, aml_name_decl("_CCA", aml_int(1)));
    crs = aml_resource_template();
    aml_append(crs, aml_memory32_fixed(base, smmuv3_cmdqv_mmio_size(smmu),
                                       AML_READ_WRITE));
    aml_append(crs, aml_interrupt(AML_CONSUMER, AML_EDGE, AML_ACTIVE_HIGH,
                                  AML_EXCLUSIVE, &gsi, 1));
    aml_append(dev, aml_name_decl("_CRS", crs));
    aml_append(scope, dev);
    trace_smmuv3_cmdqv_described("ACPI", base, spi, iort_id);
}
