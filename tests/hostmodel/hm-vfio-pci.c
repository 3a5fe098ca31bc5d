/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host model: the vfio-pci device behind a VFIO cdev: config space,
 * BAR0, interrupts, reset, device/region/IRQ info and hot reset, as
 * drivers/vfio/pci/vfio_pci_core.c, vfio_pci_config.c and
 * vfio_pci_intrs.c.
 *
 * Enough of vfio-pci for QEMU's vfio-pci with iommufd= to realize and
 * for a guest to drive the device.  Regions have no MMAP flag, so
 * QEMU uses pread()/pwrite() at VFIO_PCI_INDEX_TO_OFFSET(index).
 *
 * BAR0 registers (32-bit):
 *   0x00 ID        reads 0x686d6f64 ("domh")
 *   0x04 VERSION   reads 1
 *   0x08 SCRATCH   read/write, cleared by reset
 *   0x0c DOORBELL  write N: signal vector N (MSI-X/MSI) or INTx
 *   0x10 RESETS    number of device resets so far
 *   0x14 SID       the device's physical StreamID
 *   0x2000         MSI-X table, 0x3000 MSI-X PBA (emulated by QEMU)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hm-internal.h"

#define HM_REGION_SHIFT     40
#define HM_CFG_SIZE         4096
#define HM_CAP_PCIE         0x40
#define HM_CAP_MSI          0x80
#define HM_CAP_MSIX         0xa0
#define HM_MSIX_TABLE_OFF   0x2000
#define HM_MSIX_PBA_OFF     0x3000
#define HM_BAR0_ID          0x686d6f64u

/* ---- config space ---- */

static void hm_cfg_w8(HmDevice *d, unsigned off, uint8_t v, uint8_t wmask)
{
    d->cfg[off] = v;
    d->cfg_wmask[off] = wmask;
}

static void hm_cfg_w16(HmDevice *d, unsigned off, uint16_t v, uint16_t wm)
{
    hm_cfg_w8(d, off, v, wm);
    hm_cfg_w8(d, off + 1, v >> 8, wm >> 8);
}

static void hm_cfg_w32(HmDevice *d, unsigned off, uint32_t v, uint32_t wm)
{
    hm_cfg_w16(d, off, v, wm);
    hm_cfg_w16(d, off + 2, v >> 16, wm >> 16);
}

