/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * arm-smmuv3,x-cmdqv=on: a Tegra241 CMDQV beside the emulated SMMU
 * (smmuv3-cmdqv.c)
 */

#ifndef HW_ARM_SMMUV3_CMDQV_H
#define HW_ARM_SMMUV3_CMDQV_H

#include "hw/arm/smmuv3.h"

/*
 * With x-cmdqv=on, add the CMDQV's MMIO region and interrupt to the SMMU's
 * (sysbus region 1, interrupt 4); false with *@errp set when the SMMU's
 * other properties exclude it
 */
bool smmuv3_cmdqv_realize(SMMUv3State *s, Error **errp);
void smmuv3_cmdqv_reset(SMMUv3State *s);

#endif
