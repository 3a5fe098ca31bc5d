/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * iommufd nesting objects: vIOMMU, vDEVICE, nested HWPT, vIOMMU cache
 * invalidation and vEVENTQ.  See include/system/iommufd-nesting.h.
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/iommufd.h>
#include "qapi/error.h"
#include "system/iommufd-nesting.h"
#include "trace.h"

/*
 * What a refused vIOMMU means for the user.  Discovery is "try and fail":
 * the kernel's errno is the only answer, so say what it implies.
 */
static const char *iommufd_backend_viommu_alloc_hint(int err)
{
    switch (err) {
    case EOPNOTSUPP:
        return "the host SMMU cannot nest: it needs both translation stages, "
               "S2FWB or a CANWBS root complex, and a kernel with "
               "CONFIG_ARM_SMMU_V3_IOMMUFD";
    case EINVAL:
        return "the stage-2 HWPT is not a nest parent, or is on another "
               "host SMMU than the device (devices behind one vSMMU must "
               "share one host SMMU)";
    case ENOTTY:
        return "the host kernel has no vIOMMU support (Linux 6.13 or later "
               "is needed)";
    default:
        return "check the host kernel log";
    }
}

bool iommufd_backend_alloc_viommu_data(IOMMUFDBackend *be, uint32_t dev_id,
                                       uint32_t type, uint32_t s2_hwpt_id,
                                       void *data, uint32_t data_len,
                                       uint32_t *out_viommu_id, Error **errp)
{
    struct iommu_viommu_alloc cmd = {
        .size = sizeof(cmd),
        .type = type,
        .dev_id = dev_id,
        .hwpt_id = s2_hwpt_id,
        .data_len = data_len,
        .data_uptr = (uintptr_t)data,
    };
    int ret = ioctl(be->fd, IOMMU_VIOMMU_ALLOC, &cmd);
    int err = ret ? errno : 0;

    trace_iommufd_backend_alloc_viommu(be->fd, dev_id, type, s2_hwpt_id,
                                       cmd.out_viommu_id, err);
    if (ret) {
        error_setg_errno(errp, err, "IOMMU_VIOMMU_ALLOC (dev_id %u, "
                         "s2 hwpt %u, type %u) failed: %s", dev_id,
                         s2_hwpt_id, type,
                         err == ENOSPC ? "the host CMDQV has no VINTF left "
                         "for another VM" :
                         iommufd_backend_viommu_alloc_hint(err));
        return false;
    }
    *out_viommu_id = cmd.out_viommu_id;
    return true;
}

bool iommufd_backend_alloc_viommu(IOMMUFDBackend *be, uint32_t dev_id,
                                  uint32_t type, uint32_t s2_hwpt_id,
                                  uint32_t *out_viommu_id, Error **errp)
{
    return iommufd_backend_alloc_viommu_data(be, dev_id, type, s2_hwpt_id,
                                             NULL, 0, out_viommu_id, errp);
}

bool iommufd_backend_get_cmdqv_info(IOMMUFDBackend *be, uint32_t dev_id,
                                    struct iommu_hw_info_tegra241_cmdqv *info,
                                    Error **errp)
{
    struct iommu_hw_info cmd = {
        .size = sizeof(cmd),
        .flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE,
        .dev_id = dev_id,
        .data_len = sizeof(*info),
        .data_uptr = (uintptr_t)info,
        .in_data_type = IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV,
    };
    int ret = ioctl(be->fd, IOMMU_GET_HW_INFO, &cmd);
    int err = ret ? errno : 0;

    trace_iommufd_backend_get_cmdqv_info(be->fd, dev_id, cmd.out_data_type,
                                         err);
    if (!ret && cmd.out_data_type != IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV) {
        /* a kernel before the input type answers with its default */
        err = EOPNOTSUPP;
    }
    if (err) {
        error_setg_errno(errp, err, "IOMMU_GET_HW_INFO of the Tegra241 "
                         "CMDQV type (dev_id %u) failed: the host SMMU has "
                         "no CMDQV, or the kernel does not offer it (Linux "
                         "6.17 or later with CONFIG_TEGRA241_CMDQV)", dev_id);
        return false;
    }
    return true;
}

