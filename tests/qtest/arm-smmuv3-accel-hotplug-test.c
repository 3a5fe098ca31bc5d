/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QTest: hotplug and unplug of an assigned device behind
 * arm-smmuv3,accel=on, on the host kernel model (tests/hostmodel).  The
 * vIOMMU comes with the first device and goes with the last one; repeated
 * cycles, each with the guest's SMMU and event queue on, a stage-1 STE
 * installed and an invalidation forwarded, leave no host object and no
 * file descriptor behind.  The root port's slot is powered off first, so
 * that device_del completes without a guest.
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "arm-smmuv3-accel-model.h"
#include "arm-smmuv3-qtest.h"

#define ECAM                0x4010000000ULL
#define RP_DEVFN            0x08        /* pcie-root-port in slot 1 */
#define PCI_CAP_PTR         0x34
#define PCI_CAP_ID_EXP      0x10
#define PCI_EXP_SLTCTL      0x18
#define SLTCTL_PIC_OFF      (3 << 8)
#define SLTCTL_PCC_OFF      (1 << 10)
#define CYCLES              100
/* The root port's secondary bus is 1: the device is StreamID 0x100 */
#define PCI_SECONDARY_BUS   0x19
#define PCI_SUBORDINATE_BUS 0x1a
#define DEV_SID             0x100

/* SMMU registers and guest memory (virt RAM starts at 1 GiB) */
#define A_CR0               0x20
#define A_STRTAB_BASE       0x80
#define A_STRTAB_BASE_CFG   0x88
#define A_CMDQ_BASE         0x90
#define A_CMDQ_PROD         0x98
#define A_CMDQ_CONS         0x9c
#define A_EVENTQ_BASE       0xa0
#define CR0_ON              (BIT(0) | BIT(2) | BIT(3))
#define STRTAB              0x40100000ULL
#define CMDQ                0x40200000ULL
#define EVTQ                0x40300000ULL
#define CDTAB               0x40400000ULL
#define QLOG2               8
#define OP_CFGI_STE         0x03
#define OP_TLBI_NH_ASID     0x11
#define OP_CMD_SYNC         0x46

static uint64_t rpn_cfg(unsigned devfn, uint32_t reg)
{
    return ECAM + ((uint64_t)devfn << 12) + reg;
}

static uint64_t rp_cfg(uint32_t reg)
{
    return rpn_cfg(RP_DEVFN, reg);
}

static void power_off_slot_of(QTestState *qts, unsigned devfn)
{
    uint8_t cap = qtest_readb(qts, rpn_cfg(devfn, PCI_CAP_PTR));

    while (cap && qtest_readb(qts, rpn_cfg(devfn, cap)) != PCI_CAP_ID_EXP) {
        cap = qtest_readb(qts, rpn_cfg(devfn, cap + 1));
    }
    g_assert_cmpuint(cap, !=, 0);
    qtest_writew(qts, rpn_cfg(devfn, cap + PCI_EXP_SLTCTL),
                 qtest_readw(qts, rpn_cfg(devfn, cap + PCI_EXP_SLTCTL)) |
                 SLTCTL_PIC_OFF | SLTCTL_PCC_OFF);
}

static void power_off_slot(QTestState *qts)
{
    power_off_slot_of(qts, RP_DEVFN);
}

typedef struct Guest {
    QTestState *qts;
    uint64_t base;
    uint32_t prod;
} Guest;

static void wr(Guest *g, uint32_t off, uint64_t v, bool wide)
{
    qtest_writel(g->qts, g->base + off, v);
    if (wide) {
        qtest_writel(g->qts, g->base + off + 4, v >> 32);
    }
}

/* The guest's SMMU on, its stream table giving DEV_SID a stage-1 STE */
static void guest_enable(Guest *g)
{
    uint64_t ste[8] = { cpu_to_le64(1 | (5 << 1) | CDTAB) };

    qtest_writeb(g->qts, rp_cfg(PCI_SECONDARY_BUS), 1);
    qtest_writeb(g->qts, rp_cfg(PCI_SUBORDINATE_BUS), 1);
    qtest_memwrite(g->qts, STRTAB + DEV_SID * 64, ste, sizeof(ste));
    wr(g, A_STRTAB_BASE, STRTAB, true);
    wr(g, A_STRTAB_BASE_CFG, 9, false);
    wr(g, A_CMDQ_BASE, CMDQ | QLOG2, true);
    wr(g, A_EVENTQ_BASE, EVTQ | QLOG2, true);
    wr(g, A_CR0, CR0_ON, false);
}

/* Commands, then a CMD_SYNC, consumed at once */
static void guest_send(Guest *g, uint64_t w0, uint64_t w1)
{
    uint64_t cmds[2][2] = {
        { cpu_to_le64(w0), cpu_to_le64(w1) },
        { cpu_to_le64(OP_CMD_SYNC), 0 },
    };

    for (int i = 0; i < 2; i++) {
        uint32_t idx = g->prod & ((1 << QLOG2) - 1);

        qtest_memwrite(g->qts, CMDQ + idx * 16, cmds[i], sizeof(cmds[i]));
        g->prod = (g->prod + 1) & ((2 << QLOG2) - 1);
    }
    wr(g, A_CMDQ_PROD, g->prod, false);
    g_assert_cmphex(qtest_readl(g->qts, g->base + A_CMDQ_CONS), ==, g->prod);
}

/* QEMU's open file descriptors */
static int open_fds(QTestState *qts)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/fd", qtest_pid(qts));
    GDir *dir = g_dir_open(path, 0, NULL);
    int n = 0;

    g_assert_nonnull(dir);
    while (g_dir_read_name(dir)) {
        n++;
    }
    g_dir_close(dir);
    return n;
}

/*
 * QEMU's emulated translations (one address space per device asked for):
 * a hot-plugged assigned device does DMA through the host SMMU and must
 * not get one (the device must be on its bus when the vIOMMU is asked
 * which space it gets).
 */
