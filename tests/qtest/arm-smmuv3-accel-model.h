/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Running QEMU on the host kernel model (tests/hostmodel) with devices
 * found through sysfs directories the test fakes: vfio-dev/vfioN/dev says
 * "511:N" (the model shows its device files as char devices of that major,
 * as the kernel's VFIO cdevs) and iommu_group links to the device's host
 * group.
 */

#ifndef ARM_SMMUV3_ACCEL_MODEL_H
#define ARM_SMMUV3_ACCEL_MODEL_H

#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "../hostmodel/hostmodel-client.h"

typedef struct ModelQemu {
    QTestState *qts;
    HmClient *hm;
    char *dir;
} ModelQemu;

/* Remove the directory @dir made for a test, and free its name */
static inline void model_dir_free(char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);

        if (!g_file_test(path, G_FILE_TEST_IS_SYMLINK) &&
            g_file_test(path, G_FILE_TEST_IS_DIR)) {
            model_dir_free(g_steal_pointer(&path));
        } else {
            g_assert_cmpint(unlink(path), ==, 0);
        }
    }
    if (d) {
        g_dir_close(d);
    }
    g_assert_cmpint(rmdir(dir), ==, 0);
    g_free(dir);
}

static inline bool model_available(void)
{
    if (!g_getenv("HOSTMODEL_LIB") || !g_getenv("HOSTMODEL_DIR")) {
        g_test_skip("HOSTMODEL_LIB and HOSTMODEL_DIR are not set");
        return false;
    }
    return true;
}

/*
 * A host description in @dir: one SMMU of @profile (tests/hostmodel/
 * profiles) and one device, vfio0, behind it.
 */