bool iommufd_backend_alloc_hw_queue(IOMMUFDBackend *be, uint32_t viommu_id,
                                    uint32_t type, uint32_t index,
                                    uint64_t iova, uint64_t length,
                                    uint32_t *out_id, Error **errp)
{
    struct iommu_hw_queue_alloc cmd = {
        .size = sizeof(cmd),
        .viommu_id = viommu_id,
        .type = type,
        .index = index,
        .nesting_parent_iova = iova,
        .length = length,
    };
    int ret = ioctl(be->fd, IOMMU_HW_QUEUE_ALLOC, &cmd);
    int err = ret ? errno : 0;

    trace_iommufd_backend_alloc_hw_queue(be->fd, viommu_id, type, index, iova,
                                         length, cmd.out_hw_queue_id, err);
    if (ret) {
        error_setg_errno(errp, err, "IOMMU_HW_QUEUE_ALLOC (viommu %u, index "
                         "%u, iova 0x%" PRIx64 ", length 0x%" PRIx64 ") "
                         "failed%s", viommu_id, index, iova, length,
                         err == EFAULT ? ": the queue's host pages are not "
                         "contiguous (back guest RAM with huge pages)" :
                         err == EIO ? ": the queue below it is not "
                         "allocated" : "");
        return false;
    }
    *out_id = cmd.out_hw_queue_id;
    return true;
}

void *iommufd_backend_mmap(IOMMUFDBackend *be, uint64_t offset, size_t length,
                           Error **errp)
{
    void *p = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, be->fd,
                   offset);
    int err = p == MAP_FAILED ? errno : 0;

    trace_iommufd_backend_mmap(be->fd, offset, length, err);
    if (err) {
        error_setg_errno(errp, err, "mmap of the iommufd at 0x%" PRIx64
                         " (0x%zx bytes) failed", offset, length);
        return NULL;
    }
    return p;
}

bool iommufd_backend_alloc_vdevice(IOMMUFDBackend *be, uint32_t viommu_id,
                                   uint32_t dev_id, uint64_t virt_id,
                                   uint32_t *out_vdevice_id, Error **errp)
{
    struct iommu_vdevice_alloc cmd = {
        .size = sizeof(cmd),
        .viommu_id = viommu_id,
        .dev_id = dev_id,
        .virt_id = virt_id,
    };
    int ret = ioctl(be->fd, IOMMU_VDEVICE_ALLOC, &cmd);
    int err = ret ? errno : 0;

    trace_iommufd_backend_alloc_vdevice(be->fd, viommu_id, dev_id, virt_id,
                                        cmd.out_vdevice_id, err);
    if (ret) {
        error_setg_errno(errp, err, "IOMMU_VDEVICE_ALLOC (viommu %u, dev_id "
                         "%u, virtual id 0x%" PRIx64 ") failed%s", viommu_id,
                         dev_id, virt_id,
                         err == EEXIST ? ": the device or the virtual ID "
                         "already has a vDEVICE on this vIOMMU" : "");
        return false;
    }
    *out_vdevice_id = cmd.out_vdevice_id;
    return true;
}

bool iommufd_backend_alloc_nested_hwpt_smmuv3(IOMMUFDBackend *be,
                                              uint32_t dev_id,
                                              uint32_t viommu_id,
                                              const uint64_t ste[2],
                                              uint32_t *out_hwpt_id,
                                              Error **errp)
{
    struct iommu_hwpt_arm_smmuv3 data = {
        .ste = { cpu_to_le64(ste[0]), cpu_to_le64(ste[1]) },
    };
    Error *local_err = NULL;

    trace_iommufd_backend_alloc_nested_hwpt_smmuv3(be->fd, viommu_id,
                                                   ste[0], ste[1]);
    if (!iommufd_backend_alloc_hwpt(be, dev_id, viommu_id, 0,
                                    IOMMU_HWPT_DATA_ARM_SMMUV3, sizeof(data),
                                    &data, out_hwpt_id, &local_err)) {
        error_propagate_prepend(errp, local_err,
                                "nested HWPT for STE 0x%016" PRIx64
                                " 0x%016" PRIx64 " on vIOMMU %u refused "
                                "(EIO: the host rejects a field of the STE; "
                                "EOPNOTSUPP: no nesting support): ",
                                ste[0], ste[1], viommu_id);
        return false;
    }
    return true;
}