static int emulated_translations(QTestState *qts)
{
    g_autofree char *mtree = qtest_hmp(qts, "info mtree");
    int n = 0;

    for (char *p = mtree; (p = strstr(p, "address-space: smmuv3-iommu"));
         p++) {
        n++;
    }
    return n;
}

/* device_add of an assigned device: NULL, or QEMU's error message */
static char *plug_as(ModelQemu *m, const char *id, const char *sysfsdev,
                     const char *bus)
{
    QDict *rsp = qtest_qmp(m->qts, "{ 'execute': 'device_add', 'arguments': "
                           "{ 'driver': 'vfio-pci', 'id': %s, "
                           "'sysfsdev': %s, 'iommufd': 'i0', "
                           "'bus': %s } }", id, sysfsdev, bus);
    char *err = NULL;

    if (qdict_haskey(rsp, "error")) {
        err = g_strdup(qdict_get_str(qdict_get_qdict(rsp, "error"), "desc"));
        g_test_message("device_add: %s", err);
    }
    qobject_unref(rsp);
    return err;
}

static void plug(ModelQemu *m, const char *sysfsdev)
{
    g_autofree char *err = plug_as(m, "d0", sysfsdev, "rp0");

    g_assert_null(err);
}

/*
 * QEMU with the vSMMU and an empty, powered-off root port (rp0), the
 * guest's SMMU on; returns the sysfs directory of the device to plug.
 * The iommufd is passed, as libvirt does: it stays open across an unplug,
 * so the counts see what QEMU destroyed (one QEMU owns closes with its
 * last device, and the host frees whatever is left in it).
 */
static char *hotplug_start(ModelQemu *m, Guest *g)
{
    g_autofree char *env = g_strdup_printf(
        "HOSTMODEL_HOST=%s/hosts/qemu.conf HOSTMODEL_PREOPEN=101=/dev/iommu",
        g_getenv("HOSTMODEL_DIR"));
    char *sysfsdev;

    model_init_dir(m);
    sysfsdev = model_sysfsdev(m, "0000:01:00.0", "vfio0", 1);
    model_start_env(m, env, "-M virt -accel tcg -display none -nodefaults "
                    "-object iommufd,id=i0,fd=101 "
                    "-device arm-smmuv3,primary-bus=pcie.0,accel=on "
                    "-device pcie-root-port,id=rp0,chassis=1,addr=1.0");
    power_off_slot(m->qts);
    g->qts = m->qts;
    g->base = smmuv3_qtest_base(m->qts);
    guest_enable(g);
    return sysfsdev;
}

static void test_hotplug_cycles_leave_nothing(void)
{
    ModelQemu m;
    g_autofree char *sysfsdev = NULL;
    Guest g = { 0 };
    int fds, translations;

    if (!model_available()) {
        return;
    }
    sysfsdev = hotplug_start(&m, &g);

    /* No device: no vIOMMU */
    g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 0);
    fds = open_fds(m.qts);
    translations = emulated_translations(m.qts);
    for (int i = 0; i < CYCLES; i++) {
        uint64_t cmds[4][2];

        plug(&m, sysfsdev);
        g_assert_cmpint(emulated_translations(m.qts), ==, translations);
        /*
         * The vIOMMU, its shared HWPTs and event queue come with the
         * device, which gets its vDEVICE and stage-1 HWPT at once
         */
        g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 1);
        g_assert_cmpint(model_count(&m, "VEVENTQ"), ==, 1);
        g_assert_cmpint(model_count(&m, "VDEVICE"), ==, 1);
        g_assert_cmpint(model_count(&m, "HWPT_NESTED"), ==, 3);
        /* VFIO's page table for the device is the vIOMMU's stage 2 */
        g_assert_cmpint(model_count(&m, "HWPT_PAGING"), ==, 1);
        hm_client_clear_cmds(m.hm, "smmu0");
        guest_send(&g, OP_TLBI_NH_ASID | (uint64_t)(i + 1) << 48, 0);
        guest_send(&g, OP_CFGI_STE | (uint64_t)DEV_SID << 32, 1);
        g_assert_cmpint(hm_client_get_cmds(m.hm, "smmu0", cmds, 4), ==, 2);
        /* The host puts in its VMID; opcode and ASID are the guest's */
        g_assert_cmphex(cmds[0][0] & 0xff, ==, OP_TLBI_NH_ASID);
        g_assert_cmphex(cmds[0][0] >> 48, ==, i + 1);
        qtest_qmp_device_del(m.qts, "d0");
        /* ... and go with it, with the device's own objects */
        g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 0);
        g_assert_cmpint(model_count(&m, "VEVENTQ"), ==, 0);
        g_assert_cmpint(model_count(&m, "HWPT_NESTED"), ==, 0);
        g_assert_cmpint(model_count(&m, "VDEVICE"), ==, 0);
        g_assert_cmpint(model_count(&m, "HWPT_PAGING"), ==, 0);
        g_assert_cmpint(open_fds(m.qts), ==, fds);
    }
    model_stop(&m);
}

/*
 * At unplug the host refuses to take the device back to VFIO's own HWPT:
 * it is detached instead, so that the vSMMU's HWPTs, vDEVICE and vIOMMU
 * can all go (a passed iommufd would have held them for the VM's life).
 */
