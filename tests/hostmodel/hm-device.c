/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host model: iommufd devices: bind, attach, replace, detach and
 * unbind, the iommu groups a domain is given to, and IOMMU_GET_HW_INFO,
 * as drivers/iommu/iommufd/device.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hm-internal.h"

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

/* ---- IOMMU_GET_HW_INFO ---- */

int hm_ioctl_get_hw_info(HmUcmd *u, void *p)
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
    s = idev->dev->smmu;
    if (cmd->in_data_type == IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV) {
        int rc = hm_cmdqv_hw_info(s, cmd->data_uptr, &cmd->data_len);

        if (rc) {
            return rc;
        }
        cmd->out_data_type = IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV;
        goto caps;
    }
    if (cmd->in_data_type != IOMMU_HW_INFO_TYPE_DEFAULT &&
        cmd->in_data_type != IOMMU_HW_INFO_TYPE_ARM_SMMUV3) {
        /* no other implementation-specific hw_info */
        return -EOPNOTSUPP;
    }
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
caps:
    cmd->out_capabilities = 0;
    if (hm_smmu_dirty_capable(s)) {
        cmd->out_capabilities |= IOMMU_HW_CAP_DIRTY_TRACKING;
    }
    /* arm_smmu_ats_supported(): the SMMU's, root complex's and device's */
    if (!idev->dev->ats || !HM_IDR0_ATS(s->prof.idr[0])) {
        cmd->out_capabilities |= HM_HW_CAP_PCI_ATS_NOT_SUPPORTED;
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
