/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * dma-check: an edu device driven through VFIO and iommufd with a plain
 * (kernel-managed) I/O page table: the DMA a VMM or a userspace driver
 * does on any SMMU.  It maps a buffer, checks that a DMA round trip
 * through it carries the data, that an IOVA used and then unmapped is
 * blocked (the invalidation on unmap reached the IOMMU: a stale cached
 * translation would let the DMA land), and that the MSI is delivered.
 *
 * usage: dma-check [-n NAME] [-g] [-s] [-b ERR] DEV
 * (DEV: /dev/vfio/devices/vfioN)
 * NAME prefixes the step names (default "dma"), so that several runs in
 * one log stay apart.  -g: this runs in a guest behind a nested (accel)
 * vSMMU, where the MSI cannot reach a userspace driver (MSI_IN_GUEST
 * says why): that check is reported as a TODO.  -s: the IOMMU is known
 * to keep stale translations (invalidations switched off), so the DMA to
 * the unmapped IOVA is expected to land: the proof that the check catches
 * a missing invalidation.  -b ERR: the bind is expected to fail with ERR
 * (an errno name): a device the firmware wants mapped 1:1 cannot be given
 * to userspace; nothing more is checked.  Exit status 0 when every other
 * check passed.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "e2e-report.h"
#include "iommufd-calls.h"
#include "vfio-edu.h"

#define IOVA        0x100000ULL     /* below edu's 28-bit DMA mask */
#define BUF_SIZE    (2ULL << 20)
#define HALF        (1ULL << 20)
#define XFER        256


/*
 * The host kernel programs the device's MSI address with its own doorbell
 * IOVA (0x8000040), which goes through the guest's stage 1.  A guest kernel
 * driver's domain maps that window 1:1 (the RMR), but a guest userspace
 * driver's domain maps the guest's own doorbell there, whose guest
 * physical address the host stage 2 does not map.  Linux 7.2 has no uAPI
 * to program the device with the guest's address instead.
 */
#define MSI_IN_GUEST "a guest userspace driver behind a nested vSMMU gets " \
    "no MSI: its I/O page table maps the guest doorbell where the host put " \
    "its own; needs a host kernel uAPI for the guest MSI address"

static void record(const char *name, const char *what, const char *expect,
                   const char *got)
{
    rep_begin(rep_step(name), "-", what);
    rep_end(expect, got, 0);
}

