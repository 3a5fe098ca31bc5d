/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host model: vIOMMU, vDEVICE and HW queue allocation, as
 * drivers/iommu/iommufd/viommu.c.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "hm-internal.h"

int hm_ioctl_viommu_alloc(HmUcmd *u, void *p)
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

int hm_ioctl_vdevice_alloc(HmUcmd *u, void *p)
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

int hm_ioctl_hw_queue_alloc(HmUcmd *u, void *p)
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
