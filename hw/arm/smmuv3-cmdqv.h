/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * arm-smmuv3,cmdqv=on: a Tegra241 CMDQV beside the SMMU
 * (smmuv3-cmdqv.c)
 */

#ifndef HW_ARM_SMMUV3_CMDQV_H
#define HW_ARM_SMMUV3_CMDQV_H

#include "hw/arm/smmuv3.h"

/* The CMDQV's sysbus MMIO region and interrupt, after the SMMU's */
#define SMMUV3_CMDQV_SYSBUS_MMIO    1
#define SMMUV3_CMDQV_SYSBUS_IRQ     4

/*
 * With cmdqv=on (or auto with accel=on), add the CMDQV's MMIO region and
 * interrupt to the SMMU's (sysbus region 1, interrupt 4); false with
 * *@errp set when the SMMU's other properties exclude it
 */
bool smmuv3_cmdqv_realize(SMMUv3State *s, Error **errp);
void smmuv3_cmdqv_reset(SMMUv3State *s);
/* Whether @smmu (an arm-smmuv3) has a CMDQV beside it for the guest */
bool smmuv3_cmdqv_present(Object *smmu);
/* The size of its MMIO region */
uint64_t smmuv3_cmdqv_mmio_size(Object *smmu);

/*
 * For the virt machine (smmuv3-cmdqv-virt.c): describe
 * the CMDQV of @smmu, an arm-smmuv3 on the platform bus, if it has one.
 * In the device tree, beside the SMMU's node /smmuv3@@smmu_base, which
 * gets the compatible and phandle Linux looks for; in the DSDT, as device
 * NVDA200C whose _UID is @iort_id, the identifier of the SMMU's IORT node,
 * and whose name is made of @index.
 */
struct VirtMachineState;
void smmuv3_cmdqv_fdt_add(struct VirtMachineState *vms, Object *smmu,
                          hwaddr smmu_base);
void smmuv3_cmdqv_acpi_add(Aml *scope, struct VirtMachineState *vms,
                           Object *smmu, uint32_t iort_id, unsigned index);

#endif
