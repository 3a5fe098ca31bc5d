/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * arm-smmuv3,accel=on: host faults into the guest's event queue.
 *
 * While the guest has its event queue enabled and a vIOMMU exists, a
 * vEVENTQ delivers the host SMMU's events for the guest's streams, the
 * StreamID already replaced by the vSID.  They are written into the guest
 * queue as they are, with the EVTQ interrupt.  Events lost on the host
 * (a sequence gap, the LOST_EVENTS record) or because the guest queue is
 * full set the guest's EVENTQ_PROD.OVFLG, as the architecture defines.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "system/iommufd-nesting.h"
#include "smmuv3-accel-internal.h"
#include "trace.h"

/* The host queue need not be deeper than the guest's; keep it bounded */
#define SMMUV3_ACCEL_VEVENTQ_DEPTH_MAX (1 << 12)
/* How long a poll of the closed vEVENTQ fd may keep the queue busy */
#define SMMUV3_ACCEL_VEVENTQ_FREE_MS 1000

static void smmuv3_accel_evtq_event(void *opaque, const void *payload,
                                    size_t len)
{
    SMMUv3Accel *a = opaque;
    Evt evt;
    bool written;

    memcpy(evt.word, payload, MIN(len, sizeof(evt.word)));
    for (int i = 0; i < ARRAY_SIZE(evt.word); i++) {
        le32_to_cpus(&evt.word[i]);
    }
    a->n_events++;
    written = smmuv3_write_eventq(a->smmu, &evt) == MEMTX_OK;
    trace_smmuv3_accel_event(extract32(evt.word[0], 0, 8), evt.word[1],
                             written);
    if (!written) {
        a->n_events_lost++;
    }
}

static void smmuv3_accel_evtq_lost(void *opaque, uint32_t count)
{
    SMMUv3Accel *a = opaque;

    a->n_events_lost += count;
    trace_smmuv3_accel_events_lost(count);
    smmuv3_eventq_overflow(a->smmu);
}

static void smmuv3_accel_evtq_readable(void *opaque)
{
    SMMUv3Accel *a = opaque;
    int ret = iommufd_veventq_reader_drain(&a->evtq_reader);

    if (ret < 0) {
        /* Reported once; the queue stays registered for what follows */
        warn_report_once("arm-smmuv3 accel: reading host events failed: %s",
                         strerror(-ret));
    }
}

void smmuv3_accel_evtq_free(SMMUv3Accel *a)
{
    Error *err = NULL;

    if (!a->veventq_id) {
        return;
    }
    qemu_set_fd_handler(a->veventq_fd, NULL, NULL, NULL);
    iommufd_veventq_reader_cleanup(&a->evtq_reader);
    /* The fd holds the queue: close it before destroying the object */
    close(a->veventq_fd);
    a->veventq_fd = -1;
    trace_smmuv3_accel_evtq_free(a->veventq_id);
    if (!iommufd_backend_free_veventq(a->be, a->veventq_id,
                                      SMMUV3_ACCEL_VEVENTQ_FREE_MS, &err)) {
        /* The vIOMMU cannot go either: said once, counted */
        a->n_host_errors++;
        warn_report_err_once(err);
    }
    a->veventq_id = 0;
}

static void smmuv3_accel_evtq_alloc(SMMUv3Accel *a)
{
    SMMUv3State *s = a->smmu;
    uint32_t depth = MIN(1U << s->eventq.log2size,
                         SMMUV3_ACCEL_VEVENTQ_DEPTH_MAX);
    Error *err = NULL;
    int fd;

    if (!iommufd_backend_alloc_veventq(a->be, a->viommu_id,
                                       IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, depth,
                                       &a->veventq_id, &fd, &err)) {
        /* The guest still works; it just does not see host faults */
        a->n_host_errors++;
        warn_report_err_once(err);
        return;
    }
    if (!g_unix_set_fd_nonblocking(fd, true, NULL)) {
        warn_report("arm-smmuv3 accel: cannot make the vEVENTQ fd "
                    "non-blocking; host events are not relayed");
        close(fd);
        iommufd_backend_free_id(a->be, a->veventq_id);
        a->veventq_id = 0;
        return;
    }
    a->veventq_fd = fd;
    trace_smmuv3_accel_evtq_alloc(a->viommu_id, depth, fd);
    iommufd_veventq_reader_init(&a->evtq_reader, fd,
                                sizeof(struct iommu_vevent_arm_smmuv3), depth,
                                smmuv3_accel_evtq_event,
                                smmuv3_accel_evtq_lost, a);
    qemu_set_fd_handler(fd, smmuv3_accel_evtq_readable, NULL, a);
}

void smmuv3_accel_evtq_update(SMMUv3Accel *a)
{
    bool want = a->viommu_id && smmuv3_eventq_enabled(a->smmu);

    if (want && !a->veventq_id) {
        smmuv3_accel_evtq_alloc(a);
    } else if (!want && a->veventq_id) {
        smmuv3_accel_evtq_free(a);
    }
}
