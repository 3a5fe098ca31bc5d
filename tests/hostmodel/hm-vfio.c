/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host model: the VFIO cdev device file (/dev/vfio/devices/vfioN):
 * open, release, ioctl dispatch, the iommufd bind/attach/detach ioctls
 * and VFIO_DEVICE_FEATURE, as drivers/vfio/device_cdev.c and
 * vfio_main.c.  The PCI device behind it is in hm-vfio-pci.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "hm-internal.h"

/* ---- ioctls ---- */

typedef struct HmVfioOp {
    unsigned long num;
    const char *name;
} HmVfioOp;

#define HM_VOP(n) { n, #n }

static const HmVfioOp hm_vfio_ops[] = {
    HM_VOP(VFIO_DEVICE_GET_INFO),
    HM_VOP(VFIO_DEVICE_GET_REGION_INFO),
    HM_VOP(VFIO_DEVICE_GET_IRQ_INFO),
    HM_VOP(VFIO_DEVICE_SET_IRQS),
    HM_VOP(VFIO_DEVICE_RESET),
    HM_VOP(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO),
    HM_VOP(VFIO_DEVICE_PCI_HOT_RESET),
    HM_VOP(VFIO_DEVICE_QUERY_GFX_PLANE),
    HM_VOP(VFIO_DEVICE_GET_GFX_DMABUF),
    HM_VOP(VFIO_DEVICE_IOEVENTFD),
    HM_VOP(VFIO_DEVICE_FEATURE),
    HM_VOP(VFIO_DEVICE_BIND_IOMMUFD),
    HM_VOP(VFIO_DEVICE_ATTACH_IOMMUFD_PT),
    HM_VOP(VFIO_DEVICE_DETACH_IOMMUFD_PT),
};

const char *hm_vfio_ioctl_name(unsigned long req)
{
    for (size_t i = 0; i < sizeof(hm_vfio_ops) / sizeof(hm_vfio_ops[0]);
         i++) {
        if (hm_vfio_ops[i].num == req) {
            return hm_vfio_ops[i].name;
        }
    }
    return NULL;
}

int hm_vfio_open(HmDevice *dev, int flags, HmFile **out)
{
    HmVfioFile *vf = calloc(1, sizeof(*vf));
    HmFile *f = calloc(1, sizeof(*f));

    (void)flags;
    if (!vf || !f) {
        free(vf);
        free(f);
        return -ENOMEM;
    }
    vf->dev = dev;
    dev->opens++;
    f->type = HM_FILE_VFIO;
    f->u.vf = vf;
    *out = f;
    return 0;
}

static void hm_vfio_unbind(HmVfioFile *vf)
{
    HmDevice *d = vf->dev;
    HmCtx *ctx = vf->ctx;

    /* vfio_pci_core_close_device(): interrupts off, device reset */
    hm_irq_release_fds(d);
    hm_fd_replace(&d->err_fd, -1);
    hm_fd_replace(&d->req_fd, -1);
    hm_device_flr(d);
    if (vf->attached) {
        hm_idev_detach(vf->idev);
        vf->attached = false;
    }
    hm_idev_unbind(vf->idev);
    vf->idev = NULL;
    d->bound = NULL;
    d->has_vmaster = false;
    d->vm_viommu = NULL;
    vf->access_granted = false;
    vf->ctx = NULL;
    hm_ctx_put(ctx);
}

void hm_vfio_release(HmVfioFile *vf)
{
    if (vf->access_granted) {
        hm_vfio_unbind(vf);
    }
    vf->dev->opens--;
    free(vf);
}