static inline char *model_one_device_host(const char *dir,
                                          const char *profile)
{
    char *path = g_build_filename(dir, "host.conf", NULL);
    g_autofree char *text = g_strdup_printf(
        "[smmu smmu0]\nprofile = %s/profiles/%s.conf\n"
        "[device vfio0]\nsmmu = smmu0\nsid = 0x100\ngroup = 1\n"
        "bdf = 0000:01:00.0\n", g_getenv("HOSTMODEL_DIR"), profile);

    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

/* A fake sysfs directory for host device @cdev (vfioN) in iommu @group */
static inline char *model_sysfsdev(ModelQemu *m, const char *bdf,
                                   const char *cdev, int group)
{
    char *sysfsdev = g_build_filename(m->dir, bdf, NULL);
    g_autofree char *devdir = g_build_filename(sysfsdev, "vfio-dev", cdev,
                                               NULL);
    g_autofree char *dev = g_build_filename(devdir, "dev", NULL);
    g_autofree char *link = g_build_filename(sysfsdev, "iommu_group", NULL);
    g_autofree char *target = g_strdup_printf("../kernel/iommu_groups/%d",
                                              group);

    /* the model's device files are char devices HM_VFIO_MAJOR:N (vfioN) */
    g_autofree char *devt = g_strdup_printf("511:%s\n", cdev + 4);

    g_assert_true(g_str_has_prefix(cdev, "vfio"));
    g_assert_cmpint(g_mkdir_with_parents(devdir, 0700), ==, 0);
    g_assert_true(g_file_set_contents(dev, devt, -1, NULL));
    g_assert_cmpint(symlink(target, link), ==, 0);
    return sysfsdev;
}

/* The calls named @name (an ioctl, "read", ...) the model failed so far */
static inline unsigned long model_call_errors(HmClient *hm, const char *name)
{
    g_autofree char *key = g_strdup_printf(" %s=", name);
    const char *p;
    unsigned long calls, errors;

    g_assert_cmpint(hm_client_command(hm, "stats"), ==, 0);
    p = strstr(hm_client_last_reply(hm), key);
    if (!p) {
        return 0;
    }
    g_assert_cmpint(sscanf(p + strlen(key), "%lu/%lu", &calls, &errors), ==,
                    2);
    return errors;
}

/*
 * IOMMU_DESTROY calls the host refused so far: QEMU destroys only what it
 * owns and no longer uses, so any is a bug (a leak, or a wrong id).
 */
static inline unsigned long model_destroy_errors(HmClient *hm)
{
    return model_call_errors(hm, "IOMMU_DESTROY");
}

static inline void model_init_dir(ModelQemu *m)
{
    m->dir = g_dir_make_tmp("smmuv3-accel-XXXXXX", NULL);
}

/*
 * Start QEMU with @args on the model, with the environment @env (at least
 * HOSTMODEL_HOST=file)
 */
static inline void model_start_env(ModelQemu *m, const char *env,
                                   const char *args)
{
    g_autofree char *bin = g_strdup(qtest_qemu_binary(NULL));
    g_autofree char *sock = g_build_filename(m->dir, "ctl.sock", NULL);
    g_autofree char *prefix =
        g_strdup_printf("env LD_PRELOAD=%s %s HOSTMODEL_CONTROL=%s %s",
                        g_getenv("HOSTMODEL_LIB"), env, sock, bin);

    g_setenv("QTEST_QEMU_BINARY", prefix, true);
    m->qts = qtest_init(args);
    g_setenv("QTEST_QEMU_BINARY", bin, true);
    m->hm = hm_client_connect(sock);
    g_assert_nonnull(m->hm);
}

/* Start QEMU with @args on the host described by the file @host */
static inline void model_start_host(ModelQemu *m, const char *host,
                                    const char *args)
{
    g_autofree char *env = g_strdup_printf("HOSTMODEL_HOST=%s", host);

    model_start_env(m, env, args);
}

/* Start QEMU with @args on the model's "qemu" host (tests/hostmodel/hosts) */
static inline void model_start(ModelQemu *m, const char *args)
{
    g_autofree char *host = g_strdup_printf("%s/hosts/qemu.conf",
                                            g_getenv("HOSTMODEL_DIR"));

    model_start_host(m, host, args);
}

/*
 * Run QEMU with @args on the model, with the environment @env (at least
 * HOSTMODEL_HOST=file), and return its stderr; it must fail to start (exit
 * status 1).  One that starts is killed after a while.
 */
static inline char *model_expect_refused_env(ModelQemu *m, const char *env,
                                             const char *args)
{
    g_autofree char *cmd =
        g_strdup_printf("timeout -s KILL 30 env LD_PRELOAD=%s %s %s %s -S",
                        g_getenv("HOSTMODEL_LIB"), env,
                        qtest_qemu_binary(NULL), args);
    g_autofree char *out = NULL;
    char *err = NULL;
    int status;

    g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status, NULL));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
    return err;
}

/* The same on the host described by the file @host */
static inline char *model_expect_refused_host(ModelQemu *m, const char *host,
                                              const char *args)
{
    g_autofree char *env = g_strdup_printf("HOSTMODEL_HOST=%s", host);

    return model_expect_refused_env(m, env, args);
}

/* The same on the model's "qemu" host (tests/hostmodel/hosts) */
static inline char *model_expect_refused(ModelQemu *m, const char *args)
{
    g_autofree char *host = g_strdup_printf("%s/hosts/qemu.conf",
                                            g_getenv("HOSTMODEL_DIR"));

    return model_expect_refused_host(m, host, args);
}

static inline void model_stop(ModelQemu *m)
{
    g_assert_cmpuint(model_destroy_errors(m->hm), ==, 0);
    hm_client_close(m->hm);
    qtest_quit(m->qts);
    model_dir_free(m->dir);
}

/* x-query-smmuv3-accel's entry for the first vSMMU (unref it) */
static inline QDict *model_query(ModelQemu *m)
{
    QDict *rsp = qtest_qmp(m->qts, "{ 'execute': 'x-query-smmuv3-accel' }");
    QDict *smmu = qobject_to(QDict,
                             qlist_peek(qdict_get_qlist(rsp, "return")));

    g_assert_nonnull(smmu);
    qobject_ref(smmu);
    qobject_unref(rsp);
    return smmu;
}

static inline int model_count(ModelQemu *m, const char *type)
{
    int n = hm_client_count_objects(m->hm, type);

    g_assert_cmpint(n, >=, 0);
    return n;
}

#endif
