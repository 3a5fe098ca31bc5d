/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host model: /dev/iommu contexts and their objects.
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
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hm-internal.h"

#define HM_ULONG_MAX UINT64_MAX

/* ---- contexts ---- */

HmCtx *hm_ctx_new(void)
{
    HmCtx *ctx = calloc(1, sizeof(*ctx));

    if (!ctx) {
        abort();
    }
    ctx->serial = ++hm.ctx_serial;
    ctx->refs = 1;
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

static void hm_obj_remove(HmObj *obj)
{
    HmCtx *ctx = obj->ctx;

    if (obj->id < ctx->n_objs && ctx->objs[obj->id] == obj) {
        ctx->objs[obj->id] = NULL;
    }
    hm_obj_destroy(obj);
}

/* Keep the id reserved, as iommufd_object_tombstone_user() does */
static void hm_obj_tombstone(HmObj *obj)
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

static HmHwpt *hm_find_hwpt_paging(HmHwpt *hwpt)
{
    if (!hwpt) {
        return NULL;
    }
    if (hwpt->obj.type == HM_OBJ_HWPT_PAGING) {
        return hwpt;
    }
    return hwpt->viommu ? hwpt->viommu->s2 : NULL;
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
        ((HmViommu *)obj)->s2->obj.users--;
        break;
    case HM_OBJ_VDEVICE: {
        HmVdevice *vd = (HmVdevice *)obj;

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

/* ---- IO address spaces ---- */

static bool hm_ioas_has_domain(HmIoas *ioas)
{
    HmCtx *ctx = ioas->obj.ctx;

    for (uint32_t id = 1; id < ctx->n_objs; id++) {
        HmHwpt *h = (HmHwpt *)ctx->objs[id];

        if (h && h->obj.type == HM_OBJ_HWPT_PAGING && h->ioas == ioas) {
            return true;
        }
    }
    return false;
}

static uint64_t hm_ioas_alignment(HmIoas *ioas)
{
    if (hm_ioas_has_domain(ioas) || ioas->disable_large_pages) {
        return hm.cfg.page_size;
    }
    return 1;
}

typedef struct HmRanges {
    HmResv r[256];
    unsigned n;
} HmRanges;

static void hm_ranges_add(HmRanges *rs, uint64_t start, uint64_t last)
{
    if (start <= last && rs->n < sizeof(rs->r) / sizeof(rs->r[0])) {
        rs->r[rs->n].start = start;
        rs->r[rs->n].last = last;
        rs->n++;
    }
}

static int hm_resv_cmp(const void *a, const void *b)
{
    const HmResv *x = a, *y = b;

    return x->start < y->start ? -1 : x->start > y->start;
}

/* The reserved regions a device brings along (arm_smmu_get_resv_regions) */
static void hm_device_resv(HmDevice *dev, HmRanges *rs)
{
    hm_ranges_add(rs, HM_SW_MSI_BASE, HM_SW_MSI_BASE + HM_SW_MSI_LENGTH - 1);
    for (unsigned i = 0; i < dev->n_resv; i++) {
        hm_ranges_add(rs, dev->resv[i].start, dev->resv[i].last);
    }
}

/* The IOAS reserved interval tree: domain apertures and device regions */
static void hm_ioas_reserved(HmIoas *ioas, HmRanges *rs)
{
    HmCtx *ctx = ioas->obj.ctx;

    rs->n = 0;
    for (uint32_t id = 1; id < ctx->n_objs; id++) {
        HmHwpt *h = (HmHwpt *)ctx->objs[id];

        if (h && h->obj.type == HM_OBJ_HWPT_PAGING && h->ioas == ioas &&
            h->ias_bits < 64) {
            hm_ranges_add(rs, 1ULL << h->ias_bits, HM_ULONG_MAX);
        }
    }
    for (unsigned g = 0; g < ctx->n_igroups; g++) {
        HmIgroup *ig = ctx->igroups[g];
        HmHwpt *p = hm_find_hwpt_paging(ig->hwpt);

        if (!p || p->ioas != ioas) {
            continue;
        }
        for (unsigned i = 0; i < ig->n_attached; i++) {
            hm_device_resv(ig->attached[i]->dev, rs);
        }
    }
    qsort(rs->r, rs->n, sizeof(rs->r[0]), hm_resv_cmp);
}

static bool hm_ranges_overlap(const HmRanges *rs, uint64_t start,
                              uint64_t last)
{
    for (unsigned i = 0; i < rs->n; i++) {
        if (rs->r[i].start <= last && start <= rs->r[i].last) {
            return true;
        }
    }
    return false;
}

static HmArea *hm_ioas_area_overlap(HmIoas *ioas, uint64_t start,
                                    uint64_t last)
{
    for (size_t i = 0; i < ioas->n_areas; i++) {
        if (ioas->areas[i].iova <= last && start <= ioas->areas[i].last) {
            return &ioas->areas[i];
        }
    }
    return NULL;
}

static bool hm_ioas_allowed_overlap(HmIoas *ioas, uint64_t start,
                                    uint64_t last)
{
    for (size_t i = 0; i < ioas->n_allowed; i++) {
        if (ioas->allowed[i].start <= last &&
            start <= ioas->allowed[i].last) {
            return true;
        }
    }
    return false;
}

/* iopt_reserve_iova() for a new reserved range */
static int hm_ioas_can_reserve(HmIoas *ioas, uint64_t start, uint64_t last)
{
    if (hm_ioas_area_overlap(ioas, start, last) ||
        hm_ioas_allowed_overlap(ioas, start, last)) {
        return -EADDRINUSE;
    }
    return 0;
}

static int hm_area_cmp(const void *a, const void *b)
{
    const HmArea *x = a, *y = b;

    return x->iova < y->iova ? -1 : x->iova > y->iova;
}

static int hm_ioas_insert(HmIoas *ioas, const HmArea *a)
{
    if (ioas->n_areas == ioas->cap_areas) {
        size_t n = ioas->cap_areas ? ioas->cap_areas * 2 : 16;
        HmArea *na = realloc(ioas->areas, n * sizeof(*na));

        if (!na) {
            return -ENOMEM;
        }
        ioas->areas = na;
        ioas->cap_areas = n;
    }
    ioas->areas[ioas->n_areas++] = *a;
    qsort(ioas->areas, ioas->n_areas, sizeof(*a), hm_area_cmp);
    return 0;
}

/* Find a free IOVA range: lowest hole, aligned, inside the allowed list */
static int hm_ioas_alloc_iova(HmIoas *ioas, uint64_t length, uint64_t *iova)
{
    uint64_t align = hm.cfg.page_size;
    HmRanges rs;
    uint64_t cand = 0;

    hm_ioas_reserved(ioas, &rs);
    for (int guard = 0; guard < 100000; guard++) {
        uint64_t last;
        bool moved = false;

        cand = (cand + align - 1) & ~(align - 1);
        if (__builtin_add_overflow(cand, length - 1, &last)) {
            return -ENOSPC;
        }
        for (unsigned i = 0; i < rs.n; i++) {
            if (rs.r[i].start <= last && cand <= rs.r[i].last) {
                if (rs.r[i].last == HM_ULONG_MAX) {
                    return -ENOSPC;
                }
                cand = rs.r[i].last + 1;
                moved = true;
            }
        }
        for (size_t i = 0; i < ioas->n_areas && !moved; i++) {
            if (ioas->areas[i].iova <= last && cand <= ioas->areas[i].last) {
                cand = ioas->areas[i].last + 1;
                moved = true;
            }
        }
        if (!moved && ioas->n_allowed) {
            bool inside = false;

            for (size_t i = 0; i < ioas->n_allowed; i++) {
                if (ioas->allowed[i].start <= cand &&
                    last <= ioas->allowed[i].last) {
                    inside = true;
                }
            }
            if (!inside) {
                uint64_t next = HM_ULONG_MAX;

                for (size_t i = 0; i < ioas->n_allowed; i++) {
                    if (ioas->allowed[i].start > cand &&
                        ioas->allowed[i].start < next) {
                        next = ioas->allowed[i].start;
                    }
                }
                if (next == HM_ULONG_MAX) {
                    return -ENOSPC;
                }
                cand = next;
                moved = true;
            }
        }
        if (!moved) {
            *iova = cand;
            return 0;
        }
    }
    return -ENOSPC;
}

static int hm_ioas_map_common(HmIoas *ioas, uint32_t flags, uint64_t *iova,
                              uint64_t length, uint64_t uva, bool is_file)
{
    uint64_t align = hm_ioas_alignment(ioas);
    HmArea a = { .uva = uva, .is_file = is_file, .flags = flags };
    HmRanges rs;
    uint64_t last;
    int rc;

    if (!length || (length & (align - 1))) {
        return -EINVAL;
    }
    if (flags & IOMMU_IOAS_MAP_FIXED_IOVA) {
        if (*iova & (align - 1)) {
            return -EINVAL;
        }
        if (__builtin_add_overflow(*iova, length - 1, &last)) {
            return -EOVERFLOW;
        }
        hm_ioas_reserved(ioas, &rs);
        if (hm_ranges_overlap(&rs, *iova, last)) {
            return -EINVAL;
        }
        if (hm_ioas_area_overlap(ioas, *iova, last)) {
            return -EEXIST;
        }
    } else {
        rc = hm_ioas_alloc_iova(ioas, length, iova);
        if (rc) {
            return rc;
        }
        last = *iova + length - 1;
    }
    /* pages are pinned at map time only when a domain needs them */
    if (!is_file && hm_ioas_has_domain(ioas) &&
        !hm_user_range_mapped(uva, length)) {
        return -EFAULT;
    }
    a.iova = *iova;
    a.last = last;
    return hm_ioas_insert(ioas, &a);
}

/* iopt_unmap_iova_range(): whole areas only, ENOENT when nothing matched */
static int hm_ioas_unmap_range(HmIoas *ioas, uint64_t start, uint64_t last,
                               uint64_t *unmapped)
{
    int rc = -ENOENT;
    size_t i = 0;

    *unmapped = 0;
    while (i < ioas->n_areas) {
        HmArea *a = &ioas->areas[i];

        if (!(a->iova <= last && start <= a->last)) {
            i++;
            continue;
        }
        if (a->iova < start || a->last > last) {
            return -ENOENT;
        }
        *unmapped += a->last - a->iova + 1;
        memmove(a, a + 1, (ioas->n_areas - i - 1) * sizeof(*a));
        ioas->n_areas--;
        rc = 0;
    }
    return rc;
}

/* ---- ioctl handlers ---- */

typedef struct HmUcmd {
    HmCtx *ctx;
    uint64_t uarg;
    uint32_t user_size;
    bool respond;
    HmCall *call;
} HmUcmd;

static int hm_ioctl_destroy(HmUcmd *u, void *p)
{
    struct iommu_destroy *cmd = p;

    return hm_destroy_id(u->ctx, cmd->id);
}

static int hm_ioctl_ioas_alloc(HmUcmd *u, void *p)
{
    struct iommu_ioas_alloc *cmd = p;
    HmIoas *ioas;

    if (cmd->flags) {
        return -EOPNOTSUPP;
    }
    ioas = hm_obj_alloc(u->ctx, HM_OBJ_IOAS, sizeof(*ioas));
    if (!ioas) {
        return -ENOMEM;
    }
    cmd->out_ioas_id = ioas->obj.id;
    u->respond = true;
    return 0;
}

static int hm_ioctl_iova_ranges(HmUcmd *u, void *p)
{
    struct iommu_ioas_iova_ranges *cmd = p;
    uint32_t max = cmd->num_iovas;
    uint64_t hole = 0;
    HmIoas *ioas;
    HmRanges rs;
    bool done = false;

    if (cmd->__reserved) {
        return -EOPNOTSUPP;
    }
    ioas = (HmIoas *)hm_obj_get(u->ctx, cmd->ioas_id, HM_OBJ_IOAS);
    if (!ioas) {
        return -ENOENT;
    }
    hm_ioas_reserved(ioas, &rs);
    cmd->num_iovas = 0;
    cmd->out_iova_alignment = hm_ioas_alignment(ioas);
    for (unsigned i = 0; i <= rs.n && !done; i++) {
        uint64_t end = i < rs.n ? rs.r[i].start : 0;
        struct iommu_iova_range elm;

        if (i < rs.n && end <= hole) {
            if (rs.r[i].last >= hole) {
                if (rs.r[i].last == HM_ULONG_MAX) {
                    done = true;
                } else {
                    hole = rs.r[i].last + 1;
                }
            }
            continue;
        }
        elm.start = hole;
        elm.last = i < rs.n ? end - 1 : HM_ULONG_MAX;
        if (cmd->num_iovas < max &&
            hm_copy_to_user(cmd->allowed_iovas +
                            cmd->num_iovas * sizeof(elm), &elm,
                            sizeof(elm))) {
            return -EFAULT;
        }
        hm_call_out(u->call, "\"range%u\":\"0x%llx-0x%llx\"",
                    cmd->num_iovas, (unsigned long long)elm.start,
                    (unsigned long long)elm.last);
        cmd->num_iovas++;
        if (i == rs.n) {
            break;
        }
        if (rs.r[i].last == HM_ULONG_MAX) {
            done = true;
        } else {
            hole = rs.r[i].last + 1;
        }
    }
    u->respond = true;
    return cmd->num_iovas > max ? -EMSGSIZE : 0;
}

static int hm_ioctl_allow_iovas(HmUcmd *u, void *p)
{
    struct iommu_ioas_allow_iovas *cmd = p;
    HmResv *list = NULL;
    HmIoas *ioas;
    HmRanges rs;

    if (cmd->__reserved) {
        return -EOPNOTSUPP;
    }
    ioas = (HmIoas *)hm_obj_get(u->ctx, cmd->ioas_id, HM_OBJ_IOAS);
    if (!ioas) {
        return -ENOENT;
    }
    if (cmd->num_iovas) {
        list = calloc(cmd->num_iovas, sizeof(*list));
        if (!list) {
            return -ENOMEM;
        }
    }
    for (uint32_t i = 0; i < cmd->num_iovas; i++) {
        struct iommu_iova_range r;

        if (hm_copy_from_user(&r, cmd->allowed_iovas + i * sizeof(r),
                              sizeof(r))) {
            free(list);
            return -EFAULT;
        }
        if (r.start >= r.last) {
            free(list);
            return -EINVAL;
        }
        for (uint32_t j = 0; j < i; j++) {
            if (list[j].start <= r.last && r.start <= list[j].last) {
                free(list);
                return -EINVAL;
            }
        }
        list[i].start = r.start;
        list[i].last = r.last;
    }
    /* iopt_set_allow_iova(): allowed ranges may not be reserved already */
    hm_ioas_reserved(ioas, &rs);
    for (uint32_t i = 0; i < cmd->num_iovas; i++) {
        if (hm_ranges_overlap(&rs, list[i].start, list[i].last)) {
            free(list);
            return -EADDRINUSE;
        }
    }
    free(ioas->allowed);
    ioas->allowed = list;
    ioas->n_allowed = cmd->num_iovas;
    return 0;
}

#define HM_MAP_FLAGS (IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | \
                      IOMMU_IOAS_MAP_READABLE)

static int hm_ioctl_ioas_map(HmUcmd *u, void *p)
{
    struct iommu_ioas_map *cmd = p;
    uint64_t iova = cmd->iova;
    HmIoas *ioas;
    int rc;

    if ((cmd->flags & ~HM_MAP_FLAGS) || cmd->__reserved) {
        return -EOPNOTSUPP;
    }
    if (cmd->iova >= HM_ULONG_MAX || cmd->length >= HM_ULONG_MAX) {
        return -EOVERFLOW;
    }
    if (!(cmd->flags & (IOMMU_IOAS_MAP_WRITEABLE |
                        IOMMU_IOAS_MAP_READABLE))) {
        return -EINVAL;
    }
    ioas = (HmIoas *)hm_obj_get(u->ctx, cmd->ioas_id, HM_OBJ_IOAS);
    if (!ioas) {
        return -ENOENT;
    }
    rc = hm_ioas_map_common(ioas, cmd->flags, &iova, cmd->length,
                            cmd->user_va, false);
    if (rc) {
        return rc;
    }
    cmd->iova = iova;
    u->respond = true;
    return 0;
}

static int hm_ioctl_ioas_map_file(HmUcmd *u, void *p)
{
    struct iommu_ioas_map_file *cmd = p;
    uint64_t iova = cmd->iova;
    HmIoas *ioas;
    struct stat st;
    uint64_t end;
    int rc;

    if (cmd->flags & ~HM_MAP_FLAGS) {
        return -EOPNOTSUPP;
    }
    if (cmd->iova >= HM_ULONG_MAX || cmd->length >= HM_ULONG_MAX) {
        return -EOVERFLOW;
    }
    if (!(cmd->flags & (IOMMU_IOAS_MAP_WRITEABLE |
                        IOMMU_IOAS_MAP_READABLE))) {
        return -EINVAL;
    }
    ioas = (HmIoas *)hm_obj_get(u->ctx, cmd->ioas_id, HM_OBJ_IOAS);
    if (!ioas) {
        return -ENOENT;
    }
    if (cmd->fd < 0 || fstat(cmd->fd, &st) < 0) {
        return -EBADF;
    }
    if (__builtin_add_overflow(cmd->start, cmd->length, &end) ||
        (S_ISREG(st.st_mode) && end > (uint64_t)st.st_size)) {
        return -EINVAL;
    }
    rc = hm_ioas_map_common(ioas, cmd->flags, &iova, cmd->length, 0, true);
    if (rc) {
        return rc;
    }
    cmd->iova = iova;
    u->respond = true;
    return 0;
}

static int hm_ioctl_ioas_copy(HmUcmd *u, void *p)
{
    struct iommu_ioas_copy *cmd = p;
    HmIoas *src, *dst;
    uint64_t iova = cmd->dst_iova, pos, last, uva = 0;
    bool is_file = false;
    int rc;

    if (cmd->flags & ~HM_MAP_FLAGS) {
        return -EOPNOTSUPP;
    }
    if (cmd->length >= HM_ULONG_MAX || cmd->src_iova >= HM_ULONG_MAX ||
        cmd->dst_iova >= HM_ULONG_MAX) {
        return -EOVERFLOW;
    }
    if (!(cmd->flags & (IOMMU_IOAS_MAP_WRITEABLE |
                        IOMMU_IOAS_MAP_READABLE))) {
        return -EINVAL;
    }
    src = (HmIoas *)hm_obj_get(u->ctx, cmd->src_ioas_id, HM_OBJ_IOAS);
    if (!src) {
        return -ENOENT;
    }
    /* iopt_get_pages(): the source must be fully mapped */
    if (!cmd->length ||
        __builtin_add_overflow(cmd->src_iova, cmd->length - 1, &last)) {
        return -EINVAL;
    }
    for (pos = cmd->src_iova; pos <= last;) {
        HmArea *a = hm_ioas_area_overlap(src, pos, pos);

        if (!a) {
            return -ENOENT;
        }
        if (pos == cmd->src_iova) {
            uva = a->uva + (pos - a->iova);
            is_file = a->is_file;
        }
        if (a->last >= last) {
            break;
        }
        pos = a->last + 1;
    }
    dst = (HmIoas *)hm_obj_get(u->ctx, cmd->dst_ioas_id, HM_OBJ_IOAS);
    if (!dst) {
        return -ENOENT;
    }
    rc = hm_ioas_map_common(dst, cmd->flags, &iova, cmd->length, uva,
                            is_file);
    if (rc) {
        return rc;
    }
    cmd->dst_iova = iova;
    u->respond = true;
    return 0;
}

static int hm_ioctl_ioas_unmap(HmUcmd *u, void *p)
{
    struct iommu_ioas_unmap *cmd = p;
    uint64_t unmapped = 0, last;
    HmIoas *ioas;
    int rc;

    ioas = (HmIoas *)hm_obj_get(u->ctx, cmd->ioas_id, HM_OBJ_IOAS);
    if (!ioas) {
        return -ENOENT;
    }
    if (cmd->iova == 0 && cmd->length == UINT64_MAX) {
        rc = hm_ioas_unmap_range(ioas, 0, HM_ULONG_MAX, &unmapped);
    } else {
        if (cmd->iova >= HM_ULONG_MAX || cmd->length >= HM_ULONG_MAX) {
            return -EOVERFLOW;
        }
        if (!cmd->length) {
            return -EINVAL;
        }
        if (__builtin_add_overflow(cmd->iova, cmd->length - 1, &last)) {
            return -EOVERFLOW;
        }
        rc = hm_ioas_unmap_range(ioas, cmd->iova, last, &unmapped);
    }
    if (rc) {
        return rc;
    }
    cmd->length = unmapped;
    u->respond = true;
    return 0;
}

static bool hm_capable_sys_resource(void)
{
    struct __user_cap_header_struct hdr = {
        .version = _LINUX_CAPABILITY_VERSION_3,
    };
    struct __user_cap_data_struct data[2];

    if (syscall(SYS_capget, &hdr, data) < 0) {
        return false;
    }
    return data[0].effective & (1u << CAP_SYS_RESOURCE);
}

static bool hm_ctx_empty(HmCtx *ctx)
{
    for (uint32_t id = 1; id < ctx->n_objs; id++) {
        if (ctx->objs[id]) {
            return false;
        }
    }
    return true;
}

static int hm_ioctl_option(HmUcmd *u, void *p)
{
    struct iommu_option *cmd = p;
    HmIoas *ioas;
    int rc = 0;

    if (cmd->__reserved) {
        return -EOPNOTSUPP;
    }
    switch (cmd->option_id) {
    case IOMMU_OPTION_RLIMIT_MODE:
        if (cmd->object_id) {
            return -EOPNOTSUPP;
        }
        if (cmd->op == IOMMU_OPTION_OP_GET) {
            cmd->val64 = u->ctx->account_mm;
        } else if (cmd->op == IOMMU_OPTION_OP_SET) {
            if (!hm_capable_sys_resource()) {
                return -EPERM;
            }
            if (!hm_ctx_empty(u->ctx)) {
                return -EBUSY;
            }
            if (cmd->val64 > 1) {
                return -EINVAL;
            }
            u->ctx->account_mm = cmd->val64;
        } else {
            return -EOPNOTSUPP;
        }
        break;
    case IOMMU_OPTION_HUGE_PAGES:
        ioas = (HmIoas *)hm_obj_get(u->ctx, cmd->object_id, HM_OBJ_IOAS);
        if (!ioas) {
            return -ENOENT;
        }
        if (cmd->op == IOMMU_OPTION_OP_GET) {
            cmd->val64 = !ioas->disable_large_pages;
        } else if (cmd->op == IOMMU_OPTION_OP_SET) {
            if (cmd->val64 == 0) {
                if (!ioas->disable_large_pages &&
                    hm_ioas_has_domain(ioas) && ioas->n_areas) {
                    return -EINVAL;
                }
                ioas->disable_large_pages = true;
            } else if (cmd->val64 == 1) {
                ioas->disable_large_pages = false;
            } else {
                return -EINVAL;
            }
        } else {
            return -EOPNOTSUPP;
        }
        break;
    default:
        return -EOPNOTSUPP;
    }
    /* the kernel copies back val64 only */
    rc = hm_copy_to_user(u->uarg + offsetof(struct iommu_option, val64),
                         &cmd->val64, sizeof(cmd->val64));
    hm_call_out(u->call, "\"val64\":%llu", (unsigned long long)cmd->val64);
    return rc;
}

static int hm_ioctl_vfio_ioas(HmUcmd *u, void *p)
{
    struct iommu_vfio_ioas *cmd = p;

    if (cmd->__reserved) {
        return -EOPNOTSUPP;
    }
    switch (cmd->op) {
    case IOMMU_VFIO_IOAS_GET:
        if (!hm_obj_get(u->ctx, u->ctx->vfio_ioas, HM_OBJ_IOAS)) {
            return -ENODEV;
        }
        cmd->ioas_id = u->ctx->vfio_ioas;
        u->respond = true;
        return 0;
    case IOMMU_VFIO_IOAS_SET:
        if (!hm_obj_get(u->ctx, cmd->ioas_id, HM_OBJ_IOAS)) {
            return -ENOENT;
        }
        u->ctx->vfio_ioas = cmd->ioas_id;
        return 0;
    case IOMMU_VFIO_IOAS_CLEAR:
        u->ctx->vfio_ioas = 0;
        return 0;
    default:
        return -EOPNOTSUPP;
    }
}

static int hm_ioctl_change_process(HmUcmd *u, void *p)
{
    struct iommu_ioas_change_process *cmd = p;
    HmCtx *ctx = u->ctx;

    if (cmd->__reserved) {
        return -EOPNOTSUPP;
    }
    /* only IOMMU_IOAS_MAP_FILE mappings can move to another process */
    for (uint32_t id = 1; id < ctx->n_objs; id++) {
        HmIoas *ioas = (HmIoas *)ctx->objs[id];

        if (!ioas || ioas->obj.type != HM_OBJ_IOAS) {
            continue;
        }
        for (size_t i = 0; i < ioas->n_areas; i++) {
            if (!ioas->areas[i].is_file) {
                return -EINVAL;
            }
        }
    }
    return 0;
}

/* iommufd_hwpt_paging_alloc() + arm_smmu_domain_alloc_paging_flags() */
static int hm_hwpt_paging_alloc(HmCtx *ctx, HmIoas *ioas, HmIdev *idev,
                                uint32_t flags, bool has_data,
                                HmHwpt **out)
{
    const uint32_t valid = IOMMU_HWPT_ALLOC_NEST_PARENT |
                           IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
                           IOMMU_HWPT_FAULT_ID_VALID |
                           IOMMU_HWPT_ALLOC_PASID;
    HmSmmu *smmu = idev->dev->smmu;
    uint32_t kind;
    HmHwpt *h;
    int rc;

    if (flags & ~valid) {
        return -EOPNOTSUPP;
    }
    if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
        !hm_smmu_dirty_capable(smmu)) {
        return -EOPNOTSUPP;
    }
    if (has_data) {
        return -EOPNOTSUPP;
    }
    kind = flags & ~(IOMMU_HWPT_ALLOC_PASID | IOMMU_HWPT_FAULT_ID_VALID);
    h = calloc(1, sizeof(*h));
    if (!h) {
        return -ENOMEM;
    }
    switch (kind) {
    case 0:
        h->ias_bits = HM_IDR0_S1P(smmu->prof.idr[0]) ?
                      hm_smmu_s1_ias_bits(smmu) : hm_smmu_s2_ias_bits(smmu);
        break;
    case IOMMU_HWPT_ALLOC_NEST_PARENT:
        if (!hm_smmu_can_nest(smmu)) {
            free(h);
            return -EOPNOTSUPP;
        }
        h->nest_parent = true;
        h->ias_bits = hm_smmu_s2_ias_bits(smmu);
        rc = hm_smmu_vmid_alloc(smmu, &h->vmid);
        if (rc) {
            free(h);
            return rc;
        }
        break;
    case IOMMU_HWPT_ALLOC_DIRTY_TRACKING:
        h->dirty_tracking = true;
        h->ias_bits = hm_smmu_s1_ias_bits(smmu);
        break;
    default:
        free(h);
        return -EOPNOTSUPP;
    }
    if (flags & IOMMU_HWPT_FAULT_ID_VALID) {
        /* no fault objects in the model: the fault_id cannot exist */
        rc = -ENOENT;
        goto fail;
    }
    /* iopt_table_add_domain(): mappings must fit and be pinnable */
    for (size_t i = 0; i < ioas->n_areas; i++) {
        HmArea *a = &ioas->areas[i];

        if (h->ias_bits < 64 && a->last >= (1ULL << h->ias_bits)) {
            rc = -EADDRINUSE;
            goto fail;
        }
        if (!a->is_file &&
            !hm_user_range_mapped(a->uva, a->last - a->iova + 1)) {
            rc = -EFAULT;
            goto fail;
        }
    }
    {
        HmHwpt *obj = hm_obj_alloc(ctx, HM_OBJ_HWPT_PAGING, sizeof(*obj));
        uint32_t id;

        if (!obj) {
            rc = -ENOMEM;
            goto fail;
        }
        id = obj->obj.id;
        *obj = *h;
        obj->obj.type = HM_OBJ_HWPT_PAGING;
        obj->obj.id = id;
        obj->obj.users = 1;
        obj->obj.ctx = ctx;
        obj->smmu = smmu;
        obj->ioas = ioas;
        ioas->obj.users++;
        free(h);
        *out = obj;
        return 0;
    }
fail:
    if (h->nest_parent) {
        hm_smmu_vmid_free(smmu, h->vmid);
    }
    free(h);
    return rc;
}

static int hm_copy_hwpt_data(struct iommu_hwpt_alloc *cmd, uint64_t ste[2])
{
    struct iommu_hwpt_arm_smmuv3 arg;
    int rc;

    /* iommu_copy_struct_from_user(&arg, .., ARM_SMMUV3, ste) */
    if (cmd->data_type != IOMMU_HWPT_DATA_ARM_SMMUV3) {
        return -EINVAL;
    }
    if (cmd->data_len < sizeof(arg)) {
        return -EINVAL;
    }
    rc = hm_copy_struct_from_user(&arg, sizeof(arg), cmd->data_uptr,
                                  cmd->data_len);
    if (rc) {
        return rc;
    }
    ste[0] = arg.ste[0];
    ste[1] = arg.ste[1];
    return 0;
}

static int hm_ioctl_hwpt_alloc(HmUcmd *u, void *p)
{
    struct iommu_hwpt_alloc *cmd = p;
    HmCtx *ctx = u->ctx;
    HmIdev *idev;
    HmObj *pt;
    HmHwpt *hwpt = NULL;
    int rc;

    if (cmd->__reserved) {
        return -EOPNOTSUPP;
    }
    if ((cmd->data_type == IOMMU_HWPT_DATA_NONE && cmd->data_len) ||
        (cmd->data_type != IOMMU_HWPT_DATA_NONE && !cmd->data_len)) {
        return -EINVAL;
    }
    idev = (HmIdev *)hm_obj_get(ctx, cmd->dev_id, HM_OBJ_DEVICE);
    if (!idev) {
        return -ENOENT;
    }
    pt = hm_obj_get(ctx, cmd->pt_id, 0);
    if (!pt) {
        return -EINVAL;
    }
    switch (pt->type) {
    case HM_OBJ_IOAS:
        rc = hm_hwpt_paging_alloc(ctx, (HmIoas *)pt, idev, cmd->flags,
                                  cmd->data_len != 0, &hwpt);
        break;
    case HM_OBJ_HWPT_PAGING:
        /* arm-smmu-v3 only nests through a vIOMMU: no domain_alloc_nested */
        rc = -EOPNOTSUPP;
        break;
    case HM_OBJ_VIOMMU: {
        HmViommu *v = (HmViommu *)pt;
        uint64_t ste[2];
        bool ats = false;

        if (v->smmu != idev->dev->smmu) {
            rc = -EINVAL;
            break;
        }
        if ((cmd->flags & ~IOMMU_HWPT_FAULT_ID_VALID) || !cmd->data_len) {
            rc = -EOPNOTSUPP;
            break;
        }
        rc = hm_copy_hwpt_data(cmd, ste);
        if (rc) {
            break;
        }
        hm_call_in(u->call, "\"ste0\":\"0x%016llx\",\"ste1\":\"0x%016llx\"",
                   (unsigned long long)ste[0], (unsigned long long)ste[1]);
        rc = hm_smmu_validate_vste(ste, &ats);
        if (rc) {
            break;
        }
        if (cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) {
            /* no fault objects in the model: the fault_id cannot exist */
            rc = -ENOENT;
            break;
        }
        hwpt = hm_obj_alloc(ctx, HM_OBJ_HWPT_NESTED, sizeof(*hwpt));
        if (!hwpt) {
            rc = -ENOMEM;
            break;
        }
        hwpt->smmu = v->smmu;
        hwpt->viommu = v;
        v->obj.users++;
        hwpt->ste[0] = ste[0];
        hwpt->ste[1] = ste[1] & ~HM_STE1_EATS_MASK;
        hwpt->enable_ats = ats;
        break;
    }
    default:
        rc = -EINVAL;
        break;
    }
    if (rc) {
        return rc;
    }
    cmd->out_hwpt_id = hwpt->obj.id;
    u->respond = true;
    return 0;
}

static int hm_ioctl_get_hw_info(HmUcmd *u, void *p)
{
    struct iommu_hw_info *cmd = p;
    struct iommu_hw_info_arm_smmuv3 info = { 0 };
    uint32_t copy_len;
    HmIdev *idev;
    HmSmmu *s;

    if (cmd->flags & ~IOMMU_HW_INFO_FLAG_INPUT_TYPE) {
        return -EOPNOTSUPP;
    }
    if (cmd->__reserved[0] || cmd->__reserved[1] || cmd->__reserved[2]) {
        return -EOPNOTSUPP;
    }
    if (!(cmd->flags & IOMMU_HW_INFO_FLAG_INPUT_TYPE)) {
        cmd->in_data_type = IOMMU_HW_INFO_TYPE_DEFAULT;
    }
    idev = (HmIdev *)hm_obj_get(u->ctx, cmd->dev_id, HM_OBJ_DEVICE);
    if (!idev) {
        return -ENOENT;
    }
    if (cmd->in_data_type != IOMMU_HW_INFO_TYPE_DEFAULT &&
        cmd->in_data_type != IOMMU_HW_INFO_TYPE_ARM_SMMUV3) {
        /* no implementation-specific hw_info on a plain SMMUv3 */
        return -EOPNOTSUPP;
    }
    s = idev->dev->smmu;
    memcpy(info.idr, s->prof.idr, sizeof(info.idr));
    info.iidr = s->prof.iidr;
    info.aidr = s->prof.aidr;
    cmd->out_data_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
    copy_len = cmd->data_len < sizeof(info) ? cmd->data_len : sizeof(info);
    if (hm_copy_to_user(cmd->data_uptr, &info, copy_len)) {
        return -EFAULT;
    }
    if (copy_len < cmd->data_len &&
        hm_clear_user(cmd->data_uptr + copy_len, cmd->data_len - copy_len)) {
        return -EFAULT;
    }
    cmd->data_len = sizeof(info);
    cmd->out_capabilities = 0;
    if (hm_smmu_dirty_capable(s)) {
        cmd->out_capabilities |= IOMMU_HW_CAP_DIRTY_TRACKING;
    }
    cmd->out_max_pasid_log2 = 0;
    if (idev->dev->pasid_bits) {
        unsigned ssid = HM_IDR1_SSIDSIZE(s->prof.idr[1]);

        cmd->out_max_pasid_log2 = idev->dev->pasid_bits < ssid ?
                                  idev->dev->pasid_bits : ssid;
    }
    u->respond = true;
    return 0;
}

static int hm_ioctl_set_dirty(HmUcmd *u, void *p)
{
    struct iommu_hwpt_set_dirty_tracking *cmd = p;
    HmHwpt *h;

    if (cmd->flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE) {
        return -EOPNOTSUPP;
    }
    h = (HmHwpt *)hm_obj_get(u->ctx, cmd->hwpt_id, HM_OBJ_HWPT_PAGING);
    if (!h) {
        return -ENOENT;
    }
    if (!h->dirty_tracking) {
        return -EOPNOTSUPP;
    }
    h->dirty_enabled = cmd->flags & IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
    return 0;
}

static int hm_ioctl_get_dirty(HmUcmd *u, void *p)
{
    struct iommu_hwpt_get_dirty_bitmap *cmd = p;
    uint64_t last;
    HmHwpt *h;

    if ((cmd->flags & ~IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) ||
        cmd->__reserved) {
        return -EOPNOTSUPP;
    }
    h = (HmHwpt *)hm_obj_get(u->ctx, cmd->hwpt_id, HM_OBJ_HWPT_PAGING);
    if (!h) {
        return -ENOENT;
    }
    if (!h->dirty_tracking) {
        return -EOPNOTSUPP;
    }
    if (!cmd->length || !cmd->page_size ||
        (cmd->page_size & (cmd->page_size - 1)) ||
        (cmd->iova & (cmd->page_size - 1)) ||
        (cmd->length & (cmd->page_size - 1))) {
        return -EINVAL;
    }
    if (__builtin_add_overflow(cmd->iova, cmd->length - 1, &last)) {
        return -EOVERFLOW;
    }
    /* no DMA ever happens in the model: nothing is dirty, no bit is set */
    return 0;
}

static int hm_ioctl_hwpt_invalidate(HmUcmd *u, void *p)
{
    struct iommu_hwpt_invalidate *cmd = p;
    uint32_t done = 0, num = cmd->entry_num;
    HmObj *obj;
    int rc;

    u->respond = true;  /* entry_num is written back even on failure */
    if (cmd->__reserved) {
        rc = -EOPNOTSUPP;
        goto out;
    }
    if (cmd->entry_num && (!cmd->data_uptr || !cmd->entry_len)) {
        rc = -EINVAL;
        goto out;
    }
    obj = hm_obj_get(u->ctx, cmd->hwpt_id, 0);
    if (!obj) {
        rc = -ENOENT;
        goto out;
    }
    if (obj->type == HM_OBJ_HWPT_NESTED) {
        /* arm-smmu-v3 nested domains have no cache_invalidate_user */
        rc = -EOPNOTSUPP;
        goto out;
    }
    if (obj->type != HM_OBJ_VIOMMU) {
        rc = -EINVAL;
        goto out;
    }
    rc = hm_smmu_cache_invalidate((HmViommu *)obj, cmd->data_uptr,
                                  cmd->data_type, cmd->entry_len, &num,
                                  u->call);
    done = num;
out:
    cmd->entry_num = done;
    return rc;
}

static int hm_ioctl_viommu_alloc(HmUcmd *u, void *p)
{
    struct iommu_viommu_alloc *cmd = p;
    HmIdev *idev;
    HmHwpt *s2;
    HmSmmu *s;
    HmViommu *v;

    if (cmd->flags || cmd->type == IOMMU_VIOMMU_TYPE_DEFAULT) {
        return -EOPNOTSUPP;
    }
    idev = (HmIdev *)hm_obj_get(u->ctx, cmd->dev_id, HM_OBJ_DEVICE);
    if (!idev) {
        return -ENOENT;
    }
    s = idev->dev->smmu;
    /* arm_smmu_get_viommu_size() returning 0 */
    if (!hm_smmu_can_nest(s) || s->opt_force_sync) {
        return -EOPNOTSUPP;
    }
    if (!idev->dev->canwbs && !HM_IDR3_FWB(s->prof.idr[3])) {
        return -EOPNOTSUPP;
    }
    if (cmd->type != IOMMU_VIOMMU_TYPE_ARM_SMMUV3) {
        /* no implementation ops (e.g. Tegra241 CMDQV) on these hosts */
        return -EOPNOTSUPP;
    }
    s2 = (HmHwpt *)hm_obj_get(u->ctx, cmd->hwpt_id, HM_OBJ_HWPT_PAGING);
    if (!s2) {
        return -ENOENT;
    }
    if (!s2->nest_parent) {
        return -EINVAL;
    }
    /* arm_vsmmu_init(): the S2 must be on the device's SMMU */
    if (s2->smmu != s) {
        return -EINVAL;
    }
    v = hm_obj_alloc(u->ctx, HM_OBJ_VIOMMU, sizeof(*v));
    if (!v) {
        return -ENOMEM;
    }
    v->s2 = s2;
    s2->obj.users++;
    v->smmu = s;
    v->type = cmd->type;
    v->vmid = s2->vmid;
    cmd->out_viommu_id = v->obj.id;
    u->respond = true;
    return 0;
}

static HmVdevice *hm_viommu_vdev_by_vsid(HmViommu *v, uint64_t vsid)
{
    HmCtx *ctx = v->obj.ctx;

    for (uint32_t id = 1; id < ctx->n_objs; id++) {
        HmVdevice *vd = (HmVdevice *)ctx->objs[id];

        if (vd && vd->obj.type == HM_OBJ_VDEVICE && vd->viommu == v &&
            vd->virt_id == vsid) {
            return vd;
        }
    }
    return NULL;
}

static int hm_ioctl_vdevice_alloc(HmUcmd *u, void *p)
{
    struct iommu_vdevice_alloc *cmd = p;
    HmVdevice *vd;
    HmViommu *v;
    HmIdev *idev;

    v = (HmViommu *)hm_obj_get(u->ctx, cmd->viommu_id, HM_OBJ_VIOMMU);
    if (!v) {
        return -ENOENT;
    }
    idev = (HmIdev *)hm_obj_get(u->ctx, cmd->dev_id, HM_OBJ_DEVICE);
    if (!idev) {
        return -ENOENT;
    }
    if (v->smmu != idev->dev->smmu) {
        return -EINVAL;
    }
    if (idev->vdev) {
        return -EEXIST;
    }
    if (hm_viommu_vdev_by_vsid(v, cmd->virt_id)) {
        return -EEXIST;
    }
    vd = hm_obj_alloc(u->ctx, HM_OBJ_VDEVICE, sizeof(*vd));
    if (!vd) {
        return -ENOMEM;
    }
    vd->viommu = v;
    v->obj.users++;
    vd->idev = idev;
    idev->obj.users++;
    idev->vdev = vd;
    vd->virt_id = cmd->virt_id;
    cmd->out_vdevice_id = vd->obj.id;
    u->respond = true;
    return 0;
}

static int hm_ioctl_veventq_alloc(HmUcmd *u, void *p)
{
    int rc = hm_veventq_alloc(u->ctx, p);

    if (rc == 0) {
        u->respond = true;
    }
    return rc;
}

static int hm_ioctl_hw_queue_alloc(HmUcmd *u, void *p)
{
    struct iommu_hw_queue_alloc *cmd = p;
    uint64_t last;

    if (cmd->flags || cmd->type == IOMMU_HW_QUEUE_TYPE_DEFAULT) {
        return -EOPNOTSUPP;
    }
    if (!cmd->length) {
        return -EINVAL;
    }
    if (__builtin_add_overflow(cmd->nesting_parent_iova, cmd->length - 1,
                               &last)) {
        return -EOVERFLOW;
    }
    if (!hm_obj_get(u->ctx, cmd->viommu_id, HM_OBJ_VIOMMU)) {
        return -ENOENT;
    }
    /* a plain arm-smmu-v3 vIOMMU has no HW queue ops (no CMDQV) */
    return -EOPNOTSUPP;
}

static int hm_ioctl_fault_alloc(HmUcmd *u, void *p)
{
    struct iommu_fault_alloc *cmd = p;

    if (cmd->flags) {
        return -EOPNOTSUPP;
    }
    hm_call_in(u->call, "\"not_modeled\":true");
    return -EOPNOTSUPP;
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
    int (*fn)(HmUcmd *u, void *p);
    HmField fields[10];
} HmIoctlOp;

#define HM_OP(_num, _fn, _type, _last, ...) \
    [_IOC_NR(_num) - IOMMUFD_CMD_BASE] = { \
        .num = _num, .name = #_num, .size = sizeof(struct _type), \
        .min_size = offsetof(struct _type, _last) + \
                    sizeof(((struct _type *)0)->_last), \
        .fn = _fn, .fields = { __VA_ARGS__ }, \
    }

static const HmIoctlOp hm_iommufd_ops[] = {
    HM_OP(IOMMU_DESTROY, hm_ioctl_destroy, iommu_destroy, id,
          HM_F(iommu_destroy, id)),
    HM_OP(IOMMU_IOAS_ALLOC, hm_ioctl_ioas_alloc, iommu_ioas_alloc,
          out_ioas_id, HM_F(iommu_ioas_alloc, flags),
          HM_F(iommu_ioas_alloc, out_ioas_id)),
    HM_OP(IOMMU_IOAS_ALLOW_IOVAS, hm_ioctl_allow_iovas,
          iommu_ioas_allow_iovas, allowed_iovas,
          HM_F(iommu_ioas_allow_iovas, ioas_id),
          HM_F(iommu_ioas_allow_iovas, num_iovas),
          HM_F(iommu_ioas_allow_iovas, allowed_iovas)),
    HM_OP(IOMMU_IOAS_COPY, hm_ioctl_ioas_copy, iommu_ioas_copy, src_iova,
          HM_F(iommu_ioas_copy, flags), HM_F(iommu_ioas_copy, dst_ioas_id),
          HM_F(iommu_ioas_copy, src_ioas_id), HM_F(iommu_ioas_copy, length),
          HM_F(iommu_ioas_copy, dst_iova), HM_F(iommu_ioas_copy, src_iova)),
    HM_OP(IOMMU_IOAS_IOVA_RANGES, hm_ioctl_iova_ranges,
          iommu_ioas_iova_ranges, out_iova_alignment,
          HM_F(iommu_ioas_iova_ranges, ioas_id),
          HM_F(iommu_ioas_iova_ranges, num_iovas),
          HM_F(iommu_ioas_iova_ranges, allowed_iovas),
          HM_F(iommu_ioas_iova_ranges, out_iova_alignment)),
    HM_OP(IOMMU_IOAS_MAP, hm_ioctl_ioas_map, iommu_ioas_map, iova,
          HM_F(iommu_ioas_map, flags), HM_F(iommu_ioas_map, ioas_id),
          HM_F(iommu_ioas_map, user_va), HM_F(iommu_ioas_map, length),
          HM_F(iommu_ioas_map, iova)),
    HM_OP(IOMMU_IOAS_UNMAP, hm_ioctl_ioas_unmap, iommu_ioas_unmap, length,
          HM_F(iommu_ioas_unmap, ioas_id), HM_F(iommu_ioas_unmap, iova),
          HM_F(iommu_ioas_unmap, length)),
    HM_OP(IOMMU_OPTION, hm_ioctl_option, iommu_option, val64,
          HM_F(iommu_option, option_id), HM_F(iommu_option, op),
          HM_F(iommu_option, object_id), HM_F(iommu_option, val64)),
    HM_OP(IOMMU_VFIO_IOAS, hm_ioctl_vfio_ioas, iommu_vfio_ioas, __reserved,
          HM_F(iommu_vfio_ioas, ioas_id), HM_F(iommu_vfio_ioas, op)),
    HM_OP(IOMMU_HWPT_ALLOC, hm_ioctl_hwpt_alloc, iommu_hwpt_alloc,
          __reserved, HM_F(iommu_hwpt_alloc, flags),
          HM_F(iommu_hwpt_alloc, dev_id), HM_F(iommu_hwpt_alloc, pt_id),
          HM_F(iommu_hwpt_alloc, out_hwpt_id),
          HM_F(iommu_hwpt_alloc, data_type),
          HM_F(iommu_hwpt_alloc, data_len),
          HM_F(iommu_hwpt_alloc, data_uptr),
          HM_F(iommu_hwpt_alloc, fault_id)),
    HM_OP(IOMMU_GET_HW_INFO, hm_ioctl_get_hw_info, iommu_hw_info,
          __reserved, HM_F(iommu_hw_info, flags),
          HM_F(iommu_hw_info, dev_id), HM_F(iommu_hw_info, data_len),
          HM_F(iommu_hw_info, data_uptr),
          HM_F(iommu_hw_info, out_data_type),
          HM_F(iommu_hw_info, out_max_pasid_log2),
          HM_F(iommu_hw_info, out_capabilities)),
    HM_OP(IOMMU_HWPT_SET_DIRTY_TRACKING, hm_ioctl_set_dirty,
          iommu_hwpt_set_dirty_tracking, __reserved,
          HM_F(iommu_hwpt_set_dirty_tracking, flags),
          HM_F(iommu_hwpt_set_dirty_tracking, hwpt_id)),
    HM_OP(IOMMU_HWPT_GET_DIRTY_BITMAP, hm_ioctl_get_dirty,
          iommu_hwpt_get_dirty_bitmap, data,
          HM_F(iommu_hwpt_get_dirty_bitmap, hwpt_id),
          HM_F(iommu_hwpt_get_dirty_bitmap, flags),
          HM_F(iommu_hwpt_get_dirty_bitmap, iova),
          HM_F(iommu_hwpt_get_dirty_bitmap, length),
          HM_F(iommu_hwpt_get_dirty_bitmap, page_size)),
    HM_OP(IOMMU_HWPT_INVALIDATE, hm_ioctl_hwpt_invalidate,
          iommu_hwpt_invalidate, __reserved,
          HM_F(iommu_hwpt_invalidate, hwpt_id),
          HM_F(iommu_hwpt_invalidate, data_uptr),
          HM_F(iommu_hwpt_invalidate, data_type),
          HM_F(iommu_hwpt_invalidate, entry_len),
          HM_F(iommu_hwpt_invalidate, entry_num)),
    HM_OP(IOMMU_FAULT_QUEUE_ALLOC, hm_ioctl_fault_alloc, iommu_fault_alloc,
          out_fault_fd, HM_F(iommu_fault_alloc, flags)),
    HM_OP(IOMMU_IOAS_MAP_FILE, hm_ioctl_ioas_map_file, iommu_ioas_map_file,
          iova, HM_F(iommu_ioas_map_file, flags),
          HM_F(iommu_ioas_map_file, ioas_id), HM_F(iommu_ioas_map_file, fd),
          HM_F(iommu_ioas_map_file, start),
          HM_F(iommu_ioas_map_file, length),
          HM_F(iommu_ioas_map_file, iova)),
    HM_OP(IOMMU_VIOMMU_ALLOC, hm_ioctl_viommu_alloc, iommu_viommu_alloc,
          out_viommu_id, HM_F(iommu_viommu_alloc, flags),
          HM_F(iommu_viommu_alloc, type), HM_F(iommu_viommu_alloc, dev_id),
          HM_F(iommu_viommu_alloc, hwpt_id),
          HM_F(iommu_viommu_alloc, out_viommu_id)),
    HM_OP(IOMMU_VDEVICE_ALLOC, hm_ioctl_vdevice_alloc, iommu_vdevice_alloc,
          virt_id, HM_F(iommu_vdevice_alloc, viommu_id),
          HM_F(iommu_vdevice_alloc, dev_id),
          HM_F(iommu_vdevice_alloc, out_vdevice_id),
          HM_F(iommu_vdevice_alloc, virt_id)),
    HM_OP(IOMMU_IOAS_CHANGE_PROCESS, hm_ioctl_change_process,
          iommu_ioas_change_process, __reserved,
          HM_F(iommu_ioas_change_process, __reserved)),
    HM_OP(IOMMU_VEVENTQ_ALLOC, hm_ioctl_veventq_alloc, iommu_veventq_alloc,
          out_veventq_fd, HM_F(iommu_veventq_alloc, flags),
          HM_F(iommu_veventq_alloc, viommu_id),
          HM_F(iommu_veventq_alloc, type),
          HM_F(iommu_veventq_alloc, veventq_depth),
          HM_F(iommu_veventq_alloc, out_veventq_id),
          HM_F(iommu_veventq_alloc, out_veventq_fd)),
    HM_OP(IOMMU_HW_QUEUE_ALLOC, hm_ioctl_hw_queue_alloc,
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

/* ---- devices: bind, attach, detach ---- */

bool hm_group_claimed_elsewhere(HmDevice *dev, HmCtx *ctx)
{
    for (unsigned i = 0; i < hm.cfg.n_devices; i++) {
        HmDevice *o = &hm.cfg.devices[i];

        if (o != dev && o->group == dev->group && o->bound &&
            o->bound->ctx != ctx) {
            return true;
        }
    }
    return false;
}

/* iommufd_ctx_has_group() */
bool hm_ctx_has_group(HmCtx *ctx, int group)
{
    for (uint32_t id = 1; ctx && id < ctx->n_objs; id++) {
        HmIdev *idev = (HmIdev *)ctx->objs[id];

        if (idev && idev->obj.type == HM_OBJ_DEVICE &&
            idev->dev->group == group) {
            return true;
        }
    }
    return false;
}

static HmIgroup *hm_igroup_get(HmCtx *ctx, int group_id)
{
    HmIgroup *ig;

    for (unsigned i = 0; i < ctx->n_igroups; i++) {
        if (ctx->igroups[i]->group_id == group_id) {
            ctx->igroups[i]->refs++;
            return ctx->igroups[i];
        }
    }
    if (ctx->n_igroups == HM_MAX_DEVICES) {
        return NULL;
    }
    ig = calloc(1, sizeof(*ig));
    if (!ig) {
        return NULL;
    }
    ig->group_id = group_id;
    ig->refs = 1;
    ctx->igroups[ctx->n_igroups++] = ig;
    return ig;
}

static void hm_igroup_put(HmCtx *ctx, HmIgroup *ig)
{
    if (--ig->refs > 0) {
        return;
    }
    for (unsigned i = 0; i < ctx->n_igroups; i++) {
        if (ctx->igroups[i] == ig) {
            ctx->igroups[i] = ctx->igroups[--ctx->n_igroups];
            break;
        }
    }
    free(ig);
}

/* iommufd_device_bind() */
int hm_idev_bind(HmCtx *ctx, HmDevice *dev, HmIdev **out)
{
    HmIgroup *ig;
    HmIdev *idev;

    /* iommu_device_claim_dma_owner(): one owner per iommu group */
    if (hm_group_claimed_elsewhere(dev, ctx)) {
        return -EPERM;
    }
    ig = hm_igroup_get(ctx, dev->group);
    if (!ig) {
        return -ENOMEM;
    }
    idev = hm_obj_alloc(ctx, HM_OBJ_DEVICE, sizeof(*idev));
    if (!idev) {
        hm_igroup_put(ctx, ig);
        return -ENOMEM;
    }
    idev->dev = dev;
    idev->igroup = ig;
    idev->obj.users++;      /* the VFIO driver is a user until unbind */
    hm_ctx_get(ctx);
    *out = idev;
    return 0;
}

static bool hm_idev_is_attached(HmIdev *idev)
{
    HmIgroup *ig = idev->igroup;

    for (unsigned i = 0; i < ig->n_attached; i++) {
        if (ig->attached[i] == idev) {
            return true;
        }
    }
    return false;
}

static HmIdev *hm_ctx_idev_of(HmCtx *ctx, HmDevice *dev)
{
    for (uint32_t id = 1; id < ctx->n_objs; id++) {
        HmIdev *idev = (HmIdev *)ctx->objs[id];

        if (idev && idev->obj.type == HM_OBJ_DEVICE && idev->dev == dev) {
            return idev;
        }
    }
    return NULL;
}

/*
 * The iommu core gives a domain to a whole iommu group: the SMMU
 * driver's attach runs for every device of the group.  Check them all,
 * then commit (the kernel rolls back on failure, which has the same
 * visible effect).
 */
static int hm_group_set_domain(HmCtx *ctx, HmIgroup *ig, HmHwpt *hwpt)
{
    for (unsigned i = 0; i < hm.cfg.n_devices; i++) {
        HmDevice *d = &hm.cfg.devices[i];

        if (d->group != ig->group_id || !hwpt) {
            continue;
        }
        if (hwpt->obj.type == HM_OBJ_HWPT_PAGING) {
            /* arm_smmu_attach_dev(): a domain belongs to one SMMU */
            if (hwpt->smmu != d->smmu) {
                return -EINVAL;
            }
        } else {
            HmIdev *o = hm_ctx_idev_of(ctx, d);
            unsigned cfg = HM_STE0_CFG(hwpt->ste[0]);

            /* arm_smmu_attach_dev_nested() */
            if (hwpt->viommu->smmu != d->smmu) {
                return -EINVAL;
            }
            /* arm_smmu_attach_prepare_vmaster(): vSID needed for S1 */
            if ((!o || !o->vdev || o->vdev->viommu != hwpt->viommu) &&
                cfg != HM_STE_CFG_ABORT && cfg != HM_STE_CFG_BYPASS) {
                return -ENOENT;
            }
        }
    }
    for (unsigned i = 0; i < hm.cfg.n_devices; i++) {
        HmDevice *d = &hm.cfg.devices[i];
        HmIdev *o;

        if (d->group != ig->group_id) {
            continue;
        }
        o = hm_ctx_idev_of(ctx, d);
        d->has_vmaster = false;
        d->vm_viommu = NULL;
        if (hwpt && hwpt->obj.type == HM_OBJ_HWPT_NESTED && o && o->vdev &&
            o->vdev->viommu == hwpt->viommu) {
            d->has_vmaster = true;
            d->vm_viommu = hwpt->viommu;
            d->vm_vsid = o->vdev->virt_id;
        }
        hm_smmu_install_ste(d, hwpt);
    }
    return 0;
}

static int hm_idev_reserve(HmIdev *idev, HmHwpt *paging)
{
    HmRanges rs = { .n = 0 };

    hm_device_resv(idev->dev, &rs);
    for (unsigned i = 0; i < rs.n; i++) {
        int rc = hm_ioas_can_reserve(paging->ioas, rs.r[i].start,
                                     rs.r[i].last);

        if (rc) {
            return rc;
        }
    }
    return 0;
}

/* iommufd_hw_pagetable_attach() */
static int hm_do_attach(HmIdev *idev, HmHwpt *hwpt)
{
    HmIgroup *ig = idev->igroup;
    HmHwpt *paging = hm_find_hwpt_paging(hwpt);
    int rc;

    if (ig->hwpt && ig->hwpt != hwpt) {
        return -EINVAL;
    }
    if (paging) {
        rc = hm_idev_reserve(idev, paging);
        if (rc) {
            return rc;
        }
    }
    if (ig->n_attached == 0) {
        rc = hm_group_set_domain(idev->obj.ctx, ig, hwpt);
        if (rc) {
            return rc;
        }
        ig->hwpt = hwpt;
    }
    hwpt->obj.users++;
    ig->attached[ig->n_attached++] = idev;
    return 0;
}

/* iommufd_device_do_replace(): returns the hwpt to put, or NULL */
static int hm_do_replace(HmIdev *idev, HmHwpt *hwpt, HmHwpt **old_out)
{
    HmIgroup *ig = idev->igroup;
    HmHwpt *paging = hm_find_hwpt_paging(hwpt);
    HmHwpt *old = ig->hwpt;
    HmHwpt *old_paging = hm_find_hwpt_paging(old);
    unsigned n;
    int rc;

    *old_out = NULL;
    if (!old || !hm_idev_is_attached(idev)) {
        return -EINVAL;
    }
    if (hwpt == old) {
        return 0;
    }
    if (paging && (!old_paging || old_paging->ioas != paging->ioas)) {
        for (unsigned i = 0; i < ig->n_attached; i++) {
            rc = hm_idev_reserve(ig->attached[i], paging);
            if (rc) {
                return rc;
            }
        }
    }
    rc = hm_group_set_domain(idev->obj.ctx, ig, hwpt);
    if (rc) {
        return rc;
    }
    ig->hwpt = hwpt;
    n = ig->n_attached;
    hwpt->obj.users += n;
    old->obj.users -= n - 1;
    *old_out = old;
    return 0;
}

static void hm_hwpt_put(HmHwpt *hwpt)
{
    hwpt->obj.users--;
    if (hwpt->obj.type == HM_OBJ_HWPT_PAGING && hwpt->auto_domain &&
        hwpt->obj.users == 1) {
        hm_obj_remove(&hwpt->obj);
    }
}

/* iommufd_device_auto_get_domain() */
static int hm_auto_domain(HmIdev *idev, HmIoas *ioas, uint32_t *pt_id,
                          bool replace, HmHwpt **old)
{
    HmCtx *ctx = idev->obj.ctx;
    HmHwpt *h;
    int rc;

    for (uint32_t id = 1; id < ctx->n_objs; id++) {
        h = (HmHwpt *)ctx->objs[id];
        if (!h || h->obj.type != HM_OBJ_HWPT_PAGING || h->ioas != ioas ||
            !h->auto_domain) {
            continue;
        }
        rc = replace ? hm_do_replace(idev, h, old) : hm_do_attach(idev, h);
        if (rc == -EINVAL) {
            continue;
        }
        if (rc == 0) {
            *pt_id = h->obj.id;
        }
        return rc;
    }
    rc = hm_hwpt_paging_alloc(ctx, ioas, idev, 0, false, &h);
    if (rc) {
        return rc;
    }
    rc = replace ? hm_do_replace(idev, h, old) : hm_do_attach(idev, h);
    if (rc) {
        hm_obj_remove(&h->obj);
        return rc;
    }
    h->auto_domain = true;
    *pt_id = h->obj.id;
    return 0;
}

/* iommufd_device_attach() / iommufd_device_replace() */
int hm_idev_attach(HmIdev *idev, uint32_t *pt_id, bool replace)
{
    HmObj *pt = hm_obj_get(idev->obj.ctx, *pt_id, 0);
    HmHwpt *old = NULL;
    int rc;

    if (!pt) {
        return -ENOENT;
    }
    switch (pt->type) {
    case HM_OBJ_HWPT_PAGING:
    case HM_OBJ_HWPT_NESTED:
        rc = replace ? hm_do_replace(idev, (HmHwpt *)pt, &old) :
                       hm_do_attach(idev, (HmHwpt *)pt);
        break;
    case HM_OBJ_IOAS:
        rc = hm_auto_domain(idev, (HmIoas *)pt, pt_id, replace, &old);
        break;
    default:
        rc = -EINVAL;
        break;
    }
    if (rc) {
        return rc;
    }
    if (old) {
        hm_hwpt_put(old);
    }
    if (!replace) {
        idev->obj.users++;
    }
    return 0;
}

/* iommufd_device_detach() */
void hm_idev_detach(HmIdev *idev)
{
    HmIgroup *ig = idev->igroup;
    HmHwpt *hwpt = ig->hwpt;

    for (unsigned i = 0; i < ig->n_attached; i++) {
        if (ig->attached[i] == idev) {
            ig->attached[i] = ig->attached[--ig->n_attached];
            break;
        }
    }
    if (ig->n_attached == 0) {
        /* the group goes back to a blocking domain */
        hm_group_set_domain(idev->obj.ctx, ig, NULL);
        ig->hwpt = NULL;
    }
    if (hwpt) {
        hm_hwpt_put(hwpt);
    }
    idev->obj.users--;
}

/* iommufd_device_unbind(), after VFIO detached the device */
void hm_idev_unbind(HmIdev *idev)
{
    HmCtx *ctx = idev->obj.ctx;
    HmIgroup *ig = idev->igroup;

    /* since 6.17 the vDEVICE goes with its device; its id stays reserved */
    if (idev->vdev) {
        hm_obj_tombstone(&idev->vdev->obj);
    }
    idev->obj.users--;      /* the VFIO driver's reference */
    if (idev->obj.users != 1) {
        hm_log_event("\"event\":\"unbind_busy\",\"id\":%u,\"users\":%d",
                     idev->obj.id, idev->obj.users);
    }
    hm_obj_remove(&idev->obj);
    hm_igroup_put(ctx, ig);
    hm_ctx_put(ctx);
}
