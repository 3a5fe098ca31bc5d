/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host model: /dev/iommu contexts, the object table, IOMMU_DESTROY and
 * the ioctl dispatch table, as drivers/iommu/iommufd/main.c.  The
 * handlers are in the files named after the kernel's: hm-ioas.c,
 * hm-hwpt.c, hm-viommu.c, hm-device.c and hm-eventq.c.
 *
 * The objects (IOAS, HWPT_PAGING, HWPT_NESTED, vIOMMU, vDEVICE,
 * vEVENTQ, DEVICE) and their "users" reference counts follow the
 * kernel's iommufd: IOMMU_DESTROY only succeeds when the table holds
 * the only reference, ids are the lowest free index starting at 1, and
 * closing the last reference to a context destroys what is left, leaves
 * first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hm-internal.h"

/* ---- contexts ---- */

HmCtx *hm_ctx_new(void)
{
    HmCtx *ctx = calloc(1, sizeof(*ctx));

    if (!ctx) {
        abort();
    }
    ctx->serial = ++hm.ctx_serial;
    ctx->refs = 1;
    ctx->kfd = -1;
    ctx->next = hm.ctxs;
    hm.ctxs = ctx;
    return ctx;
}

void hm_ctx_get(HmCtx *ctx)
{
    ctx->refs++;
}

static void hm_obj_destroy(HmObj *obj);

static void hm_ctx_release(HmCtx *ctx)
{
    HmCtx **pp;
    bool progress = true;

    /* like iommufd_fops_release(): destroy the "1 users" leaves first */
    while (progress) {
        progress = false;
        for (uint32_t id = 1; id < ctx->n_objs; id++) {
            HmObj *obj = ctx->objs[id];

            if (obj && obj->users == 1) {
                ctx->objs[id] = NULL;
                hm_obj_destroy(obj);
                progress = true;
            }
        }
    }
    for (uint32_t id = 1; id < ctx->n_objs; id++) {
        if (ctx->objs[id]) {
            hm_log_event("\"event\":\"ctx_release_stuck\",\"ctx\":%u,"
                         "\"id\":%u", ctx->serial, id);
        }
    }
    for (unsigned i = 0; i < ctx->n_igroups; i++) {
        free(ctx->igroups[i]);
    }
    for (pp = &hm.ctxs; *pp; pp = &(*pp)->next) {
        if (*pp == ctx) {
            *pp = ctx->next;
            break;
        }
    }
    free(ctx->objs);
    free(ctx);
}

void hm_ctx_put(HmCtx *ctx)
{
    if (--ctx->refs == 0) {
        hm_ctx_release(ctx);
    }
}

/* ---- objects ---- */

const char *hm_obj_type_name(HmObjType t)
{
    static const char *const names[HM_OBJ_TYPE_MAX] = {
        [HM_OBJ_DEVICE] = "DEVICE",
        [HM_OBJ_IOAS] = "IOAS",
        [HM_OBJ_HWPT_PAGING] = "HWPT_PAGING",
        [HM_OBJ_HWPT_NESTED] = "HWPT_NESTED",
        [HM_OBJ_VIOMMU] = "VIOMMU",
        [HM_OBJ_VDEVICE] = "VDEVICE",
        [HM_OBJ_VEVENTQ] = "VEVENTQ",
        [HM_OBJ_HW_QUEUE] = "HW_QUEUE",
        [HM_OBJ_TOMBSTONE] = "TOMBSTONE",
    };

    return t < HM_OBJ_TYPE_MAX && names[t] ? names[t] : "?";
}

void *hm_obj_alloc(HmCtx *ctx, HmObjType type, size_t size)
{
    HmObj *obj = calloc(1, size);
    uint32_t id;

    if (!obj) {
        return NULL;
    }
    for (id = 1; id < ctx->n_objs; id++) {
        if (!ctx->objs[id]) {
            break;
        }
    }
    if (id >= ctx->n_objs) {
        uint32_t n = ctx->n_objs ? ctx->n_objs * 2 : 16;
        HmObj **objs = realloc(ctx->objs, n * sizeof(*objs));

        if (!objs) {
            free(obj);
            return NULL;
        }
        memset(objs + ctx->n_objs, 0, (n - ctx->n_objs) * sizeof(*objs));
        if (ctx->n_objs == 0) {
            id = 1;
        }
        ctx->objs = objs;
        ctx->n_objs = n;
    }
    obj->type = type;
    obj->id = id;
    obj->users = 1;
    obj->ctx = ctx;
    ctx->objs[id] = obj;
    return obj;
}

