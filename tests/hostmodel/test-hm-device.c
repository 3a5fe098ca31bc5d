/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of hm-device.c: attach, replace and detach, auto domains, the
 * iommu group a domain is given to, nested HWPT attach, GET_HW_INFO.
 */
#define _GNU_SOURCE

#include "test-hostmodel.h"

/* ---- attach, replace, auto domains, groups ---- */

bool t_hwpt_auto_domain(void)
{
    int ifd = open_iommufd(), d0 = open_dev("vfio0"), d3 = open_dev("vfio3");
    uint32_t ioas, pt0, pt0b, pt3;

    CHECK_ERR(bind_dev(d0, ifd, NULL), 0);
    CHECK_ERR(bind_dev(d3, ifd, NULL), 0);
    CHECK_ERR(ioas_alloc(ifd, &ioas), 0);
    CHECK_ERR(attach(d0, ioas, &pt0), 0);
    CHECK(pt0 != ioas);
    /* re-attaching to the same IOAS replaces with the same auto domain */
    CHECK_ERR(attach(d0, ioas, &pt0b), 0);
    CHECK(pt0b == pt0);
    /* another SMMU cannot share the domain: a second auto domain */
    CHECK_ERR(attach(d3, ioas, &pt3), 0);
    CHECK(pt3 != pt0);
    CHECK(hm_client_count_objects(cl, "HWPT_PAGING") == 2);
    CHECK_ERR(destroy(ifd, pt0), EBUSY);
    CHECK_ERR(detach(d0), 0);
    CHECK_ERR(detach(d3), 0);
    /* auto domains go away with their last device */
    CHECK(hm_client_count_objects(cl, "HWPT_PAGING") == 0);
    CHECK_ERR(destroy(ifd, ioas), 0);
    return true;
}

bool t_attach_paging_other_smmu(void)
{
    int ifd = open_iommufd(), d0 = open_dev("vfio0"), d3 = open_dev("vfio3");
    uint32_t ioas, dev0, h;

    CHECK_ERR(bind_dev(d0, ifd, &dev0), 0);
    CHECK_ERR(bind_dev(d3, ifd, NULL), 0);
    CHECK_ERR(ioas_alloc(ifd, &ioas), 0);
    CHECK_ERR(hwpt_alloc(ifd, dev0, ioas, 0, 0, NULL, 0, &h), 0);
    CHECK_ERR(attach(d3, h, NULL), EINVAL);
    CHECK_ERR(attach(d3, 999, NULL), ENOENT);
    CHECK_ERR(attach(d3, dev0, NULL), EINVAL);
    return true;
}

bool t_attach_replace(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio0");
    uint32_t ioas, devid, a, b;

    CHECK_ERR(bind_dev(dfd, ifd, &devid), 0);
    CHECK_ERR(ioas_alloc(ifd, &ioas), 0);
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, 0, 0, NULL, 0, &a), 0);
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, 0, 0, NULL, 0, &b), 0);
    CHECK_ERR(attach(dfd, a, NULL), 0);
    CHECK_ERR(attach(dfd, b, NULL), 0);
    CHECK_ERR(destroy(ifd, a), 0);
    CHECK_ERR(destroy(ifd, b), EBUSY);
    return true;
}

bool t_group_shares_domain(void)
{
    int ifd = open_iommufd(), d1 = open_dev("vfio1"), d2 = open_dev("vfio2");
    uint32_t ioas, dev1, a, b;
    uint64_t ste1[4], ste2[4];

    CHECK_ERR(bind_dev(d1, ifd, &dev1), 0);
    CHECK_ERR(bind_dev(d2, ifd, NULL), 0);
    CHECK_ERR(ioas_alloc(ifd, &ioas), 0);
    CHECK_ERR(hwpt_alloc(ifd, dev1, ioas, 0, 0, NULL, 0, &a), 0);
    CHECK_ERR(hwpt_alloc(ifd, dev1, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0,
                         NULL, 0, &b), 0);
    CHECK_ERR(attach(d1, a, NULL), 0);
    /* the group's domain is a: the other device must follow it */
    CHECK_ERR(attach(d2, b, NULL), EINVAL);
    CHECK_ERR(attach(d2, a, NULL), 0);
    /* replacing through one device moves the whole group */
    CHECK_ERR(attach(d2, b, NULL), 0);
    CHECK_ERR(destroy(ifd, a), 0);
    CHECK_ERR(hm_client_get_ste(cl, "vfio1", ste1, NULL), 0);
    CHECK_ERR(hm_client_get_ste(cl, "vfio2", ste2, NULL), 0);
    CHECK(((ste1[0] >> 1) & 7) == 6 && ((ste2[0] >> 1) & 7) == 6);
    CHECK_ERR(detach(d1), 0);
    CHECK_ERR(destroy(ifd, b), EBUSY);
    CHECK_ERR(detach(d2), 0);
    CHECK_ERR(destroy(ifd, b), 0);
    return true;
}

/* ---- attach of nested HWPTs ---- */

bool t_attach_s1_needs_vdevice(void)
{
    Nest n;
    uint32_t s1, abrt, byp;

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    CHECK_ERR(nested_alloc(n.ifd, n.devid, n.viommu, STE_S1, 0, &s1), 0);
    CHECK_ERR(nested_alloc(n.ifd, n.devid, n.viommu, STE_ABORT, 0, &abrt), 0);
    CHECK_ERR(nested_alloc(n.ifd, n.devid, n.viommu, STE_BYPASS, 0, &byp), 0);
    /* iommufd_viommu_get_vdev_id() fails with ENOENT */
    CHECK_ERR(attach(n.dfd, s1, NULL), ENOENT);
    /* abort and bypass are allowed without (the GBPA case) */
    CHECK_ERR(attach(n.dfd, abrt, NULL), 0);
    CHECK_ERR(attach(n.dfd, byp, NULL), 0);
    CHECK_ERR(attach(n.dfd, s1, NULL), ENOENT);
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, n.devid, 0x10, NULL), 0);
    CHECK_ERR(attach(n.dfd, s1, NULL), 0);
    return true;
}

