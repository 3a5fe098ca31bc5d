/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * iommufd and VFIO calls that print a record each (see iommufd-calls.h).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/vfio.h>
#include "e2e-report.h"
#include "iommufd-calls.h"
#include "vfio-edu.h"

/* errno of the call: begin() is always called right after it. */
static int call_errno;

static void begin(const Check *c, const char *call)
{
    call_errno = errno;
    rep_begin(c->step, call, c->what);
}

static int end(const Check *c, int rc)
{
    int err = rc ? call_errno : 0;

    rep_end_rc(c->expect, rc, err);
    errno = err;
    return rc;
}

int c_bind(const Check *c, int devfd, int iommufd, uint32_t *dev_id)
{
    int rc;

    *dev_id = 0;
    rc = vfio_bind(devfd, iommufd, dev_id);
    begin(c, "VFIO_DEVICE_BIND_IOMMUFD");
    rep_out_u64("dev_id", *dev_id);
    return end(c, rc);
}

int c_attach(const Check *c, int devfd, uint32_t pt_id)
{
    int rc = vfio_attach(devfd, pt_id);

    begin(c, "VFIO_DEVICE_ATTACH_IOMMUFD_PT");
    rep_in_u64("pt_id", pt_id);
    return end(c, rc);
}

int c_detach(const Check *c, int devfd)
{
    int rc = vfio_detach(devfd);

    begin(c, "VFIO_DEVICE_DETACH_IOMMUFD_PT");
    return end(c, rc);
}

int c_hw_info(const Check *c, int iommufd, uint32_t dev_id, uint32_t len,
              struct iommu_hw_info_arm_smmuv3 *info, uint32_t *out_len,
              uint32_t *out_type, uint64_t *out_caps)
{
    struct iommu_hw_info cmd = {
        .size = sizeof(cmd),
        .dev_id = dev_id,
        .data_len = len,
        .data_uptr = (uintptr_t)info,
    };
    int rc;

    memset(info, 0xa5, sizeof(*info));
    rc = ioctl(iommufd, IOMMU_GET_HW_INFO, &cmd);
    *out_len = cmd.data_len;
    *out_type = cmd.out_data_type;
    *out_caps = cmd.out_capabilities;
    begin(c, "IOMMU_GET_HW_INFO");
    rep_in_u64("data_len", len);
    rep_out_u64("data_len", cmd.data_len);
    rep_out_u64("out_data_type", cmd.out_data_type);
    rep_out_hex("out_capabilities", cmd.out_capabilities);
    rep_out_u64("out_max_pasid_log2", cmd.out_max_pasid_log2);
    if (!rc) {
        uint64_t regs[8];

        for (int i = 0; i < 6; i++) {
            regs[i] = info->idr[i];
        }
        regs[6] = info->iidr;
        regs[7] = info->aidr;
        rep_out_hexv("idr0_5_iidr_aidr", regs, 8);
        rep_out_hex("flags", info->flags);
    }
    return end(c, rc);
}

int c_ioas_alloc(const Check *c, int iommufd, uint32_t *ioas)
{
    struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
    int rc = ioctl(iommufd, IOMMU_IOAS_ALLOC, &cmd);

    *ioas = rc ? 0 : cmd.out_ioas_id;
    begin(c, "IOMMU_IOAS_ALLOC");
    rep_out_u64("ioas_id", *ioas);
    return end(c, rc);
}

int ioas_map(int iommufd, uint32_t ioas, void *va, uint64_t len,
             uint64_t iova)
{
    struct iommu_ioas_map cmd = {
        .size = sizeof(cmd),
        .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
                 IOMMU_IOAS_MAP_WRITEABLE,
        .ioas_id = ioas,
        .user_va = (uintptr_t)va,
        .length = len,
        .iova = iova,
    };

    return ioctl(iommufd, IOMMU_IOAS_MAP, &cmd);
}

int ioas_unmap(int iommufd, uint32_t ioas, uint64_t iova, uint64_t *len)
{
    struct iommu_ioas_unmap cmd = {
        .size = sizeof(cmd),
        .ioas_id = ioas,
        .iova = iova,
        .length = *len,
    };
    int rc = ioctl(iommufd, IOMMU_IOAS_UNMAP, &cmd);

    *len = cmd.length;
    return rc;
}

int c_ioas_map(const Check *c, int iommufd, uint32_t ioas, void *va,
               uint64_t len, uint64_t iova)
{
    int rc = ioas_map(iommufd, ioas, va, len, iova);

    begin(c, "IOMMU_IOAS_MAP");
    rep_in_hex("iova", iova);
    rep_in_hex("length", len);
    return end(c, rc);
}

int c_ioas_unmap(const Check *c, int iommufd, uint32_t ioas, uint64_t iova,
                 uint64_t len)
{
    uint64_t done = len;
    int rc = ioas_unmap(iommufd, ioas, iova, &done);

    begin(c, "IOMMU_IOAS_UNMAP");
    rep_in_hex("iova", iova);
    rep_in_hex("length", len);
    rep_out_hex("length", done);
    return end(c, rc);
}

