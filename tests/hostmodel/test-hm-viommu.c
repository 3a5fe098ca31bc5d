/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of hm-viommu.c: vIOMMU and vDEVICE allocation and lifetime.
 */
#define _GNU_SOURCE

#include "test-hostmodel.h"

/* ---- vIOMMU ---- */

bool t_viommu_alloc_rules(void)
{
    Nest n;
    uint32_t plain, v;

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    CHECK_ERR(hwpt_alloc(n.ifd, n.devid, n.ioas, 0, 0, NULL, 0, &plain), 0);
    CHECK_ERR(viommu_alloc(n.ifd, n.devid, plain,
                           IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &v), EINVAL);
    CHECK_ERR(viommu_alloc(n.ifd, n.devid, n.s2, IOMMU_VIOMMU_TYPE_DEFAULT,
                           &v), EOPNOTSUPP);
    CHECK_ERR(viommu_alloc(n.ifd, n.devid, n.s2,
                           IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, &v), EOPNOTSUPP);
    CHECK_ERR(viommu_alloc(n.ifd, 99, n.s2, IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
                           &v), ENOENT);
    CHECK_ERR(viommu_alloc(n.ifd, n.devid, 99, IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
                           &v), ENOENT);
    {
        struct iommu_viommu_alloc va = {
            .size = sizeof(va), .flags = 1, .dev_id = n.devid,
            .hwpt_id = n.s2, .type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
        };
        CHECK_ERR(io(n.ifd, IOMMU_VIOMMU_ALLOC, &va), EOPNOTSUPP);
    }
    /* a second vIOMMU may share the S2 */
    CHECK_ERR(viommu_alloc(n.ifd, n.devid, n.s2,
                           IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &v), 0);
    CHECK_ERR(destroy(n.ifd, n.s2), EBUSY);
    CHECK_ERR(destroy(n.ifd, v), 0);
    CHECK_ERR(destroy(n.ifd, n.viommu), 0);
    CHECK_ERR(destroy(n.ifd, n.s2), 0);
    return true;
}

bool t_viommu_nonest_refused(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio5");
    uint32_t devid, ioas, s2, v;

    CHECK_ERR(bind_dev(dfd, ifd, &devid), 0);
    CHECK_ERR(ioas_alloc(ifd, &ioas), 0);
    /* S1P and S2P are there: a nesting parent is fine */
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0,
                         NULL, 0, &s2), 0);
    /* no S2FWB and not CANWBS: no vIOMMU */
    CHECK_ERR(viommu_alloc(ifd, devid, s2, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &v),
              EOPNOTSUPP);
    return true;
}

/*
 * arm_smmu_device_iidr_probe(): Linux turns nesting off on an Arm MMU-700
 * (errata 2268618, 2812531), whatever its ID registers say: no nesting
 * parent, no vIOMMU; a plain paging HWPT is fine.
 */
bool t_mmu700_erratum_no_nesting(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio8");
    uint32_t devid, ioas, s2, h;

    CHECK_ERR(bind_dev(dfd, ifd, &devid), 0);
    CHECK_ERR(ioas_alloc(ifd, &ioas), 0);
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0,
                         NULL, 0, &s2), EOPNOTSUPP);
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, 0, 0, NULL, 0, &h), 0);
    CHECK_ERR(viommu_alloc(ifd, devid, h, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &s2),
              EOPNOTSUPP);
    return true;
}

bool t_viommu_foreign_s2(void)
{
    int ifd = open_iommufd(), d0 = open_dev("vfio0"), d3 = open_dev("vfio3");
    uint32_t dev0, dev3, ioas, s2_3, v;

    CHECK_ERR(bind_dev(d0, ifd, &dev0), 0);
    CHECK_ERR(bind_dev(d3, ifd, &dev3), 0);
    CHECK_ERR(ioas_alloc(ifd, &ioas), 0);
    CHECK_ERR(hwpt_alloc(ifd, dev3, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0,
                         NULL, 0, &s2_3), 0);
    CHECK_ERR(viommu_alloc(ifd, dev0, s2_3, IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
                           &v), EINVAL);
    CHECK_ERR(viommu_alloc(ifd, dev3, s2_3, IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
                           &v), 0);
    return true;
}

bool t_destroy_viommu_busy(void)
{
    Nest n;
    uint32_t vd, nested, qid;
    int qfd;

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, n.devid, 0x10, &vd), 0);
    CHECK_ERR(destroy(n.ifd, n.viommu), EBUSY);
    CHECK_ERR(destroy(n.ifd, vd), 0);
    CHECK_ERR(nested_alloc(n.ifd, n.devid, n.viommu, STE_ABORT, 0, &nested),
              0);
    CHECK_ERR(destroy(n.ifd, n.viommu), EBUSY);
    CHECK_ERR(destroy(n.ifd, nested), 0);
    CHECK_ERR(veventq_alloc(n.ifd, n.viommu, 4, &qid, &qfd), 0);
    CHECK_ERR(destroy(n.ifd, n.viommu), EBUSY);
    /* the open vEVENTQ fd holds the vEVENTQ */
    CHECK_ERR(destroy(n.ifd, qid), EBUSY);
    untrack_close(qfd);
    CHECK_ERR(destroy(n.ifd, qid), 0);
    CHECK_ERR(destroy(n.ifd, n.viommu), 0);
    CHECK_ERR(destroy(n.ifd, n.s2), 0);
    CHECK_ERR(destroy(n.ifd, n.ioas), 0);
    return true;
}

/* ---- vDEVICE ---- */

bool t_vdevice_rules(void)
{
    Nest n;
    int d1 = open_dev("vfio1"), d3 = open_dev("vfio3");
    uint32_t dev1, dev3, vd;

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    CHECK_ERR(bind_dev(d1, n.ifd, &dev1), 0);
    CHECK_ERR(bind_dev(d3, n.ifd, &dev3), 0);
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, n.devid, 0x10, &vd), 0);
    /* one vDEVICE per device */
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, n.devid, 0x11, NULL), EEXIST);
    /* a vSID is unique within a vIOMMU */
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, dev1, 0x10, NULL), EEXIST);
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, dev1, 0x11, NULL), 0);
    /* the device must be behind the vIOMMU's SMMU */
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, dev3, 0x12, NULL), EINVAL);
    CHECK_ERR(vdev_alloc(n.ifd, 99, dev3, 0x12, NULL), ENOENT);
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, 99, 0x12, NULL), ENOENT);
    CHECK_ERR(destroy(n.ifd, vd), 0);
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, n.devid, 0x10, NULL), 0);
    return true;
}

bool t_vdevice_goes_with_device(void)
{
    Nest n;
    uint32_t vd, ioas2;

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, n.devid, 0x10, &vd), 0);
    untrack_close(n.dfd);
    /* destroyed with the device (6.17+); its id stays reserved */
    CHECK(hm_client_count_objects(cl, "VDEVICE") == 0);
    CHECK_ERR(destroy(n.ifd, vd), ENOENT);
    CHECK_ERR(ioas_alloc(n.ifd, &ioas2), 0);
    CHECK(ioas2 != vd);
    CHECK_ERR(destroy(n.ifd, n.viommu), 0);
    return true;
}
