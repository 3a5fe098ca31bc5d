/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QTest: two assigned devices of one host iommu group behind
 * arm-smmuv3,accel=on, on the host kernel model.  The host attaches a
 * group as a whole, so they must reach the guest as functions of one
 * slot (which a guest groups the same way); elsewhere they are refused at
 * plug time.  The last STE installed for a group is the group's.
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "hw/registerfields.h"
#include "hw/pci/pci_regs.h"
#include "arm-smmuv3-accel-model.h"
#include "arm-smmuv3-qtest.h"

#define STRTAB          0x40100000ULL
#define CMDQ            0x40200000ULL
#define CDTAB           0x40400000ULL
#define A_CR0           0x20
#define A_STRTAB_BASE   0x80
#define A_STRTAB_CFG    0x88
#define A_CMDQ_BASE     0x90
#define A_CMDQ_PROD     0x98
#define A_CMDQ_CONS     0x9c
#define CR0_SMMUEN      1
#define CR0_CMDQEN      8
#define FN0_SID         0x10    /* slot 2, function 0 of pcie.0 */
#define FN1_SID         0x11

static const char *two_functions =
    "-M virt -accel tcg -display none -nodefaults -object iommufd,id=i0 "
    "-device arm-smmuv3,primary-bus=pcie.0,accel=on "
    "-device vfio-pci,id=f0,sysfsdev=%s,iommufd=i0,bus=pcie.0,addr=2.0,"
    "multifunction=on "
    "-device vfio-pci,id=f1,sysfsdev=%s,iommufd=i0,bus=pcie.0,addr=%s";

static void write_ste(ModelQemu *m, uint32_t sid, uint64_t w0)
{
    uint64_t ste[8] = { cpu_to_le64(w0) };

    qtest_memwrite(m->qts, STRTAB + sid * 64, ste, sizeof(ste));
}

static void cfgi_ste(ModelQemu *m, uint64_t base, uint32_t *prod,
                     uint32_t sid)
{
    uint64_t cmd[4] = { cpu_to_le64(0x03 | (uint64_t)sid << 32),
                        cpu_to_le64(1), cpu_to_le64(0x46), 0 };

    qtest_memwrite(m->qts, CMDQ + (*prod & 0xff) * 16, cmd, sizeof(cmd));
    *prod += 2;
    qtest_writel(m->qts, base + A_CMDQ_PROD, *prod);
    g_assert_cmpuint(qtest_readl(m->qts, base + A_CMDQ_CONS), ==, *prod);
}

static unsigned host_config(ModelQemu *m, const char *dev)
{
    uint64_t ste[4];
    int ats;

    g_assert_cmpint(hm_client_get_ste(m->hm, dev, ste, &ats), ==, 0);
    return (ste[0] >> 1) & 7;
}

static void functions_of_one_slot_share(int group)
{
    ModelQemu m;
    g_autofree char *s0 = NULL, *s1 = NULL, *args = NULL;
    uint32_t prod = 0;
    uint64_t base;

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    s0 = model_sysfsdev(&m, "0000:02:00.0", "vfio1", group);
    s1 = model_sysfsdev(&m, "0000:02:00.1", "vfio2", group);
    args = g_strdup_printf(two_functions, s0, s1, "2.1");
    model_start(&m, args);
    base = smmuv3_qtest_base(m.qts);

    qtest_writel(m.qts, base + A_STRTAB_BASE, STRTAB);
    qtest_writel(m.qts, base + A_STRTAB_CFG, 8);
    qtest_writel(m.qts, base + A_CMDQ_BASE, CMDQ | 8);
    qtest_writel(m.qts, base + A_CR0, CR0_SMMUEN | CR0_CMDQEN);

    /* The guest gives both functions one stage-1 domain, one by one */
    write_ste(&m, FN0_SID, 1 | (5 << 1) | CDTAB);
    cfgi_ste(&m, base, &prod, FN0_SID);
    write_ste(&m, FN1_SID, 1 | (5 << 1) | CDTAB);
    cfgi_ste(&m, base, &prod, FN1_SID);
    g_assert_cmpuint(host_config(&m, "vfio1"), ==, 7);
    g_assert_cmpuint(host_config(&m, "vfio2"), ==, 7);
    /* One nested HWPT in use for the group (plus abort and bypass) */
    g_assert_cmpint(model_count(&m, "HWPT_NESTED"), ==, 3);

    /* Both move to bypass; the last STE is the group's at every step */
    write_ste(&m, FN0_SID, 1 | (4 << 1));
    cfgi_ste(&m, base, &prod, FN0_SID);
    g_assert_cmpuint(host_config(&m, "vfio2"), ==, 6);
    write_ste(&m, FN1_SID, 1 | (4 << 1));
    cfgi_ste(&m, base, &prod, FN1_SID);
    g_assert_cmpuint(host_config(&m, "vfio1"), ==, 6);
    g_assert_cmpint(model_count(&m, "HWPT_NESTED"), ==, 2);
    model_stop(&m);
}