int c_hwpt_paging(const Check *c, int iommufd, uint32_t dev_id,
                  uint32_t ioas, uint32_t flags, uint32_t *hwpt)
{
    struct iommu_hwpt_alloc cmd = {
        .size = sizeof(cmd),
        .flags = flags,
        .dev_id = dev_id,
        .pt_id = ioas,
    };
    int rc = ioctl(iommufd, IOMMU_HWPT_ALLOC, &cmd);

    *hwpt = rc ? 0 : cmd.out_hwpt_id;
    begin(c, "IOMMU_HWPT_ALLOC");
    rep_in_hex("flags", flags);
    rep_in_u64("pt_id", ioas);
    rep_out_u64("hwpt_id", *hwpt);
    return end(c, rc);
}

int c_hwpt_nested(const Check *c, int iommufd, uint32_t dev_id,
                  uint32_t viommu, uint32_t flags, uint32_t data_type,
                  uint32_t data_len, const uint64_t ste[2], uint32_t *hwpt)
{
    struct iommu_hwpt_arm_smmuv3 vste = { .ste = { ste[0], ste[1] } };
    struct iommu_hwpt_alloc cmd = {
        .size = sizeof(cmd),
        .flags = flags,
        .dev_id = dev_id,
        .pt_id = viommu,
        .data_type = data_type,
        .data_len = data_len,
        .data_uptr = (uintptr_t)&vste,
    };
    int rc = ioctl(iommufd, IOMMU_HWPT_ALLOC, &cmd);

    *hwpt = rc ? 0 : cmd.out_hwpt_id;
    begin(c, "IOMMU_HWPT_ALLOC");
    rep_in_hex("flags", flags);
    rep_in_u64("data_type", data_type);
    rep_in_u64("data_len", data_len);
    rep_in_hex("ste0", ste[0]);
    rep_in_hex("ste1", ste[1]);
    rep_out_u64("hwpt_id", *hwpt);
    return end(c, rc);
}

int c_viommu_alloc(const Check *c, int iommufd, uint32_t dev_id,
                   uint32_t hwpt, uint32_t type, uint32_t flags,
                   uint32_t *viommu)
{
    struct iommu_viommu_alloc cmd = {
        .size = sizeof(cmd),
        .flags = flags,
        .type = type,
        .dev_id = dev_id,
        .hwpt_id = hwpt,
    };
    int rc = ioctl(iommufd, IOMMU_VIOMMU_ALLOC, &cmd);

    *viommu = rc ? 0 : cmd.out_viommu_id;
    begin(c, "IOMMU_VIOMMU_ALLOC");
    rep_in_u64("type", type);
    rep_in_hex("flags", flags);
    rep_in_u64("hwpt_id", hwpt);
    rep_out_u64("viommu_id", *viommu);
    return end(c, rc);
}

int c_vdevice_alloc(const Check *c, int iommufd, uint32_t viommu,
                    uint32_t dev_id, uint64_t virt_id, uint32_t *vdev)
{
    struct iommu_vdevice_alloc cmd = {
        .size = sizeof(cmd),
        .viommu_id = viommu,
        .dev_id = dev_id,
        .virt_id = virt_id,
    };
    int rc = ioctl(iommufd, IOMMU_VDEVICE_ALLOC, &cmd);

    *vdev = rc ? 0 : cmd.out_vdevice_id;
    begin(c, "IOMMU_VDEVICE_ALLOC");
    rep_in_u64("viommu_id", viommu);
    rep_in_u64("dev_id", dev_id);
    rep_in_hex("virt_id", virt_id);
    rep_out_u64("vdevice_id", *vdev);
    return end(c, rc);
}

int c_veventq_alloc(const Check *c, int iommufd, uint32_t viommu,
                    uint32_t type, uint32_t depth, uint32_t *id, int *fd)
{
    struct iommu_veventq_alloc cmd = {
        .size = sizeof(cmd),
        .viommu_id = viommu,
        .type = type,
        .veventq_depth = depth,
    };
    int rc = ioctl(iommufd, IOMMU_VEVENTQ_ALLOC, &cmd);

    *id = rc ? 0 : cmd.out_veventq_id;
    *fd = rc ? -1 : (int)cmd.out_veventq_fd;
    begin(c, "IOMMU_VEVENTQ_ALLOC");
    rep_in_u64("type", type);
    rep_in_u64("veventq_depth", depth);
    rep_out_u64("veventq_id", *id);
    return end(c, rc);
}