static void hm_cfg_build(HmDevice *d)
{
    unsigned ext = 0x100, next;
    uint8_t msi_next = d->msix_vectors ? HM_CAP_MSIX : 0;

    memset(d->cfg, 0, sizeof(d->cfg));
    memset(d->cfg_wmask, 0, sizeof(d->cfg_wmask));
    hm_cfg_w16(d, 0x00, d->vendor, 0);
    hm_cfg_w16(d, 0x02, d->device_id, 0);
    /* command: IO, MEM, MASTER, PARITY, SERR, INTX_DISABLE */
    hm_cfg_w16(d, 0x04, 0, 0x0547);
    hm_cfg_w16(d, 0x06, 0x0010, 0);     /* status: capability list */
    hm_cfg_w8(d, 0x08, d->revision, 0);
    hm_cfg_w8(d, 0x09, d->class_code, 0);
    hm_cfg_w8(d, 0x0a, d->class_code >> 8, 0);
    hm_cfg_w8(d, 0x0b, d->class_code >> 16, 0);
    hm_cfg_w8(d, 0x0c, 0, 0xff);
    /* BAR0: 64-bit non-prefetchable memory */
    hm_cfg_w32(d, 0x10, 0x4, (uint32_t)~(d->bar0_size - 1) & ~0xfu);
    hm_cfg_w32(d, 0x14, 0, 0xffffffffu);
    hm_cfg_w16(d, 0x2c, d->subvendor, 0);
    hm_cfg_w16(d, 0x2e, d->subdevice, 0);
    hm_cfg_w8(d, 0x34, HM_CAP_PCIE, 0);
    hm_cfg_w8(d, 0x3c, 0, 0xff);
    hm_cfg_w8(d, 0x3d, d->intx_pin, 0);

    /* PCI Express capability v2, endpoint */
    hm_cfg_w8(d, HM_CAP_PCIE, 0x10, 0);
    hm_cfg_w8(d, HM_CAP_PCIE + 1, HM_CAP_MSI, 0);
    hm_cfg_w16(d, HM_CAP_PCIE + 2, 0x0002, 0);
    /* DEVCAP: MPS 256, FLR */
    hm_cfg_w32(d, HM_CAP_PCIE + 4, 0x10000001, 0);
    hm_cfg_w16(d, HM_CAP_PCIE + 8, 0x2810, 0xfcff);
    /* LNKCAP: 16 GT/s x16; LNKSTA: same */
    hm_cfg_w32(d, HM_CAP_PCIE + 0x0c, 0x00000104, 0);
    hm_cfg_w16(d, HM_CAP_PCIE + 0x10, 0, 0x0fff);
    hm_cfg_w16(d, HM_CAP_PCIE + 0x12, 0x0104, 0);
    /* DEVCAP2: completion timeout ranges; DEVCTL2 writable */
    hm_cfg_w32(d, HM_CAP_PCIE + 0x24, 0x0000001f, 0);
    hm_cfg_w16(d, HM_CAP_PCIE + 0x28, 0, 0xffff);
    hm_cfg_w32(d, HM_CAP_PCIE + 0x2c, 0x0000001e, 0);

    /* MSI, 64-bit, per-vector masking */
    hm_cfg_w8(d, HM_CAP_MSI, 0x05, 0);
    hm_cfg_w8(d, HM_CAP_MSI + 1, msi_next, 0);
    hm_cfg_w16(d, HM_CAP_MSI + 2,
               0x0180 | (d->msi_vectors_log2 << 1), 0x0071);
    hm_cfg_w32(d, HM_CAP_MSI + 4, 0, 0xfffffffc);
    hm_cfg_w32(d, HM_CAP_MSI + 8, 0, 0xffffffff);
    hm_cfg_w16(d, HM_CAP_MSI + 0x0c, 0, 0xffff);
    hm_cfg_w32(d, HM_CAP_MSI + 0x10, 0, 0xffffffff);

    if (d->msix_vectors) {
        hm_cfg_w8(d, HM_CAP_MSIX, 0x11, 0);
        hm_cfg_w8(d, HM_CAP_MSIX + 1, 0, 0);
        hm_cfg_w16(d, HM_CAP_MSIX + 2, d->msix_vectors - 1, 0xc000);
        hm_cfg_w32(d, HM_CAP_MSIX + 4, HM_MSIX_TABLE_OFF | 0, 0);
        hm_cfg_w32(d, HM_CAP_MSIX + 8, HM_MSIX_PBA_OFF | 0, 0);
    }

    /* PCIe extended capabilities */
    if (d->ats) {
        next = d->pasid_bits ? ext + 0x10 : 0;
        /* ATS v1 */
        hm_cfg_w32(d, ext, 0x000f | 1 << 16 | next << 20, 0);
        hm_cfg_w16(d, ext + 4, 0x0020, 0);
        hm_cfg_w16(d, ext + 6, 0, 0x801f);
        ext += 0x10;
    }
    if (d->pasid_bits) {
        /* PASID v1: max width */
        hm_cfg_w32(d, ext, 0x001b | 1 << 16, 0);
        hm_cfg_w16(d, ext + 4, (d->pasid_bits & 0x1f) << 8, 0);
        hm_cfg_w16(d, ext + 6, 0, 0x0007);
    }
}

void hm_irq_release_fds(HmDevice *d)
{
    for (unsigned i = 0; i < HM_MAX_VECTORS; i++) {
        if (d->vec_fd[i] >= 0) {
            hm_real.close(d->vec_fd[i]);
        }
        d->vec_fd[i] = -1;
    }
    d->num_vec = 0;
    if (d->intx_fd >= 0) {
        hm_real.close(d->intx_fd);
    }
    if (d->intx_unmask_fd >= 0) {
        hm_real.close(d->intx_unmask_fd);
    }
    d->intx_fd = d->intx_unmask_fd = -1;
    d->intx_masked = d->intx_pending = false;
    d->irq_type = HM_IRQ_NONE;
}

