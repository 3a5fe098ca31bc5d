/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * "info smmuv3-accel": x-query-smmuv3-accel for people.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-smmuv3-accel.h"
#include "qapi/qapi-types-smmuv3-accel.h"
#include "monitor/monitor.h"
#include "monitor/hmp-target.h"

static void smmuv3_accel_hmp_print_one(Monitor *mon, Smmuv3AccelInfo *info)
{
    Smmuv3AccelIdrFieldList *f;
    Smmuv3AccelDeviceList *d;

    monitor_printf(mon, "%s: vIOMMU %u, S2 HWPT %u", info->id,
                   info->viommu, info->s2_hwpt);
    if (info->has_veventq) {
        monitor_printf(mon, ", vEVENTQ %u", info->veventq);
    }
    monitor_printf(mon, "\n  %-18s %-9s %8s %8s %8s\n", "field", "rule",
                   "host", "qemu", "guest");
    for (f = info->fields; f; f = f->next) {
        Smmuv3AccelIdrField *v = f->value;

        if (v->has_host) {
            monitor_printf(mon, "  %-18s %-9s %8u %8u %8u\n", v->name,
                           v->rule, v->host, v->qemu, v->guest);
        } else {
            monitor_printf(mon, "  %-18s %-9s %8s %8u %8u\n", v->name,
                           v->rule, "-", v->qemu, v->guest);
        }
    }
    for (d = info->devices; d; d = d->next) {
        Smmuv3AccelDevice *v = d->value;

        monitor_printf(mon, "  device %s: sid 0x%x", v->device, v->sid);
        if (v->has_vsid) {
            monitor_printf(mon, ", vSID 0x%x (vDEVICE %u)", v->vsid,
                           v->vdevice);
        }
        monitor_printf(mon, ", HWPT %u, host group %" PRId64 "\n", v->hwpt,
                       v->host_group);
    }
    monitor_printf(mon, "  batches %" PRIu64 ", commands forwarded %" PRIu64
                   ", host errors %" PRIu64 ", bad STEs %" PRIu64
                   ", events %" PRIu64 ", events lost %" PRIu64
                   ", MSIs %" PRIu64 ", held %" PRIu64 "\n",
                   info->batches, info->commands_forwarded,
                   info->host_errors, info->bad_stes, info->events,
                   info->events_lost, info->msis, info->msis_held);
    if (info->cmdqv) {
        Smmuv3AccelCmdqvInfo *c = info->cmdqv;

        monitor_printf(mon, "  CMDQV: VINTF page %s, %u host queues, %"
                       PRIu64 " allocated, %" PRIu64 " refused, %" PRIu64
                       " errors\n", c->vintf_mapped ? "mapped" : "not mapped",
                       c->host_queues, c->queues_allocated, c->queue_errors,
                       c->errors);
    }
}

void hmp_info_smmuv3_accel(Monitor *mon, const QDict *qdict)
{
    Error *err = NULL;
    Smmuv3AccelInfoList *list = qmp_x_query_smmuv3_accel(&err), *l;

    if (err) {
        monitor_printf(mon, "%s\n", error_get_pretty(err));
        error_free(err);
        return;
    }
    if (!list) {
        monitor_printf(mon, "no arm-smmuv3 with accel=on\n");
    }
    for (l = list; l; l = l->next) {
        smmuv3_accel_hmp_print_one(mon, l->value);
    }
    qapi_free_Smmuv3AccelInfoList(list);
}
