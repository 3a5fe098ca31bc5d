/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of hm-vfio.c and hm-vfio-pci.c: bind, device/region/IRQ info,
 * config space, BAR0, interrupts, features and hot reset.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "test-hostmodel.h"

/* ---- VFIO bind ---- */

bool t_device_needs_bind(void)
{
    int dfd = open_dev("vfio0");
    struct vfio_device_info info = { .argsz = sizeof(info) };
    char buf[4];

    CHECK_ERR(io(dfd, VFIO_DEVICE_GET_INFO, &info), EINVAL);
    CHECK(pread(dfd, buf, 4, 7ULL << 40) < 0 && errno == EINVAL);
    return true;
}

bool t_bind_rules(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio0");
    int dfd2 = open_dev("vfio0");
    int p[2];
    uint32_t devid;
    struct vfio_device_bind_iommufd b = { .argsz = 8, .iommufd = ifd };

    CHECK(pipe(p) == 0);
    track(p[0]);
    track(p[1]);
    CHECK_ERR(io(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b), EINVAL);
    b.argsz = sizeof(b);
    b.flags = 2;
    CHECK_ERR(io(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b), EINVAL);
    CHECK_ERR(bind_dev(dfd, p[0], NULL), EBADFD);
    CHECK_ERR(bind_dev(dfd, 999, NULL), EBADF);
    CHECK_ERR(bind_dev(dfd, -1, NULL), EINVAL);
    CHECK_ERR(bind_dev(dfd, ifd, &devid), 0);
    CHECK(devid == 1);
    CHECK_ERR(bind_dev(dfd, ifd, NULL), EINVAL);
    /* a cdev can be opened twice, but bound once */
    CHECK_ERR(bind_dev(dfd2, ifd, NULL), EINVAL);
    /* the VFIO driver holds the device object */
    CHECK_ERR(destroy(ifd, devid), EBUSY);
    return true;
}

bool t_bind_group_one_owner(void)
{
    int a = open_iommufd(), b = open_iommufd();
    int d1 = open_dev("vfio1"), d2 = open_dev("vfio2");

    CHECK_ERR(bind_dev(d1, a, NULL), 0);
    CHECK_ERR(bind_dev(d2, b, NULL), EPERM);
    CHECK_ERR(bind_dev(d2, a, NULL), 0);
    return true;
}

bool t_close_device_unbinds(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio0");

    CHECK_ERR(bind_dev(dfd, ifd, NULL), 0);
    CHECK(hm_client_count_objects(cl, "DEVICE") == 1);
    untrack_close(dfd);
    CHECK(hm_client_count_objects(cl, "DEVICE") == 0);
    dfd = open_dev("vfio0");
    CHECK_ERR(bind_dev(dfd, ifd, NULL), 0);
    return true;
}

/* ---- VFIO device ---- */

