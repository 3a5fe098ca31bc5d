/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * arm-smmuv3,accel=on: the IORT RMR nodes and the host bridge _DSM that
 * make an ACPI guest map the host MSI window 1:1.
 *
 * IORT RMR node, "IO Remapping Table", ARM DEN 0049E.d, section 3.1.7:
 * the node header (type 6, node revision 3), the RMR flags, the memory
 * range descriptors (64K aligned base and length) and, like any node, ID
 * mappings whose outputs are the StreamIDs the ranges are reserved for,
 * on the SMMU node they reference.  What Linux does with them:
 * docs/devel/arm-smmuv3-accel.rst, "The host MSI window".
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/acpi/aml-build.h"
#include "hw/arm/smmuv3.h"
#include "hw/pci/pci_bus.h"
#include "smmuv3-accel-internal.h"
#include "smmuv3-accel-acpi.h"

#define IORT_NODE_RMR                   6
#define IORT_RMR_NODE_REVISION          3
#define IORT_RMR_NODE_HEADER_SIZE       28
#define IORT_ID_MAPPING_SIZE            20
#define IORT_RMR_DESC_SIZE              20

/*
 * RMR flags: bit 0 "remapping permitted" (Linux: DIRECT_RELAXABLE, so
 * that the guest may still give the device to VFIO or block it), bit 1
 * "access privilege" clear, bits 9:2 the memory access attributes of the
 * range: 0x01, Device-nGnRE (an MSI doorbell; Linux maps it IOMMU_MMIO).
 */
#define IORT_RMR_REMAP_PERMITTED        (1u << 0)
#define IORT_RMR_ATTR_DEVICE_NGNRE      0x01u
#define IORT_RMR_ATTR_SHIFT             2
#define SMMUV3_ACCEL_RMR_FLAGS \
    (IORT_RMR_REMAP_PERMITTED | \
     (IORT_RMR_ATTR_DEVICE_NGNRE << IORT_RMR_ATTR_SHIFT))

bool smmuv3_accel_acpi_is_accel(Object *smmu)
{
    return object_dynamic_cast(smmu, TYPE_ARM_SMMUV3) &&
           ARM_SMMUV3(smmu)->accel;
}

bool smmuv3_accel_acpi_ats(Object *smmu)
{
    SMMUv3State *s;

    if (!smmuv3_accel_acpi_is_accel(smmu)) {
        return false;
    }
    /* Decided when the cold-plugged devices came, before the tables */
    s = ARM_SMMUV3(smmu);
    return s->accel_state &&
           FIELD_EX32(s->accel_state->idr.guest[0], IDR0, ATS);
}

void smmuv3_accel_acpi_build_rmr(GArray *table_data, uint32_t id,
                                 uint32_t smmu_offset, uint32_t rid_base,
                                 uint32_t rid_count)
{
    const uint32_t desc_offset = IORT_RMR_NODE_HEADER_SIZE +
                                 IORT_ID_MAPPING_SIZE;
    const uint32_t len = desc_offset + IORT_RMR_DESC_SIZE;

    g_assert(rid_count);

    /* Node header */
    build_append_int_noprefix(table_data, IORT_NODE_RMR, 1);     /* Type */
    build_append_int_noprefix(table_data, len, 2);               /* Length */
    build_append_int_noprefix(table_data, IORT_RMR_NODE_REVISION, 1);
    build_append_int_noprefix(table_data, id, 4);            /* Identifier */
    build_append_int_noprefix(table_data, 1, 4);   /* Number of ID mappings */
    /* Reference to ID Array: just after the RMR fields */
    build_append_int_noprefix(table_data, IORT_RMR_NODE_HEADER_SIZE, 4);
    /* RMR fields */
    build_append_int_noprefix(table_data, SMMUV3_ACCEL_RMR_FLAGS, 4);
    /* Number of memory range descriptors, reference to them */
    build_append_int_noprefix(table_data, 1, 4);
    build_append_int_noprefix(table_data, desc_offset, 4);

    /*
     * ID mapping: the RIDs, unchanged, as StreamIDs of the SMMU (as the
     * root complex maps them); Number of IDs is the count minus one.
     */
    build_append_int_noprefix(table_data, rid_base, 4);        /* Input base */
    build_append_int_noprefix(table_data, rid_count - 1, 4);
    build_append_int_noprefix(table_data, rid_base, 4);       /* Output base */
    build_append_int_noprefix(table_data, smmu_offset, 4); /* Output ref. */
    build_append_int_noprefix(table_data, 0, 4);   /* Flags: not single */

    /* Memory range descriptor: the window, mapped IOVA == IPA */
    build_append_int_noprefix(table_data, SMMUV3_ACCEL_MSI_IOVA_BASE, 8);
    build_append_int_noprefix(table_data, SMMUV3_ACCEL_MSI_IOVA_SIZE, 8);
    build_append_int_noprefix(table_data, 0, 4);                /* Reserved */
}

typedef struct {
    PCIBus *bus;
    bool found;
} SMMUv3AccelAcpiScan;

static int smmuv3_accel_acpi_find_on_bus(Object *obj, void *opaque)
{
    SMMUv3AccelAcpiScan *scan = opaque;

    if (smmuv3_accel_acpi_is_accel(obj) &&
        object_property_get_link(obj, "primary-bus", &error_abort) ==
        OBJECT(scan->bus)) {
        scan->found = true;
        return 1;
    }
    return 0;
}

bool smmuv3_accel_acpi_preserve_config(PCIBus *bus)
{
    SMMUv3AccelAcpiScan scan = { .bus = bus };

    object_child_foreach_recursive(object_get_root(),
                                   smmuv3_accel_acpi_find_on_bus, &scan);
    return scan.found;
}

QEMU_BUILD_BUG_ON(SMMUV3_ACCEL_MSI_IOVA_BASE % 0x10000 ||
                  SMMUV3_ACCEL_MSI_IOVA_SIZE % 0x10000);