/* Like iommufd_get_object(): a missing id or a wrong type is ENOENT */
HmObj *hm_obj_get(HmCtx *ctx, uint32_t id, HmObjType type)
{
    HmObj *obj;

    if (id == 0 || id >= ctx->n_objs) {
        return NULL;
    }
    obj = ctx->objs[id];
    if (!obj || obj->type == HM_OBJ_TOMBSTONE) {
        return NULL;
    }
    if (type && obj->type != type) {
        return NULL;
    }
    return obj;
}

void hm_obj_remove(HmObj *obj)
{
    HmCtx *ctx = obj->ctx;

    if (obj->id < ctx->n_objs && ctx->objs[obj->id] == obj) {
        ctx->objs[obj->id] = NULL;
    }
    hm_obj_destroy(obj);
}

/* Keep the id reserved, as iommufd_object_tombstone_user() does */
void hm_obj_tombstone(HmObj *obj)
{
    HmCtx *ctx = obj->ctx;
    HmObj *t = calloc(1, sizeof(*t));

    if (!t) {
        abort();
    }
    t->type = HM_OBJ_TOMBSTONE;
    t->id = obj->id;
    t->users = 1;
    t->ctx = ctx;
    ctx->objs[obj->id] = t;
    hm_obj_destroy(obj);
}

static void hm_obj_destroy(HmObj *obj)
{
    switch (obj->type) {
    case HM_OBJ_IOAS: {
        HmIoas *ioas = (HmIoas *)obj;

        free(ioas->areas);
        free(ioas->allowed);
        break;
    }
    case HM_OBJ_HWPT_PAGING: {
        HmHwpt *h = (HmHwpt *)obj;

        if (h->nest_parent) {
            hm_smmu_vmid_free(h->smmu, h->vmid);
        }
        h->ioas->obj.users--;
        break;
    }
    case HM_OBJ_HWPT_NESTED:
        ((HmHwpt *)obj)->viommu->obj.users--;
        break;
    case HM_OBJ_VIOMMU:
        hm_cmdqv_viommu_destroy((HmViommu *)obj);
        ((HmViommu *)obj)->s2->obj.users--;
        break;
    case HM_OBJ_HW_QUEUE:
        hm_cmdqv_hw_queue_destroy((HmHwQueue *)obj);
        break;
    case HM_OBJ_VDEVICE: {
        HmVdevice *vd = (HmVdevice *)obj;

        hm_cmdqv_vdevice_destroy(vd);
        vd->viommu->obj.users--;
        vd->idev->obj.users--;
        vd->idev->vdev = NULL;
        break;
    }
    case HM_OBJ_VEVENTQ:
        hm_veventq_destroy((HmVeventq *)obj);
        break;
    case HM_OBJ_DEVICE:
    case HM_OBJ_TOMBSTONE:
    default:
        break;
    }
    free(obj);
}

/* iommufd_object_remove() for IOMMU_DESTROY */
static int hm_destroy_id(HmCtx *ctx, uint32_t id)
{
    HmObj *obj = hm_obj_get(ctx, id, 0);

    if (!obj) {
        return -ENOENT;
    }
    if (obj->users != 1) {
        return -EBUSY;
    }
    hm_obj_remove(obj);
    return 0;
}

static int hm_ioctl_destroy(HmUcmd *u, void *p)
{
    struct iommu_destroy *cmd = p;

    return hm_destroy_id(u->ctx, cmd->id);
}

/* ---- dispatch ---- */

typedef struct HmField {
    const char *name;
    uint16_t off, size;
} HmField;

