/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QEMU's "edu" PCI device through a VFIO device cdev (see vfio-edu.h).
 * Register layout from QEMU's hw/misc/edu.c documentation: 0x00 id,
 * 0x04 liveness (reads back inverted), 0x60 raise interrupt, 0x64 ack
 * interrupt, 0x80 DMA source, 0x88 DMA destination, 0x90 DMA count,
 * 0x98 DMA command (bit 0 run, bit 1 edu-to-RAM).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>
#include "vfio-edu.h"

#define EDU_REG_ID          0x00
#define EDU_REG_IRQ_RAISE   0x60
#define EDU_REG_IRQ_ACK     0x64
#define EDU_REG_DMA_SRC     0x80
#define EDU_REG_DMA_DST     0x88
#define EDU_REG_DMA_CNT     0x90
#define EDU_REG_DMA_CMD     0x98
#define EDU_DMA_RUN         0x1
#define EDU_DMA_TO_RAM      0x2

#define PCI_COMMAND         0x04
#define PCI_COMMAND_MEMORY  0x2
#define PCI_COMMAND_MASTER  0x4

int vfio_bind(int devfd, int iommufd, uint32_t *dev_id)
{
    struct vfio_device_bind_iommufd bind = {
        .argsz = sizeof(bind),
        .iommufd = iommufd,
    };

    if (ioctl(devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
        return -1;
    }
    *dev_id = bind.out_devid;
    return 0;
}

int vfio_attach(int devfd, uint32_t pt_id)
{
    struct vfio_device_attach_iommufd_pt at = {
        .argsz = sizeof(at),
        .pt_id = pt_id,
    };

    return ioctl(devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
}

int vfio_detach(int devfd)
{
    struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt) };

    return ioctl(devfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt);
}

static int cfg_offset(int devfd, off_t *off)
{
    struct vfio_region_info ri = {
        .argsz = sizeof(ri),
        .index = VFIO_PCI_CONFIG_REGION_INDEX,
    };

    if (ioctl(devfd, VFIO_DEVICE_GET_REGION_INFO, &ri)) {
        return -1;
    }
    *off = ri.offset;
    return 0;
}

int vfio_pci_ids(int devfd, uint16_t *vendor, uint16_t *device)
{
    off_t cfg;

    if (cfg_offset(devfd, &cfg) ||
        pread(devfd, vendor, 2, cfg) != 2 ||
        pread(devfd, device, 2, cfg + 2) != 2) {
        return -1;
    }
    return 0;
}

static uint32_t rd32(Edu *edu, uint32_t off)
{
    return *(volatile uint32_t *)(edu->bar0 + off); /* MMIO */
}

static void wr32(Edu *edu, uint32_t off, uint32_t val)
{
    *(volatile uint32_t *)(edu->bar0 + off) = val; /* MMIO */
}

static void wr64(Edu *edu, uint32_t off, uint64_t val)
{
    *(volatile uint64_t *)(edu->bar0 + off) = val; /* MMIO */
}

int edu_open(Edu *edu, int devfd)
{
    struct vfio_region_info b0 = {
        .argsz = sizeof(b0),
        .index = VFIO_PCI_BAR0_REGION_INDEX,
    };
    uint16_t vendor, device, cmd;
    off_t cfg;
    void *map;

    memset(edu, 0, sizeof(*edu));
    edu->devfd = devfd;
    edu->msi_fd = -1;
    if (vfio_pci_ids(devfd, &vendor, &device) || cfg_offset(devfd, &cfg)) {
        return -1;
    }
    if (vendor != EDU_VENDOR || device != EDU_DEVICE) {
        errno = ENODEV;
        return -1;
    }
    if (pread(devfd, &cmd, 2, cfg + PCI_COMMAND) != 2) {
        return -1;
    }
    cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
    if (pwrite(devfd, &cmd, 2, cfg + PCI_COMMAND) != 2) {
        return -1;
    }
    if (ioctl(devfd, VFIO_DEVICE_GET_REGION_INFO, &b0)) {
        return -1;
    }
    map = mmap(NULL, b0.size, PROT_READ | PROT_WRITE, MAP_SHARED, devfd,
               b0.offset);
    if (map == MAP_FAILED) {
        return -1;
    }
    edu->bar0 = map;
    edu->bar0_size = b0.size;
    return 0;
}

uint32_t edu_id(Edu *edu)
{
    return rd32(edu, EDU_REG_ID);
}

int edu_dma(Edu *edu, uint64_t src, uint64_t dst, uint32_t cnt, bool to_ram)
{
    wr64(edu, EDU_REG_DMA_SRC, src);
    wr64(edu, EDU_REG_DMA_DST, dst);
    wr64(edu, EDU_REG_DMA_CNT, cnt);
    wr64(edu, EDU_REG_DMA_CMD, EDU_DMA_RUN | (to_ram ? EDU_DMA_TO_RAM : 0));
    for (int i = 0; i < 500; i++) {
        if (!(rd32(edu, EDU_REG_DMA_CMD) & EDU_DMA_RUN)) {
            __sync_synchronize();
            return 0;
        }
        usleep(10000);
    }
    errno = ETIMEDOUT;
    return -1;
}

static int set_msi(Edu *edu, int fd)
{
    char buf[sizeof(struct vfio_irq_set) + sizeof(int)];
    struct vfio_irq_set *set = (struct vfio_irq_set *)buf;

    memset(buf, 0, sizeof(buf));
    set->argsz = sizeof(buf);
    set->index = VFIO_PCI_MSI_IRQ_INDEX;
    set->start = 0;
    if (fd >= 0) {
        set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
        set->count = 1;
        memcpy(set->data, &fd, sizeof(int));
    } else {
        set->argsz = sizeof(*set);
        set->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
        set->count = 0;
    }
    return ioctl(edu->devfd, VFIO_DEVICE_SET_IRQS, set);
}

int edu_msi_enable(Edu *edu)
{
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

    if (fd < 0) {
        return -1;
    }
    if (set_msi(edu, fd)) {
        int err = errno;

        close(fd);
        errno = err;
        return -1;
    }
    edu->msi_fd = fd;
    return 0;
}

int edu_msi_disable(Edu *edu)
{
    int rc = set_msi(edu, -1);

    if (edu->msi_fd >= 0) {
        close(edu->msi_fd);
        edu->msi_fd = -1;
    }
    return rc;
}

bool edu_msi_fires(Edu *edu)
{
    struct pollfd p = { .fd = edu->msi_fd, .events = POLLIN };
    uint64_t v;
    bool fired;

    while (read(edu->msi_fd, &v, sizeof(v)) == sizeof(v)) {
        /* drain an earlier interrupt */
    }
    wr32(edu, EDU_REG_IRQ_ACK, 0xffffffff);
    wr32(edu, EDU_REG_IRQ_RAISE, 0x1);
    fired = poll(&p, 1, 1000) > 0 && read(edu->msi_fd, &v, sizeof(v)) > 0;
    wr32(edu, EDU_REG_IRQ_ACK, 0xffffffff);
    return fired;
}