bool t_vfio_info(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio0");
    struct vfio_device_info info = { .argsz = sizeof(info) };
    struct vfio_region_info ri = { .argsz = sizeof(ri) };
    struct vfio_irq_info ii = { .argsz = sizeof(ii) };
    static const struct {
        uint32_t count, flags;
    } irqs[5] = {
        { 1, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
             VFIO_IRQ_INFO_AUTOMASKED },
        { 4, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE },
        { 8, VFIO_IRQ_INFO_EVENTFD },
        { 1, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE },
        { 1, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE },
    };

    CHECK_ERR(bind_dev(dfd, ifd, NULL), 0);
    CHECK_ERR(io(dfd, VFIO_DEVICE_GET_INFO, &info), 0);
    CHECK(info.flags == (VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET));
    CHECK(info.num_regions == 9 && info.num_irqs == 5);
    info.argsz = 8;
    CHECK_ERR(io(dfd, VFIO_DEVICE_GET_INFO, &info), EINVAL);
    ri.index = VFIO_PCI_CONFIG_REGION_INDEX;
    CHECK_ERR(io(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri), 0);
    CHECK(ri.size == 4096 && ri.offset == 7ULL << 40 &&
          ri.flags == (VFIO_REGION_INFO_FLAG_READ |
                       VFIO_REGION_INFO_FLAG_WRITE));
    ri.index = VFIO_PCI_BAR0_REGION_INDEX;
    CHECK_ERR(io(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri), 0);
    CHECK(ri.size == 0x4000 && !(ri.flags & VFIO_REGION_INFO_FLAG_MMAP));
    ri.index = VFIO_PCI_BAR1_REGION_INDEX;
    CHECK_ERR(io(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri), 0);
    CHECK(ri.size == 0);
    ri.index = VFIO_PCI_ROM_REGION_INDEX;
    CHECK_ERR(io(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri), 0);
    CHECK(ri.size == 0);
    ri.index = VFIO_PCI_VGA_REGION_INDEX;
    CHECK_ERR(io(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri), EINVAL);
    for (unsigned i = 0; i < 5; i++) {
        ii.index = i;
        CHECK_ERR(io(dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii), 0);
        CHECK(ii.count == irqs[i].count && ii.flags == irqs[i].flags);
    }
    ii.index = 5;
    CHECK_ERR(io(dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii), EINVAL);
    CHECK_ERR(io(dfd, _IO(VFIO_TYPE, VFIO_BASE + 30), &ii), ENOTTY);
    return true;
}

static uint32_t cfg_read(int dfd, unsigned off, unsigned size)
{
    uint32_t v = 0;

    if (pread(dfd, &v, size, (7ULL << 40) + off) != (ssize_t)size) {
        return 0xdeadbeef;
    }
    return v;
}

bool t_vfio_config_space(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio0");
    uint32_t all = 0xffffffff;
    uint8_t pos;
    unsigned caps[3], n = 0;

    CHECK_ERR(bind_dev(dfd, ifd, NULL), 0);
    CHECK(cfg_read(dfd, 0, 4) == 0x00051b36);
    CHECK(cfg_read(dfd, 0x06, 2) & 0x10);
    for (pos = cfg_read(dfd, 0x34, 1); pos && n < 3;
         pos = cfg_read(dfd, pos + 1, 1)) {
        caps[n++] = cfg_read(dfd, pos, 1);
    }
    CHECK(n == 3 && caps[0] == 0x10 && caps[1] == 0x05 && caps[2] == 0x11);
    /* BAR sizing */
    CHECK(pwrite(dfd, &all, 4, (7ULL << 40) + 0x10) == 4);
    CHECK(cfg_read(dfd, 0x10, 4) == (0xffffc000 | 0x4));
    /* read-only bits stay */
    CHECK(pwrite(dfd, &all, 4, (7ULL << 40) + 0x00) == 4);
    CHECK(cfg_read(dfd, 0, 4) == 0x00051b36);
    CHECK(pread(dfd, &all, 4, (7ULL << 40) + 4096) < 0 && errno == EINVAL);
    return true;
}

bool t_vfio_bar_and_reset(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio0");
    uint32_t v = 0x1234, cmd = 0x2;
    const uint64_t bar = 0;

    CHECK_ERR(bind_dev(dfd, ifd, NULL), 0);
    /* memory decode off: vfio-pci refuses MMIO */
    CHECK(pread(dfd, &v, 4, bar) < 0 && errno == EIO);
    CHECK(pwrite(dfd, &cmd, 2, (7ULL << 40) + 4) == 2);
    CHECK(pread(dfd, &v, 4, bar) == 4 && v == 0x686d6f64);
    CHECK(pread(dfd, &v, 4, bar + 0x14) == 4 && v == 0x100);
    v = 0xcafe;
    CHECK(pwrite(dfd, &v, 4, bar + 8) == 4);
    CHECK(pread(dfd, &v, 4, bar + 8) == 4 && v == 0xcafe);
    CHECK(pread(dfd, &v, 4, bar + 0x10) == 4);
    {
        uint32_t resets = v;

        CHECK_ERR(io(dfd, VFIO_DEVICE_RESET, NULL), 0);
        CHECK(pwrite(dfd, &cmd, 2, (7ULL << 40) + 4) == 2);
        CHECK(pread(dfd, &v, 4, bar + 0x10) == 4 && v == resets + 1);
        CHECK(pread(dfd, &v, 4, bar + 8) == 4 && v == 0);
    }
    return true;
}