static void test_unplug_refused_attach_leaves_nothing(void)
{
    static const char *const types[] = {
        "VIOMMU", "VEVENTQ", "VDEVICE", "HWPT_NESTED", "HWPT_PAGING", "IOAS",
    };
    ModelQemu m;
    g_autofree char *sysfsdev = NULL;
    Guest g = { 0 };

    if (!model_available()) {
        return;
    }
    sysfsdev = hotplug_start(&m, &g);
    plug(&m, sysfsdev);
    g_assert_cmpint(model_count(&m, "HWPT_NESTED"), ==, 3);
    g_assert_cmpint(hm_client_fail_nth(m.hm, "VFIO_DEVICE_ATTACH_IOMMUFD_PT",
                                       1, ENOMEM), ==, 0);
    qtest_qmp_device_del(m.qts, "d0");
    for (int i = 0; i < ARRAY_SIZE(types); i++) {
        g_assert_cmpint(model_count(&m, types[i]), ==, 0);
    }
    /* and it comes back whole */
    hm_client_fail_clear(m.hm);
    plug(&m, sysfsdev);
    g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 1);
    g_assert_cmpint(model_count(&m, "HWPT_NESTED"), ==, 3);
    model_stop(&m);
}

/*
 * A host file of two SMMUs, grace and the profile file @profile1, with
 * vfio0 on the first and vfio1 on the second
 */
static char *two_smmu_host(ModelQemu *m, const char *profile1)
{
    char *host = g_build_filename(m->dir, "host.conf", NULL);
    g_autofree char *text = g_strdup_printf(
        "[smmu smmu0]\nprofile = %s/profiles/grace.conf\n"
        "[smmu smmu1]\nprofile = %s\n"
        "[device vfio0]\nsmmu = smmu0\nsid = 0x100\n"
        "group = 1\nbdf = 0000:01:00.0\n"
        "[device vfio1]\nsmmu = smmu1\nsid = 0x200\n"
        "group = 2\nbdf = 0000:02:00.0\n",
        g_getenv("HOSTMODEL_DIR"), profile1);

    g_assert_true(g_file_set_contents(host, text, -1, NULL));
    return host;
}

/*
 * A hot-plug the host refuses (no vIOMMU) teaches the vSMMU nothing: a
 * device behind another host SMMU, of other registers, can be plugged
 * next (the guest saw the baseline, which both honour).
 */
static void test_failed_plug_learns_nothing(void)
{
    ModelQemu m;
    g_autofree char *s0 = NULL, *s1 = NULL, *host = NULL, *small = NULL;
    QDict *rsp;

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    s0 = model_sysfsdev(&m, "0000:01:00.0", "vfio0", 1);
    s1 = model_sysfsdev(&m, "0000:02:00.0", "vfio1", 2);
    small = g_build_filename(g_getenv("HOSTMODEL_DIR"), "profiles",
                             "small.conf", NULL);
    host = two_smmu_host(&m, small);
    model_start_host(&m, host, "-M virt -accel tcg -display none -nodefaults "
                     "-object iommufd,id=i0 "
                     "-device arm-smmuv3,primary-bus=pcie.0,accel=on "
                     "-device pcie-root-port,id=rp0,chassis=1,addr=1.0");
    power_off_slot(m.qts);

    g_assert_cmpint(hm_client_fail_nth(m.hm, "IOMMU_VIOMMU_ALLOC", 1,
                                       EOPNOTSUPP), ==, 0);
    rsp = qtest_qmp(m.qts, "{ 'execute': 'device_add', 'arguments': "
                    "{ 'driver': 'vfio-pci', 'id': 'd0', 'sysfsdev': %s, "
                    "'iommufd': 'i0', 'bus': 'rp0' } }", s0);
    g_assert_true(qdict_haskey(rsp, "error"));
    qobject_unref(rsp);
    g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 0);

    plug(&m, s1);
    g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 1);
    qtest_qmp_device_del(m.qts, "d0");
    g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 0);
    model_stop(&m);
}

/*
 * d0 plugs into rp0; d1, plugged into rp1, is refused with @msg and leaves
 * nothing listed in the vSMMU; d0 then unplugs, taking the vIOMMU.
 */
static void second_plug_refused(ModelQemu *m, const char *s0, const char *s1,
                                const char *msg)
{
    g_autofree char *err = NULL;
    QDict *rsp, *info;

    g_assert_null(plug_as(m, "d0", s0, "rp0"));
    err = plug_as(m, "d1", s1, "rp1");
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err, msg));
    rsp = qtest_qmp(m->qts, "{ 'execute': 'x-query-smmuv3-accel' }");
    info = qobject_to(QDict, qlist_peek(qdict_get_qlist(rsp, "return")));
    g_assert_cmpint(qlist_size(qdict_get_qlist(info, "devices")), ==, 1);
    qobject_unref(rsp);
    qtest_qmp_device_del(m->qts, "d0");
    g_assert_cmpint(model_count(m, "VIOMMU"), ==, 0);
    model_stop(m);
}

/*
 * A hot-plugged device sharing a host iommu group with one in another
 * slot is refused, and leaves nothing behind in the vSMMU: the monitor
 * lists the first device only, and it can be unplugged.
 */
static void test_group_in_two_slots_refused_at_plug(void)
{
    ModelQemu m;
    g_autofree char *s0 = NULL, *s1 = NULL;

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    s0 = model_sysfsdev(&m, "0000:01:00.0", "vfio0", 5);
    s1 = model_sysfsdev(&m, "0000:02:00.0", "vfio1", 5);
    model_start(&m, "-M virt -accel tcg -display none -nodefaults "
                "-object iommufd,id=i0 "
                "-device arm-smmuv3,primary-bus=pcie.0,accel=on "
                "-device pcie-root-port,id=rp0,chassis=1,addr=1.0 "
                "-device pcie-root-port,id=rp1,chassis=2,addr=2.0");
    power_off_slot_of(m.qts, RP_DEVFN);
    power_off_slot_of(m.qts, RP_DEVFN + 8);

    second_plug_refused(&m, s0, s1, "shares host iommu group 5");
}

/*
 * Identical ID registers but another SMMU architecture revision (AIDR):
 * another host SMMU.  The hot-plug is refused and leaves nothing listed.
 */