/* The device as vfio-pci finds it when it is opened */
void hm_device_reset_state(HmDevice *d)
{
    static bool init_done[HM_MAX_DEVICES];
    unsigned idx = d - hm.cfg.devices;

    if (idx < HM_MAX_DEVICES && !init_done[idx]) {
        for (unsigned i = 0; i < HM_MAX_VECTORS; i++) {
            d->vec_fd[i] = -1;
        }
        d->intx_fd = d->intx_unmask_fd = d->err_fd = d->req_fd = -1;
        init_done[idx] = true;
    }
    hm_irq_release_fds(d);
    if (d->err_fd >= 0) {
        hm_real.close(d->err_fd);
    }
    if (d->req_fd >= 0) {
        hm_real.close(d->req_fd);
    }
    d->err_fd = d->req_fd = -1;
    d->scratch = 0;
    hm_cfg_build(d);
    /* no domain from iommufd: the host default domain */
    d->has_vmaster = false;
    d->vm_viommu = NULL;
    d->ats_enabled = false;
    memset(d->ste, 0, sizeof(d->ste));
}

/* A function level reset, as VFIO_DEVICE_RESET does */
void hm_device_flr(HmDevice *d)
{
    uint16_t cmd;

    d->resets++;
    d->scratch = 0;
    cmd = d->cfg[0x04] | d->cfg[0x05] << 8;
    cmd &= ~0x0547;
    d->cfg[0x04] = cmd;
    d->cfg[0x05] = cmd >> 8;
    d->cfg[HM_CAP_MSI + 2] &= ~0x71;
    if (d->msix_vectors) {
        d->cfg[HM_CAP_MSIX + 3] &= ~0xc0;
    }
}

/* ---- interrupts ---- */

static unsigned hm_irq_count(HmDevice *d, unsigned index)
{
    switch (index) {
    case VFIO_PCI_INTX_IRQ_INDEX:
        return d->intx_pin ? 1 : 0;
    case VFIO_PCI_MSI_IRQ_INDEX:
        return 1u << d->msi_vectors_log2;
    case VFIO_PCI_MSIX_IRQ_INDEX:
        return d->msix_vectors;
    case VFIO_PCI_ERR_IRQ_INDEX:
    case VFIO_PCI_REQ_IRQ_INDEX:
        return 1;
    default:
        return 0;
    }
}

static void hm_eventfd_signal(int fd)
{
    uint64_t one = 1;

    if (fd >= 0 && hm_real.write(fd, &one, sizeof(one)) != sizeof(one)) {
        hm_log_event("\"event\":\"eventfd_write_failed\",\"fd\":%d", fd);
    }
}

/* eventfd_ctx_fdget(): keep our own reference to the user's eventfd */
static int hm_eventfd_get(int fd, int *out)
{
    char link[64], target[64];
    ssize_t n;

    /* the model's own files are not eventfds, whatever backs them */
    if (hm_fd_lookup(fd)) {
        return -EINVAL;
    }
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, target, sizeof(target) - 1);
    if (n < 0) {
        return -EBADF;
    }
    target[n] = '\0';
    if (strcmp(target, "anon_inode:[eventfd]")) {
        return -EINVAL;
    }
    *out = hm_real.fcntl(fd, F_DUPFD_CLOEXEC, 0);
    return *out < 0 ? -errno : 0;
}

void hm_fd_replace(int *slot, int fd)
{
    if (*slot >= 0) {
        hm_real.close(*slot);
    }
    *slot = fd;
}

static void hm_intx_deliver(HmDevice *d)
{
    bool disabled = d->cfg[0x05] & 0x04;   /* command INTX_DISABLE */

    if (d->intx_masked || disabled) {
        d->intx_pending = true;
        return;
    }
    /* vfio-pci INTx is automasked until the user unmasks it */
    d->intx_masked = true;
    d->intx_pending = false;
    d->cfg[0x06] |= 0x08;               /* status: interrupt */
    hm_eventfd_signal(d->intx_fd);
}

