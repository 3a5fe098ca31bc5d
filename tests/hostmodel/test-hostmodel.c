/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of the host model, one per kernel rule it reproduces.  This
 * file has main(), the TAP harness and the helpers declared in
 * test-hostmodel.h; the tests are in test-hm-<area>.c, named after the
 * library file (hm-<area>.c) that models the rule.  One program.
 *
 * Run with libhostmodel.so preloaded, HOSTMODEL_HOST=hosts/test.conf
 * and HOSTMODEL_CONTROL set (see hostmodel.mk, check-hostmodel).  Prints
 * TAP.  Every test closes what it opened; the runner then checks that no
 * iommufd object is left, so a test that leaks fails too.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "test-hostmodel.h"

/* ---- a tiny TAP harness ---- */

HmClient *cl;
static int tfds[128];
static unsigned n_tfds;
static unsigned n_run, n_failed;
const char *cur_test;

int track(int fd)
{
    if (fd >= 0 && n_tfds < sizeof(tfds) / sizeof(tfds[0])) {
        tfds[n_tfds++] = fd;
    }
    return fd;
}

void untrack_close(int fd)
{
    for (unsigned i = 0; i < n_tfds; i++) {
        if (tfds[i] == fd) {
            tfds[i] = tfds[--n_tfds];
            break;
        }
    }
    close(fd);
}

static void run(const char *name, bool (*fn)(void))
{
    bool ok;
    int left;

    cur_test = name;
    n_tfds = 0;
    ok = fn();
    /* devices first: a bound device holds its iommufd context */
    for (unsigned i = n_tfds; i-- > 0;) {
        close(tfds[i]);
    }
    n_tfds = 0;
    hm_client_fail_clear(cl);
    left = hm_client_count_objects(cl, NULL);
    if (ok && left != 0) {
        printf("# %s: %d iommufd objects left after closing everything: %s\n",
               name, left, (hm_client_command(cl, "objects"),
                            hm_client_last_reply(cl)));
        ok = false;
    }
    n_run++;
    if (!ok) {
        n_failed++;
    }
    printf("%s %u - %s\n", ok ? "ok" : "not ok", n_run, name);
    fflush(stdout);
}

/* a pointer the kernel (and the model) must answer EFAULT to */
__attribute__((noinline)) void *bad_ptr(void)
{
    /* volatile: the compiler must not see (and fold) the constant */
    static volatile uintptr_t p = 8;

    return (void *)p;
}

/* ---- uAPI helpers: each returns 0 or the errno ---- */

int io(int fd, unsigned long req, void *arg)
{
    return ioctl(fd, req, arg) ? errno : 0;
}

int open_iommufd(void)
{
    return track(open("/dev/iommu", O_RDWR | O_CLOEXEC));
}

int open_dev(const char *name)
{
    char path[64];

    snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
    return track(open(path, O_RDWR | O_CLOEXEC));
}

int bind_dev(int dfd, int ifd, uint32_t *devid)
{
    struct vfio_device_bind_iommufd b = {
        .argsz = sizeof(b), .iommufd = ifd,
    };
    int rc = io(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b);

    if (!rc && devid) {
        *devid = b.out_devid;
    }
    return rc;
}

int ioas_alloc(int ifd, uint32_t *id)
{
    struct iommu_ioas_alloc a = { .size = sizeof(a) };
    int rc = io(ifd, IOMMU_IOAS_ALLOC, &a);

    *id = a.out_ioas_id;
    return rc;
}

int destroy(int ifd, uint32_t id)
{
    struct iommu_destroy d = { .size = sizeof(d), .id = id };

    return io(ifd, IOMMU_DESTROY, &d);
}

int hwpt_alloc(int ifd, uint32_t dev, uint32_t pt, uint32_t flags,
               uint32_t type, void *data, uint32_t len, uint32_t *out)
{
    struct iommu_hwpt_alloc h = {
        .size = sizeof(h), .flags = flags, .dev_id = dev, .pt_id = pt,
        .data_type = type, .data_len = len, .data_uptr = (uintptr_t)data,
    };
    int rc = io(ifd, IOMMU_HWPT_ALLOC, &h);

    if (out) {
        *out = h.out_hwpt_id;
    }
    return rc;
}

