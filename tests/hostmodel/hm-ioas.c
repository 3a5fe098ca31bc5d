/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host model: IO address spaces, their areas and reserved ranges, and
 * the IOAS ioctls (ALLOC, MAP, MAP_FILE, COPY, UNMAP, IOVA_RANGES,
 * ALLOW_IOVAS, OPTION, CHANGE_PROCESS), as drivers/iommu/iommufd/ioas.c
 * and io_pagetable.c; IOMMU_VFIO_IOAS too (the kernel's vfio_compat.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hm-internal.h"

#define HM_ULONG_MAX UINT64_MAX

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
        /* a HW queue's pinned pages first (iopt_unmap_iova_range()) */
        if (hm_cmdqv_ioas_locked(ioas, a->iova, a->last)) {
            return -EBUSY;
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

/* iopt_table_enforce_dev_resv_regions() for an attaching device */
int hm_idev_reserve(HmIdev *idev, HmHwpt *paging)
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

/* ---- ioctl handlers ---- */

int hm_ioctl_ioas_alloc(HmUcmd *u, void *p)
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

int hm_ioctl_iova_ranges(HmUcmd *u, void *p)
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

int hm_ioctl_allow_iovas(HmUcmd *u, void *p)
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

int hm_ioctl_ioas_map(HmUcmd *u, void *p)
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

int hm_ioctl_ioas_map_file(HmUcmd *u, void *p)
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
    if (cmd->fd < 0 || hm_real.fstat(cmd->fd, &st) < 0) {
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

int hm_ioctl_ioas_copy(HmUcmd *u, void *p)
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

int hm_ioctl_ioas_unmap(HmUcmd *u, void *p)
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

    if (hm.cap_sys_resource) {
        return true;
    }
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

/*
 * The accounting mode is the iommufd file's: it rides in the memfd behind
 * it, so that a process the file is passed to finds it (hm_adopt()).
 */
static void hm_option_publish(HmCtx *ctx)
{
    uint64_t v = ctx->account_mm;

    if (ctx->kfd >= 0 && hm_real.pwrite(ctx->kfd, &v, sizeof(v), 0) < 0) {
        hm_log_event("\"event\":\"option_publish_failed\"");
    }
}

void hm_ctx_adopted(HmCtx *ctx)
{
    uint64_t v = 0;

    if (hm_real.pread(ctx->kfd, &v, sizeof(v), 0) == sizeof(v)) {
        ctx->account_mm = v == 1;
    }
}

int hm_ioctl_option(HmUcmd *u, void *p)
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
            hm_option_publish(u->ctx);
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

int hm_ioctl_vfio_ioas(HmUcmd *u, void *p)
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

int hm_ioctl_change_process(HmUcmd *u, void *p)
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