int hm_device_signal(HmDevice *d, const char *what, unsigned vector)
{
    if (!strcmp(what, "msi")) {
        if (d->irq_type != HM_IRQ_MSI && d->irq_type != HM_IRQ_MSIX) {
            return -ENODEV;
        }
        if (vector >= d->num_vec || d->vec_fd[vector] < 0) {
            return -EINVAL;
        }
        hm_eventfd_signal(d->vec_fd[vector]);
        return 0;
    }
    if (!strcmp(what, "intx")) {
        if (d->irq_type != HM_IRQ_INTX) {
            return -ENODEV;
        }
        hm_intx_deliver(d);
        return 0;
    }
    if (!strcmp(what, "err") || !strcmp(what, "req")) {
        int fd = what[0] == 'e' ? d->err_fd : d->req_fd;

        if (fd < 0) {
            return -ENODEV;
        }
        hm_eventfd_signal(fd);
        return 0;
    }
    return -EINVAL;
}

static int hm_set_intx_trigger(HmDevice *d, uint32_t flags, unsigned start,
                               unsigned count, const uint8_t *data)
{
    bool is_intx = d->irq_type == HM_IRQ_INTX;

    if (is_intx && !count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
        hm_irq_release_fds(d);
        return 0;
    }
    if (!(is_intx || d->irq_type == HM_IRQ_NONE) || start != 0 ||
        count != 1) {
        return -EINVAL;
    }
    if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
        int32_t fd;
        int kfd = -1, rc;

        memcpy(&fd, data, sizeof(fd));
        if (fd >= 0) {
            rc = hm_eventfd_get(fd, &kfd);
            if (rc) {
                return rc;
            }
        }
        hm_fd_replace(&d->intx_fd, kfd);
        if (!is_intx) {
            d->irq_type = HM_IRQ_INTX;
            d->intx_masked = false;
            d->intx_pending = false;
        }
        return 0;
    }
    if (!is_intx) {
        return -EINVAL;
    }
    if ((flags & VFIO_IRQ_SET_DATA_NONE) ||
        ((flags & VFIO_IRQ_SET_DATA_BOOL) && data[0])) {
        hm_eventfd_signal(d->intx_fd);
    }
    return 0;
}

static int hm_set_intx_mask(HmDevice *d, uint32_t flags, unsigned start,
                            unsigned count, const uint8_t *data, bool mask)
{
    if (d->irq_type != HM_IRQ_INTX || start != 0 || count != 1) {
        return -EINVAL;
    }
    if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
        int32_t fd;
        int kfd = -1, rc;

        if (mask) {
            return -EINVAL;
        }
        /* an unmask eventfd (resamplefd): remembered, not watched */
        memcpy(&fd, data, sizeof(fd));
        if (fd >= 0) {
            rc = hm_eventfd_get(fd, &kfd);
            if (rc) {
                return rc;
            }
        }
        hm_fd_replace(&d->intx_unmask_fd, kfd);
        return 0;
    }
    if ((flags & VFIO_IRQ_SET_DATA_BOOL) && !data[0]) {
        return 0;
    }
    if (mask) {
        d->intx_masked = true;
    } else {
        d->intx_masked = false;
        d->cfg[0x06] &= ~0x08;
        if (d->intx_pending) {
            hm_intx_deliver(d);
        }
    }
    return 0;
}