static int hm_vfio_bind(HmVfioFile *vf, uint64_t arg, HmCall *call)
{
    const size_t minsz = offsetof(struct vfio_device_bind_iommufd,
                                  out_devid) + 4;
    struct vfio_device_bind_iommufd bind = { 0 };
    HmDevice *d = vf->dev;
    HmFile *f;
    HmIdev *idev;
    int rc;

    if (hm_copy_from_user(&bind, arg, minsz)) {
        return -EFAULT;
    }
    hm_call_in(call, "\"argsz\":%u,\"flags\":\"0x%x\",\"iommufd\":%d",
               bind.argsz, bind.flags, bind.iommufd);
    if (bind.argsz < minsz || (bind.flags & ~VFIO_DEVICE_BIND_FLAG_TOKEN) ||
        bind.iommufd < 0) {
        return -EINVAL;
    }
    if (bind.flags & VFIO_DEVICE_BIND_FLAG_TOKEN) {
        uint8_t uuid[16];

        if (bind.argsz < sizeof(bind)) {
            return -EINVAL;
        }
        if (hm_copy_from_user(&bind, arg, sizeof(bind)) ||
            hm_copy_from_user(uuid, bind.token_uuid_ptr, sizeof(uuid))) {
            return -EFAULT;
        }
        /* not a VF: the token is not needed and not checked */
    }
    if (vf->access_granted) {
        return -EINVAL;     /* one device cannot be bound twice */
    }
    f = hm_fd_lookup(bind.iommufd);
    if (!f) {
        return fcntl(bind.iommufd, F_GETFD) < 0 ? -EBADF : -EBADFD;
    }
    if (f->type != HM_FILE_IOMMUFD) {
        return -EBADFD;
    }
    /* only the group path may open a device twice */
    if (d->bound) {
        return -EINVAL;
    }
    rc = hm_idev_bind(f->u.ctx, d, &idev);
    if (rc) {
        return rc;
    }
    if (hm_copy_to_user(arg + offsetof(struct vfio_device_bind_iommufd,
                                       out_devid),
                        &idev->obj.id, sizeof(idev->obj.id))) {
        hm_idev_unbind(idev);
        return -EFAULT;
    }
    /* vfio_pci_core_enable(): a freshly enabled, reset device */
    hm_device_reset_state(d);
    hm_device_flr(d);
    hm_ctx_get(f->u.ctx);   /* df->iommufd */
    vf->ctx = f->u.ctx;
    vf->idev = idev;
    vf->access_granted = true;
    d->bound = vf;
    hm_call_out(call, "\"out_devid\":%u", idev->obj.id);
    return 0;
}

static int hm_vfio_attach(HmVfioFile *vf, uint64_t arg, HmCall *call)
{
    const size_t minsz = offsetof(struct vfio_device_attach_iommufd_pt,
                                  pt_id) + 4;
    struct vfio_device_attach_iommufd_pt at = { 0 };
    int rc;

    if (hm_copy_from_user(&at, arg, minsz)) {
        return -EFAULT;
    }
    hm_call_in(call, "\"argsz\":%u,\"flags\":\"0x%x\",\"pt_id\":%u",
               at.argsz, at.flags, at.pt_id);
    if (at.argsz < minsz || (at.flags & ~VFIO_DEVICE_ATTACH_PASID)) {
        return -EINVAL;
    }
    if (at.flags & VFIO_DEVICE_ATTACH_PASID) {
        hm_call_in(call, "\"not_modeled\":\"pasid\"");
        return -EOPNOTSUPP;
    }
    rc = hm_idev_attach(vf->idev, &at.pt_id, vf->attached);
    if (rc) {
        return rc;
    }
    vf->attached = true;
    if (hm_copy_to_user(arg + offsetof(struct vfio_device_attach_iommufd_pt,
                                       pt_id), &at.pt_id, sizeof(at.pt_id))) {
        hm_idev_detach(vf->idev);
        vf->attached = false;
        return -EFAULT;
    }
    hm_call_out(call, "\"pt_id\":%u", at.pt_id);
    return 0;
}

static int hm_vfio_detach(HmVfioFile *vf, uint64_t arg, HmCall *call)
{
    const size_t minsz = offsetof(struct vfio_device_detach_iommufd_pt,
                                  flags) + 4;
    struct vfio_device_detach_iommufd_pt de = { 0 };

    if (hm_copy_from_user(&de, arg, minsz)) {
        return -EFAULT;
    }
    hm_call_in(call, "\"argsz\":%u,\"flags\":\"0x%x\"", de.argsz, de.flags);
    if (de.argsz < minsz || (de.flags & ~VFIO_DEVICE_DETACH_PASID)) {
        return -EINVAL;
    }
    if (de.flags & VFIO_DEVICE_DETACH_PASID) {
        return -EOPNOTSUPP;
    }
    if (vf->attached) {
        hm_idev_detach(vf->idev);
        vf->attached = false;
    }
    return 0;
}

