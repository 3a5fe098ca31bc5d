/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * arm-smmuv3: the types of the accel=on properties oas and ssidsize, QAPI
 * enums of "auto" and the sizes (libvirt sends them as strings, "44").
 * Built with or without iommufd: smmuv3.c declares the properties, and
 * their checks apply to both.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-types-smmuv3-accel.h"
#include "smmuv3-accel.h"
#include "hw/core/qdev-prop-internal.h"

static void smmuv3_accel_props_set_enum(Object *obj, Visitor *v,
                                        const char *name, void *opaque,
                                        Error **errp)
{
    const Property *prop = opaque;

    ERRP_GUARD();
    qdev_propinfo_set_enum(obj, v, name, opaque, errp);
    if (*errp) {
        error_append_hint(errp, "%s takes %s\n", name,
                          prop->info->description);
    }
}

const PropertyInfo smmuv3_accel_prop_oas = {
    .type = "Smmuv3AccelOas",
    .description = "auto, 32, 36, 40, 42, 44 or 48 (bits)",
    .enum_table = &Smmuv3AccelOas_lookup,
    .get = qdev_propinfo_get_enum,
    .set = smmuv3_accel_props_set_enum,
    .set_default_value = qdev_propinfo_set_default_value_enum,
};

const PropertyInfo smmuv3_accel_prop_ssidsize = {
    .type = "Smmuv3AccelSsidSize",
    .description = "auto or 0 to 20 (bits)",
    .enum_table = &Smmuv3AccelSsidSize_lookup,
    .get = qdev_propinfo_get_enum,
    .set = smmuv3_accel_props_set_enum,
    .set_default_value = qdev_propinfo_set_default_value_enum,
};

bool smmuv3_accel_props_check(SMMUv3State *s, Error **errp)
{
    if (s->oas == SMMUV3_ACCEL_OAS_52) {
        error_setg(errp, "oas=52 is not offered: QEMU's own stage-1 walk "
                   "(emulated devices, MSI doorbells) outputs 48 bits at "
                   "most; use oas=48 or auto");
        return false;
    }
    if (!s->accel && (s->ril != ON_OFF_AUTO_AUTO ||
                      s->ats != ON_OFF_AUTO_AUTO ||
                      s->oas != SMMUV3_ACCEL_OAS_AUTO ||
                      s->ssidsize != SMMUV3_ACCEL_SSID_SIZE_AUTO ||
                      !s->dt_msi_window)) {
        error_setg(errp, "ril, ats, oas, ssidsize and dt-msi-window apply "
                   "to accel=on only: add accel=on or remove them");
        return false;
    }
    return true;
}
