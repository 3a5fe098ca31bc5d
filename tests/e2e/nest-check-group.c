/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * nest-check: two devices of one iommu group (one domain for both).
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

/* ---- two devices of one iommu group ---- */

static const char *landed_where(uint64_t off_a, uint64_t off_b, uint64_t ref)
{
    bool a = same(off_a, ref), b = same(off_b, ref);

    return a && !b ? "block A" : b && !a ? "block B" : a ? "both" : "none";
}

void group_checks(const char *path_a, const char *path_b)
{
    int ictx, ictx2, fa, fb;
    uint32_t ida, idb, idb2, gioas, gs2, gviommu, va, vb, ha, hb;
    S1Tables ta, tb;
    uint64_t ste[2];
    Edu ea;

    rep_note("group: %s and %s share an iommu group", path_a, path_b);
    iommufd = ictx = open_iommufd();
    fa = open_dev(path_a);
    fb = open_dev(path_b);
    if (ictx < 0 || fa < 0 || fb < 0) {
        return;
    }
    if (c_bind(CHECK("group_bind_a", "ok", "bind device A"), fa, ictx,
               &ida)) {
        return;
    }
    ictx2 = open("/dev/iommu", O_RDWR | O_CLOEXEC);
    c_bind(CHECK("group_bind_b_other_ctx", "EPERM",
                 "device B of the same group cannot bind another iommufd"),
           fb, ictx2, &idb2);
    close(ictx2);
    if (c_bind(CHECK("group_bind_b", "ok", "bind device B to the same "
                     "iommufd"), fb, ictx, &idb)) {
        return;
    }
    c_ioas_alloc(CHECK("group_ioas", "ok", "IOAS"), ictx, &gioas);
    memset(mem, 0, MEM_SIZE);
    c_ioas_map(CHECK("group_map", "ok", "guest RAM"), ictx, gioas, mem,
               MEM_SIZE, IPA_BASE);
    c_hwpt_paging(CHECK("group_s2", "ok", "S2 parent"), ictx, ida, gioas,
                  IOMMU_HWPT_ALLOC_NEST_PARENT, &gs2);
    c_viommu_alloc(CHECK("group_viommu", "ok", "vIOMMU"), ictx, ida, gs2,
                   IOMMU_VIOMMU_TYPE_ARM_SMMUV3, 0, &gviommu);
    c_vdevice_alloc(CHECK("group_vdev_a", "ok", "vDEVICE A, vSID 0x50"),
                    ictx, gviommu, ida, 0x50, &va);
    c_vdevice_alloc(CHECK("group_vdev_b_same_vsid", "EEXIST",
                          "vDEVICE B with A's vSID"),
                    ictx, gviommu, idb, 0x50, &vb);
    c_vdevice_alloc(CHECK("group_vdev_b", "ok", "vDEVICE B, vSID 0x51"),
                    ictx, gviommu, idb, 0x51, &vb);

    /* Two guest S1s: same VA, A's maps block A, B's maps block B. */
    s1_init(&ta, mem, IPA_BASE, 2);
    s1_map_block(&ta, VA_A, IPA_BASE + OFF_A);
    s1_init(&tb, mem + OFF_S1B, IPA_BASE + OFF_S1B, 3);
    s1_map_block(&tb, VA_A, IPA_BASE + OFF_B);
    s1_vste(&ta, ste);
    c_hwpt_nested(CHECK("group_hwpt_a", "ok", "nested S1 HWPT for A"),
                  ictx, ida, gviommu, 0, IOMMU_HWPT_DATA_ARM_SMMUV3, 16, ste,
                  &ha);
    s1_vste(&tb, ste);
    c_hwpt_nested(CHECK("group_hwpt_b", "ok", "nested S1 HWPT for B"),
                  ictx, idb, gviommu, 0, IOMMU_HWPT_DATA_ARM_SMMUV3, 16, ste,
                  &hb);

    c_attach(CHECK("group_attach_a", "ok", "A attaches HWPT A"), fa, ha);
    c_attach(CHECK("group_attach_b_other", "EINVAL",
                   "B cannot attach another HWPT than its group's"), fb, hb);
    c_attach(CHECK("group_attach_b_same", "ok",
                   "B attaches the group's HWPT"), fb, ha);

    if (edu_open(&ea, fa)) {
        rep_note("group: edu A does not open: %s", strerror(errno));
        close(ictx);
        return;
    }
    /* Reference data at 0x7000, copied to block A, read through HWPT A. */
    fill(0x7000, 0x33);
    memcpy(mem + OFF_A, mem + 0x7000, XFER);
    edu_dma(&ea, VA_A, EDU_BUF, XFER, false);
    memset(mem + OFF_A, 0, XFER);
    memset(mem + OFF_B, 0, XFER);
    edu_dma(&ea, EDU_BUF, VA_A, XFER, true);
    dma_record("group_dma_a", "A's DMA to the VA uses HWPT A (block A)",
               "block A", landed_where(OFF_A, OFF_B, 0x7000), VA_A);

    c_attach(CHECK("group_replace_b", "ok",
                   "B replaces the group's HWPT by HWPT B"), fb, hb);
    memset(mem + OFF_A, 0, XFER);
    memset(mem + OFF_B, 0, XFER);
    edu_dma(&ea, EDU_BUF, VA_A, XFER, true);
    dma_record("group_dma_a_after_b", "after B's replace, A's DMA also "
               "uses HWPT B (the group moved)", "block B",
               landed_where(OFF_A, OFF_B, 0x7000), VA_A);
    close(ictx);
    close(fa);
    close(fb);
}