static int hm_set_msi_trigger(HmDevice *d, unsigned index, uint32_t flags,
                              unsigned start, unsigned count,
                              const uint8_t *data)
{
    HmIrqType type = index == VFIO_PCI_MSIX_IRQ_INDEX ? HM_IRQ_MSIX :
                                                        HM_IRQ_MSI;
    bool is_this = d->irq_type == type;

    if (is_this && !count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
        hm_irq_release_fds(d);
        return 0;
    }
    if (!(is_this || d->irq_type == HM_IRQ_NONE)) {
        return -EINVAL;
    }
    if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
        int kfds[HM_MAX_VECTORS];
        unsigned nvec = start + count;

        if (!is_this) {
            if (nvec > HM_MAX_VECTORS) {
                return -EINVAL;
            }
            d->irq_type = type;
            d->num_vec = nvec;
        } else if (nvec > d->num_vec) {
            if (type == HM_IRQ_MSI || !d->dyn_msix) {
                return -EINVAL;
            }
            d->num_vec = nvec;  /* dynamic MSI-X allocation */
        }
        for (unsigned i = 0; i < count; i++) {
            int32_t fd;
            int rc;

            memcpy(&fd, data + i * sizeof(fd), sizeof(fd));
            kfds[i] = -1;
            if (fd >= 0) {
                rc = hm_eventfd_get(fd, &kfds[i]);
                if (rc) {
                    while (i--) {
                        if (kfds[i] >= 0) {
                            hm_real.close(kfds[i]);
                        }
                    }
                    if (!is_this) {
                        hm_irq_release_fds(d);
                    }
                    return rc;
                }
            }
        }
        for (unsigned i = 0; i < count; i++) {
            hm_fd_replace(&d->vec_fd[start + i], kfds[i]);
        }
        return 0;
    }
    if (!is_this || start + count > d->num_vec) {
        return -EINVAL;
    }
    for (unsigned i = start; i < start + count; i++) {
        if ((flags & VFIO_IRQ_SET_DATA_NONE) ||
            ((flags & VFIO_IRQ_SET_DATA_BOOL) && data[i - start])) {
            hm_eventfd_signal(d->vec_fd[i]);
        }
    }
    return 0;
}

static int hm_set_single_trigger(int *slot, uint32_t flags, unsigned start,
                                 unsigned count, const uint8_t *data)
{
    if (start != 0 || count > 1) {
        return -EINVAL;
    }
    if (!count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
        hm_fd_replace(slot, -1);
        return 0;
    }
    if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
        int32_t fd;
        int kfd = -1, rc;

        memcpy(&fd, data, sizeof(fd));
        if (fd >= 0) {
            rc = hm_eventfd_get(fd, &kfd);
            if (rc) {
                return rc;
            }
        }
        hm_fd_replace(slot, kfd);
        return 0;
    }
    if (count && ((flags & VFIO_IRQ_SET_DATA_NONE) ||
                  ((flags & VFIO_IRQ_SET_DATA_BOOL) && data[0]))) {
        hm_eventfd_signal(*slot);
    }
    return 0;
}

/* vfio_set_irqs_validate_and_prepare() + vfio_pci_set_irqs_ioctl() */
int hm_vfio_set_irqs(HmDevice *d, uint64_t arg, HmCall *call)
{
    const size_t minsz = offsetof(struct vfio_irq_set, count) + 4;
    struct vfio_irq_set hdr;
    uint8_t data[HM_MAX_VECTORS * 4] = { 0 };
    unsigned num, action;
    size_t size = 0;

    if (hm_copy_from_user(&hdr, arg, minsz)) {
        return -EFAULT;
    }
    hm_call_in(call, "\"argsz\":%u,\"flags\":\"0x%x\",\"index\":%u,"
               "\"start\":%u,\"count\":%u", hdr.argsz, hdr.flags, hdr.index,
               hdr.start, hdr.count);
    if (hdr.argsz < minsz || hdr.index >= VFIO_PCI_NUM_IRQS ||
        hdr.count >= UINT32_MAX - hdr.start ||
        (hdr.flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK |
                       VFIO_IRQ_SET_ACTION_TYPE_MASK))) {
        return -EINVAL;
    }
    num = hm_irq_count(d, hdr.index);
    if (hdr.start >= num || hdr.start + hdr.count > num) {
        return -EINVAL;
    }
    switch (hdr.flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
    case VFIO_IRQ_SET_DATA_NONE:
        break;
    case VFIO_IRQ_SET_DATA_BOOL:
        size = 1;
        break;
    case VFIO_IRQ_SET_DATA_EVENTFD:
        size = 4;
        break;
    default:
        return -EINVAL;
    }
    if (size) {
        if (hdr.argsz - minsz < hdr.count * size ||
            hdr.count * size > sizeof(data)) {
            return -EINVAL;
        }
        if (hm_copy_from_user(data, arg + minsz, hdr.count * size)) {
            return -EFAULT;
        }
        if (size == 4 && hdr.count) {
            int32_t fd0;

            memcpy(&fd0, data, 4);
            hm_call_in(call, "\"fd0\":%d", fd0);
        }
    }
    action = hdr.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
    switch (hdr.index) {
    case VFIO_PCI_INTX_IRQ_INDEX:
        if (action == VFIO_IRQ_SET_ACTION_TRIGGER) {
            return hm_set_intx_trigger(d, hdr.flags, hdr.start, hdr.count,
                                       data);
        }
        if (action == VFIO_IRQ_SET_ACTION_MASK ||
            action == VFIO_IRQ_SET_ACTION_UNMASK) {
            return hm_set_intx_mask(d, hdr.flags, hdr.start, hdr.count,
                                    data, action == VFIO_IRQ_SET_ACTION_MASK);
        }
        return -ENOTTY;
    case VFIO_PCI_MSI_IRQ_INDEX:
    case VFIO_PCI_MSIX_IRQ_INDEX:
        if (action != VFIO_IRQ_SET_ACTION_TRIGGER) {
            return -ENOTTY;
        }
        return hm_set_msi_trigger(d, hdr.index, hdr.flags, hdr.start,
                                  hdr.count, data);
    case VFIO_PCI_ERR_IRQ_INDEX:
    case VFIO_PCI_REQ_IRQ_INDEX:
        if (action != VFIO_IRQ_SET_ACTION_TRIGGER) {
            return -ENOTTY;
        }
        return hm_set_single_trigger(hdr.index == VFIO_PCI_ERR_IRQ_INDEX ?
                                     &d->err_fd : &d->req_fd, hdr.flags,
                                     hdr.start, hdr.count, data);
    default:
        return -ENOTTY;
    }
}