#define HM_F(type, field) \
    { #field, offsetof(struct type, field), sizeof(((struct type *)0)->field) }

typedef struct HmIoctlOp {
    unsigned long num;
    const char *name;
    uint32_t size, min_size;
    unsigned since;             /* the kernel release that added it */
    int (*fn)(HmUcmd *u, void *p);
    HmField fields[10];
} HmIoctlOp;

#define HM_OP(_num, _since, _fn, _type, _last, ...) \
    [_IOC_NR(_num) - IOMMUFD_CMD_BASE] = { \
        .num = _num, .name = #_num, .size = sizeof(struct _type), \
        .since = _since, \
        .min_size = offsetof(struct _type, _last) + \
                    sizeof(((struct _type *)0)->_last), \
        .fn = _fn, .fields = { __VA_ARGS__ }, \
    }

static const HmIoctlOp hm_iommufd_ops[] = {
    HM_OP(IOMMU_DESTROY, HM_KERNEL(6, 2), hm_ioctl_destroy, iommu_destroy, id,
          HM_F(iommu_destroy, id)),
    HM_OP(IOMMU_IOAS_ALLOC, HM_KERNEL(6, 2),
          hm_ioctl_ioas_alloc, iommu_ioas_alloc,
          out_ioas_id, HM_F(iommu_ioas_alloc, flags),
          HM_F(iommu_ioas_alloc, out_ioas_id)),
    HM_OP(IOMMU_IOAS_ALLOW_IOVAS, HM_KERNEL(6, 2), hm_ioctl_allow_iovas,
          iommu_ioas_allow_iovas, allowed_iovas,
          HM_F(iommu_ioas_allow_iovas, ioas_id),
          HM_F(iommu_ioas_allow_iovas, num_iovas),
          HM_F(iommu_ioas_allow_iovas, allowed_iovas)),
    HM_OP(IOMMU_IOAS_COPY, HM_KERNEL(6, 2),
          hm_ioctl_ioas_copy, iommu_ioas_copy, src_iova,
          HM_F(iommu_ioas_copy, flags), HM_F(iommu_ioas_copy, dst_ioas_id),
          HM_F(iommu_ioas_copy, src_ioas_id), HM_F(iommu_ioas_copy, length),
          HM_F(iommu_ioas_copy, dst_iova), HM_F(iommu_ioas_copy, src_iova)),
    HM_OP(IOMMU_IOAS_IOVA_RANGES, HM_KERNEL(6, 2), hm_ioctl_iova_ranges,
          iommu_ioas_iova_ranges, out_iova_alignment,
          HM_F(iommu_ioas_iova_ranges, ioas_id),
          HM_F(iommu_ioas_iova_ranges, num_iovas),
          HM_F(iommu_ioas_iova_ranges, allowed_iovas),
          HM_F(iommu_ioas_iova_ranges, out_iova_alignment)),
    HM_OP(IOMMU_IOAS_MAP, HM_KERNEL(6, 2),
          hm_ioctl_ioas_map, iommu_ioas_map, iova,
          HM_F(iommu_ioas_map, flags), HM_F(iommu_ioas_map, ioas_id),
          HM_F(iommu_ioas_map, user_va), HM_F(iommu_ioas_map, length),
          HM_F(iommu_ioas_map, iova)),
    HM_OP(IOMMU_IOAS_UNMAP, HM_KERNEL(6, 2),
          hm_ioctl_ioas_unmap, iommu_ioas_unmap, length,
          HM_F(iommu_ioas_unmap, ioas_id), HM_F(iommu_ioas_unmap, iova),
          HM_F(iommu_ioas_unmap, length)),
    HM_OP(IOMMU_OPTION, HM_KERNEL(6, 2), hm_ioctl_option, iommu_option, val64,
          HM_F(iommu_option, option_id), HM_F(iommu_option, op),
          HM_F(iommu_option, object_id), HM_F(iommu_option, val64)),
    HM_OP(IOMMU_VFIO_IOAS, HM_KERNEL(6, 2),
          hm_ioctl_vfio_ioas, iommu_vfio_ioas, __reserved,
          HM_F(iommu_vfio_ioas, ioas_id), HM_F(iommu_vfio_ioas, op)),
    HM_OP(IOMMU_HWPT_ALLOC, HM_KERNEL(6, 6),
          hm_ioctl_hwpt_alloc, iommu_hwpt_alloc,
          __reserved, HM_F(iommu_hwpt_alloc, flags),
          HM_F(iommu_hwpt_alloc, dev_id), HM_F(iommu_hwpt_alloc, pt_id),
          HM_F(iommu_hwpt_alloc, out_hwpt_id),
          HM_F(iommu_hwpt_alloc, data_type),
          HM_F(iommu_hwpt_alloc, data_len),
          HM_F(iommu_hwpt_alloc, data_uptr),
          HM_F(iommu_hwpt_alloc, fault_id)),
    HM_OP(IOMMU_GET_HW_INFO, HM_KERNEL(6, 6),
          hm_ioctl_get_hw_info, iommu_hw_info,
          __reserved, HM_F(iommu_hw_info, flags),
          HM_F(iommu_hw_info, dev_id), HM_F(iommu_hw_info, data_len),
          HM_F(iommu_hw_info, data_uptr),
          HM_F(iommu_hw_info, out_data_type),
          HM_F(iommu_hw_info, out_max_pasid_log2),
          HM_F(iommu_hw_info, out_capabilities)),
    HM_OP(IOMMU_HWPT_SET_DIRTY_TRACKING, HM_KERNEL(6, 7), hm_ioctl_set_dirty,
          iommu_hwpt_set_dirty_tracking, __reserved,
          HM_F(iommu_hwpt_set_dirty_tracking, flags),
          HM_F(iommu_hwpt_set_dirty_tracking, hwpt_id)),
    HM_OP(IOMMU_HWPT_GET_DIRTY_BITMAP, HM_KERNEL(6, 7), hm_ioctl_get_dirty,
          iommu_hwpt_get_dirty_bitmap, data,
          HM_F(iommu_hwpt_get_dirty_bitmap, hwpt_id),
          HM_F(iommu_hwpt_get_dirty_bitmap, flags),
          HM_F(iommu_hwpt_get_dirty_bitmap, iova),
          HM_F(iommu_hwpt_get_dirty_bitmap, length),
          HM_F(iommu_hwpt_get_dirty_bitmap, page_size)),
    HM_OP(IOMMU_HWPT_INVALIDATE, HM_KERNEL(6, 8), hm_ioctl_hwpt_invalidate,
          iommu_hwpt_invalidate, __reserved,
          HM_F(iommu_hwpt_invalidate, hwpt_id),
          HM_F(iommu_hwpt_invalidate, data_uptr),
          HM_F(iommu_hwpt_invalidate, data_type),
          HM_F(iommu_hwpt_invalidate, entry_len),
          HM_F(iommu_hwpt_invalidate, entry_num)),
    HM_OP(IOMMU_FAULT_QUEUE_ALLOC, HM_KERNEL(6, 11),
          hm_ioctl_fault_alloc, iommu_fault_alloc,
          out_fault_fd, HM_F(iommu_fault_alloc, flags)),
    HM_OP(IOMMU_IOAS_MAP_FILE, HM_KERNEL(6, 13),
          hm_ioctl_ioas_map_file, iommu_ioas_map_file,
          iova, HM_F(iommu_ioas_map_file, flags),
          HM_F(iommu_ioas_map_file, ioas_id), HM_F(iommu_ioas_map_file, fd),
          HM_F(iommu_ioas_map_file, start),
          HM_F(iommu_ioas_map_file, length),
          HM_F(iommu_ioas_map_file, iova)),
    HM_OP(IOMMU_VIOMMU_ALLOC, HM_KERNEL(6, 13),
          hm_ioctl_viommu_alloc, iommu_viommu_alloc,
          out_viommu_id, HM_F(iommu_viommu_alloc, flags),
          HM_F(iommu_viommu_alloc, type), HM_F(iommu_viommu_alloc, dev_id),
          HM_F(iommu_viommu_alloc, hwpt_id),
          HM_F(iommu_viommu_alloc, out_viommu_id)),
    HM_OP(IOMMU_VDEVICE_ALLOC, HM_KERNEL(6, 13),
          hm_ioctl_vdevice_alloc, iommu_vdevice_alloc,
          virt_id, HM_F(iommu_vdevice_alloc, viommu_id),
          HM_F(iommu_vdevice_alloc, dev_id),
          HM_F(iommu_vdevice_alloc, out_vdevice_id),
          HM_F(iommu_vdevice_alloc, virt_id)),
    HM_OP(IOMMU_IOAS_CHANGE_PROCESS, HM_KERNEL(6, 14), hm_ioctl_change_process,
          iommu_ioas_change_process, __reserved,
          HM_F(iommu_ioas_change_process, __reserved)),
    HM_OP(IOMMU_VEVENTQ_ALLOC, HM_KERNEL(6, 15),
          hm_ioctl_veventq_alloc, iommu_veventq_alloc,
          out_veventq_fd, HM_F(iommu_veventq_alloc, flags),
          HM_F(iommu_veventq_alloc, viommu_id),
          HM_F(iommu_veventq_alloc, type),
          HM_F(iommu_veventq_alloc, veventq_depth),
          HM_F(iommu_veventq_alloc, out_veventq_id),
          HM_F(iommu_veventq_alloc, out_veventq_fd)),
    HM_OP(IOMMU_HW_QUEUE_ALLOC, HM_KERNEL(6, 17), hm_ioctl_hw_queue_alloc,
          iommu_hw_queue_alloc, length,
          HM_F(iommu_hw_queue_alloc, flags),
          HM_F(iommu_hw_queue_alloc, viommu_id),
          HM_F(iommu_hw_queue_alloc, type),
          HM_F(iommu_hw_queue_alloc, index),
          HM_F(iommu_hw_queue_alloc, nesting_parent_iova),
          HM_F(iommu_hw_queue_alloc, length)),
};

#define HM_N_OPS (sizeof(hm_iommufd_ops) / sizeof(hm_iommufd_ops[0]))

static const HmIoctlOp *hm_iommufd_op(unsigned long req)
{
    unsigned nr = _IOC_NR(req);

    if (_IOC_TYPE(req) != IOMMUFD_TYPE || nr < IOMMUFD_CMD_BASE ||
        nr - IOMMUFD_CMD_BASE >= HM_N_OPS) {
        return NULL;
    }
    if (!hm_iommufd_ops[nr - IOMMUFD_CMD_BASE].fn ||
        hm_iommufd_ops[nr - IOMMUFD_CMD_BASE].num != req) {
        return NULL;
    }
    /* an older host's ioctl table ends before it: ENOTTY */
    if (hm.cfg.kernel &&
        hm_iommufd_ops[nr - IOMMUFD_CMD_BASE].since > hm.cfg.kernel) {
        return NULL;
    }
    return &hm_iommufd_ops[nr - IOMMUFD_CMD_BASE];
}

const char *hm_iommufd_ioctl_name(unsigned long req)
{
    const HmIoctlOp *op = hm_iommufd_op(req);

    return op ? op->name : NULL;
}

static void hm_log_fields(HmCall *c, const HmField *f, const void *buf,
                          bool out)
{
    for (; f->name; f++) {
        const uint8_t *p = (const uint8_t *)buf + f->off;
        unsigned long long v = 0;

        memcpy(&v, p, f->size > 8 ? 8 : f->size);
        if (f->size == 8) {
            if (out) {
                hm_call_out(c, "\"%s\":\"0x%llx\"", f->name, v);
            } else {
                hm_call_in(c, "\"%s\":\"0x%llx\"", f->name, v);
            }
        } else if (out) {
            hm_call_out(c, "\"%s\":%llu", f->name, v);
        } else {
            hm_call_in(c, "\"%s\":%llu", f->name, v);
        }
    }
}

int hm_iommufd_ioctl(HmCtx *ctx, unsigned long req, uint64_t arg,
                     HmCall *call)
{
    const HmIoctlOp *op = hm_iommufd_op(req);
    union {
        uint8_t raw[128];
        uint64_t align;
    } buf;
    HmUcmd u = { .ctx = ctx, .uarg = arg, .call = call };
    int rc;

    if (!op) {
        /* not an iommufd command: the VFIO compat ioctls are not modeled */
        return -ENOTTY;
    }
    if (hm_copy_from_user(&u.user_size, arg, sizeof(u.user_size))) {
        return -EFAULT;
    }
    if (u.user_size < op->min_size) {
        return -EINVAL;
    }
    rc = hm_copy_struct_from_user(buf.raw, op->size, arg, u.user_size);
    if (rc) {
        return rc;
    }
    hm_log_fields(call, op->fields, buf.raw, false);
    rc = op->fn(&u, buf.raw);
    if (u.respond) {
        size_t n = u.user_size < op->size ? u.user_size : op->size;

        if (hm_copy_to_user(arg, buf.raw, n)) {
            return -EFAULT;
        }
        hm_log_fields(call, op->fields, buf.raw, true);
    }
    return rc;
}