static void test_other_aidr_refused_at_plug(void)
{
    ModelQemu m;
    g_autofree char *s0 = NULL, *s1 = NULL, *host = NULL;
    g_autofree char *prof = NULL, *grace = NULL;
    g_autofree char *grace_path = g_build_filename(g_getenv("HOSTMODEL_DIR"),
                                                   "profiles", "grace.conf",
                                                   NULL);

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    s0 = model_sysfsdev(&m, "0000:01:00.0", "vfio0", 1);
    s1 = model_sysfsdev(&m, "0000:02:00.0", "vfio1", 2);
    /* grace as an SMMUv3.1 */
    g_assert_true(g_file_get_contents(grace_path, &grace, NULL, NULL));
    g_assert_nonnull(strstr(grace, "aidr = 0x00000002"));
    memcpy(strstr(grace, "aidr = 0x00000002"), "aidr = 0x00000001", 17);
    prof = g_build_filename(m.dir, "grace31.conf", NULL);
    g_assert_true(g_file_set_contents(prof, grace, -1, NULL));
    host = two_smmu_host(&m, prof);
    model_start_host(&m, host, "-M virt -accel tcg -display none -nodefaults "
                     "-object iommufd,id=i0 "
                     "-device arm-smmuv3,primary-bus=pcie.0,accel=on "
                     "-device pcie-root-port,id=rp0,chassis=1,addr=1.0 "
                     "-device pcie-root-port,id=rp1,chassis=2,addr=2.0");
    power_off_slot_of(m.qts, RP_DEVFN);
    power_off_slot_of(m.qts, RP_DEVFN + 8);

    second_plug_refused(&m, s0, s1, "IIDR/AIDR differ");
}

/*
 * A device behind another host SMMU, whose ID registers differ from those
 * of the device plugged first, is refused at hot-plug, saying which
 * register, and leaves nothing listed
 */
static void test_other_idr_refused_at_plug(void)
{
    ModelQemu m;
    g_autofree char *s0 = NULL, *s1 = NULL, *host = NULL, *small = NULL;

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    s0 = model_sysfsdev(&m, "0000:01:00.0", "vfio0", 1);
    s1 = model_sysfsdev(&m, "0000:02:00.0", "vfio1", 2);
    small = g_build_filename(g_getenv("HOSTMODEL_DIR"), "profiles",
                             "small.conf", NULL);
    host = two_smmu_host(&m, small);
    model_start_host(&m, host, "-M virt -accel tcg -display none -nodefaults "
                     "-object iommufd,id=i0 "
                     "-device arm-smmuv3,primary-bus=pcie.0,accel=on "
                     "-device pcie-root-port,id=rp0,chassis=1,addr=1.0 "
                     "-device pcie-root-port,id=rp1,chassis=2,addr=2.0");
    power_off_slot_of(m.qts, RP_DEVFN);
    power_off_slot_of(m.qts, RP_DEVFN + 8);

    second_plug_refused(&m, s0, s1, "behind another host SMMU than the "
                        "vSMMU's other devices (host IDR0 0x");
}

/*
 * No device at start: the guest was told the baseline.  A device whose
 * host SMMU cannot honour it is refused at hot-plug, saying which field;
 * one whose host can is taken.
 */
static void test_plug_must_honour_baseline(void)
{
    ModelQemu m;
    g_autofree char *s0 = NULL, *s1 = NULL, *host = NULL, *err = NULL;
    g_autofree char *text = NULL, *prof = NULL;
    g_autofree char *small = g_build_filename(g_getenv("HOSTMODEL_DIR"),
                                              "profiles", "small.conf", NULL);

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    s0 = model_sysfsdev(&m, "0000:01:00.0", "vfio0", 1);
    s1 = model_sysfsdev(&m, "0000:02:00.0", "vfio1", 2);
    /* small, with 40-bit output addresses: under the baseline's 44 */
    g_assert_true(g_file_get_contents(small, &text, NULL, NULL));
    g_assert_nonnull(strstr(text, "idr5 = 0x00000054"));
    memcpy(strstr(text, "idr5 = 0x00000054"), "idr5 = 0x00000052", 17);
    prof = g_build_filename(m.dir, "oas40.conf", NULL);
    g_assert_true(g_file_set_contents(prof, text, -1, NULL));
    host = two_smmu_host(&m, prof);
    model_start_host(&m, host, "-M virt -accel tcg -display none -nodefaults "
                     "-object iommufd,id=i0 "
                     "-device arm-smmuv3,primary-bus=pcie.0,accel=on "
                     "-device pcie-root-port,id=rp0,chassis=1,addr=1.0");
    power_off_slot(m.qts);

    err = plug_as(&m, "d0", s1, "rp0");
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err, "the host SMMU cannot honour what the guest "
                            "was told: IDR5.OAS is 4, the host has 2"));
    g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 0);
    plug(&m, s0);
    g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 1);
    qtest_qmp_device_del(m.qts, "d0");
    model_stop(&m);
}

/*
 * The guest saw ril=on before any device: a hot-plugged device whose host
 * SMMU has no range invalidation is refused, one whose host has it is
 * taken.
 */
static void test_plug_must_honour_property(void)
{
    ModelQemu m;
    g_autofree char *s0 = NULL, *s1 = NULL, *host = NULL, *small = NULL;
    g_autofree char *err = NULL;

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    s0 = model_sysfsdev(&m, "0000:01:00.0", "vfio0", 1);
    s1 = model_sysfsdev(&m, "0000:02:00.0", "vfio1", 2);
    small = g_build_filename(g_getenv("HOSTMODEL_DIR"), "profiles",
                             "small.conf", NULL);
    host = two_smmu_host(&m, small);
    model_start_host(&m, host, "-M virt -accel tcg -display none -nodefaults "
                     "-object iommufd,id=i0 "
                     "-device arm-smmuv3,primary-bus=pcie.0,accel=on,ril=on "
                     "-device pcie-root-port,id=rp0,chassis=1,addr=1.0");
    power_off_slot(m.qts);

    err = plug_as(&m, "d0", s1, "rp0");
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err, "ril=on cannot be honoured"));
    g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 0);
    plug(&m, s0);
    g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 1);
    qtest_qmp_device_del(m.qts, "d0");
    model_stop(&m);
}