/* ---- region access ---- */

static uint64_t hm_bar0_read(HmDevice *d, uint64_t off)
{
    switch (off) {
    case 0x00:
        return HM_BAR0_ID;
    case 0x04:
        return 1;
    case 0x08:
        return d->scratch;
    case 0x10:
        return (uint32_t)d->resets;
    case 0x14:
        return d->sid;
    default:
        return 0;
    }
}

static void hm_bar0_write(HmDevice *d, uint64_t off, uint32_t val)
{
    switch (off) {
    case 0x08:
        d->scratch = val;
        break;
    case 0x0c:
        if (d->irq_type == HM_IRQ_INTX) {
            hm_intx_deliver(d);
        } else if ((d->irq_type == HM_IRQ_MSI ||
                    d->irq_type == HM_IRQ_MSIX) && val < d->num_vec) {
            hm_eventfd_signal(d->vec_fd[val]);
        }
        break;
    default:
        break;
    }
}

static void hm_cfg_write(HmDevice *d, uint64_t off, const uint8_t *buf,
                         size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t wm = d->cfg_wmask[off + i];

        d->cfg[off + i] = (d->cfg[off + i] & ~wm) | (buf[i] & wm);
    }
}

ssize_t hm_vfio_rw(HmVfioFile *vf, uint64_t ubuf, size_t count, uint64_t off,
                   bool write, HmCall *call)
{
    HmDevice *d = vf->dev;
    unsigned index = off >> HM_REGION_SHIFT;
    uint64_t roff = off & ((1ULL << HM_REGION_SHIFT) - 1);
    uint8_t buf[HM_CFG_SIZE];

    hm_call_in(call, "\"region\":%u,\"offset\":\"0x%llx\",\"count\":%zu",
               index, (unsigned long long)roff, count);
    if (!vf->access_granted) {
        return -EINVAL;
    }
    if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
        if (roff >= HM_CFG_SIZE) {
            return -EINVAL;
        }
        if (count > HM_CFG_SIZE - roff) {
            count = HM_CFG_SIZE - roff;
        }
        if (write) {
            if (hm_copy_from_user(buf, ubuf, count)) {
                return -EFAULT;
            }
            hm_cfg_write(d, roff, buf, count);
        } else if (hm_copy_to_user(ubuf, d->cfg + roff, count)) {
            return -EFAULT;
        }
        if (count <= 8) {
            uint64_t v = 0;

            memcpy(&v, write ? buf : d->cfg + roff, count);
            hm_call_out(call, "\"value\":\"0x%llx\"", (unsigned long long)v);
        }
        return count;
    }
    if (index == VFIO_PCI_BAR0_REGION_INDEX) {
        uint64_t v = 0;

        if (roff >= d->bar0_size || count > 8 ||
            count > d->bar0_size - roff) {
            return -EINVAL;
        }
        /* vfio-pci refuses MMIO while memory decode is disabled */
        if (!(d->cfg[0x04] & 0x02)) {
            return -EIO;
        }
        if (write) {
            if (hm_copy_from_user(&v, ubuf, count)) {
                return -EFAULT;
            }
            hm_bar0_write(d, roff & ~3ULL, (uint32_t)v);
        } else {
            uint64_t reg = hm_bar0_read(d, roff & ~3ULL);

            if (count == 8) {
                reg |= hm_bar0_read(d, (roff & ~3ULL) + 4) << 32;
            }
            v = reg >> ((roff & 3) * 8);
            if (hm_copy_to_user(ubuf, &v, count)) {
                return -EFAULT;
            }
        }
        hm_call_out(call, "\"value\":\"0x%llx\"", (unsigned long long)v);
        return count;
    }
    return -EINVAL;
}

