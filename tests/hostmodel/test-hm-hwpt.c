/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of hm-hwpt.c: IOMMU_HWPT_ALLOC of paging and nested HWPTs
 * (the vSTE checks themselves are in test-hm-smmu.c).
 */
#define _GNU_SOURCE

#include "test-hostmodel.h"

/* ---- HWPT ---- */

bool t_hwpt_paging_rules(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio0");
    int d6 = open_dev("vfio6");
    uint32_t ioas, devid, dev6, h, pt;
    uint64_t data[2] = { 0 };

    CHECK_ERR(bind_dev(dfd, ifd, &devid), 0);
    CHECK_ERR(bind_dev(d6, ifd, &dev6), 0);
    CHECK_ERR(ioas_alloc(ifd, &ioas), 0);
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, 1u << 7, 0, NULL, 0, &h),
              EOPNOTSUPP);
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT |
                         IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, NULL, 0, &h),
              EOPNOTSUPP);
    /* grace has HTTU access+dirty, small has no HTTU */
    CHECK_ERR(hwpt_alloc(ifd, dev6, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0,
                         NULL, 0, &h), EOPNOTSUPP);
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
                         0, NULL, 0, &h), 0);
    CHECK_ERR(destroy(ifd, h), 0);
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, 0, IOMMU_HWPT_DATA_ARM_SMMUV3,
                         data, sizeof(data), &h), EOPNOTSUPP);
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, 0, 0, data, 16, &h), EINVAL);
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, 0, IOMMU_HWPT_DATA_ARM_SMMUV3,
                         data, 0, &h), EINVAL);
    CHECK_ERR(hwpt_alloc(ifd, devid, 77, 0, 0, NULL, 0, &h), EINVAL);
    CHECK_ERR(hwpt_alloc(ifd, 77, ioas, 0, 0, NULL, 0, &h), ENOENT);
    CHECK_ERR(hwpt_alloc(ifd, devid, devid, 0, 0, NULL, 0, &h), EINVAL);
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, 0, 0, NULL, 0, &h), 0);
    CHECK_ERR(attach(dfd, h, &pt), 0);
    CHECK(pt == h);
    CHECK_ERR(destroy(ifd, h), EBUSY);
    CHECK_ERR(detach(dfd), 0);
    CHECK_ERR(detach(dfd), 0);
    CHECK_ERR(destroy(ifd, h), 0);
    return true;
}

/* ---- nested HWPT: allocation arguments ---- */

bool t_nested_alloc_args(void)
{
    Nest n;
    int d3 = open_dev("vfio3");
    uint32_t dev3, h;
    struct {
        uint64_t ste[2];
        uint64_t tail;
    } d = { { STE_S1, 0 }, 0 };

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    CHECK_ERR(bind_dev(d3, n.ifd, &dev3), 0);
    CHECK_ERR(hwpt_alloc(n.ifd, n.devid, n.viommu,
                         IOMMU_HWPT_ALLOC_NEST_PARENT,
                         IOMMU_HWPT_DATA_ARM_SMMUV3, &d, 16, &h), EOPNOTSUPP);
    CHECK_ERR(hwpt_alloc(n.ifd, n.devid, n.viommu, 0,
                         IOMMU_HWPT_DATA_VTD_S1, &d, 16, &h), EINVAL);
    CHECK_ERR(hwpt_alloc(n.ifd, n.devid, n.viommu, 0,
                         IOMMU_HWPT_DATA_ARM_SMMUV3, &d, 8, &h), EINVAL);
    CHECK_ERR(hwpt_alloc(n.ifd, n.devid, n.viommu, 0, 0, NULL, 0, &h),
              EOPNOTSUPP);
    /* a fault queue id is allowed, but none exists in the model */
    CHECK_ERR(hwpt_alloc(n.ifd, n.devid, n.viommu, IOMMU_HWPT_FAULT_ID_VALID,
                         IOMMU_HWPT_DATA_ARM_SMMUV3, &d, 16, &h), ENOENT);
    d.tail = 1;
    CHECK_ERR(hwpt_alloc(n.ifd, n.devid, n.viommu, 0,
                         IOMMU_HWPT_DATA_ARM_SMMUV3, &d, 24, &h), E2BIG);
    d.tail = 0;
    CHECK_ERR(hwpt_alloc(n.ifd, n.devid, n.viommu, 0,
                         IOMMU_HWPT_DATA_ARM_SMMUV3, &d, 24, &h), 0);
    CHECK_ERR(destroy(n.ifd, h), 0);
    CHECK_ERR(hwpt_alloc(n.ifd, n.devid, n.viommu, 0,
                         IOMMU_HWPT_DATA_ARM_SMMUV3, (void *)8, 16, &h),
              EFAULT);
    /* the device must be behind the vIOMMU's SMMU */
    CHECK_ERR(nested_alloc(n.ifd, dev3, n.viommu, STE_S1, 0, &h), EINVAL);
    /* arm-smmu-v3 nests only through a vIOMMU */
    CHECK_ERR(hwpt_alloc(n.ifd, n.devid, n.s2, 0,
                         IOMMU_HWPT_DATA_ARM_SMMUV3, &d, 16, &h), EOPNOTSUPP);
    return true;
}