/*
 * The guest renumbers the bus of an assigned device (its root port's
 * secondary bus 1 -> 2): its StreamID, and so its vSID on the host, move
 * with the next CFGI_STE, which leaves the device on its new stage-1 HWPT
 * with one vDEVICE.
 */
static void test_renumbered_bus_moves_vsid(void)
{
    ModelQemu m;
    g_autofree char *sysfsdev = NULL;
    uint64_t ste[8] = { cpu_to_le64(1 | (5 << 1) | CDTAB) }, host[4];
    Guest g = { 0 };
    QDict *rsp, *dev;
    int ats, nested;

    if (!model_available()) {
        return;
    }
    sysfsdev = hotplug_start(&m, &g);
    wr(&g, A_STRTAB_BASE_CFG, 10, false);
    plug(&m, sysfsdev);
    g_assert_cmpint(model_count(&m, "VDEVICE"), ==, 1);
    /* a stage-1 STE at the old StreamID: its HWPT goes with the move */
    qtest_memwrite(m.qts, STRTAB + 0x100 * 64, ste, sizeof(ste));
    guest_send(&g, OP_CFGI_STE | 0x100ULL << 32, 1);
    nested = model_count(&m, "HWPT_NESTED");

    qtest_writeb(m.qts, rp_cfg(PCI_SECONDARY_BUS), 2);
    qtest_writeb(m.qts, rp_cfg(PCI_SUBORDINATE_BUS), 2);
    qtest_memwrite(m.qts, STRTAB + 0x200 * 64, ste, sizeof(ste));
    guest_send(&g, OP_CFGI_STE | 0x200ULL << 32, 1);

    rsp = qtest_qmp(m.qts, "{ 'execute': 'x-query-smmuv3-accel' }");
    dev = qobject_to(QDict, qlist_peek(qdict_get_qlist(
              qobject_to(QDict, qlist_peek(qdict_get_qlist(rsp, "return"))),
              "devices")));
    g_assert_cmphex(qdict_get_int(dev, "vsid"), ==, 0x200);
    qobject_unref(rsp);
    g_assert_cmpint(model_count(&m, "VDEVICE"), ==, 1);
    g_assert_cmpint(model_count(&m, "HWPT_NESTED"), ==, nested);
    g_assert_cmpint(hm_client_get_ste(m.hm, "vfio0", host, &ats), ==, 0);
    g_assert_cmphex((host[0] >> 1) & 7, ==, 7);

    qtest_qmp_device_del(m.qts, "d0");
    g_assert_cmpint(model_count(&m, "VDEVICE"), ==, 0);
    model_stop(&m);
}

/*
 * Two devices of one host SMMU behind one vSMMU: the IOAS has one page
 * table, VFIO's, which is the vIOMMU's stage 2 and outlives the device
 * that brought it while another one uses it.  A device that VFIO put on
 * another page table is refused: that table would be freed with it.
 */
static void test_one_stage2_per_ioas(void)
{
    ModelQemu m;
    g_autofree char *s0 = NULL, *s1 = NULL, *err = NULL;

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    s0 = model_sysfsdev(&m, "0000:01:00.0", "vfio0", 1);
    s1 = model_sysfsdev(&m, "0000:02:00.0", "vfio1", 2);
    model_start(&m, "-M virt -accel tcg -display none -nodefaults "
                "-object iommufd,id=i0 "
                "-device arm-smmuv3,primary-bus=pcie.0,accel=on "
                "-device pcie-root-port,id=rp0,chassis=1,addr=1.0 "
                "-device pcie-root-port,id=rp1,chassis=2,addr=2.0");
    power_off_slot_of(m.qts, RP_DEVFN);
    power_off_slot_of(m.qts, RP_DEVFN + 8);

    g_assert_null(plug_as(&m, "d0", s0, "rp0"));
    g_assert_cmpint(model_count(&m, "HWPT_PAGING"), ==, 1);
    g_assert_null(plug_as(&m, "d1", s1, "rp1"));
    g_assert_cmpint(model_count(&m, "HWPT_PAGING"), ==, 1);
    /* The first one goes: the vIOMMU and its parent stay for the other */
    qtest_qmp_device_del(m.qts, "d0");
    g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 1);
    g_assert_cmpint(model_count(&m, "HWPT_PAGING"), ==, 1);
    g_assert_cmpuint(model_destroy_errors(m.hm), ==, 0);
    qtest_qmp_device_del(m.qts, "d1");
    g_assert_cmpint(model_count(&m, "HWPT_PAGING"), ==, 0);

    /* VFIO finds the vIOMMU's page table incompatible: a second one */
    g_assert_null(plug_as(&m, "d0", s0, "rp0"));
    g_assert_cmpint(hm_client_fail_nth(m.hm, "VFIO_DEVICE_ATTACH_IOMMUFD_PT",
                                       1, EINVAL), ==, 0);
    err = plug_as(&m, "d1", s1, "rp1");
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err, "not on"));
    g_assert_cmpint(model_count(&m, "HWPT_PAGING"), ==, 1);
    g_assert_cmpint(model_count(&m, "VDEVICE"), ==, 0);
    qtest_qmp_device_del(m.qts, "d0");
    g_assert_cmpint(model_count(&m, "HWPT_PAGING"), ==, 0);
    g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 0);

    /*
     * The host refuses VFIO a nesting parent but not the vSMMU: it works
     * on its own parent beside VFIO's table, and frees it
     */
    g_assert_cmpint(hm_client_fail_nth(m.hm, "IOMMU_HWPT_ALLOC", 1, EIO),
                    ==, 0);
    g_assert_null(plug_as(&m, "d0", s0, "rp0"));
    g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 1);
    g_assert_cmpint(model_count(&m, "HWPT_PAGING"), ==, 2);
    qtest_qmp_device_del(m.qts, "d0");
    g_assert_cmpint(model_count(&m, "HWPT_PAGING"), ==, 0);
    model_stop(&m);
}