int main(int argc, char **argv)
{
    uint32_t dev_id, ioas;
    uint8_t *buf;
    int iommufd, devfd, opt, rc;
    Edu edu;
    const char *got;
    bool in_guest = false, stale = false;
    const char *bind_expect = "ok";

    rep_init("dma");
    rep_prefix("dma");
    while ((opt = getopt(argc, argv, "n:gsb:")) != -1) {
        if (opt == 'n') {
            rep_prefix(optarg);
        } else if (opt == 'g') {
            in_guest = true;
        } else if (opt == 's') {
            stale = true;
        } else if (opt == 'b') {
            bind_expect = optarg;
        } else {
            goto usage;
        }
    }
    if (optind != argc - 1) {
        goto usage;
    }

    devfd = open(argv[optind], O_RDWR | O_CLOEXEC);
    iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
    rep_begin(rep_step("open"), "open",
              "the VFIO cdev and /dev/iommu open");
    rep_out_str("path", argv[optind]);
    rep_end_rc("ok", devfd < 0 || iommufd < 0 ? -1 : 0, errno);
    if (devfd < 0 || iommufd < 0) {
        return 2;
    }
    rc = c_bind(STEP("bind", bind_expect, "VFIO_DEVICE_BIND_IOMMUFD"), devfd,
                iommufd, &dev_id);
    if (strcmp(bind_expect, "ok")) {
        return rep_failures() ? 1 : 0;
    }
    if (rc ||
        c_ioas_alloc(STEP("ioas_alloc", "ok", "IOMMU_IOAS_ALLOC"), iommufd,
                     &ioas)) {
        return 2;
    }
    buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    /* Two areas of 1 MiB: IOAS_UNMAP removes whole areas only. */
    if (buf == MAP_FAILED ||
        c_ioas_map(STEP("ioas_map", "ok", "IOMMU_IOAS_MAP of 1 MiB at "
                        "IOVA 1 MiB"), iommufd, ioas, buf, HALF, IOVA) ||
        c_ioas_map(STEP("ioas_map2", "ok", "IOMMU_IOAS_MAP of the next "
                        "1 MiB at IOVA 2 MiB"), iommufd, ioas, buf + HALF,
                   HALF, IOVA + HALF) ||
        c_attach(STEP("attach_ioas", "ok", "the device attaches to the "
                      "IOAS (a kernel-managed paging domain)"), devfd,
                 ioas)) {
        return 2;
    }

    rc = edu_open(&edu, devfd);
    rep_begin(rep_step("edu_open"), "mmap BAR0", "the edu BAR0 maps");
    rep_out_hex("id", rc ? 0 : edu_id(&edu));
    rep_end_rc("ok", rc, rc ? errno : 0);
    if (rc) {
        return 2;
    }

    for (int i = 0; i < XFER; i++) {
        buf[i] = (uint8_t)(i * 13 + 5);
    }
    __sync_synchronize();
    rc = edu_dma(&edu, IOVA, EDU_BUF, XFER, false) ||
         edu_dma(&edu, EDU_BUF, IOVA + 0x1000, XFER, true);
    got = rc ? "timeout" : memcmp(buf, buf + 0x1000, XFER) ? "mismatch" :
          "match";
    record("roundtrip", "edu DMA RAM -> device -> RAM through the IOMMU "
           "carries the data", "match", got);

    rc = edu_msi_enable(&edu);
    rep_begin(rep_step("msi_enable"), "VFIO_DEVICE_SET_IRQS", "edu MSI on");
    rep_end_rc("ok", rc, rc ? errno : 0);
    if (!rc) {
        if (in_guest) {
            rep_todo(MSI_IN_GUEST);
        }
        record("msi", "the edu MSI is delivered", "fired",
               edu_msi_fires(&edu) ? "fired" : "none");
        edu_msi_disable(&edu);
    }

    /*
     * DMA into the second area first, so that the IOMMU caches its
     * translation: only the invalidation on unmap can then block it.
     */
    memset(buf + HALF, 0, XFER);
    __sync_synchronize();
    rc = edu_dma(&edu, EDU_BUF, IOVA + HALF, XFER, true);
    got = rc ? "timeout" : memcmp(buf, buf + HALF, XFER) ? "mismatch" :
          "match";
    record("second_area", "DMA to the second area lands before its unmap",
           "match", got);

    /* The second area goes away: DMA there must not land. */
    c_ioas_unmap(STEP("unmap_part", "ENOENT", "IOMMU_IOAS_UNMAP of a part "
                      "of a mapped area"), iommufd, ioas, IOVA + HALF,
                 HALF / 2);
    c_ioas_unmap(STEP("unmap", "ok", "IOMMU_IOAS_UNMAP of the second area"),
                 iommufd, ioas, IOVA + HALF, HALF);
    memset(buf + HALF, 0, XFER);
    __sync_synchronize();
    rc = edu_dma(&edu, EDU_BUF, IOVA + HALF, XFER, true);
    got = rc ? "timeout" : memcmp(buf, buf + HALF, XFER) ? "blocked" :
          "landed";
    if (stale) {
        record("unmapped_stale", "DMA to an unmapped IOVA lands when the "
               "invalidation is withheld (the check below would catch it)",
               "landed", got);
    } else {
        record("unmapped_blocked", "DMA to an unmapped IOVA is blocked",
               "blocked", got);
    }
    /* The mapped half still works after the unmap. */
    memset(buf + 0x2000, 0, XFER);
    rc = edu_dma(&edu, EDU_BUF, IOVA + 0x2000, XFER, true);
    got = rc ? "timeout" : memcmp(buf, buf + 0x2000, XFER) ? "mismatch" :
          "match";
    record("mapped_still", "DMA to the still mapped IOVA lands", "match", got);

    c_detach(STEP("detach", "ok", "detach"), devfd);
    close(devfd);
    close(iommufd);
    rep_begin(rep_step("done"), "-", "dma-check ran to the end");
    rep_end("ok", "ok", 0);
    return rep_failures() ? 1 : 0;

usage:
    fprintf(stderr, "usage: dma-check [-n NAME] [-g] [-s] [-b ERR] DEV\n");
    return 2;
}