int nested_alloc(int ifd, uint32_t dev, uint32_t viommu,
                 uint64_t ste0, uint64_t ste1, uint32_t *out)
{
    struct iommu_hwpt_arm_smmuv3 d = { .ste = { ste0, ste1 } };

    return hwpt_alloc(ifd, dev, viommu, 0, IOMMU_HWPT_DATA_ARM_SMMUV3, &d,
                      sizeof(d), out);
}

int viommu_alloc(int ifd, uint32_t dev, uint32_t s2, uint32_t type,
                 uint32_t *out)
{
    struct iommu_viommu_alloc v = {
        .size = sizeof(v), .type = type, .dev_id = dev, .hwpt_id = s2,
    };
    int rc = io(ifd, IOMMU_VIOMMU_ALLOC, &v);

    if (out) {
        *out = v.out_viommu_id;
    }
    return rc;
}

int vdev_alloc(int ifd, uint32_t viommu, uint32_t dev, uint64_t vsid,
               uint32_t *out)
{
    struct iommu_vdevice_alloc v = {
        .size = sizeof(v), .viommu_id = viommu, .dev_id = dev,
        .virt_id = vsid,
    };
    int rc = io(ifd, IOMMU_VDEVICE_ALLOC, &v);

    if (out) {
        *out = v.out_vdevice_id;
    }
    return rc;
}

int attach(int dfd, uint32_t pt, uint32_t *out)
{
    struct vfio_device_attach_iommufd_pt a = {
        .argsz = sizeof(a), .pt_id = pt,
    };
    int rc = io(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);

    if (out) {
        *out = a.pt_id;
    }
    return rc;
}

int detach(int dfd)
{
    struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d) };

    return io(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d);
}

int invalidate(int ifd, uint32_t id, const void *data, uint32_t type,
               uint32_t len, uint32_t num, uint32_t *done)
{
    struct iommu_hwpt_invalidate inv = {
        .size = sizeof(inv), .hwpt_id = id, .data_uptr = (uintptr_t)data,
        .data_type = type, .entry_len = len, .entry_num = num,
    };
    int rc = io(ifd, IOMMU_HWPT_INVALIDATE, &inv);

    if (done) {
        *done = inv.entry_num;
    }
    return rc;
}

int inv_cmds(int ifd, uint32_t viommu, uint64_t (*cmds)[2],
             uint32_t num, uint32_t *done)
{
    return invalidate(ifd, viommu, cmds,
                      IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 16, num, done);
}

int veventq_alloc(int ifd, uint32_t viommu, uint32_t depth,
                  uint32_t *id, int *fd)
{
    struct iommu_veventq_alloc q = {
        .size = sizeof(q), .viommu_id = viommu,
        .type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, .veventq_depth = depth,
    };
    int rc = io(ifd, IOMMU_VEVENTQ_ALLOC, &q);

    if (!rc) {
        *id = q.out_veventq_id;
        *fd = track(q.out_veventq_fd);
    }
    return rc;
}

int ioas_map(int ifd, uint32_t ioas, void *va, uint64_t len,
             uint64_t *iova, bool fixed)
{
    struct iommu_ioas_map m = {
        .size = sizeof(m), .ioas_id = ioas, .user_va = (uintptr_t)va,
        .length = len, .iova = *iova,
        .flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
                 (fixed ? IOMMU_IOAS_MAP_FIXED_IOVA : 0),
    };
    int rc = io(ifd, IOMMU_IOAS_MAP, &m);

    *iova = m.iova;
    return rc;
}

int ioas_unmap(int ifd, uint32_t ioas, uint64_t iova, uint64_t len,
               uint64_t *unmapped)
{
    struct iommu_ioas_unmap u = {
        .size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = len,
    };
    int rc = io(ifd, IOMMU_IOAS_UNMAP, &u);

    if (unmapped) {
        *unmapped = u.length;
    }
    return rc;
}