/* The CMDQV beside the vSMMU: its VINTF0's logical queue 0 at CMDQV_QUEUE */
#define CMDQV_QUEUE         0x40800000ULL
#define CMDQV_VINTF0_PAGE0  0x30000
#define CMDQV_VINTF0_PAGE1  0x40000
#define VCMDQ_CONS          0x00
#define VCMDQ_PROD          0x04
#define VCMDQ_CONFIG        0x08
#define VCMDQ_STATUS        0x0c

static uint32_t cmdqv_wait(QTestState *qts, uint64_t reg, uint32_t want)
{
    uint32_t v = 0;

    for (int i = 0; i < 2000; i++) {
        v = qtest_readl(qts, reg);
        if (v == want) {
            break;
        }
        g_usleep(1000);
    }
    return v;
}

static void cmdqv_put(QTestState *qts, uint32_t idx, uint64_t w0)
{
    uint64_t cmd[2] = { cpu_to_le64(w0), 0 };

    qtest_memwrite(qts, CMDQV_QUEUE + (idx & 0xff) * 16, cmd, sizeof(cmd));
}

/*
 * cmdqv=on with no device at start: QEMU runs the guest's queue.  A
 * plugged device brings a vIOMMU of the host CMDQV, and the queue, with
 * its CONS and PROD, goes to the host, which runs it; at unplug it comes
 * back to QEMU as the host left it, and so on.
 */
static void test_cmdqv_queue_follows_viommu(void)
{
    ModelQemu m;
    g_autofree char *sysfsdev = NULL, *host = NULL;
    uint64_t cv, size, page0, cmds[4][2];
    int src[4];

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    sysfsdev = model_sysfsdev(&m, "0000:01:00.0", "vfio0", 1);
    host = model_one_device_host(m.dir, "grace-cmdqv");
    model_start_host(&m, host, "-M virt -accel tcg -display none -nodefaults "
                     "-object iommufd,id=i0 "
                     "-device arm-smmuv3,primary-bus=pcie.0,accel=on,"
                     "cmdqv=on "
                     "-device pcie-root-port,id=rp0,chassis=1,addr=1.0");
    power_off_slot(m.qts);
    cv = smmuv3_qtest_region(m.qts, "tegra241-cmdqv", &size);
    g_assert_cmphex(cv, !=, 0);
    page0 = cv + CMDQV_VINTF0_PAGE0;
    /* CMDQV, VINTF0, VCMDQ 0 as its logical queue 0, BASE, enable */
    qtest_writel(m.qts, cv, 1);
    qtest_writel(m.qts, cv + 0x1000, 1);
    qtest_writel(m.qts, cv + 0x200, 1);
    qtest_writeq(m.qts, cv + CMDQV_VINTF0_PAGE1, CMDQV_QUEUE | 8);
    qtest_writel(m.qts, page0 + VCMDQ_CONFIG, 1);
    cmdqv_put(m.qts, 0, OP_CMD_SYNC);
    qtest_writel(m.qts, page0 + VCMDQ_PROD, 1);
    g_assert_cmphex(qtest_readl(m.qts, page0 + VCMDQ_CONS), ==, 1);

    for (int round = 0; round < 2; round++) {
        uint32_t at = 1 + 3 * round;

        plug(&m, sysfsdev);
        g_assert_cmpint(model_count(&m, "HW_QUEUE"), ==, 1);
        /* the host's registers now, carried over */
        g_assert_cmphex(cmdqv_wait(m.qts, page0 + VCMDQ_STATUS, 1), ==, 1);
        g_assert_cmphex(qtest_readl(m.qts, page0 + VCMDQ_CONS), ==, at);
        g_assert_cmphex(qtest_readl(m.qts, page0 + VCMDQ_PROD), ==, at);
        hm_client_clear_cmds(m.hm, "smmu0");
        cmdqv_put(m.qts, at, OP_TLBI_NH_ASID | 9ULL << 48);
        cmdqv_put(m.qts, at + 1, OP_CMD_SYNC);
        qtest_writel(m.qts, page0 + VCMDQ_PROD, at + 2);
        g_assert_cmphex(cmdqv_wait(m.qts, page0 + VCMDQ_CONS, at + 2), ==,
                        at + 2);
        g_assert_cmpint(hm_client_get_cmds_src(m.hm, "smmu0", cmds, src, 4),
                        ==, 2);
        g_assert_cmpint(src[0], ==, 2);

        qtest_qmp_device_del(m.qts, "d0");
        g_assert_cmpint(model_count(&m, "HW_QUEUE"), ==, 0);
        g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 0);
        /* QEMU's again, as the host left it, and QEMU runs it */
        g_assert_cmphex(qtest_readl(m.qts, page0 + VCMDQ_CONS), ==, at + 2);
        g_assert_cmphex(qtest_readl(m.qts, page0 + VCMDQ_CONFIG), ==, 1);
        g_assert_cmphex(qtest_readl(m.qts, page0 + VCMDQ_STATUS), ==, 1);
        cmdqv_put(m.qts, at + 2, OP_CMD_SYNC);
        qtest_writel(m.qts, page0 + VCMDQ_PROD, at + 3);
        g_assert_cmphex(qtest_readl(m.qts, page0 + VCMDQ_CONS), ==, at + 3);
    }
    model_stop(&m);
}

/*
 * The guest has a CMDQV (cmdqv=on): a device whose host SMMU has none
 * cannot run it and is refused; one whose host has one is taken.
 */