/* ---- ioctls ---- */

int hm_vfio_get_info(HmVfioFile *vf, uint64_t arg, HmCall *call)
{
    const size_t minsz = offsetof(struct vfio_device_info, num_irqs) + 4;
    struct vfio_device_info info = { 0 };

    (void)vf;
    if (hm_copy_from_user(&info, arg, minsz)) {
        return -EFAULT;
    }
    if (info.argsz < minsz) {
        return -EINVAL;
    }
    info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
    info.num_regions = VFIO_PCI_NUM_REGIONS;
    info.num_irqs = VFIO_PCI_NUM_IRQS;
    hm_call_out(call, "\"flags\":\"0x%x\",\"num_regions\":%u,\"num_irqs\":%u",
                info.flags, info.num_regions, info.num_irqs);
    return hm_copy_to_user(arg, &info, minsz);
}

int hm_vfio_region_info(HmVfioFile *vf, uint64_t arg, HmCall *call)
{
    const size_t minsz = offsetof(struct vfio_region_info, offset) + 8;
    struct vfio_region_info info = { 0 };
    HmDevice *d = vf->dev;

    if (hm_copy_from_user(&info, arg, minsz)) {
        return -EFAULT;
    }
    hm_call_in(call, "\"argsz\":%u,\"index\":%u", info.argsz, info.index);
    if (info.argsz < minsz) {
        return -EINVAL;
    }
    info.offset = (uint64_t)info.index << HM_REGION_SHIFT;
    info.cap_offset = 0;
    switch (info.index) {
    case VFIO_PCI_CONFIG_REGION_INDEX:
        info.size = HM_CFG_SIZE;
        info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
        break;
    case VFIO_PCI_BAR0_REGION_INDEX:
        info.size = d->bar0_size;
        info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
        break;
    case VFIO_PCI_BAR1_REGION_INDEX ... VFIO_PCI_BAR5_REGION_INDEX:
    case VFIO_PCI_ROM_REGION_INDEX:
        /* BAR1 is BAR0's upper half; no other BARs, no ROM */
        info.size = 0;
        info.flags = 0;
        break;
    default:
        /* not a VGA device, no device specific regions */
        return -EINVAL;
    }
    hm_call_out(call, "\"flags\":\"0x%x\",\"size\":\"0x%llx\","
                "\"offset\":\"0x%llx\"", info.flags,
                (unsigned long long)info.size,
                (unsigned long long)info.offset);
    return hm_copy_to_user(arg, &info, minsz);
}