/* Group 0 is a group like any other (the first one a host numbers) */
static void test_functions_of_one_slot_share(void)
{
    functions_of_one_slot_share(2);
    functions_of_one_slot_share(0);
}

static void test_group_in_two_slots_refused(void)
{
    static const int groups[] = { 2, 0 };

    if (!model_available()) {
        return;
    }
    for (int i = 0; i < ARRAY_SIZE(groups); i++) {
        ModelQemu m;
        g_autofree char *s0 = NULL, *s1 = NULL, *args = NULL, *err = NULL;
        g_autofree char *want = g_strdup_printf("shares host iommu group %d",
                                                groups[i]);

        model_init_dir(&m);
        s0 = model_sysfsdev(&m, "0000:02:00.0", "vfio1", groups[i]);
        s1 = model_sysfsdev(&m, "0000:02:00.1", "vfio2", groups[i]);
        args = g_strdup_printf(two_functions, s0, s1, "3.0");
        err = model_expect_refused(&m, args);
        g_assert_nonnull(strstr(err, want));
        model_dir_free(m.dir);
    }
}

/* The two functions' files passed as fds 100 and 101 (as libvirt does) */
static const char *two_fds =
    "-M virt -accel tcg -display none -nodefaults -object iommufd,id=i0 "
    "-device arm-smmuv3,primary-bus=pcie.0,accel=on "
    "-device vfio-pci,id=f0,fd=100,iommufd=i0,bus=pcie.0,addr=2.0,"
    "multifunction=on "
    "-device vfio-pci,id=f1,fd=101,iommufd=i0,bus=pcie.0,addr=%s";

static char *two_fds_env(const char *host_extra, ModelQemu *m)
{
    g_autofree char *base = g_strdup_printf("%s/hosts/qemu.conf",
                                            g_getenv("HOSTMODEL_DIR"));
    g_autofree char *text = NULL, *out = NULL, *smmus = NULL;
    g_autofree char *host = g_build_filename(m->dir, "host.conf", NULL);
    g_autofree char *profile =
        g_strdup_printf("profile = %s/profiles/grace.conf",
                        g_getenv("HOSTMODEL_DIR"));
    g_auto(GStrv) parts = NULL;

    g_assert_true(g_file_get_contents(base, &text, NULL, NULL));
    /* the profiles by full path: the file is not beside them */
    parts = g_strsplit(text, "profile = grace", -1);
    smmus = g_strjoinv(profile, parts);
    out = g_strdup_printf("[host]\n%s%s", host_extra, smmus);
    g_assert_true(g_file_set_contents(host, out, -1, NULL));
    return g_strdup_printf("HOSTMODEL_HOST=%s HOSTMODEL_PREOPEN="
                           "100=/dev/vfio/devices/vfio1,"
                           "101=/dev/vfio/devices/vfio2", host);
}

static int64_t host_group_of(QDict *dev)
{
    return qdict_get_int(dev, "host-group");
}

/*
 * Device files passed as fds: QEMU has no sysfs directory to read, yet it
 * finds the group through the file itself, and the rules hold.
 */
