/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * arm-smmuv3 without iommufd (non-Linux hosts): accel=on is refused.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "smmuv3-accel.h"

bool smmuv3_accel_realize(SMMUv3State *s, Error **errp)
{
    if (!smmuv3_accel_props_check(s, errp)) {
        return false;
    }
    if (s->accel) {
        error_setg(errp, "accel=on needs a QEMU built with iommufd (Linux)");
        return false;
    }
    return true;
}

void smmuv3_accel_init_regs(SMMUv3State *s)
{
}

void smmuv3_accel_config_changed(SMMUv3State *s)
{
}

void smmuv3_accel_install_ste_range(SMMUv3State *s, uint32_t first,
                                    uint32_t last)
{
}

bool smmuv3_accel_cmdq_command(SMMUv3State *s, const Cmd *cmd,
                               SMMUCmdError *err)
{
    return true;
}

void smmuv3_accel_cmdq_flush(SMMUv3State *s, SMMUCmdError *err)
{
}

bool smmuv3_accel_irq_msi(SMMUv3State *s, SMMUIrq irq, const Cmd *sync,
                          MemTxResult *res)
{
    return false;
}

bool smmuv3_accel_msi_ready(SMMUv3State *s, SMMUIrq irq, const Cmd *sync)
{
    return true;
}

void smmuv3_accel_cmdqv_sync(SMMUv3State *s)
{
}

bool smmuv3_accel_cmdqv_active(SMMUv3State *s)
{
    return false;
}
