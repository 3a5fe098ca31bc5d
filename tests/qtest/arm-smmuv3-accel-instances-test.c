/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QTest: several arm-smmuv3,accel=on instances, one per pxb-pcie, each
 * tied to one host SMMU, on the host kernel model: each gets its own
 * vIOMMU, and a device routed to the vSMMU of another host SMMU is refused
 * with a message that says what to do.
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "arm-smmuv3-accel-model.h"

/* vfio0 is behind host smmu0, vfio3 behind smmu1 (hosts/qemu.conf) */
static const char *two_vsmmus =
    "-M virt -accel tcg -display none -nodefaults -object iommufd,id=i0 "
    "-device pxb-pcie,id=pxb1,bus_nr=64,bus=pcie.0 "
    "-device pxb-pcie,id=pxb2,bus_nr=128,bus=pcie.0 "
    "-device arm-smmuv3,primary-bus=pxb1,accel=on "
    "-device arm-smmuv3,primary-bus=pxb2,accel=on "
    "-device pcie-root-port,id=rp1,bus=pxb1,chassis=1 "
    "-device pcie-root-port,id=rp2,bus=pxb2,chassis=2 "
    "-device pcie-root-port,id=rp3,bus=pxb1,chassis=3 "
    "-device vfio-pci,sysfsdev=%s,iommufd=i0,bus=rp1 "
    "-device vfio-pci,sysfsdev=%s,iommufd=i0,bus=%s";

static void test_one_viommu_per_vsmmu(void)
{
    ModelQemu m;
    g_autofree char *d0 = NULL, *d3 = NULL, *args = NULL;
    uint64_t viommu[2], s2[2];
    const QListEntry *entry;
    QDict *rsp;
    QList *list;
    int i;

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    d0 = model_sysfsdev(&m, "0000:01:00.0", "vfio0", 1);
    d3 = model_sysfsdev(&m, "0000:03:00.0", "vfio3", 3);
    args = g_strdup_printf(two_vsmmus, d0, d3, "rp2");
    model_start(&m, args);
    g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 2);
    g_assert_cmpint(model_count(&m, "HWPT_NESTED"), ==, 4);
    /* One stage 2 per host SMMU: each vSMMU nests over its device's */
    g_assert_cmpint(model_count(&m, "HWPT_PAGING"), ==, 2);

    /* The monitor lists both, each with its own host objects and device */
    rsp = qtest_qmp(m.qts, "{ 'execute': 'x-query-smmuv3-accel' }");
    list = qdict_get_qlist(rsp, "return");
    g_assert_cmpint(qlist_size(list), ==, 2);
    for (entry = qlist_first(list), i = 0; entry;
         entry = qlist_next(entry), i++) {
        QDict *info = qobject_to(QDict, qlist_entry_obj(entry));

        viommu[i] = qdict_get_int(info, "viommu");
        s2[i] = qdict_get_int(info, "s2-hwpt");
        g_assert_cmpuint(viommu[i], !=, 0);
        g_assert_cmpint(qlist_size(qdict_get_qlist(info, "devices")), ==, 1);
    }
    g_assert_cmpuint(viommu[0], !=, viommu[1]);
    g_assert_cmpuint(s2[0], !=, s2[1]);
    qobject_unref(rsp);
    model_stop(&m);
}

static void test_device_of_other_host_smmu_refused(void)
{
    ModelQemu m;
    g_autofree char *d0 = NULL, *d3 = NULL, *args = NULL, *err = NULL;

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    d0 = model_sysfsdev(&m, "0000:01:00.0", "vfio0", 1);
    d3 = model_sysfsdev(&m, "0000:03:00.0", "vfio3", 3);
    /* vfio3 behind the first vSMMU, whose vIOMMU is on smmu0 */
    args = g_strdup_printf(two_vsmmus, d0, d3, "rp3");
    err = model_expect_refused(&m, args);
    g_assert_nonnull(strstr(err, "not behind the host SMMU of this vSMMU"));
    g_assert_nonnull(strstr(err, "give it its own arm-smmuv3"));
    model_dir_free(m.dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/arm-smmuv3-accel/instances/one-viommu-per-vsmmu",
                   test_one_viommu_per_vsmmu);
    qtest_add_func("/arm-smmuv3-accel/instances/other-host-smmu-refused",
                   test_device_of_other_host_smmu_refused);
    return g_test_run();
}
