/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The iommufd and VFIO calls of the end-to-end programs, one function per
 * call: each fills the uAPI structure, makes the call and prints one
 * record (e2e-report.h) with the inputs that matter, the outputs, and the
 * expected result ("ok" or an errno name).  They return 0 or -1 with
 * errno set, like the call.
 */

#ifndef IOMMUFD_CALLS_H
#define IOMMUFD_CALLS_H

#include <stdint.h>
#include <linux/iommufd.h>

/* Identifies a record: step id, expected result, sentence. */
typedef struct Check {
    const char *step;
    const char *expect;
    const char *what;
} Check;

/* A Check whose step is rep_step(NAME) (e2e-report.h) */
#define STEP(name, expect, what) \
    (&(Check){ rep_step(name), (expect), (what) })

/* The bare calls, without a record (for timed loops); 0 or -1 and errno */
int ioas_map(int iommufd, uint32_t ioas, void *va, uint64_t len,
             uint64_t iova);
/* *@len in: the length to unmap; out: what the kernel unmapped */
int ioas_unmap(int iommufd, uint32_t ioas, uint64_t iova, uint64_t *len);

int c_bind(const Check *c, int devfd, int iommufd, uint32_t *dev_id);
int c_attach(const Check *c, int devfd, uint32_t pt_id);
int c_detach(const Check *c, int devfd);

int c_hw_info(const Check *c, int iommufd, uint32_t dev_id, uint32_t len,
              struct iommu_hw_info_arm_smmuv3 *info, uint32_t *out_len,
              uint32_t *out_type, uint64_t *out_caps);
int c_ioas_alloc(const Check *c, int iommufd, uint32_t *ioas);
int c_ioas_map(const Check *c, int iommufd, uint32_t ioas, void *va,
               uint64_t len, uint64_t iova);
int c_ioas_unmap(const Check *c, int iommufd, uint32_t ioas, uint64_t iova,
                 uint64_t len);
int c_hwpt_paging(const Check *c, int iommufd, uint32_t dev_id,
                  uint32_t ioas, uint32_t flags, uint32_t *hwpt);
/*
 * A nested HWPT on a vIOMMU from vSTE words; data_type and data_len are
 * normally IOMMU_HWPT_DATA_ARM_SMMUV3 and 16.
 */
int c_hwpt_nested(const Check *c, int iommufd, uint32_t dev_id,
                  uint32_t viommu, uint32_t flags, uint32_t data_type,
                  uint32_t data_len, const uint64_t ste[2], uint32_t *hwpt);
int c_viommu_alloc(const Check *c, int iommufd, uint32_t dev_id,
                   uint32_t hwpt, uint32_t type, uint32_t flags,
                   uint32_t *viommu);
int c_vdevice_alloc(const Check *c, int iommufd, uint32_t viommu,
                    uint32_t dev_id, uint64_t virt_id, uint32_t *vdev);
int c_veventq_alloc(const Check *c, int iommufd, uint32_t viommu,
                    uint32_t type, uint32_t depth, uint32_t *id, int *fd);
/*
 * IOMMU_HWPT_INVALIDATE of n commands (16 bytes each) on a vIOMMU, with
 * entry_len as given; *done gets the returned entry_num.
 */
int c_invalidate(const Check *c, int iommufd, uint32_t viommu,
                 const uint64_t (*cmds)[2], uint32_t n, uint32_t entry_len,
                 uint32_t *done);
int c_destroy(const Check *c, int iommufd, uint32_t id);

/* CMDQV: GET_HW_INFO asking for the Tegra241 CMDQV's type */
int c_hw_info_cmdqv(const Check *c, int iommufd, uint32_t dev_id,
                    struct iommu_hw_info_tegra241_cmdqv *info,
                    uint32_t *out_type);
/* A vIOMMU with driver data (data_len bytes of *data, in and out) */
int c_viommu_alloc_data(const Check *c, int iommufd, uint32_t dev_id,
                        uint32_t hwpt, uint32_t type, void *data,
                        uint32_t data_len, uint32_t *viommu);
int c_hw_queue_alloc(const Check *c, int iommufd, uint32_t viommu,
                     uint32_t type, uint32_t flags, uint32_t index,
                     uint64_t iova, uint64_t length, uint32_t *id);
/* mmap of the iommufd; *addr is MAP_FAILED on failure */
int c_mmap(const Check *c, int fd, uint64_t len, int prot, int flags,
           uint64_t offset, void **addr);

#endif
