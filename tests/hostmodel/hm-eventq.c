/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host model: event queues, as the kernel's eventq.c: the vEVENTQ
 * objects, their file descriptors and the events a vIOMMU reports
 * into them; IOMMU_FAULT_QUEUE_ALLOC is refused (no fault queues in
 * the model).
 *
 * Records are a struct iommufd_vevent_header followed by the event; the
 * sequence runs 0..INT_MAX and wraps; once depth events are queued, new
 * events are lost and a header-only LOST_EVENTS record sits at the tail
 * carrying the latest lost sequence (drivers/iommu/iommufd/eventq.c).
 * The fd is an eventfd whose counter is non-zero while records are
 * queued, so poll() readiness is real.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hm-internal.h"

/* The data after each header: an SMMU event or a CMDQV's error maps */
#define HM_VEVENT_DATA_LEN \
    (q->type == IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV ? \
     sizeof(struct iommu_vevent_tegra241_cmdqv) : \
     sizeof(struct iommu_vevent_arm_smmuv3))

HmVeventq *hm_veventq_find(HmViommu *v, uint32_t type)
{
    HmCtx *ctx = v->obj.ctx;

    for (uint32_t id = 1; id < ctx->n_objs; id++) {
        HmVeventq *q = (HmVeventq *)ctx->objs[id];

        if (q && q->obj.type == HM_OBJ_VEVENTQ && q->viommu == v &&
            q->type == type) {
            return q;
        }
    }
    return NULL;
}

static void hm_veventq_update_poll(HmVeventq *q)
{
    uint64_t one = 1, val;

    if (q->kfd < 0) {
        return;
    }
    if (q->head && !q->kfd_signaled) {
        if (hm_real.write(q->kfd, &one, sizeof(one)) == sizeof(one)) {
            q->kfd_signaled = true;
        }
    } else if (!q->head && q->kfd_signaled) {
        if (hm_real.read(q->kfd, &val, sizeof(val)) == sizeof(val)) {
            q->kfd_signaled = false;
        }
    }
}

int hm_veventq_alloc(HmCtx *ctx, struct iommu_veventq_alloc *cmd)
{
    HmViommu *v;
    HmVeventq *q;
    HmFile *f;
    int ufd;

    if (cmd->flags || cmd->__reserved ||
        cmd->type == IOMMU_VEVENTQ_TYPE_DEFAULT) {
        return -EOPNOTSUPP;
    }
    if (!cmd->veventq_depth || cmd->veventq_depth > 1U << 19) {
        return -EINVAL;
    }
    v = (HmViommu *)hm_obj_get(ctx, cmd->viommu_id, HM_OBJ_VIOMMU);
    if (!v) {
        return -ENOENT;
    }
    if (hm_veventq_find(v, cmd->type)) {
        return -EEXIST;
    }
    f = calloc(1, sizeof(*f));
    if (!f) {
        return -ENOMEM;
    }
    ufd = hm_new_kfd(true);
    if (ufd < 0) {
        free(f);
        return ufd;
    }
    q = hm_obj_alloc(ctx, HM_OBJ_VEVENTQ, sizeof(*q));
    if (!q) {
        hm_real.close(ufd);
        free(f);
        return -ENOMEM;
    }
    q->viommu = v;
    v->obj.users++;
    q->type = cmd->type;
    q->depth = cmd->veventq_depth;
    /* a private handle on the eventfd: user fds come and go */
    q->kfd = hm_real.fcntl(ufd, F_DUPFD_CLOEXEC, 0);
    q->obj.users++;         /* the file holds the object */
    q->open_files = 1;
    hm_ctx_get(ctx);        /* and the context */
    f->type = HM_FILE_VEVENTQ;
    f->u.veq = q;
    f->kfd_first = ufd;
    hm_fd_install(f, ufd);
    cmd->out_veventq_id = q->obj.id;
    cmd->out_veventq_fd = ufd;
    return 0;
}