int c_invalidate(const Check *c, int iommufd, uint32_t viommu,
                 const uint64_t (*cmds)[2], uint32_t n, uint32_t entry_len,
                 uint32_t *done)
{
    size_t copy = entry_len < 16 ? entry_len : 16;
    uint8_t *buf = calloc(n ? n : 1, entry_len ? entry_len : 16);
    uint64_t *w0 = calloc(n ? n : 1, sizeof(uint64_t));
    struct iommu_hwpt_invalidate cmd = {
        .size = sizeof(cmd),
        .hwpt_id = viommu,
        .data_uptr = (uintptr_t)buf,
        .data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
        .entry_len = entry_len,
        .entry_num = n,
    };
    int rc;

    for (uint32_t i = 0; i < n; i++) {
        memcpy(buf + (size_t)i * entry_len, cmds[i], copy);
        w0[i] = cmds[i][0];
    }
    rc = ioctl(iommufd, IOMMU_HWPT_INVALIDATE, &cmd);
    *done = cmd.entry_num;
    begin(c, "IOMMU_HWPT_INVALIDATE");
    rep_in_u64("entry_num", n);
    rep_in_u64("entry_len", entry_len);
    rep_out_u64("entry_num", cmd.entry_num);
    rep_out_hexv("cmd0", w0, n);
    free(buf);
    free(w0);
    return end(c, rc);
}

int c_destroy(const Check *c, int iommufd, uint32_t id)
{
    struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };
    int rc = ioctl(iommufd, IOMMU_DESTROY, &cmd);

    begin(c, "IOMMU_DESTROY");
    rep_in_u64("id", id);
    return end(c, rc);
}

int c_hw_info_cmdqv(const Check *c, int iommufd, uint32_t dev_id,
                    struct iommu_hw_info_tegra241_cmdqv *info,
                    uint32_t *out_type)
{
    struct iommu_hw_info cmd = {
        .size = sizeof(cmd),
        .flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE,
        .dev_id = dev_id,
        .data_len = sizeof(*info),
        .data_uptr = (uintptr_t)info,
        .in_data_type = IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV,
    };
    int rc;

    memset(info, 0xa5, sizeof(*info));
    rc = ioctl(iommufd, IOMMU_GET_HW_INFO, &cmd);
    *out_type = cmd.out_data_type;
    begin(c, "IOMMU_GET_HW_INFO");
    rep_in_u64("in_data_type", IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV);
    rep_out_u64("data_len", cmd.data_len);
    rep_out_u64("out_data_type", cmd.out_data_type);
    if (!rc) {
        rep_out_u64("version", info->version);
        rep_out_u64("log2vcmdqs", info->log2vcmdqs);
        rep_out_u64("log2vsids", info->log2vsids);
    }
    return end(c, rc);
}

int c_viommu_alloc_data(const Check *c, int iommufd, uint32_t dev_id,
                        uint32_t hwpt, uint32_t type, void *data,
                        uint32_t data_len, uint32_t *viommu)
{
    struct iommu_viommu_alloc cmd = {
        .size = sizeof(cmd),
        .type = type,
        .dev_id = dev_id,
        .hwpt_id = hwpt,
        .data_len = data_len,
        .data_uptr = (uintptr_t)data,
    };
    int rc = ioctl(iommufd, IOMMU_VIOMMU_ALLOC, &cmd);

    *viommu = rc ? 0 : cmd.out_viommu_id;
    begin(c, "IOMMU_VIOMMU_ALLOC");
    rep_in_u64("type", type);
    rep_in_u64("hwpt_id", hwpt);
    rep_in_u64("data_len", data_len);
    rep_out_u64("viommu_id", *viommu);
    return end(c, rc);
}

int c_hw_queue_alloc(const Check *c, int iommufd, uint32_t viommu,
                     uint32_t type, uint32_t flags, uint32_t index,
                     uint64_t iova, uint64_t length, uint32_t *id)
{
    struct iommu_hw_queue_alloc cmd = {
        .size = sizeof(cmd),
        .flags = flags,
        .viommu_id = viommu,
        .type = type,
        .index = index,
        .nesting_parent_iova = iova,
        .length = length,
    };
    int rc = ioctl(iommufd, IOMMU_HW_QUEUE_ALLOC, &cmd);

    *id = rc ? 0 : cmd.out_hw_queue_id;
    begin(c, "IOMMU_HW_QUEUE_ALLOC");
    rep_in_u64("type", type);
    rep_in_u64("index", index);
    rep_in_hex("iova", iova);
    rep_in_hex("length", length);
    rep_out_u64("hw_queue_id", *id);
    return end(c, rc);
}

int c_mmap(const Check *c, int fd, uint64_t len, int prot, int flags,
           uint64_t offset, void **addr)
{
    *addr = mmap(NULL, len, prot, flags, fd, offset);
    begin(c, "mmap");
    rep_in_hex("length", len);
    rep_in_hex("prot", prot);
    rep_in_hex("flags", flags);
    rep_in_hex("offset", offset);
    return end(c, *addr == MAP_FAILED ? -1 : 0);
}
