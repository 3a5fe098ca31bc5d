/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The iommufd nesting calls (backends/iommufd-nesting.c) against the host
 * kernel model (tests/hostmodel), each success and each error path: the
 * error must name the call, carry the errno and say what it means.
 *
 * Run with the model preloaded: HOSTMODEL_HOST, HOSTMODEL_CONTROL and
 * LD_PRELOAD set (tests/suites.list does it); skipped otherwise.
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include "qapi/error.h"
#include "system/iommufd-nesting.h"
#include "system/iommufd-veventq.h"
#include "../hostmodel/hostmodel-client.h"

typedef struct Fixture {
    IOMMUFDBackend be;
    HmClient *hm;
    int devfd;
    uint32_t dev_id;
    uint32_t ioas_id;
    uint32_t s2_id;
} Fixture;

static bool have_model(void)
{
    return g_getenv("HOSTMODEL_HOST") && g_getenv("HOSTMODEL_CONTROL");
}

/* What VFIO does before a vIOMMU can exist: bind, IOAS, S2, attach */
static void fixture_setup(Fixture *f, gconstpointer data)
{
    struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
    struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };

    memset(f, 0, sizeof(*f));
    if (!have_model()) {
        return;
    }
    f->be.fd = open("/dev/iommu", O_RDWR);
    g_assert_cmpint(f->be.fd, >=, 0);
    f->devfd = open("/dev/vfio/devices/vfio0", O_RDWR);
    g_assert_cmpint(f->devfd, >=, 0);
    bind.iommufd = f->be.fd;
    g_assert_cmpint(ioctl(f->devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind), ==, 0);
    f->dev_id = bind.out_devid;
    g_assert_true(iommufd_backend_alloc_ioas(&f->be, &f->ioas_id,
                                             &error_abort));
    g_assert_true(iommufd_backend_alloc_hwpt(&f->be, f->dev_id, f->ioas_id,
                                             IOMMU_HWPT_ALLOC_NEST_PARENT,
                                             IOMMU_HWPT_DATA_NONE, 0, NULL,
                                             &f->s2_id, &error_abort));
    attach.pt_id = f->s2_id;
    g_assert_cmpint(ioctl(f->devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach),
                    ==, 0);
    f->hm = hm_client_connect_env();
    g_assert_nonnull(f->hm);
    g_assert_cmpint(hm_client_fail_clear(f->hm), ==, 0);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    if (!have_model()) {
        return;
    }
    hm_client_close(f->hm);
    close(f->devfd);
    close(f->be.fd);
}

#define SKIP_WITHOUT_MODEL()                                        \
    do {                                                            \
        if (!have_model()) {                                        \
            g_test_skip("the host model is not preloaded");         \
            return;                                                 \
        }                                                           \
    } while (0)

static uint32_t viommu(Fixture *f)
{
    uint32_t id;

    g_assert_true(iommufd_backend_alloc_viommu(&f->be, f->dev_id,
                                               IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
                                               f->s2_id, &id, &error_abort));
    return id;
}

/* @err must name @call, hold strerror(@errnum) and contain @hint */
static void assert_error(Error *err, const char *call, int errnum,
                         const char *hint)
{
    const char *msg;

    g_assert_nonnull(err);
    msg = error_get_pretty(err);
    g_test_message("error: %s", msg);
    g_assert_nonnull(strstr(msg, call));
    g_assert_nonnull(strstr(msg, strerror(errnum)));
    g_assert_nonnull(strstr(msg, hint));
    error_free(err);
}

static void test_viommu_alloc(Fixture *f, gconstpointer data)
{
    SKIP_WITHOUT_MODEL();
    g_assert_cmpuint(viommu(f), !=, 0);
}