static void test_cmdqv_plug_needs_host_cmdqv(void)
{
    ModelQemu m;
    g_autofree char *s0 = NULL, *s1 = NULL, *host = NULL, *err = NULL;
    g_autofree char *prof = g_build_filename(g_getenv("HOSTMODEL_DIR"),
                                             "profiles", "grace-cmdqv.conf",
                                             NULL);

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    s0 = model_sysfsdev(&m, "0000:01:00.0", "vfio0", 1);
    s1 = model_sysfsdev(&m, "0000:02:00.0", "vfio1", 2);
    host = two_smmu_host(&m, prof);
    model_start_host(&m, host, "-M virt -accel tcg -display none -nodefaults "
                     "-object iommufd,id=i0 "
                     "-device arm-smmuv3,primary-bus=pcie.0,accel=on,"
                     "cmdqv=on "
                     "-device pcie-root-port,id=rp0,chassis=1,addr=1.0");
    power_off_slot(m.qts);
    err = plug_as(&m, "d0", s0, "rp0");
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err, "this vSMMU's guest has a CMDQV and the "
                            "device's host SMMU cannot run it"));
    g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 0);
    plug(&m, s1);
    g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 1);
    qtest_qmp_device_del(m.qts, "d0");
    model_stop(&m);
}

/*
 * The host refuses @call (the VINTF page's mmap, the CMDQV's vEVENTQ; the
 * model's log calls it @logged_as) at the plug that makes the vIOMMU: the
 * plug fails and leaves no vIOMMU (so the VINTF page was unmapped too: the
 * mapping would hold it); the next plug gets everything.
 */
static void cmdqv_host_failure_frees_all(const char *call,
                                         const char *logged_as)
{
    ModelQemu m;
    g_autofree char *s1 = NULL, *host = NULL, *err = NULL;
    g_autofree char *prof = g_build_filename(g_getenv("HOSTMODEL_DIR"),
                                             "profiles", "grace-cmdqv.conf",
                                             NULL);

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    s1 = model_sysfsdev(&m, "0000:02:00.0", "vfio1", 2);
    host = two_smmu_host(&m, prof);
    model_start_host(&m, host, "-M virt -accel tcg -display none -nodefaults "
                     "-object iommufd,id=i0 "
                     "-device arm-smmuv3,primary-bus=pcie.0,accel=on,"
                     "cmdqv=on "
                     "-device pcie-root-port,id=rp0,chassis=1,addr=1.0");
    power_off_slot(m.qts);
    g_assert_cmpint(hm_client_fail_nth(m.hm, call, 1, ENOMEM), ==, 0);
    err = plug_as(&m, "d0", s1, "rp0");
    g_assert_nonnull(err);
    g_assert_cmpuint(model_call_errors(m.hm, logged_as), ==, 1);
    g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 0);
    g_assert_cmpint(model_count(&m, "VEVENTQ"), ==, 0);
    g_assert_cmpint(model_count(&m, "HWPT_PAGING"), ==, 0);
    plug(&m, s1);
    g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 1);
    g_assert_cmpint(model_count(&m, "VEVENTQ"), ==, 1);
    qtest_qmp_device_del(m.qts, "d0");
    g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 0);
    model_stop(&m);
}

static void test_cmdqv_mmap_failure_frees_all(void)
{
    cmdqv_host_failure_frees_all("IOMMUFD_MMAP", "mmap");
}

static void test_cmdqv_veventq_failure_frees_all(void)
{
    cmdqv_host_failure_frees_all("IOMMU_VEVENTQ_ALLOC",
                                 "IOMMU_VEVENTQ_ALLOC");
}

/*
 * A host of two CMDQV SMMUs: smmu0 holds one StreamID a VM, smmu1 gives
 * a VM one queue; vfio0 and vfio1 on smmu0, vfio2 on smmu1
 */
static char *cmdqv_small_host(ModelQemu *m)
{
    const char *dir = g_getenv("HOSTMODEL_DIR");
    char *host = g_build_filename(m->dir, "host.conf", NULL);
    g_autofree char *text = g_strdup_printf(
        "[smmu smmu0]\nprofile = %s/profiles/grace-cmdqv.conf\n"
        "cmdqv_sids_log2 = 0\n"
        "[smmu smmu1]\nprofile = %s/profiles/grace-cmdqv.conf\n"
        "cmdqv_vcmdqs_log2 = 2\n"
        "[device vfio0]\nsmmu = smmu0\nsid = 0x100\ngroup = 1\n"
        "bdf = 0000:01:00.0\n"
        "[device vfio1]\nsmmu = smmu0\nsid = 0x200\ngroup = 2\n"
        "bdf = 0000:02:00.0\n"
        "[device vfio2]\nsmmu = smmu1\nsid = 0x300\ngroup = 3\n"
        "bdf = 0000:03:00.0\n", dir, dir);

    g_assert_true(g_file_set_contents(host, text, -1, NULL));
    return host;
}

/*
 * cmdqv=on with no device at start tells the guest two queues and 16
 * StreamIDs: a host that gives a VM one queue, or one StreamID, cannot
 * honour it and is refused
 */
static void test_cmdqv_host_too_small(void)
{
    ModelQemu m;
    g_autofree char *s0 = NULL, *s2 = NULL, *host = NULL;
    g_autofree char *err = NULL;

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    s0 = model_sysfsdev(&m, "0000:01:00.0", "vfio0", 1);
    s2 = model_sysfsdev(&m, "0000:03:00.0", "vfio2", 3);
    host = cmdqv_small_host(&m);
    model_start_host(&m, host, "-M virt -accel tcg -display none -nodefaults "
                     "-object iommufd,id=i0 "
                     "-device arm-smmuv3,primary-bus=pcie.0,accel=on,"
                     "cmdqv=on "
                     "-device pcie-root-port,id=rp0,chassis=1,addr=1.0");
    power_off_slot(m.qts);
    err = plug_as(&m, "d0", s2, "rp0");
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err, "the device's host CMDQV offers 1 queues "
                            "and 16 StreamIDs a VM; this vSMMU's guest was "
                            "given 2 and 16"));
    g_free(err);
    err = plug_as(&m, "d0", s0, "rp0");
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err, "offers 2 queues and 1 StreamIDs a VM"));
    g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 0);
    model_stop(&m);
}