static void test_fds_group_found(void)
{
    ModelQemu m;
    g_autofree char *env = NULL, *args = NULL, *err = NULL;
    const QListEntry *e;
    QList *devs;
    QDict *rsp;

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    env = two_fds_env("", &m);
    args = g_strdup_printf(two_fds, "3.0");
    err = model_expect_refused_env(&m, env, args);
    g_assert_nonnull(strstr(err, "shares host iommu group 2"));

    g_free(args);
    args = g_strdup_printf(two_fds, "2.1");
    model_start_env(&m, env, args);
    rsp = model_query(&m);
    devs = qdict_get_qlist(rsp, "devices");
    g_assert_cmpint(qlist_size(devs), ==, 2);
    QLIST_FOREACH_ENTRY(devs, e) {
        g_assert_cmpint(host_group_of(qobject_to(QDict, e->value)), ==, 2);
    }
    qobject_unref(rsp);
    model_stop(&m);
}

/*
 * Where the group cannot be read at all (no iommu_group link, a /sys QEMU
 * may not read), the group rules cannot be kept: refused, saying so.
 */
static void test_unknown_group_refused(void)
{
    ModelQemu m;
    g_autofree char *s0 = NULL, *s1 = NULL, *args = NULL, *err = NULL;
    g_autofree char *l0 = NULL, *env = NULL;

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    env = two_fds_env("sysfs = off\n", &m);
    args = g_strdup_printf(two_fds, "2.1");
    err = model_expect_refused_env(&m, env, args);
    g_assert_nonnull(strstr(err, "cannot read the device's host iommu "
                            "group"));
    g_assert_nonnull(strstr(err, "/sys/dev/char/511:1/device"));
    g_free(err);

    /* by sysfsdev=, without its link: the device file is asked next */
    s0 = model_sysfsdev(&m, "0000:02:00.0", "vfio1", 2);
    s1 = model_sysfsdev(&m, "0000:02:00.1", "vfio2", 2);
    l0 = g_build_filename(s0, "iommu_group", NULL);
    g_assert_cmpint(unlink(l0), ==, 0);
    g_free(args);
    args = g_strdup_printf(two_functions, s0, s1, "2.1");
    g_free(env);
    env = two_fds_env("sysfs = off\n", &m);
    err = model_expect_refused_env(&m, env, args);
    g_assert_nonnull(strstr(err, "no iommu_group link in"));
    g_assert_nonnull(strstr(err, "0000:02:00.0 nor in /sys/dev/char/511:1"));
    model_dir_free(m.dir);
}

/* The CD table of the host STE @dev is nested on */
static uint64_t host_cd_table(ModelQemu *m, const char *dev)
{
    uint64_t ste[4];
    int ats;

    g_assert_cmpint(hm_client_get_ste(m->hm, dev, ste, &ats), ==, 0);
    return ste[0] & 0xfffffffffffc0ULL;
}

#define CDTAB_F1        0x40410000ULL

/* ECAM config of the root port at pcie.0 1.0 */
#define ECAM            0x4010000000ULL
#define RP_CFG(reg)     (ECAM + (1 << 15) + (reg))
#define RP_FN_SID(fn)   (0x100 | (fn))

/*
 * Two functions of one host group in a root port's slot, without a
 * function 0, so that one can be unplugged alone (QEMU removes it at
 * once).  The other is never moved to VFIO's stage 2, where its DMA would
 * bypass the guest's stage 1, nor left on the unplugged one's CD table;
 * the guest can still move it (bypass here), and nothing is left once
 * both are gone (the iommufd is passed, and stays open).
 */
