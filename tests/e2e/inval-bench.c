/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * inval-bench: how long an IOMMU unmap takes, which is mostly its TLB
 * invalidation.  A VFIO device (edu) is attached to an IOAS that maps in
 * 4 KiB pages (IOMMU_OPTION_HUGE_PAGES off); each round maps PAGES pages
 * and times their unmap.  Behind a vSMMU the guest's SMMU driver sends one
 * TLBI_NH_VA per page (when range invalidation is off) and a CMD_SYNC:
 * what the VMM does with those commands is what this measures.
 *
 * usage: inval-bench [-n NAME] [-p PAGES] [-r ROUNDS] DEV
 * Prints one record, NAME_unmap (default "inval_unmap"), with the rounds,
 * pages per unmap and the nanoseconds all unmaps took; fails when a map or
 * an unmap fails.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include "e2e-report.h"
#include "iommufd-calls.h"

#define IOVA    0x100000ULL     /* below edu's 28-bit DMA mask */
#define PAGE    4096ULL


static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int small_pages(int iommufd, uint32_t ioas)
{
    struct iommu_option opt = {
        .size = sizeof(opt),
        .option_id = IOMMU_OPTION_HUGE_PAGES,
        .op = IOMMU_OPTION_OP_SET,
        .object_id = ioas,
        .val64 = 0,
    };

    return ioctl(iommufd, IOMMU_OPTION, &opt);
}

int main(int argc, char **argv)
{
    unsigned long pages = 64, rounds = 200, r;
    uint64_t ns = 0, t0;
    uint32_t dev_id, ioas;
    int iommufd, devfd, opt, err = 0;
    void *buf;

    rep_init("inval-bench");
    rep_prefix("inval");
    while ((opt = getopt(argc, argv, "n:p:r:")) != -1) {
        switch (opt) {
        case 'n':
            rep_prefix(optarg);
            break;
        case 'p':
            if (sscanf(optarg, "%lu", &pages) != 1) {
                goto usage;
            }
            break;
        case 'r':
            if (sscanf(optarg, "%lu", &rounds) != 1) {
                goto usage;
            }
            break;
        default:
            goto usage;
        }
    }
    if (optind != argc - 1 || !pages || pages > 4096 || !rounds) {
        goto usage;
    }

    devfd = open(argv[optind], O_RDWR | O_CLOEXEC);
    iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
    buf = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (devfd < 0 || iommufd < 0 || buf == MAP_FAILED) {
        err = errno;
        rep_begin(rep_step("open"), "open",
                  "the VFIO cdev and /dev/iommu open");
        rep_end_rc("ok", -1, err);
        return 1;
    }
    if (c_bind(STEP("bind", "ok", "VFIO_DEVICE_BIND_IOMMUFD"), devfd,
               iommufd, &dev_id) ||
        c_ioas_alloc(STEP("ioas_alloc", "ok", "IOMMU_IOAS_ALLOC"), iommufd,
                     &ioas)) {
        return 1;
    }
    rep_begin(rep_step("small_pages"), "IOMMU_OPTION",
              "the IOAS maps in 4 KiB pages (HUGE_PAGES off)");
    rep_end_rc("ok", small_pages(iommufd, ioas), errno);
    if (c_attach(STEP("attach", "ok", "the device attaches to the IOAS"),
                 devfd, ioas)) {
        return 1;
    }

    for (r = 0; r < rounds; r++) {
        uint64_t len = pages * PAGE;

        if (ioas_map(iommufd, ioas, buf, len, IOVA)) {
            err = errno;
            break;
        }
        t0 = now_ns();
        if (ioas_unmap(iommufd, ioas, IOVA, &len)) {
            err = errno;
            break;
        }
        ns += now_ns() - t0;
    }

    rep_begin(rep_step("unmap"), "IOMMU_IOAS_UNMAP",
              "unmaps of PAGES 4 KiB pages, timed");
    rep_in_u64("pages", pages);
    rep_out_u64("rounds", r);
    rep_out_u64("ns", ns);
    rep_end_rc("ok", err ? -1 : 0, err);
    c_detach(STEP("detach", "ok", "detach"), devfd);
    return err ? 1 : 0;

usage:
    fprintf(stderr, "usage: inval-bench [-n NAME] [-p PAGES] [-r ROUNDS] "
            "DEV\n");
    return 2;
}
