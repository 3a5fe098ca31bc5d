/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host model: vIOMMU and vDEVICE allocation, as
 * drivers/iommu/iommufd/viommu.c (HW queues: hm-cmdqv.c).
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
    if (cmd->type != IOMMU_VIOMMU_TYPE_ARM_SMMUV3 &&
        (cmd->type != IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV || !s->prof.cmdqv)) {
        /* no implementation ops for that type on this SMMU */
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
    v->vintf = -1;
    if (cmd->type == IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV) {
        int rc = hm_cmdqv_viommu_init(u, v, cmd);

        if (rc) {
            hm_obj_remove(&v->obj);
            return rc;
        }
    }
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
    int rc;
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
    rc = hm_cmdqv_vdevice_init(vd);
    if (rc) {
        hm_obj_remove(&vd->obj);
        return rc;
    }
    cmd->out_vdevice_id = vd->obj.id;
    u->respond = true;
    return 0;
}