static void unplug_one_function(bool own_cd_tables)
{
    uint64_t f1_cd = own_cd_tables ? CDTAB_F1 : CDTAB;
    ModelQemu m;
    g_autofree char *s1 = NULL, *s2 = NULL, *args = NULL, *env = NULL;
    uint32_t prod = 0;
    uint64_t base;

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    s1 = model_sysfsdev(&m, "0000:02:00.1", "vfio1", 2);
    s2 = model_sysfsdev(&m, "0000:02:00.2", "vfio2", 2);
    env = g_strdup_printf("HOSTMODEL_HOST=%s/hosts/qemu.conf "
                          "HOSTMODEL_PREOPEN=101=/dev/iommu",
                          g_getenv("HOSTMODEL_DIR"));
    args = g_strdup_printf(
        "-M virt -accel tcg -display none -nodefaults "
        "-object iommufd,id=i0,fd=101 "
        "-device arm-smmuv3,primary-bus=pcie.0,accel=on "
        "-device pcie-root-port,id=rp0,chassis=1,addr=1.0 "
        "-device vfio-pci,id=f1,sysfsdev=%s,iommufd=i0,bus=rp0,addr=0.1 "
        "-device vfio-pci,id=f2,sysfsdev=%s,iommufd=i0,bus=rp0,addr=0.2",
        s1, s2);
    model_start_env(&m, env, args);
    base = smmuv3_qtest_base(m.qts);
    qtest_writeb(m.qts, RP_CFG(PCI_SECONDARY_BUS), 1);
    qtest_writeb(m.qts, RP_CFG(PCI_SUBORDINATE_BUS), 1);

    qtest_writel(m.qts, base + A_STRTAB_BASE, STRTAB);
    qtest_writel(m.qts, base + A_STRTAB_CFG, 9);
    qtest_writel(m.qts, base + A_CMDQ_BASE, CMDQ | 8);
    qtest_writel(m.qts, base + A_CR0, CR0_SMMUEN | CR0_CMDQEN);
    /* f1's STE last: the group's nested HWPT is f1's */
    write_ste(&m, RP_FN_SID(2), 1 | (5 << 1) | CDTAB);
    cfgi_ste(&m, base, &prod, RP_FN_SID(2));
    write_ste(&m, RP_FN_SID(1), 1 | (5 << 1) | f1_cd);
    cfgi_ste(&m, base, &prod, RP_FN_SID(1));
    g_assert_cmpuint(host_config(&m, "vfio2"), ==, 7);
    g_assert_cmphex(host_cd_table(&m, "vfio2"), ==, f1_cd);
    g_assert_cmpint(model_count(&m, "HWPT_NESTED"), ==, 3);

    qtest_qmp_device_del(m.qts, "f1");
    g_assert_cmpint(model_count(&m, "VDEVICE"), ==, 1);
    if (!own_cd_tables) {
        /* the same STE: f2 keeps the group's nested HWPT, now its own */
        g_assert_cmpuint(host_config(&m, "vfio2"), ==, 7);
        g_assert_cmphex(host_cd_table(&m, "vfio2"), ==, CDTAB);
        g_assert_cmpint(model_count(&m, "HWPT_NESTED"), ==, 3);
    } else {
        /*
         * Each its own CD table, as Linux does: f2 must not stay on f1's,
         * which the guest frees, and the host cannot nest the group on
         * f2's own without a vDEVICE for f1, still in the host group: f2
         * is blocked (C_BAD_STE)
         */
        g_assert_cmpuint(host_config(&m, "vfio2"), ==, 0);
    }

    /* The guest moves it to bypass: the group's nested HWPT goes */
    write_ste(&m, RP_FN_SID(2), 1 | (4 << 1));
    cfgi_ste(&m, base, &prod, RP_FN_SID(2));
    g_assert_cmpuint(host_config(&m, "vfio2"), ==, 6);
    g_assert_cmpint(model_count(&m, "HWPT_NESTED"), ==, 2);

    qtest_qmp_device_del(m.qts, "f2");
    g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 0);
    g_assert_cmpint(model_count(&m, "HWPT_NESTED"), ==, 0);
    g_assert_cmpint(model_count(&m, "HWPT_PAGING"), ==, 0);
    g_assert_cmpint(model_count(&m, "IOAS"), ==, 0);
    model_stop(&m);
}

static void test_unplug_one_function_mate_stays(void)
{
    unplug_one_function(false);
    unplug_one_function(true);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/arm-smmuv3-accel/group/functions-of-one-slot-share",
                   test_functions_of_one_slot_share);
    qtest_add_func("/arm-smmuv3-accel/group/two-slots-refused",
                   test_group_in_two_slots_refused);
    qtest_add_func("/arm-smmuv3-accel/group/fds-group-found",
                   test_fds_group_found);
    qtest_add_func("/arm-smmuv3-accel/group/unplug-one-function-mate-stays",
                   test_unplug_one_function_mate_stays);
    qtest_add_func("/arm-smmuv3-accel/group/unknown-group-refused",
                   test_unknown_group_refused);
    return g_test_run();
}
