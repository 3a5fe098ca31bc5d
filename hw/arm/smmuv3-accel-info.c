/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * arm-smmuv3,accel=on: x-query-smmuv3-accel, the state of every accelerated
 * SMMUv3 (ID registers field by field, host objects, devices, counters).
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-smmuv3-accel.h"
#include "qom/object.h"
#include "hw/pci/pci_bus.h"
#include "smmuv3-accel-internal.h"

typedef struct SMMUv3AccelInfoFields {
    bool host_known;
    Smmuv3AccelIdrFieldList **tail;
} SMMUv3AccelInfoFields;

static void smmuv3_accel_info_add_field(void *opaque, const char *name,
                                        const char *rule, uint32_t host,
                                        uint32_t qemu, uint32_t guest)
{
    SMMUv3AccelInfoFields *t = opaque;
    Smmuv3AccelIdrField *f = g_new0(Smmuv3AccelIdrField, 1);

    f->name = g_strdup(name);
    f->rule = g_strdup(rule);
    f->has_host = t->host_known;
    f->host = host;
    f->qemu = qemu;
    f->guest = guest;
    QAPI_LIST_APPEND(t->tail, f);
}

static Smmuv3AccelDevice *smmuv3_accel_info_device(SMMUv3AccelDevice *dev)
{
    Smmuv3AccelDevice *d = g_new0(Smmuv3AccelDevice, 1);
    PCIDevice *pdev = dev->bus->devices[dev->devfn];
    uint64List **ste = &d->ste;

    d->device = pdev ? object_get_canonical_path(OBJECT(pdev))
                     : g_strdup("");
    d->sid = smmuv3_accel_device_sid(dev);
    d->has_vsid = d->has_vdevice = dev->vdevice_id != 0;
    d->vsid = dev->vsid;
    d->vdevice = dev->vdevice_id;
    d->hwpt = dev->hwpt_id;
    d->host_group = dev->host_group;
    for (int i = 0; i < 2; i++) {
        QAPI_LIST_APPEND(ste, dev->ste[i]);
    }
    return d;
}

static int smmuv3_accel_info_collect(Object *obj, void *opaque)
{
    Smmuv3AccelInfoList ***list = opaque;
    SMMUv3State *s = (SMMUv3State *)object_dynamic_cast(obj, TYPE_ARM_SMMUV3);
    SMMUv3Accel *a = s ? s->accel_state : NULL;
    Smmuv3AccelInfo *info;
    SMMUv3AccelDevice *dev;
    uint32List **host, **guest;
    Smmuv3AccelDeviceList **devs;
    SMMUv3AccelInfoFields fields;

    if (!a) {
        return 0;
    }
    info = g_new0(Smmuv3AccelInfo, 1);
    info->id = object_get_canonical_path(obj);
    info->host_known = a->idr.resolved;
    host = &info->host_idr;
    guest = &info->guest_idr;
    for (int i = 0; i < 6; i++) {
        QAPI_LIST_APPEND(host, a->idr.host[i]);
        QAPI_LIST_APPEND(guest, s->idr[i]);
    }
    fields.host_known = info->host_known;
    fields.tail = &info->fields;
    smmuv3_accel_idr_visit(&a->idr, smmuv3_accel_info_add_field, &fields);
    info->viommu = a->viommu_id;
    info->s2_hwpt = a->s2_hwpt_id;
    info->has_veventq = a->veventq_id != 0;
    info->veventq = a->veventq_id;
    devs = &info->devices;
    QLIST_FOREACH(dev, &a->devices, next) {
        QAPI_LIST_APPEND(devs, smmuv3_accel_info_device(dev));
    }
    info->batches = a->n_batches;
    info->commands_forwarded = a->n_cmds_forwarded;
    info->host_errors = a->n_host_errors;
    info->bad_stes = a->n_bad_ste;
    info->events = a->n_events;
    info->events_lost = a->n_events_lost;
    info->msis = a->n_msis;
    info->msis_held = a->n_msis_held;
    info->cmdqv = smmuv3_accel_cmdqv_info(a);
    QAPI_LIST_APPEND(*list, info);
    return 0;
}

Smmuv3AccelInfoList *qmp_x_query_smmuv3_accel(Error **errp)
{
    Smmuv3AccelInfoList *list = NULL, **tail = &list;

    object_child_foreach_recursive(object_get_root(),
                                   smmuv3_accel_info_collect, &tail);
    return list;
}
