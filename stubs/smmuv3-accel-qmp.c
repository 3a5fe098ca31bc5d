/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * x-query-smmuv3-accel where no accelerated SMMUv3 can exist.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-smmuv3-accel.h"

Smmuv3AccelInfoList *qmp_x_query_smmuv3_accel(Error **errp)
{
    error_setg(errp, "this QEMU has no accelerated SMMUv3 (arm-smmuv3,"
               "accel=on needs an Arm target with iommufd)");
    return NULL;
}
