/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QEMU's "edu" PCI device (1234:11e8) driven from userspace through a VFIO
 * device cdev: the DMA engine and the MSI.  edu copies between its own
 * 4 KiB buffer (device addresses 0x40000..0x40fff) and bus addresses; its
 * DMA mask is 28 bits, so bus addresses (IOVAs) stay below 256 MiB.  Each
 * transfer completes on a 100 ms virtual-time timer.
 */

#ifndef VFIO_EDU_H
#define VFIO_EDU_H

#include <stdbool.h>
#include <stdint.h>

#define EDU_VENDOR      0x1234
#define EDU_DEVICE      0x11e8
#define EDU_BUF         0x40000ULL  /* device address of the edu buffer */
#define EDU_BUF_SIZE    4096

typedef struct Edu {
    int devfd;
    volatile uint8_t *bar0;     /* BAR0 mapping: MMIO */
    uint64_t bar0_size;
    int msi_fd;             /* eventfd of MSI vector 0, or -1 */
} Edu;

/*
 * VFIO cdev helpers (they set errno and return -1 on failure).
 */
int vfio_bind(int devfd, int iommufd, uint32_t *dev_id);
int vfio_attach(int devfd, uint32_t pt_id);
int vfio_detach(int devfd);
/* Vendor and device ID from the config space region. */
int vfio_pci_ids(int devfd, uint16_t *vendor, uint16_t *device);

/*
 * Enable memory decoding and bus mastering, map BAR0.  Returns 0, or -1
 * with errno set (ENODEV: not an edu).
 */
int edu_open(Edu *edu, int devfd);
/* The identification register (0x010000ed for edu 1.0). */
uint32_t edu_id(Edu *edu);
/*
 * One transfer: to_ram false copies bus address src to edu buffer address
 * dst, true copies edu buffer address src to bus address dst.  Returns 0
 * when the engine finished, -1 on a timeout (5 s).  A blocked or faulting
 * transfer also finishes: the data tells.
 */
int edu_dma(Edu *edu, uint64_t src, uint64_t dst, uint32_t cnt, bool to_ram);

/* MSI vector 0 to an eventfd (VFIO_DEVICE_SET_IRQS), and back off. */
int edu_msi_enable(Edu *edu);
int edu_msi_disable(Edu *edu);
/* Raise the edu interrupt; true when the eventfd fired within 1 s. */
bool edu_msi_fires(Edu *edu);

#endif
