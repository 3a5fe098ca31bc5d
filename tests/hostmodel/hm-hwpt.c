/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host model: HW page tables (paging and nested allocation, dirty
 * tracking, IOMMU_HWPT_INVALIDATE), as the kernel's hw_pagetable.c in
 * drivers/iommu/iommufd/.  The arm-smmu-v3 decisions they ask for
 * (vSTE validation, the invalidation commands) are in hm-smmu.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>

#include "hm-internal.h"

HmHwpt *hm_find_hwpt_paging(HmHwpt *hwpt)
{
    if (!hwpt) {
        return NULL;
    }
    if (hwpt->obj.type == HM_OBJ_HWPT_PAGING) {
        return hwpt;
    }
    return hwpt->viommu ? hwpt->viommu->s2 : NULL;
}

/* iommufd_hwpt_paging_alloc() + arm_smmu_domain_alloc_paging_flags() */
int hm_hwpt_paging_alloc(HmCtx *ctx, HmIoas *ioas, HmIdev *idev,
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

int hm_ioctl_hwpt_alloc(HmUcmd *u, void *p)
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

int hm_ioctl_set_dirty(HmUcmd *u, void *p)
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

int hm_ioctl_get_dirty(HmUcmd *u, void *p)
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

int hm_ioctl_hwpt_invalidate(HmUcmd *u, void *p)
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