static void test_viommu_cannot_nest(Fixture *f, gconstpointer data)
{
    Error *err = NULL;
    uint32_t id;

    SKIP_WITHOUT_MODEL();
    hm_client_fail_nth(f->hm, "IOMMU_VIOMMU_ALLOC", 1, EOPNOTSUPP);
    g_assert_false(iommufd_backend_alloc_viommu(&f->be, f->dev_id,
                                                IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
                                                f->s2_id, &id, &err));
    assert_error(err, "IOMMU_VIOMMU_ALLOC", EOPNOTSUPP,
                 "the host SMMU cannot nest");
}

static void test_viommu_foreign_s2(Fixture *f, gconstpointer data)
{
    Error *err = NULL;
    uint32_t id;
    uint32_t plain;

    SKIP_WITHOUT_MODEL();
    /* A paging HWPT that is no nest parent: the kernel says EINVAL */
    g_assert_true(iommufd_backend_alloc_hwpt(&f->be, f->dev_id, f->ioas_id,
                                             0, IOMMU_HWPT_DATA_NONE, 0, NULL,
                                             &plain, &error_abort));
    g_assert_false(iommufd_backend_alloc_viommu(&f->be, f->dev_id,
                                                IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
                                                plain, &id, &err));
    assert_error(err, "IOMMU_VIOMMU_ALLOC", EINVAL, "not a nest parent");
    iommufd_backend_free_id(&f->be, plain);
}

static void test_vdevice(Fixture *f, gconstpointer data)
{
    uint32_t v, vdev, again;
    Error *err = NULL;

    SKIP_WITHOUT_MODEL();
    v = viommu(f);
    g_assert_true(iommufd_backend_alloc_vdevice(&f->be, v, f->dev_id, 0x42,
                                                &vdev, &error_abort));
    g_assert_false(iommufd_backend_alloc_vdevice(&f->be, v, f->dev_id, 0x43,
                                                 &again, &err));
    assert_error(err, "IOMMU_VDEVICE_ALLOC", EEXIST, "already has a vDEVICE");
    iommufd_backend_free_id(&f->be, vdev);
}

static void test_nested_hwpt(Fixture *f, gconstpointer data)
{
    static const uint64_t abort_ste[2] = { 1, 0 };
    /* Config=stage-2 translate: the kernel accepts no stage 2 */
    static const uint64_t s2_ste[2] = { 1 | (6 << 1), 0 };
    uint32_t v, hwpt, bad;
    Error *err = NULL;

    SKIP_WITHOUT_MODEL();
    v = viommu(f);
    g_assert_true(iommufd_backend_alloc_nested_hwpt_smmuv3(&f->be, f->dev_id,
                                                           v, abort_ste,
                                                           &hwpt,
                                                           &error_abort));
    g_assert_false(iommufd_backend_alloc_nested_hwpt_smmuv3(&f->be,
                                                            f->dev_id, v,
                                                            s2_ste, &bad,
                                                            &err));
    assert_error(err, "nested HWPT", EIO, "rejects a field");
    iommufd_backend_free_id(&f->be, hwpt);
}

static void test_invalidate(Fixture *f, gconstpointer data)
{
    uint32_t v, vdev, done;
    uint64_t cmds[3][2] = {
        { 0x10, 0 },                            /* TLBI_NH_ALL */
        { 0x05 | (0x42ULL << 32), 1 },          /* CFGI_CD, known vSID */
        { 0x05 | (0x99ULL << 32), 1 },          /* CFGI_CD, unknown vSID */
    };
    Error *err = NULL;

    SKIP_WITHOUT_MODEL();
    v = viommu(f);
    g_assert_true(iommufd_backend_alloc_vdevice(&f->be, v, f->dev_id, 0x42,
                                                &vdev, &error_abort));
    g_assert_true(iommufd_backend_invalidate_viommu_smmuv3(&f->be, v, cmds,
                                                           2, &done,
                                                           &error_abort));
    g_assert_cmpuint(done, ==, 2);
    g_assert_false(iommufd_backend_invalidate_viommu_smmuv3(&f->be, v, cmds,
                                                            3, &done, &err));
    /* Only "everything before done was accepted" holds */
    g_assert_cmpuint(done, <=, 2);
    assert_error(err, "IOMMU_HWPT_INVALIDATE", EIO, "vIOMMU");
    iommufd_backend_free_id(&f->be, vdev);
}

