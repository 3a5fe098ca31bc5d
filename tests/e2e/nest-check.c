/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * nest-check: the iommufd nesting uAPI of an ARM SMMUv3 host, exercised
 * against the running kernel with a real device (QEMU's edu) doing DMA.
 * It plays a VMM: the "guest RAM" is a block of our memory mapped in an
 * IOAS, the guest's context descriptor and stage-1 page tables live in it,
 * and the host SMMU walks them nested over the stage 2.
 *
 * usage: nest-check [-c] [-s VSID] [-g DEV_A,DEV_B] DEV
 *   DEV            /dev/vfio/devices/vfioN of an edu, alone in its group
 *   -c             the host has a Tegra241 CMDQV: check it (without -c:
 *                  check that the host says it has none)
 *   -s VSID        the virtual StreamID given to DEV, hex (default 0x42)
 *   -g DEV_A,DEV_B two edus of one iommu group (e.g. two functions of a
 *                  multi-function slot): attaching different HWPTs
 *
 * Every check prints one record (e2e-report.h); the expected results are
 * those of Linux 7.2's iommufd and arm-smmu-v3 (see tests/e2e/README.md).
 * Exit status: 0 when every check gave its expected result, 1 otherwise,
 * 2 when the setup failed before the checks.
 *
 * Files: nest-check-objects.c (registers, stage 2, vIOMMU, vSTEs, objects,
 * teardown), nest-check-inval.c (invalidation), nest-check-dma.c (DMA,
 * events, MSIs), nest-check-cmdqv.c (the CMDQV), nest-check-group.c (two
 * devices of one group).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include "nest-check.h"

int iommufd = -1;
int devfd = -1;
uint32_t vsid = 0x42;
uint32_t dev_id, ioas, s2, plain, viommu, vdev, veventq_id;
uint32_t h_abort, h_bypass, h_s1;
int qfd = -1;
uint8_t *mem;
S1Tables s1;
Edu edu;
bool have_edu;
uint16_t marker = 0x8000;   /* ASIDs of marker TLBIs, unique */

/* A record for a computed value: got and expect are formatted strings. */
void check_str(const char *step, const char *what, const char *expect,
                      const char *got)
{
    rep_begin(step, "-", what);
    rep_end(expect, got, 0);
}

void check_hex(const char *step, const char *what, uint64_t expect,
                      uint64_t got)
{
    char e[32], g[32];

    snprintf(e, sizeof(e), "0x%llx", (unsigned long long)expect);
    snprintf(g, sizeof(g), "0x%llx", (unsigned long long)got);
    check_str(step, what, e, g);
}

int open_dev(const char *path)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);

    rep_begin("open_cdev", "open", "the VFIO device cdev opens");
    rep_out_str("path", path);
    rep_end_rc("ok", fd < 0 ? -1 : 0, fd < 0 ? errno : 0);
    return fd;
}

int open_iommufd(void)
{
    int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);

    rep_begin("open_iommu", "open", "/dev/iommu opens");
    rep_end_rc("ok", fd < 0 ? -1 : 0, fd < 0 ? errno : 0);
    return fd;
}

int main(int argc, char **argv)
{
    const char *group = NULL;
    bool cmdqv = false;
    int opt;

    rep_init("nest");
    while ((opt = getopt(argc, argv, "cs:g:")) != -1) {
        switch (opt) {
        case 'c':
            cmdqv = true;
            break;
        case 's':
            if (sscanf(optarg, "%x", &vsid) != 1) {
                fprintf(stderr, "nest-check: -s takes a hex vSID\n");
                return 2;
            }
            break;
        case 'g':
            group = optarg;
            break;
        default:
            fprintf(stderr, "usage: nest-check [-c] [-s VSID] [-g A,B] DEV\n");
            return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "usage: nest-check [-c] [-s VSID] [-g A,B] DEV\n");
        return 2;
    }

    devfd = open_dev(argv[optind]);
    iommufd = open_iommufd();
    if (devfd < 0 || iommufd < 0 ||
        c_bind(CHECK("bind", "ok", "VFIO_DEVICE_BIND_IOMMUFD"), devfd,
               iommufd, &dev_id)) {
        return 2;
    }
    hw_info_checks();
    if (s2_setup() || viommu_checks()) {
        return 2;
    }
    nested_checks();
    object_checks();
    invalidate_checks();
    dma_checks();
    msi_checks();
    teardown_checks();
    cmdqv_checks(cmdqv);
    close(iommufd);
    close(devfd);

    if (group) {
        char *a = strdup(group);
        char *b = strchr(a, ',');

        if (b) {
            *b++ = 0;
            group_checks(a, b);
        }
        free(a);
    }
    rep_begin("done", "-", "nest-check ran to the end");
    rep_end("ok", "ok", 0);
    return rep_failures() ? 1 : 0;
}