static int set_irqs(int dfd, uint32_t flags, uint32_t index, uint32_t start,
                    uint32_t count, const int32_t *fds)
{
    struct {
        struct vfio_irq_set s;
        int32_t fds[8];
    } a = {
        .s = {
            .argsz = sizeof(a.s) + count * 4, .flags = flags,
            .index = index, .start = start, .count = count,
        },
    };

    if (fds) {
        memcpy(a.fds, fds, count * 4);
    }
    return io(dfd, VFIO_DEVICE_SET_IRQS, &a);
}

static uint64_t efd_count(int fd)
{
    uint64_t v = 0;
    struct pollfd p = { .fd = fd, .events = POLLIN };

    if (poll(&p, 1, 0) == 1 && read(fd, &v, 8) != 8) {
        return ~0ULL;
    }
    return v;
}

bool t_vfio_irqs(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio0");
    int e0 = track(eventfd(0, EFD_CLOEXEC)), e1 = track(eventfd(0, 0));
    int p[2];
    int32_t fds[2] = { e0, e1 }, bad[1] = { 999 }, notev[1];
    const uint32_t trig = VFIO_IRQ_SET_DATA_EVENTFD |
                          VFIO_IRQ_SET_ACTION_TRIGGER;
    uint32_t cmd = 0x2, vec = 1;

    CHECK(pipe(p) == 0);
    track(p[0]);
    track(p[1]);
    notev[0] = ifd;
    CHECK_ERR(bind_dev(dfd, ifd, NULL), 0);
    /* INTx, automasked */
    CHECK_ERR(set_irqs(dfd, trig, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, fds), 0);
    CHECK_ERR(hm_client_signal(cl, "intx", "vfio0", 0), 0);
    CHECK(efd_count(e0) == 1);
    CHECK_ERR(hm_client_signal(cl, "intx", "vfio0", 0), 0);
    CHECK(efd_count(e0) == 0);
    CHECK_ERR(set_irqs(dfd, VFIO_IRQ_SET_DATA_NONE |
                       VFIO_IRQ_SET_ACTION_UNMASK,
                       VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL), 0);
    CHECK(efd_count(e0) == 1);
    /* one interrupt type at a time */
    CHECK_ERR(set_irqs(dfd, trig, VFIO_PCI_MSIX_IRQ_INDEX, 0, 2, fds),
              EINVAL);
    CHECK_ERR(set_irqs(dfd, VFIO_IRQ_SET_DATA_NONE |
                       VFIO_IRQ_SET_ACTION_TRIGGER,
                       VFIO_PCI_INTX_IRQ_INDEX, 0, 0, NULL), 0);
    /* MSI-X */
    CHECK_ERR(set_irqs(dfd, trig, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, bad), EBADF);
    CHECK_ERR(set_irqs(dfd, trig, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, notev),
              EINVAL);
    notev[0] = p[0];
    CHECK_ERR(set_irqs(dfd, trig, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, notev),
              EINVAL);
    CHECK_ERR(set_irqs(dfd, trig, VFIO_PCI_MSIX_IRQ_INDEX, 0, 2, fds), 0);
    CHECK_ERR(hm_client_signal_msi(cl, "vfio0", 1), 0);
    CHECK(efd_count(e1) == 1 && efd_count(e0) == 0);
    CHECK(hm_client_signal_msi(cl, "vfio0", 5) == -1);
    /* the BAR0 doorbell raises a vector too */
    CHECK(pwrite(dfd, &cmd, 2, (7ULL << 40) + 4) == 2);
    vec = 0;
    CHECK(pwrite(dfd, &vec, 4, 0x0c) == 4);
    CHECK(efd_count(e0) == 1);
    CHECK_ERR(set_irqs(dfd, VFIO_IRQ_SET_DATA_NONE |
                       VFIO_IRQ_SET_ACTION_MASK,
                       VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, NULL), ENOTTY);
    CHECK_ERR(set_irqs(dfd, trig, VFIO_PCI_MSIX_IRQ_INDEX, 7, 2, fds),
              EINVAL);
    CHECK_ERR(set_irqs(dfd, trig | 0x100, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, fds),
              EINVAL);
    /* the device keeps its own reference on the eventfd */
    untrack_close(e1);
    CHECK_ERR(hm_client_signal_msi(cl, "vfio0", 1), 0);
    /* ERR and REQ */
    CHECK_ERR(set_irqs(dfd, trig, VFIO_PCI_ERR_IRQ_INDEX, 0, 1, fds), 0);
    CHECK_ERR(hm_client_signal(cl, "err", "vfio0", 0), 0);
    CHECK(efd_count(e0) == 1);
    return true;
}