int hm_vfio_irq_info(HmVfioFile *vf, uint64_t arg, HmCall *call)
{
    const size_t minsz = offsetof(struct vfio_irq_info, count) + 4;
    struct vfio_irq_info info = { 0 };

    if (hm_copy_from_user(&info, arg, minsz)) {
        return -EFAULT;
    }
    hm_call_in(call, "\"argsz\":%u,\"index\":%u", info.argsz, info.index);
    if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS) {
        return -EINVAL;
    }
    info.flags = VFIO_IRQ_INFO_EVENTFD;
    info.count = hm_irq_count(vf->dev, info.index);
    if (info.index == VFIO_PCI_INTX_IRQ_INDEX) {
        info.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
    } else if (info.index != VFIO_PCI_MSIX_IRQ_INDEX || !vf->dev->dyn_msix) {
        info.flags |= VFIO_IRQ_INFO_NORESIZE;
    }
    hm_call_out(call, "\"flags\":\"0x%x\",\"count\":%u", info.flags,
                info.count);
    return hm_copy_to_user(arg, &info, minsz);
}

static unsigned hm_reset_set(HmDevice *d, HmDevice **set, unsigned max)
{
    unsigned n = 0;

    for (unsigned i = 0; i < hm.cfg.n_devices && n < max; i++) {
        HmDevice *o = &hm.cfg.devices[i];

        if (o->segment == d->segment && o->bus == d->bus) {
            set[n++] = o;
        }
    }
    return n;
}

int hm_vfio_hot_reset_info(HmVfioFile *vf, uint64_t arg,
                           HmCall *call)
{
    const size_t minsz = offsetof(struct vfio_pci_hot_reset_info, count) + 4;
    struct vfio_pci_hot_reset_info hdr;
    HmDevice *set[HM_MAX_DEVICES];
    unsigned n = hm_reset_set(vf->dev, set, HM_MAX_DEVICES);
    bool all_owned = true;

    if (hm_copy_from_user(&hdr, arg, minsz)) {
        return -EFAULT;
    }
    if (hdr.argsz < minsz) {
        return -EINVAL;
    }
    hdr.flags = VFIO_PCI_HOT_RESET_FLAG_DEV_ID;
    hdr.count = n;
    if (hdr.argsz < sizeof(hdr) +
        n * sizeof(struct vfio_pci_dependent_device)) {
        hm_copy_to_user(arg, &hdr, minsz);
        return -ENOSPC;
    }
    for (unsigned i = 0; i < n; i++) {
        struct vfio_pci_dependent_device dep = {
            .segment = set[i]->segment,
            .bus = set[i]->bus,
            .devfn = set[i]->devfn,
        };

        if (set[i]->bound && set[i]->bound->ctx == vf->ctx) {
            dep.devid = set[i]->bound->idev->obj.id;
        } else if (hm_ctx_has_group(vf->ctx, set[i]->group)) {
            dep.devid = VFIO_PCI_DEVID_OWNED;
        } else {
            dep.devid = VFIO_PCI_DEVID_NOT_OWNED;
            all_owned = false;
        }
        if (hm_copy_to_user(arg + sizeof(hdr) + i * sizeof(dep), &dep,
                            sizeof(dep))) {
            return -EFAULT;
        }
    }
    if (all_owned) {
        hdr.flags |= VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED;
    }
    hm_call_out(call, "\"flags\":\"0x%x\",\"count\":%u", hdr.flags,
                hdr.count);
    return hm_copy_to_user(arg, &hdr, minsz);
}

int hm_vfio_hot_reset(HmVfioFile *vf, uint64_t arg)
{
    const size_t minsz = offsetof(struct vfio_pci_hot_reset, count) + 4;
    struct vfio_pci_hot_reset hdr;
    HmDevice *set[HM_MAX_DEVICES];
    unsigned n = hm_reset_set(vf->dev, set, HM_MAX_DEVICES);

    if (hm_copy_from_user(&hdr, arg, minsz)) {
        return -EFAULT;
    }
    if (hdr.argsz < minsz || hdr.flags) {
        return -EINVAL;
    }
    /* a cdev caller proves ownership with its iommufd, not group fds */
    if (hdr.count) {
        return -EINVAL;
    }
    for (unsigned i = 0; i < n; i++) {
        if (!set[i]->bound || set[i]->bound->ctx != vf->ctx) {
            return -EPERM;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        hm_device_flr(set[i]);
    }
    return 0;
}