bool iommufd_backend_invalidate_viommu_smmuv3(IOMMUFDBackend *be,
                                              uint32_t viommu_id,
                                              const uint64_t (*cmds)[2],
                                              uint32_t num, uint32_t *done,
                                              Error **errp)
{
    Error *local_err = NULL;
    bool ok;

    /* The uAPI entry is the guest's command as it sits in the queue. */
    QEMU_BUILD_BUG_ON(sizeof(struct iommu_viommu_arm_smmuv3_invalidate) !=
                      2 * sizeof(uint64_t));
    *done = num;
    ok = iommufd_backend_invalidate_cache(be, viommu_id,
                                     IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
                                     sizeof(cmds[0]), done, (void *)cmds,
                                     &local_err);
    trace_iommufd_backend_invalidate_viommu_smmuv3(be->fd, viommu_id, num,
                                                   *done, ok);
    if (!ok) {
        error_propagate_prepend(errp, local_err, "vIOMMU %u: ", viommu_id);
    }
    return ok;
}

bool iommufd_backend_alloc_veventq(IOMMUFDBackend *be, uint32_t viommu_id,
                                   uint32_t type, uint32_t depth,
                                   uint32_t *out_veventq_id, int *out_fd,
                                   Error **errp)
{
    struct iommu_veventq_alloc cmd = {
        .size = sizeof(cmd),
        .viommu_id = viommu_id,
        .type = type,
        .veventq_depth = depth,
    };
    int ret = ioctl(be->fd, IOMMU_VEVENTQ_ALLOC, &cmd);
    int err = ret ? errno : 0;

    trace_iommufd_backend_alloc_veventq(be->fd, viommu_id, type, depth,
                                        cmd.out_veventq_id,
                                        ret ? -1 : (int)cmd.out_veventq_fd,
                                        err);
    if (ret) {
        error_setg_errno(errp, err, "IOMMU_VEVENTQ_ALLOC (viommu %u, type %u, "
                         "depth %u) failed%s", viommu_id, type, depth,
                         err == EEXIST ? ": the vIOMMU already has an event "
                         "queue of this type" :
                         err == ENOTTY ? ": the host kernel has no vEVENTQ "
                         "(Linux 6.15 or later is needed)" : "");
        return false;
    }
    *out_veventq_id = cmd.out_veventq_id;
    *out_fd = cmd.out_veventq_fd;
    return true;
}

bool iommufd_backend_free_veventq(IOMMUFDBackend *be, uint32_t veventq_id,
                                  unsigned timeout_ms, Error **errp)
{
    struct iommu_destroy cmd = { .size = sizeof(cmd), .id = veventq_id };
    unsigned tries = 0;
    int err;

    while (ioctl(be->fd, IOMMU_DESTROY, &cmd)) {
        err = errno;
        if (err != EBUSY || tries >= timeout_ms) {
            trace_iommufd_backend_free_veventq(be->fd, veventq_id, tries, err);
            error_setg_errno(errp, err, "IOMMU_DESTROY of vEVENTQ %u failed%s",
                             veventq_id, err == EBUSY ? ": its file is still "
                             "in use" : "");
            return false;
        }
        /* A poll of the closed fd in another thread is about to return */
        g_usleep(1000);
        tries++;
    }
    trace_iommufd_backend_free_veventq(be->fd, veventq_id, tries, 0);
    return true;
}
