/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * iommufd nesting objects: vIOMMU, vDEVICE, nested HWPT, vIOMMU cache
 * invalidation and vEVENTQ.  One function per kernel call; each fills one
 * uAPI structure, makes one ioctl, traces it and turns a failure into an
 * Error that names the call, the errno and what it means.  Policy (what a
 * failure means to a guest) belongs to the callers.
 */

#ifndef SYSTEM_IOMMUFD_NESTING_H
#define SYSTEM_IOMMUFD_NESTING_H

#include "system/iommufd.h"

/* IOMMU_VIOMMU_ALLOC of @type for @dev_id over the nest parent @s2_hwpt_id */
bool iommufd_backend_alloc_viommu(IOMMUFDBackend *be, uint32_t dev_id,
                                  uint32_t type, uint32_t s2_hwpt_id,
                                  uint32_t *out_viommu_id, Error **errp);

/*
 * The same with the type's driver data @data (@data_len bytes), which the
 * kernel reads and may write back (IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV: the
 * mmap key of its VINTF page)
 */
bool iommufd_backend_alloc_viommu_data(IOMMUFDBackend *be, uint32_t dev_id,
                                       uint32_t type, uint32_t s2_hwpt_id,
                                       void *data, uint32_t data_len,
                                       uint32_t *out_viommu_id, Error **errp);

/*
 * IOMMU_GET_HW_INFO of type TEGRA241_CMDQV for @dev_id: false (and @errp)
 * when its host SMMU has no CMDQV, or the kernel does not offer one
 */
struct iommu_hw_info_tegra241_cmdqv;
bool iommufd_backend_get_cmdqv_info(IOMMUFDBackend *be, uint32_t dev_id,
                                    struct iommu_hw_info_tegra241_cmdqv *info,
                                    Error **errp);

/*
 * IOMMU_HW_QUEUE_ALLOC: queue @index of @type on @viommu_id, @length bytes
 * at @iova of its nesting parent's IOAS (the guest physical address)
 */
bool iommufd_backend_alloc_hw_queue(IOMMUFDBackend *be, uint32_t viommu_id,
                                    uint32_t type, uint32_t index,
                                    uint64_t iova, uint64_t length,
                                    uint32_t *out_id, Error **errp);

/* mmap of the iommufd at @offset (a key a vIOMMU gave), shared, RW */
void *iommufd_backend_mmap(IOMMUFDBackend *be, uint64_t offset, size_t length,
                           Error **errp);

/* IOMMU_VDEVICE_ALLOC: device @dev_id is @virt_id (guest ID) in @viommu_id */
bool iommufd_backend_alloc_vdevice(IOMMUFDBackend *be, uint32_t viommu_id,
                                   uint32_t dev_id, uint64_t virt_id,
                                   uint32_t *out_vdevice_id, Error **errp);

/*
 * IOMMU_HWPT_ALLOC of a nested HWPT on @viommu_id from the first two words
 * of a guest ARM SMMUv3 STE.  The words must already be masked to what the
 * kernel accepts.
 */
bool iommufd_backend_alloc_nested_hwpt_smmuv3(IOMMUFDBackend *be,
                                              uint32_t dev_id,
                                              uint32_t viommu_id,
                                              const uint64_t ste[2],
                                              uint32_t *out_hwpt_id,
                                              Error **errp);

/*
 * IOMMU_HWPT_INVALIDATE on @viommu_id with @num native ARM SMMUv3 commands
 * (two little-endian 64-bit words each, as in the guest queue).
 * On return *@done is what the kernel reports as handled.  On failure only
 * "every command before *@done was accepted" can be relied on.
 */
bool iommufd_backend_invalidate_viommu_smmuv3(IOMMUFDBackend *be,
                                              uint32_t viommu_id,
                                              const uint64_t (*cmds)[2],
                                              uint32_t num, uint32_t *done,
                                              Error **errp);

/* IOMMU_VEVENTQ_ALLOC of @type and @depth on @viommu_id; returns its fd */
bool iommufd_backend_alloc_veventq(IOMMUFDBackend *be, uint32_t viommu_id,
                                   uint32_t type, uint32_t depth,
                                   uint32_t *out_veventq_id, int *out_fd,
                                   Error **errp);

/*
 * IOMMU_DESTROY of a vEVENTQ whose fd was just closed.  Another thread in
 * poll() on that fd still holds the file, and with it the queue, until
 * the poll returns: EBUSY is retried for up to @timeout_ms.  False (and
 * @errp) when the queue is still there.
 */
bool iommufd_backend_free_veventq(IOMMUFDBackend *be, uint32_t veventq_id,
                                  unsigned timeout_ms, Error **errp);

/* Other objects are destroyed with iommufd_backend_free_id(). */

#endif