bool t_attach_nested_foreign_viommu(void)
{
    Nest n;
    int d3 = open_dev("vfio3");
    uint32_t h;

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    CHECK_ERR(bind_dev(d3, n.ifd, NULL), 0);
    CHECK_ERR(nested_alloc(n.ifd, n.devid, n.viommu, STE_ABORT, 0, &h), 0);
    CHECK_ERR(attach(d3, h, NULL), EINVAL);
    return true;
}

bool t_group_nested_needs_all_vdevices(void)
{
    Nest n;
    int d2 = open_dev("vfio2");
    uint32_t dev2, s1;

    if (!nest_setup(&n, "vfio1")) {
        return false;
    }
    CHECK_ERR(bind_dev(d2, n.ifd, &dev2), 0);
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, n.devid, 0x20, NULL), 0);
    CHECK_ERR(nested_alloc(n.ifd, n.devid, n.viommu, STE_S1, 0, &s1), 0);
    /* the domain goes to the whole group: vfio2 has no vSID yet */
    CHECK_ERR(attach(n.dfd, s1, NULL), ENOENT);
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, dev2, 0x21, NULL), 0);
    CHECK_ERR(attach(n.dfd, s1, NULL), 0);
    CHECK_ERR(attach(d2, s1, NULL), 0);
    return true;
}

/* ---- IOMMU_GET_HW_INFO ---- */

bool t_hw_info(void)
{
    static const uint32_t grace[8] = {
        0x080f72bb, 0x0e739d14, 0, 0x00003734, 0, 0x00800475, 0x0000036b, 2,
    };
    int ifd = open_iommufd(), dfd = open_dev("vfio0"), d4 = open_dev("vfio4");
    int d6 = open_dev("vfio6");
    struct iommu_hw_info_arm_smmuv3 data;
    uint8_t big[64];
    uint32_t devid, dev4, dev6;
    struct iommu_hw_info h = {
        .size = sizeof(h), .data_len = sizeof(data),
        .data_uptr = (uintptr_t)&data,
    };

    CHECK_ERR(bind_dev(dfd, ifd, &devid), 0);
    CHECK_ERR(bind_dev(d4, ifd, &dev4), 0);
    CHECK_ERR(bind_dev(d6, ifd, &dev6), 0);
    h.dev_id = devid;
    CHECK_ERR(io(ifd, IOMMU_GET_HW_INFO, &h), 0);
    CHECK(h.out_data_type == IOMMU_HW_INFO_TYPE_ARM_SMMUV3);
    CHECK(h.data_len == sizeof(data));
    CHECK(!memcmp(data.idr, grace, 6 * 4) && data.iidr == grace[6] &&
          data.aidr == grace[7] && data.flags == 0);
    /* vfio0 has no ATS: the kernel says so (IOMMU_HW_CAP_PCI_ATS_NOT_...) */
    CHECK(h.out_capabilities == (IOMMU_HW_CAP_DIRTY_TRACKING | (1u << 3)));
    CHECK(h.out_max_pasid_log2 == 0);
    /* short buffer: only data_len bytes, the full length reported */
    memset(big, 0xaa, sizeof(big));
    h.data_len = 8;
    h.data_uptr = (uintptr_t)big;
    CHECK_ERR(io(ifd, IOMMU_GET_HW_INFO, &h), 0);
    CHECK(h.data_len == 40 && big[8] == 0xaa && big[0] == 0);
    /* long buffer: the tail is zeroed */
    memset(big, 0xaa, sizeof(big));
    h.data_len = sizeof(big);
    CHECK_ERR(io(ifd, IOMMU_GET_HW_INFO, &h), 0);
    CHECK(h.data_len == 40 && big[40] == 0 && big[63] == 0);
    /* PASID width: min(device, SSIDSIZE) */
    h.dev_id = dev4;
    CHECK_ERR(io(ifd, IOMMU_GET_HW_INFO, &h), 0);
    CHECK(h.out_max_pasid_log2 == 16);
    CHECK(!(h.out_capabilities & (1u << 3)));     /* ATS on ATS SMMU */
    h.dev_id = dev6;
    CHECK_ERR(io(ifd, IOMMU_GET_HW_INFO, &h), 0);
    CHECK(h.out_capabilities == (1u << 3));
    /* flags and types */
    h.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
    h.in_data_type = IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV;
    CHECK_ERR(io(ifd, IOMMU_GET_HW_INFO, &h), EOPNOTSUPP);
    h.in_data_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
    CHECK_ERR(io(ifd, IOMMU_GET_HW_INFO, &h), 0);
    h.flags = 2;
    CHECK_ERR(io(ifd, IOMMU_GET_HW_INFO, &h), EOPNOTSUPP);
    h.flags = 0;
    h.__reserved[1] = 1;
    CHECK_ERR(io(ifd, IOMMU_GET_HW_INFO, &h), EOPNOTSUPP);
    h.__reserved[1] = 0;
    h.dev_id = 99;
    CHECK_ERR(io(ifd, IOMMU_GET_HW_INFO, &h), ENOENT);
    return true;
}
