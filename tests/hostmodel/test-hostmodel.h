/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The harness shared by the host model's tests: test-hostmodel.c
 * (main(), the harness) and test-hm-*.c (the tests), one TAP program.
 * Checks, fd tracking, uAPI helpers, the nesting fixture, and the
 * test cases main() runs, by the file that holds them.
 */
#ifndef TEST_HOSTMODEL_H
#define TEST_HOSTMODEL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "hostmodel-client.h"

/* ---- a tiny TAP harness (test-hostmodel.c) ---- */

/* the control socket, and the name of the test running */
extern HmClient *cl;
extern const char *cur_test;

#define CHECK(cond) \
    do { \
        if (!(cond)) { \
            printf("# %s:%d: check failed: %s (errno %d %s)\n", cur_test, \
                   __LINE__, #cond, errno, strerror(errno)); \
            return false; \
        } \
    } while (0)

/* check that an expression returns the expected errno (0 == success) */
#define CHECK_ERR(expr, want) \
    do { \
        int e_ = (expr); \
        if (e_ != (want)) { \
            printf("# %s:%d: %s gave %d (%s), expected %d (%s)\n", cur_test, \
                   __LINE__, #expr, e_, strerror(e_), (want), \
                   strerror(want)); \
            return false; \
        } \
    } while (0)

/* an fd closed when the test ends, unless closed with untrack_close() */
int track(int fd);
void untrack_close(int fd);
/* an address that faults: the kernel (and the model) answer EFAULT */
void *bad_ptr(void);

/* ---- uAPI helpers: each returns 0 or the errno ---- */

int io(int fd, unsigned long req, void *arg);
int open_iommufd(void);
int open_dev(const char *name);
int bind_dev(int dfd, int ifd, uint32_t *devid);
int ioas_alloc(int ifd, uint32_t *id);
int destroy(int ifd, uint32_t id);
int hwpt_alloc(int ifd, uint32_t dev, uint32_t pt, uint32_t flags,
               uint32_t type, void *data, uint32_t len, uint32_t *out);
int nested_alloc(int ifd, uint32_t dev, uint32_t viommu,
                 uint64_t ste0, uint64_t ste1, uint32_t *out);
int viommu_alloc(int ifd, uint32_t dev, uint32_t s2, uint32_t type,
                 uint32_t *out);
int vdev_alloc(int ifd, uint32_t viommu, uint32_t dev, uint64_t vsid,
               uint32_t *out);
int attach(int dfd, uint32_t pt, uint32_t *out);
int detach(int dfd);
int invalidate(int ifd, uint32_t id, const void *data, uint32_t type,
               uint32_t len, uint32_t num, uint32_t *done);
int inv_cmds(int ifd, uint32_t viommu, uint64_t (*cmds)[2],
             uint32_t num, uint32_t *done);
int veventq_alloc(int ifd, uint32_t viommu, uint32_t depth,
                  uint32_t *id, int *fd);
int ioas_map(int ifd, uint32_t ioas, void *va, uint64_t len,
             uint64_t *iova, bool fixed);
int ioas_unmap(int ifd, uint32_t ioas, uint64_t iova, uint64_t len,
               uint64_t *unmapped);

/* A nesting setup: ctx, bound device, IOAS, S2 parent, vIOMMU */
typedef struct Nest {
    int ifd, dfd;
    uint32_t devid, ioas, s2, viommu;
} Nest;

bool nest_setup(Nest *n, const char *dev);

/* vSTE word 0 values, word 1 EATS */
#define STE_V           1ULL
#define STE_CFG(c)      ((uint64_t)(c) << 1)
#define STE_S1          (STE_V | STE_CFG(5) | 0x12345000ULL)
#define STE_BYPASS      (STE_V | STE_CFG(4))
#define STE_ABORT       (STE_V | STE_CFG(0))
#define STE1_EATS(e)    ((uint64_t)(e) << 28)

/* the hex number after "ok " in the reply to control command "CMD DEV" */
uint64_t read_ull(const char *cmd, const char *dev);

/* test-hm-control.c: a scratch directory; this program again as "MODE" */
const char *tmpdir(void);
int run_child(const char *mode, const char *const *env_add, bool keep_host);

/* ---- the test cases, in the order of their files ---- */

/* test-hm-iommufd.c */
bool t_open_paths(void);
bool t_unknown_ioctl(void);
bool t_ioctl_size_rules(void);
bool t_ids_lowest_free(void);
bool t_dup_shares_file(void);
bool t_ctx_release_frees(void);
bool t_kernel_release(void);
int child_kernel(void);
bool t_passed_fds_adopted(void);
int child_adopt(void);
int child_adopt_parent(void);
bool t_fork_twice(void);
int child_fork_twice(void);

/* test-hm-ioas.c */
bool t_ioas_map_unmap(void);
bool t_iova_ranges_sw_msi(void);
bool t_ioas_map_alloc_iova(void);
bool t_ioas_option(void);
bool t_ioas_copy_and_map_file(void);
bool t_destroy_ioas_busy(void);

/* test-hm-hwpt.c */
bool t_hwpt_paging_rules(void);
bool t_nested_alloc_args(void);

/* test-hm-device.c */
bool t_hwpt_auto_domain(void);
bool t_attach_paging_other_smmu(void);
bool t_attach_replace(void);
bool t_group_shares_domain(void);
bool t_attach_s1_needs_vdevice(void);
bool t_attach_nested_foreign_viommu(void);
bool t_group_nested_needs_all_vdevices(void);
bool t_hw_info(void);

/* test-hm-viommu.c */
bool t_viommu_alloc_rules(void);
bool t_viommu_nonest_refused(void);
bool t_mmu700_erratum_no_nesting(void);
bool t_viommu_foreign_s2(void);
bool t_destroy_viommu_busy(void);
bool t_vdevice_rules(void);
bool t_vdevice_goes_with_device(void);

/* test-hm-cmdqv.c */
bool t_cmdqv_hw_info(void);
bool t_cmdqv_viommu_alloc(void);
bool t_cmdqv_mmap_rules(void);
bool t_cmdqv_hw_queue_rules(void);
bool t_cmdqv_vdevice_sids(void);
bool t_cmdqv_consume(void);

/* test-hm-smmu.c */
bool t_vste_v0_accepted(void);
bool t_vste_word0_bits(void);
bool t_vste_word1_bits(void);
bool t_vste_config(void);
bool t_vste_eats(void);
bool t_ste_and_ats(void);
bool t_inv_tlbi_vmid(void);
bool t_inv_sid_translation(void);
bool t_inv_rejected_opcodes(void);
bool t_inv_entry_num_zero(void);
bool t_inv_entry_len(void);
bool t_inv_batches(void);
bool t_inv_entry_num_bad_cmd(void);
bool t_inv_entry_num_failed_sync(void);
bool t_inv_targets(void);

/* test-hm-eventq.c */
bool t_veventq_alloc_rules(void);
bool t_veventq_forward(void);
bool t_veventq_not_forwarded(void);
bool t_veventq_partial_reads(void);
bool t_veventq_overflow(void);
bool t_veventq_wrap(void);

/* test-hm-vfio.c */
bool t_device_needs_bind(void);
bool t_bind_rules(void);
bool t_bind_group_one_owner(void);
bool t_close_device_unbinds(void);
bool t_vfio_info(void);
bool t_vfio_config_space(void);
bool t_vfio_bar_and_reset(void);
bool t_vfio_irqs(void);
bool t_vfio_feature(void);
bool t_vfio_hot_reset(void);

/* test-hm-control.c */
bool t_fail_nth(void);
bool t_control_channel(void);
bool t_leak_report(void);
bool t_call_log(void);
bool t_fail_env(void);
bool t_preopen(void);
bool t_inert(void);
bool t_caps_memlock(void);
int child_leak(void);
int child_noleak(void);
int child_fail_env(void);
int child_preopen(void);
int child_inert(void);
int child_memlock(void);

#endif /* TEST_HOSTMODEL_H */
