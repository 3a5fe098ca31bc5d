/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QTest: arm-smmuv3,accel=on on older host kernels, played by the host
 * kernel model ([host] kernel = X.Y: the iommufd ioctls added after X.Y
 * are ENOTTY).  What the fork needs of the kernel, release by release, is
 * in docs/system/devices/arm-smmuv3-accel.rst.
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "arm-smmuv3-accel-model.h"
#include "arm-smmuv3-qtest.h"

#define A_CR0           0x20
#define A_EVENTQ_BASE   0xa0
#define CR0_EVENTQEN    4
#define EVENTQ          0x40300000ULL

static const char *one_device =
    "-M virt -accel tcg -display none -nodefaults -object iommufd,id=i0 "
    "-device arm-smmuv3,primary-bus=pcie.0,accel=on "
    "-device vfio-pci,id=d0,sysfsdev=%s,iommufd=i0,bus=pcie.0,addr=1.0";

/* One grace SMMU with device vfio0, on a host running kernel @release */
static char *kernel_host(ModelQemu *m, const char *release)
{
    char *path = g_build_filename(m->dir, "host.conf", NULL);
    g_autofree char *text = g_strdup_printf(
        "[host]\nkernel = %s\n"
        "[smmu smmu0]\nprofile = %s/profiles/grace.conf\n"
        "[device vfio0]\nsmmu = smmu0\nsid = 0x100\ngroup = 1\n"
        "bdf = 0000:01:00.0\n", release, g_getenv("HOSTMODEL_DIR"));

    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

static int64_t devices_of(ModelQemu *m)
{
    QDict *smmu = model_query(m);
    int64_t n = qlist_size(qdict_get_qlist(smmu, "devices"));

    qobject_unref(smmu);
    return n;
}

/* Start on kernel @release with one device; the guest enables its EVENTQ */
static bool veventq_with_eventq(const char *release)
{
    ModelQemu m;
    g_autofree char *host = NULL, *sysfs = NULL, *args = NULL;
    uint64_t base;
    QDict *smmu;
    bool has;

    model_init_dir(&m);
    host = kernel_host(&m, release);
    sysfs = model_sysfsdev(&m, "0000:01:00.0", "vfio0", 1);
    args = g_strdup_printf(one_device, sysfs);
    model_start_host(&m, host, args);
    g_assert_cmpint(devices_of(&m), ==, 1);
    base = smmuv3_qtest_base(m.qts);
    qtest_writeq(m.qts, base + A_EVENTQ_BASE, EVENTQ | 4);
    qtest_writel(m.qts, base + A_CR0, CR0_EVENTQEN);
    smmu = model_query(&m);
    has = qdict_haskey(smmu, "veventq");
    qobject_unref(smmu);
    model_stop(&m);
    return has;
}

/*
 * vEVENTQ came with 6.15: before it the device works and the guest's
 * event queue gets no host faults (QEMU warns once).
 */
static void test_no_veventq(void)
{
    if (!model_available()) {
        return;
    }
    g_assert_false(veventq_with_eventq("6.14"));
    g_assert_true(veventq_with_eventq("6.15"));
}

/*
 * Linux 6.13 has no IOMMU_IOAS_CHANGE_PROCESS (6.14): CPR cannot move the
 * mappings to a new process, so the CPR modes are blocked; the device
 * itself works.  (It used to make QEMU crash realizing the device: the
 * blocker was added and then taken for a failure with no error set.)
 */
static void test_no_change_process(void)
{
    ModelQemu m;
    g_autofree char *host = NULL, *sysfs = NULL, *args = NULL;
    QDict *rsp;

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    host = kernel_host(&m, "6.13");
    sysfs = model_sysfsdev(&m, "0000:01:00.0", "vfio0", 1);
    args = g_strdup_printf(one_device, sysfs);
    model_start_host(&m, host, args);
    g_assert_cmpint(devices_of(&m), ==, 1);

    qtest_qmp_assert_success(m.qts, "{ 'execute': 'migrate-set-parameters',"
                             " 'arguments': { 'mode': 'cpr-exec' } }");
    rsp = qtest_qmp(m.qts, "{ 'execute': 'migrate', 'arguments': "
                    "{ 'uri': 'exec:cat > /dev/null' } }");
    g_assert_nonnull(strstr(qdict_get_try_str(qdict_get_qdict(rsp, "error"),
                                              "desc") ?: "",
                            "IOMMU_IOAS_CHANGE_PROCESS"));
    qobject_unref(rsp);
    model_stop(&m);
}

/* Before 6.13 there is no vIOMMU: refused at start, saying what is needed */
static void test_no_viommu_refused(void)
{
    ModelQemu m;
    g_autofree char *host = NULL, *sysfs = NULL, *args = NULL;
    g_autofree char *err = NULL;

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    host = kernel_host(&m, "6.12");
    sysfs = model_sysfsdev(&m, "0000:01:00.0", "vfio0", 1);
    args = g_strdup_printf(one_device, sysfs);
    err = model_expect_refused_host(&m, host, args);
    g_assert_nonnull(strstr(err, "IOMMU_VIOMMU_ALLOC"));
    g_assert_nonnull(strstr(err, "Linux 6.13"));
    model_dir_free(m.dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/arm-smmuv3-accel/kernel/6.13-without-change-process",
                   test_no_change_process);
    qtest_add_func("/arm-smmuv3-accel/kernel/6.14-without-veventq",
                   test_no_veventq);
    qtest_add_func("/arm-smmuv3-accel/kernel/6.12-refused",
                   test_no_viommu_refused);
    return g_test_run();
}
