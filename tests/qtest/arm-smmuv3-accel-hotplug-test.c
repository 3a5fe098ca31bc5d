/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QTest: hotplug and unplug of an assigned device behind
 * arm-smmuv3,accel=on, on the host kernel model (tests/hostmodel).  The
 * vIOMMU comes with the first device and goes with the last one; repeated
 * cycles leave no host object behind.  The root port's slot is powered off
 * first, so that device_del completes without a guest.
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "arm-smmuv3-accel-model.h"

#define ECAM                0x4010000000ULL
#define RP_DEVFN            0x08        /* pcie-root-port in slot 1 */
#define PCI_CAP_PTR         0x34
#define PCI_CAP_ID_EXP      0x10
#define PCI_EXP_SLTCTL      0x18
#define SLTCTL_PIC_OFF      (3 << 8)
#define SLTCTL_PCC_OFF      (1 << 10)
#define CYCLES              100

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

static void plug(ModelQemu *m, const char *sysfsdev)
{
    QDict *rsp = qtest_qmp(m->qts, "{ 'execute': 'device_add', 'arguments': "
                           "{ 'driver': 'vfio-pci', 'id': 'd0', "
                           "'sysfsdev': %s, 'iommufd': 'i0', "
                           "'bus': 'rp0' } }", sysfsdev);

    if (qdict_haskey(rsp, "error")) {
        g_test_message("device_add: %s",
                       qdict_get_str(qdict_get_qdict(rsp, "error"), "desc"));
    }
    g_assert_false(qdict_haskey(rsp, "error"));
    qobject_unref(rsp);
}

static void test_hotplug_cycles_leave_nothing(void)
{
    ModelQemu m;
    g_autofree char *sysfsdev = NULL;

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    sysfsdev = model_sysfsdev(&m, "0000:01:00.0", "vfio0", 1);
    model_start(&m, "-M virt -accel tcg -display none -nodefaults "
                "-object iommufd,id=i0 "
                "-device arm-smmuv3,primary-bus=pcie.0,accel=on "
                "-device pcie-root-port,id=rp0,chassis=1,addr=1.0");
    power_off_slot(m.qts);

    /* No device: no vIOMMU */
    g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 0);
    for (int i = 0; i < CYCLES; i++) {
        plug(&m, sysfsdev);
        /* The vIOMMU and its shared HWPTs come with the device */
        g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 1);
        g_assert_cmpint(model_count(&m, "HWPT_NESTED"), ==, 2);
        qtest_qmp_device_del(m.qts, "d0");
        /* ... and go with it, with the device's own objects */
        g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 0);
        g_assert_cmpint(model_count(&m, "HWPT_NESTED"), ==, 0);
        g_assert_cmpint(model_count(&m, "VDEVICE"), ==, 0);
        g_assert_cmpint(model_count(&m, "HWPT_PAGING"), ==, 0);
    }
    model_stop(&m);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/arm-smmuv3-accel/hotplug/cycles-leave-nothing",
                   test_hotplug_cycles_leave_nothing);
    return g_test_run();
}