static void on_event(void *opaque, const void *payload, size_t len)
{
    struct iommu_vevent_arm_smmuv3 *out = opaque;

    g_assert_cmpuint(len, ==, sizeof(*out));
    memcpy(out, payload, sizeof(*out));
}

static void on_lost(void *opaque, uint32_t count)
{
    g_assert_not_reached();
}

static void test_veventq(Fixture *f, gconstpointer data)
{
    static const uint64_t bypass_ste[2] = { 1 | (4 << 1), 0 };
    struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
    uint32_t v, vdev, q, q2, hwpt;
    uint64_t evt[4] = { 0x10 };
    struct iommu_vevent_arm_smmuv3 got = { 0 };
    IOMMUFDVeventqReader r;
    Error *err = NULL;
    int fd, fd2;

    SKIP_WITHOUT_MODEL();
    v = viommu(f);
    g_assert_true(iommufd_backend_alloc_vdevice(&f->be, v, f->dev_id, 0x42,
                                                &vdev, &error_abort));
    g_assert_true(iommufd_backend_alloc_nested_hwpt_smmuv3(&f->be, f->dev_id,
                                                           v, bypass_ste,
                                                           &hwpt,
                                                           &error_abort));
    attach.pt_id = hwpt;
    g_assert_cmpint(ioctl(f->devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach),
                    ==, 0);
    g_assert_true(iommufd_backend_alloc_veventq(&f->be, v,
                                                IOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
                                                16, &q, &fd, &error_abort));
    g_assert_false(iommufd_backend_alloc_veventq(&f->be, v,
                                                 IOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
                                                 16, &q2, &fd2, &err));
    assert_error(err, "IOMMU_VEVENTQ_ALLOC", EEXIST, "already has an event");

    /* A host fault comes back with the vSID in it */
    g_assert_true(g_unix_set_fd_nonblocking(fd, true, NULL));
    iommufd_veventq_reader_init(&r, fd, sizeof(got), 16, on_event, on_lost,
                                &got);
    g_assert_cmpint(hm_client_inject_event(f->hm, "vfio0", evt, NULL), ==, 0);
    g_assert_cmpint(iommufd_veventq_reader_drain(&r), ==, 1);
    g_assert_cmphex(le64_to_cpu(got.evt[0]) & 0xff, ==, 0x10);
    g_assert_cmphex(le64_to_cpu(got.evt[0]) >> 32, ==, 0x42);
    iommufd_veventq_reader_cleanup(&r);

    /* Its file still open: refused until the timeout, then an error */
    err = NULL;
    g_assert_false(iommufd_backend_free_veventq(&f->be, q, 5, &err));
    assert_error(err, "IOMMU_DESTROY", EBUSY, "its file is still in use");
    close(fd);
    g_assert_true(iommufd_backend_free_veventq(&f->be, q, 5, &error_abort));
    err = NULL;
    g_assert_false(iommufd_backend_free_veventq(&f->be, q, 5, &err));
    assert_error(err, "IOMMU_DESTROY", ENOENT, "vEVENTQ");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) \
    g_test_add("/iommufd/nesting/" path, Fixture, NULL, fixture_setup, fn, \
               fixture_teardown)
    ADD("viommu-alloc", test_viommu_alloc);
    ADD("viommu-host-cannot-nest", test_viommu_cannot_nest);
    ADD("viommu-not-a-nest-parent", test_viommu_foreign_s2);
    ADD("vdevice-alloc-and-duplicate", test_vdevice);
    ADD("nested-hwpt-and-refused-ste", test_nested_hwpt);
    ADD("invalidate-and-refused-command", test_invalidate);
    ADD("veventq-alloc-duplicate-and-record", test_veventq);
    return g_test_run();
}