/*
 * Cold-plugged, vfio0 tells the guest its host's one StreamID a VM; the
 * next device has no slot left in the CMDQV's StreamID table
 */
static void test_cmdqv_sid_table_full(void)
{
    ModelQemu m;
    g_autofree char *s0 = NULL, *s1 = NULL, *host = NULL, *args = NULL;
    g_autofree char *err = NULL;

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    s0 = model_sysfsdev(&m, "0000:01:00.0", "vfio0", 1);
    s1 = model_sysfsdev(&m, "0000:02:00.0", "vfio1", 2);
    host = cmdqv_small_host(&m);
    args = g_strdup_printf("-M virt -accel tcg -display none -nodefaults "
                           "-object iommufd,id=i0 "
                           "-device arm-smmuv3,primary-bus=pcie.0,accel=on,"
                           "cmdqv=on "
                           "-device pcie-root-port,id=rp0,chassis=1,addr=1.0 "
                           "-device pcie-root-port,id=rp1,chassis=2,addr=2.0 "
                           "-device vfio-pci,id=d0,sysfsdev=%s,iommufd=i0,"
                           "bus=rp0", s0);
    model_start_host(&m, host, args);
    power_off_slot_of(m.qts, RP_DEVFN + 8);
    g_assert_cmpint(model_count(&m, "VIOMMU"), ==, 1);
    err = plug_as(&m, "d1", s1, "rp1");
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err, "this vSMMU's CMDQV has a StreamID table "
                            "of 1 entries, all taken"));
    model_stop(&m);
}

/*
 * The first cold-plugged device tells the guest its host's CMDQV (one
 * queue, 16 StreamIDs); a second, cold-plugged too, whose host has one
 * StreamID a VM cannot honour that and stops QEMU, saying so
 */
static void test_cmdqv_cold_plug_learns_once(void)
{
    ModelQemu m;
    g_autofree char *s0 = NULL, *s2 = NULL, *host = NULL, *args = NULL;
    g_autofree char *err = NULL;

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    s0 = model_sysfsdev(&m, "0000:01:00.0", "vfio0", 1);
    s2 = model_sysfsdev(&m, "0000:03:00.0", "vfio2", 3);
    host = cmdqv_small_host(&m);
    args = g_strdup_printf("-M virt -accel tcg -display none -nodefaults "
                           "-object iommufd,id=i0 "
                           "-device arm-smmuv3,primary-bus=pcie.0,accel=on,"
                           "cmdqv=auto "
                           "-device vfio-pci,id=d2,sysfsdev=%s,iommufd=i0,"
                           "bus=pcie.0,addr=2.0 "
                           "-device vfio-pci,id=d0,sysfsdev=%s,iommufd=i0,"
                           "bus=pcie.0,addr=3.0", s2, s0);
    err = model_expect_refused_host(&m, host, args);
    g_assert_nonnull(strstr(err, "offers 2 queues and 1 StreamIDs a VM; "
                            "this vSMMU's guest was given 1 and 16"));
    model_dir_free(m.dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/arm-smmuv3-accel/hotplug/cycles-leave-nothing",
                   test_hotplug_cycles_leave_nothing);
    qtest_add_func("/arm-smmuv3-accel/hotplug/unplug-refused-attach-frees-all",
                   test_unplug_refused_attach_leaves_nothing);
    qtest_add_func("/arm-smmuv3-accel/hotplug/failed-plug-learns-nothing",
                   test_failed_plug_learns_nothing);
    qtest_add_func("/arm-smmuv3-accel/hotplug/renumbered-bus-moves-vsid",
                   test_renumbered_bus_moves_vsid);
    qtest_add_func("/arm-smmuv3-accel/hotplug/one-stage2-per-ioas",
                   test_one_stage2_per_ioas);
    qtest_add_func("/arm-smmuv3-accel/hotplug/plug-must-honour-property",
                   test_plug_must_honour_property);
    qtest_add_func("/arm-smmuv3-accel/hotplug/group-in-two-slots-refused",
                   test_group_in_two_slots_refused_at_plug);
    qtest_add_func("/arm-smmuv3-accel/hotplug/other-idr-refused",
                   test_other_idr_refused_at_plug);
    qtest_add_func("/arm-smmuv3-accel/hotplug/plug-must-honour-baseline",
                   test_plug_must_honour_baseline);
    qtest_add_func("/arm-smmuv3-accel/hotplug/cmdqv-queue-follows-viommu",
                   test_cmdqv_queue_follows_viommu);
    qtest_add_func("/arm-smmuv3-accel/hotplug/cmdqv-plug-needs-host-cmdqv",
                   test_cmdqv_plug_needs_host_cmdqv);
    qtest_add_func("/arm-smmuv3-accel/hotplug/cmdqv-host-too-small",
                   test_cmdqv_host_too_small);
    qtest_add_func("/arm-smmuv3-accel/hotplug/cmdqv-sid-table-full",
                   test_cmdqv_sid_table_full);
    qtest_add_func("/arm-smmuv3-accel/hotplug/cmdqv-mmap-failure-frees-all",
                   test_cmdqv_mmap_failure_frees_all);
    qtest_add_func("/arm-smmuv3-accel/hotplug/"
                   "cmdqv-veventq-failure-frees-all",
                   test_cmdqv_veventq_failure_frees_all);
    qtest_add_func("/arm-smmuv3-accel/hotplug/cmdqv-cold-plug-learns-once",
                   test_cmdqv_cold_plug_learns_once);
    qtest_add_func("/arm-smmuv3-accel/hotplug/other-aidr-refused",
                   test_other_aidr_refused_at_plug);
    return g_test_run();
}