bool nest_setup(Nest *n, const char *dev)
{
    n->ifd = open_iommufd();
    n->dfd = open_dev(dev);
    CHECK(n->ifd >= 0 && n->dfd >= 0);
    CHECK_ERR(bind_dev(n->dfd, n->ifd, &n->devid), 0);
    CHECK_ERR(ioas_alloc(n->ifd, &n->ioas), 0);
    CHECK_ERR(hwpt_alloc(n->ifd, n->devid, n->ioas,
                         IOMMU_HWPT_ALLOC_NEST_PARENT, 0, NULL, 0, &n->s2), 0);
    CHECK_ERR(viommu_alloc(n->ifd, n->devid, n->s2,
                           IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &n->viommu), 0);
    return true;
}

uint64_t read_ull(const char *cmd, const char *dev)
{
    char line[128];
    uint64_t v;

    snprintf(line, sizeof(line), "%s %s", cmd, dev);
    hm_client_command(cl, line);
    hm_strtou64(hm_client_last_reply(cl) + 3, NULL, 16, &v);
    return v;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        if (!strcmp(argv[1], "child-leak")) {
            return child_leak();
        } else if (!strcmp(argv[1], "child-noleak")) {
            return child_noleak();
        } else if (!strcmp(argv[1], "child-fail-env")) {
            return child_fail_env();
        } else if (!strcmp(argv[1], "child-preopen")) {
            return child_preopen();
        } else if (!strcmp(argv[1], "child-inert")) {
            return child_inert();
        } else if (!strcmp(argv[1], "child-kernel")) {
            return child_kernel();
        } else if (!strcmp(argv[1], "child-adopt")) {
            return child_adopt();
        } else if (!strcmp(argv[1], "child-adopt-parent")) {
            return child_adopt_parent();
        } else if (!strcmp(argv[1], "child-fork-twice")) {
            return child_fork_twice();
        } else if (!strcmp(argv[1], "child-memlock")) {
            return child_memlock();
        }
        return 99;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    cl = hm_client_connect_env();
    if (!cl || hm_client_ping(cl)) {
        printf("1..0 # SKIP no HOSTMODEL_CONTROL: run with the library "
               "preloaded (make check-hostmodel)\n");
        return 1;
    }

    run("open_paths_of_configured_devices", t_open_paths);
    run("unknown_ioctl_is_enotty", t_unknown_ioctl);
    run("ioctl_size_min_and_trailing_bytes", t_ioctl_size_rules);
    run("ids_are_lowest_free", t_ids_lowest_free);
    run("dup_shares_the_file", t_dup_shares_file);
    run("closing_context_frees_objects", t_ctx_release_frees);
    run("older_kernel_lacks_newer_ioctls", t_kernel_release);
    run("passed_fds_adopted", t_passed_fds_adopted);
    run("fork_twice_as_a_daemon", t_fork_twice);
    run("device_needs_bind", t_device_needs_bind);
    run("bind_rules", t_bind_rules);
    run("bind_group_has_one_owner", t_bind_group_one_owner);
    run("close_device_unbinds", t_close_device_unbinds);
    run("ioas_map_unmap", t_ioas_map_unmap);
    run("iova_ranges_report_sw_msi_hole", t_iova_ranges_sw_msi);
    run("ioas_map_allocates_iova", t_ioas_map_alloc_iova);
    run("ioas_option", t_ioas_option);
    run("ioas_copy_map_file_change_process", t_ioas_copy_and_map_file);
    run("destroy_ioas_busy_with_hwpt", t_destroy_ioas_busy);
    run("hwpt_paging_rules_and_busy", t_hwpt_paging_rules);
    run("hwpt_auto_domain", t_hwpt_auto_domain);
    run("attach_paging_other_smmu_einval", t_attach_paging_other_smmu);
    run("attach_replace", t_attach_replace);
    run("group_shares_domain", t_group_shares_domain);
    run("viommu_alloc_rules_s2_busy", t_viommu_alloc_rules);
    run("viommu_refused_on_nonest", t_viommu_nonest_refused);
    run("mmu700_erratum_no_nesting", t_mmu700_erratum_no_nesting);
    run("viommu_foreign_s2_einval", t_viommu_foreign_s2);
    run("destroy_viommu_busy", t_destroy_viommu_busy);
    run("vdevice_rules", t_vdevice_rules);
    run("vdevice_goes_with_device", t_vdevice_goes_with_device);
    run("vste_v0_accepted_as_abort", t_vste_v0_accepted);
    run("vste_word0_disallowed_bits_eio", t_vste_word0_bits);
    run("vste_word1_disallowed_bits_eio", t_vste_word1_bits);
    run("vste_config_values", t_vste_config);
    run("vste_eats_values", t_vste_eats);
    run("nested_alloc_arguments", t_nested_alloc_args);
    run("attach_s1_needs_vdevice", t_attach_s1_needs_vdevice);
    run("attach_nested_foreign_viommu_einval",
        t_attach_nested_foreign_viommu);
    run("group_nested_s1_needs_all_vdevices",
        t_group_nested_needs_all_vdevices);
    run("physical_ste_and_ats", t_ste_and_ats);
    run("hw_info", t_hw_info);
    run("invalidate_tlbi_vmid", t_inv_tlbi_vmid);
    run("invalidate_sid_translation", t_inv_sid_translation);
    run("invalidate_rejected_opcodes", t_inv_rejected_opcodes);
    run("invalidate_entry_num_zero", t_inv_entry_num_zero);
    run("invalidate_entry_len", t_inv_entry_len);
    run("invalidate_batches_with_sync", t_inv_batches);
    run("invalidate_entry_num_on_bad_command", t_inv_entry_num_bad_cmd);
    run("invalidate_entry_num_on_failed_sync", t_inv_entry_num_failed_sync);
    run("invalidate_targets", t_inv_targets);
    run("cmdqv_hw_info", t_cmdqv_hw_info);
    run("cmdqv_viommu_alloc_vintfs", t_cmdqv_viommu_alloc);
    run("cmdqv_mmap_rules", t_cmdqv_mmap_rules);
    run("cmdqv_hw_queue_rules", t_cmdqv_hw_queue_rules);
    run("cmdqv_vdevice_sid_table", t_cmdqv_vdevice_sids);
    run("cmdqv_hardware_consumes", t_cmdqv_consume);
    run("veventq_alloc_rules", t_veventq_alloc_rules);
    run("veventq_forward_with_vsid", t_veventq_forward);
    run("veventq_not_forwarded", t_veventq_not_forwarded);
    run("veventq_partial_reads", t_veventq_partial_reads);
    run("veventq_overflow_lost_events", t_veventq_overflow);
    run("veventq_sequence_wraps_at_int_max", t_veventq_wrap);
    run("vfio_info", t_vfio_info);
    run("vfio_config_space", t_vfio_config_space);
    run("vfio_bar_and_reset", t_vfio_bar_and_reset);
    run("vfio_irqs", t_vfio_irqs);
    run("vfio_feature", t_vfio_feature);
    run("vfio_hot_reset", t_vfio_hot_reset);
    run("fail_nth_ioctl", t_fail_nth);
    run("control_channel", t_control_channel);
    run("leak_report_at_close", t_leak_report);
    run("call_log_json_lines", t_call_log);
    run("fail_from_environment", t_fail_env);
    run("preopen_fixed_fds", t_preopen);
    run("inert_without_host", t_inert);
    run("caps_sys_resource_memlock", t_caps_memlock);

    printf("1..%u\n", n_run);
    printf("hostmodel: %u passed, %u failed\n", n_run - n_failed, n_failed);
    hm_client_close(cl);
    return n_failed ? 1 : 0;
}