/* vfio_check_feature() */
static int hm_check_feature(uint32_t flags, size_t argsz, uint32_t ops,
                            size_t minsz)
{
    if ((flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET)) &
        ~ops) {
        return -EINVAL;
    }
    if (flags & VFIO_DEVICE_FEATURE_PROBE) {
        return 0;
    }
    if (!(flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET))) {
        return -EINVAL;
    }
    if (argsz < minsz) {
        return -EINVAL;
    }
    return 1;
}

static int hm_vfio_feature(HmVfioFile *vf, uint64_t arg, HmCall *call)
{
    const size_t minsz = offsetof(struct vfio_device_feature, flags) + 4;
    struct vfio_device_feature feat;
    size_t argsz;
    int rc;

    (void)vf;
    if (hm_copy_from_user(&feat, arg, minsz)) {
        return -EFAULT;
    }
    hm_call_in(call, "\"argsz\":%u,\"flags\":\"0x%x\"", feat.argsz,
               feat.flags);
    if (feat.argsz < minsz) {
        return -EINVAL;
    }
    if (feat.flags & ~(VFIO_DEVICE_FEATURE_MASK | VFIO_DEVICE_FEATURE_SET |
                       VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_PROBE)) {
        return -EINVAL;
    }
    if (!(feat.flags & VFIO_DEVICE_FEATURE_PROBE) &&
        (feat.flags & VFIO_DEVICE_FEATURE_SET) &&
        (feat.flags & VFIO_DEVICE_FEATURE_GET)) {
        return -EINVAL;
    }
    argsz = feat.argsz - minsz;
    switch (feat.flags & VFIO_DEVICE_FEATURE_MASK) {
    case VFIO_DEVICE_FEATURE_MIGRATION:
    case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE:
    case VFIO_DEVICE_FEATURE_MIG_DATA_SIZE:
    case VFIO_DEVICE_FEATURE_DMA_LOGGING_START:
    case VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP:
    case VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT:
        /* plain vfio-pci: no migration ops, no dirty logging ops */
        return -ENOTTY;
    case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY:
    case VFIO_DEVICE_FEATURE_LOW_POWER_EXIT:
        rc = hm_check_feature(feat.flags, argsz, VFIO_DEVICE_FEATURE_SET, 0);
        return rc < 0 ? rc : 0;
    case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP:
        rc = hm_check_feature(feat.flags, argsz, VFIO_DEVICE_FEATURE_SET,
                sizeof(struct vfio_device_low_power_entry_with_wakeup));
        return rc < 0 ? rc : 0;
    case VFIO_DEVICE_FEATURE_PCI_VF_TOKEN:
        /* not an SR-IOV PF: no VF token */
        return -ENOTTY;
    default:
        return -ENOTTY;
    }
}

int hm_vfio_ioctl(HmVfioFile *vf, unsigned long req, uint64_t arg,
                  HmCall *call)
{
    if (req == VFIO_DEVICE_BIND_IOMMUFD) {
        return hm_vfio_bind(vf, arg, call);
    }
    /* the device is not accessible until it is bound */
    if (!vf->access_granted) {
        return -EINVAL;
    }
    switch (req) {
    case VFIO_DEVICE_ATTACH_IOMMUFD_PT:
        return hm_vfio_attach(vf, arg, call);
    case VFIO_DEVICE_DETACH_IOMMUFD_PT:
        return hm_vfio_detach(vf, arg, call);
    case VFIO_DEVICE_GET_INFO:
        return hm_vfio_get_info(vf, arg, call);
    case VFIO_DEVICE_GET_REGION_INFO:
        return hm_vfio_region_info(vf, arg, call);
    case VFIO_DEVICE_GET_IRQ_INFO:
        return hm_vfio_irq_info(vf, arg, call);
    case VFIO_DEVICE_SET_IRQS:
        return hm_vfio_set_irqs(vf->dev, arg, call);
    case VFIO_DEVICE_RESET:
        hm_device_flr(vf->dev);
        return 0;
    case VFIO_DEVICE_FEATURE:
        return hm_vfio_feature(vf, arg, call);
    case VFIO_DEVICE_GET_PCI_HOT_RESET_INFO:
        return hm_vfio_hot_reset_info(vf, arg, call);
    case VFIO_DEVICE_PCI_HOT_RESET:
        return hm_vfio_hot_reset(vf, arg);
    default:
        return -ENOTTY;
    }
}