/* iommufd_viommu_report_event() + iommufd_vevent_handler() */
int hm_veventq_report(HmViommu *v, uint32_t type, const uint64_t evt[4],
                      uint32_t *seq)
{
    HmVeventq *q = hm_veventq_find(v, type);
    HmVevent *e;
    bool lost;

    if (!q) {
        return -EOPNOTSUPP;
    }
    lost = q->num_events == q->depth;
    /* a LOST_EVENTS record at the tail is replaced by whatever comes next */
    if (q->tail && q->tail->lost) {
        HmVevent *old = q->tail, *p = q->head;

        if (p == old) {
            q->head = q->tail = NULL;
        } else {
            while (p->next != old) {
                p = p->next;
            }
            p->next = NULL;
            q->tail = p;
        }
        free(old);
    }
    e = calloc(1, sizeof(*e));
    if (!e) {
        return -ENOMEM;
    }
    e->lost = lost;
    if (!lost) {
        memcpy(e->evt, evt, sizeof(e->evt));
        q->num_events++;
    }
    e->sequence = q->sequence;
    q->sequence = (q->sequence + 1) & INT_MAX;
    if (q->tail) {
        q->tail->next = e;
    } else {
        q->head = e;
    }
    q->tail = e;
    *seq = e->sequence;
    hm_veventq_update_poll(q);
    return lost ? 1 : 0;
}

/*
 * iommufd_veventq_fops_read(): whole records only; EINVAL for a count
 * below a header, or when the first record does not fit
 */
ssize_t hm_veventq_read(HmVeventq *q, uint64_t ubuf, size_t count,
                        HmCall *call)
{
    size_t done = 0;
    int rc = 0;
    unsigned n = 0;

    if (count < sizeof(struct iommufd_vevent_header)) {
        return -EINVAL;
    }
    while (q->head) {
        HmVevent *cur = q->head;
        struct iommufd_vevent_header hdr = {
            .flags = cur->lost ? IOMMU_VEVENTQ_FLAG_LOST_EVENTS : 0,
            .sequence = cur->sequence,
        };

        if (done >= count || sizeof(hdr) > count - done) {
            break;
        }
        if (!cur->lost && sizeof(hdr) + HM_VEVENT_DATA_LEN > count - done) {
            if (done == 0) {
                rc = -EINVAL;
            }
            break;
        }
        if (hm_copy_to_user(ubuf + done, &hdr, sizeof(hdr))) {
            rc = -EFAULT;
            break;
        }
        done += sizeof(hdr);
        if (!cur->lost) {
            if (hm_copy_to_user(ubuf + done, cur->evt, HM_VEVENT_DATA_LEN)) {
                /* the header is taken back: the record stays queued */
                done -= sizeof(hdr);
                rc = -EFAULT;
                break;
            }
            q->num_events--;
            done += HM_VEVENT_DATA_LEN;
        }
        if (n < 16) {
            hm_call_out(call, "\"rec%u\":\"%s seq=%u\"", n,
                        cur->lost ? "lost" : "event", cur->sequence);
        }
        n++;
        q->head = cur->next;
        if (!q->head) {
            q->tail = NULL;
        }
        free(cur);
    }
    hm_veventq_update_poll(q);
    return done == 0 ? rc : (ssize_t)done;
}

void hm_veventq_file_release(HmVeventq *q)
{
    HmCtx *ctx = q->obj.ctx;

    if (q->kfd >= 0) {
        hm_real.close(q->kfd);
        q->kfd = -1;
    }
    q->open_files--;
    q->obj.users--;
    hm_ctx_put(ctx);
}

void hm_veventq_destroy(HmVeventq *q)
{
    while (q->head) {
        HmVevent *e = q->head;

        q->head = e->next;
        free(e);
    }
    q->tail = NULL;
    q->viommu->obj.users--;
}

/* ---- ioctl handlers ---- */

int hm_ioctl_veventq_alloc(HmUcmd *u, void *p)
{
    int rc = hm_veventq_alloc(u->ctx, p);

    if (rc == 0) {
        u->respond = true;
    }
    return rc;
}

int hm_ioctl_fault_alloc(HmUcmd *u, void *p)
{
    struct iommu_fault_alloc *cmd = p;

    if (cmd->flags) {
        return -EOPNOTSUPP;
    }
    hm_call_in(u->call, "\"not_modeled\":true");
    return -EOPNOTSUPP;
}