bool t_vfio_feature(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio0");
    struct vfio_device_feature f = { .argsz = sizeof(f) };

    CHECK_ERR(bind_dev(dfd, ifd, NULL), 0);
    f.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION;
    CHECK_ERR(io(dfd, VFIO_DEVICE_FEATURE, &f), ENOTTY);
    f.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_DMA_LOGGING_START;
    CHECK_ERR(io(dfd, VFIO_DEVICE_FEATURE, &f), ENOTTY);
    f.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET |
              VFIO_DEVICE_FEATURE_MIGRATION;
    CHECK_ERR(io(dfd, VFIO_DEVICE_FEATURE, &f), EINVAL);
    f.flags = 1u << 20;
    CHECK_ERR(io(dfd, VFIO_DEVICE_FEATURE, &f), EINVAL);
    f.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
              VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY;
    CHECK_ERR(io(dfd, VFIO_DEVICE_FEATURE, &f), 0);
    f.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY;
    CHECK_ERR(io(dfd, VFIO_DEVICE_FEATURE, &f), EINVAL);
    f.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN;
    CHECK_ERR(io(dfd, VFIO_DEVICE_FEATURE, &f), ENOTTY);
    f.argsz = 4;
    CHECK_ERR(io(dfd, VFIO_DEVICE_FEATURE, &f), EINVAL);
    return true;
}

bool t_vfio_hot_reset(void)
{
    int ifd = open_iommufd(), d1 = open_dev("vfio1"), d2 = open_dev("vfio2");
    struct {
        struct vfio_pci_hot_reset_info h;
        struct vfio_pci_dependent_device dev[4];
    } info = { .h = { .argsz = sizeof(info.h) } };
    struct vfio_pci_hot_reset rst = { .argsz = sizeof(rst) };
    uint32_t dev1;

    CHECK_ERR(bind_dev(d1, ifd, &dev1), 0);
    CHECK_ERR(io(d1, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &info), ENOSPC);
    CHECK(info.h.count == 2);
    info.h.argsz = sizeof(info);
    CHECK_ERR(io(d1, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &info), 0);
    CHECK(info.h.flags == (VFIO_PCI_HOT_RESET_FLAG_DEV_ID |
                           VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED));
    CHECK(info.dev[0].devid == dev1 &&
          info.dev[1].devid == VFIO_PCI_DEVID_OWNED);
    CHECK(info.dev[1].bus == 2 && info.dev[1].devfn == 1);
    /* vfio2 not bound to this iommufd: the bus reset is refused */
    CHECK_ERR(io(d1, VFIO_DEVICE_PCI_HOT_RESET, &rst), EPERM);
    CHECK_ERR(bind_dev(d2, ifd, NULL), 0);
    CHECK_ERR(io(d1, VFIO_DEVICE_PCI_HOT_RESET, &rst), 0);
    rst.count = 1;
    CHECK_ERR(io(d1, VFIO_DEVICE_PCI_HOT_RESET, &rst), EINVAL);
    return true;
}
