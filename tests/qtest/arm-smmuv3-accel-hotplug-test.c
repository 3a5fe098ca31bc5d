/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QTest: hotplug and unplug of an assigned device behind
 * arm-smmuv3,accel=on, on the host kernel model (tests/hostmodel).  The
 * vIOMMU comes with the first device and goes with the last one; repeated
 * cycles leave no host object behind.
 *
 * The device is a VFIO cdev found through a sysfs directory the test
 * fakes (vfio-dev/vfio0/dev = "1:3": the model backs device files with
 * /dev/null).  The root port's slot is powered off first, so that
 * device_del completes without a guest.
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "../hostmodel/hostmodel-client.h"

#define ECAM                0x4010000000ULL
#define RP_DEVFN            0x08        /* pcie-root-port in slot 1 */
#define PCI_CAP_PTR         0x34
#define PCI_CAP_ID_EXP      0x10
#define PCI_EXP_SLTCTL      0x18
#define SLTCTL_PIC_OFF      (3 << 8)
#define SLTCTL_PCC_OFF      (1 << 10)
#define CYCLES              100

typedef struct Hotplug {
    QTestState *qts;
    HmClient *hm;
    char *dir;
    char *sysfsdev;
} Hotplug;

static uint64_t rp_cfg(uint32_t reg)
{
    return ECAM + ((uint64_t)RP_DEVFN << 12) + reg;
}

static void power_off_slot(QTestState *qts)
{
    uint8_t cap = qtest_readb(qts, rp_cfg(PCI_CAP_PTR));

    while (cap && qtest_readb(qts, rp_cfg(cap)) != PCI_CAP_ID_EXP) {
        cap = qtest_readb(qts, rp_cfg(cap + 1));
    }
    g_assert_cmpuint(cap, !=, 0);
    qtest_writew(qts, rp_cfg(cap + PCI_EXP_SLTCTL),
                 qtest_readw(qts, rp_cfg(cap + PCI_EXP_SLTCTL)) |
                 SLTCTL_PIC_OFF | SLTCTL_PCC_OFF);
}

static bool hotplug_start(Hotplug *h)
{
    g_autofree char *bin = g_strdup(qtest_qemu_binary(NULL));
    g_autofree char *host = NULL, *text = NULL, *prefix = NULL;
    g_autofree char *devdir = NULL, *sock = NULL;

    if (!g_getenv("HOSTMODEL_LIB") || !g_getenv("HOSTMODEL_DIR")) {
        g_test_skip("HOSTMODEL_LIB and HOSTMODEL_DIR are not set");
        return false;
    }
    h->dir = g_dir_make_tmp("smmuv3-hotplug-XXXXXX", NULL);
    host = g_build_filename(h->dir, "host.conf", NULL);
    text = g_strdup_printf("[smmu smmu0]\nprofile = %s/profiles/grace.conf\n"
                           "[device vfio0]\nsmmu = smmu0\nsid = 0x100\n"
                           "group = 1\nbdf = 0000:01:00.0\n",
                           g_getenv("HOSTMODEL_DIR"));
    g_assert_true(g_file_set_contents(host, text, -1, NULL));
    h->sysfsdev = g_build_filename(h->dir, "0000:01:00.0", NULL);
    devdir = g_build_filename(h->sysfsdev, "vfio-dev", "vfio0", NULL);
    g_assert_cmpint(g_mkdir_with_parents(devdir, 0700), ==, 0);
    g_free(text);
    text = g_build_filename(devdir, "dev", NULL);
    g_assert_true(g_file_set_contents(text, "1:3\n", -1, NULL));

    sock = g_build_filename(h->dir, "ctl.sock", NULL);
    prefix = g_strdup_printf("env LD_PRELOAD=%s HOSTMODEL_HOST=%s "
                             "HOSTMODEL_CONTROL=%s %s",
                             g_getenv("HOSTMODEL_LIB"), host, sock, bin);
    g_setenv("QTEST_QEMU_BINARY", prefix, true);
    h->qts = qtest_init("-M virt -accel tcg -display none -nodefaults "
                        "-object iommufd,id=i0 "
                        "-device arm-smmuv3,primary-bus=pcie.0,accel=on "
                        "-device pcie-root-port,id=rp0,chassis=1,addr=1.0");
    g_setenv("QTEST_QEMU_BINARY", bin, true);
    h->hm = hm_client_connect(sock);
    g_assert_nonnull(h->hm);
    power_off_slot(h->qts);
    return true;
}

static int count(Hotplug *h, const char *type)
{
    int n = hm_client_count_objects(h->hm, type);

    g_assert_cmpint(n, >=, 0);
    return n;
}

static void plug(Hotplug *h)
{
    QDict *rsp = qtest_qmp(h->qts, "{ 'execute': 'device_add', 'arguments': "
                           "{ 'driver': 'vfio-pci', 'id': 'd0', "
                           "'sysfsdev': %s, 'iommufd': 'i0', "
                           "'bus': 'rp0' } }", h->sysfsdev);

    if (qdict_haskey(rsp, "error")) {
        g_test_message("device_add: %s",
                       qdict_get_str(qdict_get_qdict(rsp, "error"), "desc"));
    }
    g_assert_false(qdict_haskey(rsp, "error"));
    qobject_unref(rsp);
}

static void unplug(Hotplug *h)
{
    qtest_qmp_device_del(h->qts, "d0");
}

static void test_hotplug_cycles_leave_nothing(void)
{
    Hotplug h = { 0 };

    if (!hotplug_start(&h)) {
        return;
    }
    /* No device: no vIOMMU */
    g_assert_cmpint(count(&h, "VIOMMU"), ==, 0);
    for (int i = 0; i < CYCLES; i++) {
        plug(&h);
        /* The vIOMMU and its shared HWPTs come with the device */
        g_assert_cmpint(count(&h, "VIOMMU"), ==, 1);
        g_assert_cmpint(count(&h, "HWPT_NESTED"), ==, 2);
        unplug(&h);
        /* ... and go with it, with the device's own objects */
        g_assert_cmpint(count(&h, "VIOMMU"), ==, 0);
        g_assert_cmpint(count(&h, "HWPT_NESTED"), ==, 0);
        g_assert_cmpint(count(&h, "VDEVICE"), ==, 0);
        g_assert_cmpint(count(&h, "HWPT_PAGING"), ==, 0);
    }
    hm_client_close(h.hm);
    qtest_quit(h.qts);
    g_free(h.sysfsdev);
    g_free(h.dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/arm-smmuv3-accel/hotplug/cycles-leave-nothing",
                   test_hotplug_cycles_leave_nothing);
    return g_test_run();
}
