/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * arm-smmuv3,accel=on: the host MSI window in an ACPI guest's tables (IORT
 * RMR nodes, the host bridge _DSM function 5).  Why and how Linux reads
 * them: docs/devel/arm-smmuv3-accel.rst, "The host MSI window".
 */

#ifndef HW_ARM_SMMUV3_ACCEL_ACPI_H
#define HW_ARM_SMMUV3_ACCEL_ACPI_H

/*
 * The host's MSI window: the arm-smmu-v3 driver's IOMMU_RESV_SW_MSI region,
 * which iommufd uses for the nesting parent's stage 2.  No uAPI moves it.
 */
#define SMMUV3_ACCEL_MSI_IOVA_BASE      0x8000000ULL
#define SMMUV3_ACCEL_MSI_IOVA_SIZE      0x100000ULL

/*
 * IORT revision of a table with RMR nodes: 5, "E.d" (ARM DEN 0049E.d), the
 * first revision whose RMR nodes Linux reads (E.c, revision 4, is
 * deprecated).  Tables without RMR nodes keep QEMU's revision.
 */
#define SMMUV3_ACCEL_IORT_REVISION      5

/* Whether @smmu (an arm-smmuv3) has accel=on */
bool smmuv3_accel_acpi_is_accel(Object *smmu);
/* Whether @smmu has accel=on and offers ATS to the guest (IDR0.ATS) */
bool smmuv3_accel_acpi_ats(Object *smmu);

/*
 * Append to @table_data an IORT RMR node with identifier @id mapping the MSI
 * window 1:1 for the StreamIDs @rid_base .. @rid_base + @rid_count - 1 (the
 * RIDs, unchanged) of the SMMUv3 node at @smmu_offset from the start of the
 * IORT.
 */
void smmuv3_accel_acpi_build_rmr(GArray *table_data, uint32_t id,
                                 uint32_t smmu_offset, uint32_t rid_base,
                                 uint32_t rid_count);

/*
 * For GPEXConfig.preserve_config: whether the host bridge of root bus @bus
 * must ask the OS to keep its firmware configuration, i.e. whether an
 * accel=on arm-smmuv3 translates it.
 */
bool smmuv3_accel_acpi_preserve_config(PCIBus *bus);

#endif
