/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QTest: arm-smmuv3,accel=on against the host kernel model
 * (tests/hostmodel), the device and its host objects: ID registers masked
 * with several host profiles and capped by properties, host objects at
 * plug, what QEMU refuses to start with, the migration blocker, and the
 * x-query-smmuv3-accel report.  STEs, the command queue, events, MSIs and
 * emulated devices beside accel have programs of their own
 * (arm-smmuv3-accel-{ste,cmdq,evtq,msi,emulated}-test.c).
 *
 * Needs HOSTMODEL_LIB (libhostmodel.so) and HOSTMODEL_DIR (the directory
 * of the model's sources and profiles); skipped without them.
 */

#include "qemu/osdep.h"
#include "arm-smmuv3-accel-harness.h"

/* What the guest must see with a host SMMU of each profile */
typedef struct ProfileIdrs {
    const char *profile;
    unsigned asid16, cd2l, ssidsize, ril, oas, gran16k;
} ProfileIdrs;

static const ProfileIdrs profile_idrs[] = {
    /* What the host has comes through */
    { "grace", .asid16 = 1, .cd2l = 1, .ssidsize = 20, .ril = 1, .oas = 5,
      .gran16k = 1 },
    /* Never more than the host: 8-bit ASIDs, linear CD tables, no RIL... */
    { "small", .asid16 = 0, .cd2l = 0, .ssidsize = 10, .ril = 0, .oas = 4,
      .gran16k = 0 },
};

static void test_idr_profile(gconstpointer data)
{
    const ProfileIdrs *p = data;
    Accel a;
    uint32_t idr0;

    if (!accel_start(&a, p->profile, "")) {
        return;
    }
    idr0 = rd(&a, A_IDR0);
    /* Stage 1 only, whatever the host */
    g_assert_cmpuint(FIELD_EX32(idr0, IDR0, S1P), ==, 1);
    g_assert_cmpuint(FIELD_EX32(idr0, IDR0, S2P), ==, 0);
    g_assert_cmpuint(FIELD_EX32(idr0, IDR0, ASID16), ==, p->asid16);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR1), IDR1, SSIDSIZE), ==,
                     p->ssidsize);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR0), IDR0, CD2L), ==, p->cd2l);
    /*
     * What the guest can never have, whatever the host (grace has each):
     * stage 2, 16-bit VMIDs, HTTU, BTM, PRI, HYP
     */
    g_assert_cmphex(rd(&a, A_IDR0) & (R_IDR0_S2P_MASK | R_IDR0_VMID16_MASK |
                                      3 << 6 | 1 << 5 | 1 << 16 | 1 << 9),
                    ==, 0);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR3), IDR3, RIL), ==, p->ril);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR5), IDR5, OAS), ==, p->oas);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR5), IDR5, GRAN16K), ==,
                     p->gran16k);
    /* The host walks the CDs and the uAPI does not tell its HAD */
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR3), IDR3, HAD), ==, 0);
    /* Stage 2 is the host's: no FWB for the guest */
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR3), IDR3, FWB), ==, 0);
    /* IDR4 is IMPLEMENTATION DEFINED: QEMU's own, 0 */
    g_assert_cmphex(rd(&a, 0x10), ==, 0);
    accel_stop(&a);
}

static void test_idr_properties_cap(void)
{
    Accel a;

    if (!accel_start(&a, "grace", ",ril=off,oas=44,ssidsize=8")) {
        return;
    }
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR3), IDR3, RIL), ==, 0);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR5), IDR5, OAS), ==, 4);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR1), IDR1, SSIDSIZE), ==, 8);
    accel_stop(&a);
    /* Exactly what the host has is honoured */
    if (!accel_start(&a, "grace", ",ril=on,oas=48,ssidsize=20")) {
        return;
    }
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR3), IDR3, RIL), ==, 1);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR5), IDR5, OAS), ==, 5);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR1), IDR1, SSIDSIZE), ==, 20);
    accel_stop(&a);
    /* The smallest size there is, with a device and before one */
    if (!accel_start(&a, "grace", ",oas=32")) {
        return;
    }
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR5), IDR5, OAS), ==, 0);
    accel_stop(&a);
    if (!accel_start_dev(&a, "grace", ",oas=32", "")) {
        return;
    }
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR5), IDR5, OAS), ==, 0);
    accel_stop(&a);
}

/*
 * libvirt passes oas and ssidsize as JSON strings: "44", "auto".  With no
 * host device yet the guest sees the baseline, capped by them.
 */
static void test_idr_properties_json(void)
{
    QTestState *qts = qtest_init("-M virt -display none -nodefaults "
                                 "-device '{\"driver\":\"arm-smmuv3\","
                                 "\"id\":\"s\",\"primary-bus\":\"pcie.0\","
                                 "\"accel\":true,\"oas\":\"32\","
                                 "\"ssidsize\":\"7\",\"ril\":\"auto\"}'");
    uint64_t base = smmuv3_qtest_base(qts);
    QDict *rsp;

    g_assert_cmpuint(FIELD_EX32(qtest_readl(qts, base + A_IDR5), IDR5, OAS),
                     ==, 0);
    g_assert_cmpuint(FIELD_EX32(qtest_readl(qts, base + A_IDR1), IDR1,
                                SSIDSIZE), ==, 7);
    rsp = qtest_qmp(qts, "{ 'execute': 'qom-get', 'arguments': "
                    "{ 'path': 's', 'property': 'oas' } }");
    g_assert_cmpstr(qdict_get_str(rsp, "return"), ==, "32");
    qobject_unref(rsp);
    qtest_quit(qts);
}

/* QEMU must refuse to start on the model with @profile and @opts */
static void assert_refused(const char *profile, const char *opts,
                           const char *msg)
{
    Accel a = { 0 };
    g_autofree char *prefix = NULL, *args = NULL, *cmd = NULL;
    g_autofree char *out = NULL, *err = NULL;
    int status;

    if (!hostmodel_lib() || !g_getenv("HOSTMODEL_DIR")) {
        g_test_skip("HOSTMODEL_LIB and HOSTMODEL_DIR are not set");
        return;
    }
    a.dir = g_dir_make_tmp("smmuv3-accel-XXXXXX", NULL);
    prefix = model_prefix(&a, profile);
    args = g_strdup_printf(accel_args, opts, vfio_dev);
    /* One that starts anyway is killed after a while, and fails here */
    cmd = g_strdup_printf("timeout -s KILL 30 %s %s -S", prefix, args);
    g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status, NULL));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
    if (!strstr(err, msg)) {
        g_test_message("stderr: %s", err);
    }
    g_assert_nonnull(strstr(err, msg));
    g_free(a.report);
    model_dir_free(a.dir);
}

/* A host whose tables the guest could not share is refused, saying why */
static void test_host_cannot_walk_guest_tables(void)
{
    assert_refused("noaa64", "",
                   "the host SMMU cannot walk AArch64 tables (IDR0.TTF=1)");
    assert_refused("bigendian", "", "the host SMMU cannot walk "
                   "little-endian tables (IDR0.TTENDIAN=3)");
    assert_refused("stallforce", "", "the host SMMU forces stalls "
                   "(IDR0.STALL_MODEL=2)");
}

/*
 * What accel=on cannot go with: s2fwb (the emulated SMMU's), cmdqv=on on a
 * host without a CMDQV, -only-migratable (accel=on blocks migration)
 */
static void test_refused_with_accel(void)
{
    assert_refused("grace", ",s2fwb=on",
                   "s2fwb applies to the emulated SMMU, not accel=on");
    assert_refused("grace", ",cmdqv=on",
                   "cmdqv=on: IOMMU_GET_HW_INFO of the Tegra241 CMDQV type");
    assert_refused("grace", " -only-migratable",
                   "arm-smmuv3,accel=on: the host SMMU's nested state");
}

static void test_property_host_cannot_honour(void)
{
    assert_refused("small", ",ril=on", "ril=on cannot be honoured");
    assert_refused("small", ",oas=48", "oas=48 cannot be honoured");
    assert_refused("small", ",ssidsize=16", "ssidsize=16 cannot be honoured");
    /* Not a size the architecture has; one QEMU's walker cannot honour */
    assert_refused("grace", ",oas=45",
                   "Parameter 'oas' does not accept value '45'\n"
                   "oas takes auto, 32, 36, 40, 42, 44 or 48");
    assert_refused("grace", ",ssidsize=21",
                   "Parameter 'ssidsize' does not accept value '21'");
    assert_refused("grace", ",oas=52", "oas=52 is not offered");
}

/*
 * VFIO sets up a device's DMA when it is realized: a vfio-pci created
 * before the arm-smmuv3 that covers its bus (command-line order) would
 * bypass it while the firmware tables say it is behind it.  Refused, with
 * or without accel, with what to reorder.
 */
static void test_vfio_before_smmu_refused(void)
{
    static const char *const smmus[] = {
        "arm-smmuv3,primary-bus=pcie.0,accel=on",
        "arm-smmuv3,primary-bus=pcie.0",
    };
    ModelQemu m;
    g_autofree char *sysfsdev = NULL;

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    sysfsdev = model_sysfsdev(&m, "0000:01:00.0", "vfio0", 1);
    for (int i = 0; i < ARRAY_SIZE(smmus); i++) {
        g_autofree char *args = g_strdup_printf(
            "-M virt -display none -nodefaults -object iommufd,id=i0 "
            "-device vfio-pci,id=d0,sysfsdev=%s,iommufd=i0,bus=pcie.0,"
            "addr=1.0 -device %s", sysfsdev, smmus[i]);
        g_autofree char *err = model_expect_refused(&m, args);

        g_assert_nonnull(strstr(err, "vfio-pci 'd0' at 00:01.0 was created "
                                "before this arm-smmuv3"));
        g_assert_nonnull(strstr(err, "create the arm-smmuv3 first"));
    }

    /*
     * In order on the command line, but JSON -device options are created
     * after the others (libvirt's, then a <qemu:commandline> vfio-pci)
     */
    {
        g_autofree char *args = g_strdup_printf(
            "-M virt -display none -nodefaults -object iommufd,id=i0 "
            "-device '{\"driver\":\"arm-smmuv3\","
            "\"primary-bus\":\"pcie.0\",\"accel\":true}' "
            "-device vfio-pci,id=d0,sysfsdev=%s,iommufd=i0,bus=pcie.0,"
            "addr=1.0", sysfsdev);
        g_autofree char *err = model_expect_refused(&m, args);

        g_assert_nonnull(strstr(err, "was created before this arm-smmuv3"));
        g_assert_nonnull(strstr(err, "in JSON form"));
    }
    model_dir_free(m.dir);
}

/*
 * One vSMMU nests on one host vIOMMU, an object of one iommufd: a device of
 * the same host SMMU through a second iommufd object is refused, with what
 * to change
 */
static void test_second_iommufd_refused(void)
{
    ModelQemu m;
    g_autofree char *a = NULL, *b = NULL, *args = NULL, *err = NULL;

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    a = model_sysfsdev(&m, "0000:01:00.0", "vfio0", 1);
    b = model_sysfsdev(&m, "0000:02:00.0", "vfio1", 2);
    args = g_strdup_printf(
        "-M virt -display none -nodefaults "
        "-object iommufd,id=i0 -object iommufd,id=i1 "
        "-device arm-smmuv3,primary-bus=pcie.0,accel=on "
        "-device vfio-pci,id=d0,sysfsdev=%s,iommufd=i0,bus=pcie.0,addr=1.0 "
        "-device vfio-pci,id=d1,sysfsdev=%s,iommufd=i1,bus=pcie.0,addr=2.0",
        a, b);
    err = model_expect_refused(&m, args);
    g_assert_nonnull(strstr(err, "every device behind one arm-smmuv3,"
                            "accel=on must use the same iommufd object"));
    model_dir_free(m.dir);
}

/*
 * Behind a PCIe-to-PCI bridge a device's DMA carries the bridge's
 * requester ID: the host SMMU could not tell it from the bridge's other
 * devices, so it cannot be nested (libvirt puts a host device there when
 * sysfs shows it without a PCI Express capability)
 */
static void test_vfio_behind_pci_bridge_refused(void)
{
    ModelQemu m;
    g_autofree char *sysfsdev = NULL, *args = NULL, *err = NULL;

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    sysfsdev = model_sysfsdev(&m, "0000:01:00.0", "vfio0", 1);
    args = g_strdup_printf(
        "-M virt -display none -nodefaults -object iommufd,id=i0 "
        "-device arm-smmuv3,primary-bus=pcie.0,accel=on "
        "-device pcie-root-port,id=rp0,bus=pcie.0,chassis=1 "
        "-device pcie-pci-bridge,id=br0,bus=rp0 "
        "-device vfio-pci,id=d0,sysfsdev=%s,iommufd=i0,bus=br0,addr=1.0",
        sysfsdev);
    err = model_expect_refused(&m, args);
    g_assert_nonnull(strstr(err, "cannot be nested on the host SMMU"));
    g_assert_nonnull(strstr(err, "not behind a PCIe-to-PCI bridge"));
    model_dir_free(m.dir);
}

static void test_viommu_refused_host_cannot_nest(void)
{
    assert_refused("nonest", "", "the host SMMU cannot nest");
    /* ... and why, from the host's registers */
    assert_refused("nonest", "", "cannot be a nesting parent: "
                   "SMMU_IDR3.FWB is 0");
    /* A part Linux will not nest on, whatever its registers say */
    assert_refused("mmu700", "", "cannot be a nesting parent: it is an Arm "
                   "MMU-700 r0p1 (SMMU_IIDR 0x4870143b), on which Linux "
                   "turns nesting off");
}

static void test_accel_rejects_stage2(void)
{
    assert_refused("grace", ",stage=nested", "remove stage=nested");
}

static void test_host_objects_at_plug(void)
{
    Accel a;
    QDict *info, *dev;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    /* One vIOMMU, shared abort and bypass nested HWPTs, no vDEVICE yet */
    g_assert_cmpint(count(&a, "VIOMMU"), ==, 1);
    g_assert_cmpint(count(&a, "HWPT_NESTED"), ==, 2);
    g_assert_cmpint(count(&a, "VDEVICE"), ==, 0);
    /* One stage 2 for the IOAS: VFIO's, which is the nesting parent */
    g_assert_cmpint(count(&a, "HWPT_PAGING"), ==, 1);
    /* The monitor shows no vSID for a device that has no vDEVICE yet */
    info = query_one(&a);
    dev = qobject_to(QDict, qlist_peek(qdict_get_qlist(info, "devices")));
    g_assert_false(qdict_haskey(dev, "vsid"));
    g_assert_false(qdict_haskey(dev, "vdevice"));
    /* ... and no vEVENTQ before the guest enables its event queue */
    g_assert_false(qdict_haskey(info, "veventq"));
    qobject_unref(info);
    accel_stop(&a);
}

static void test_idr_baseline_without_device(void)
{
    Accel a;

    if (!accel_start_dev(&a, "grace", "", "")) {
        return;
    }
    /*
     * Nothing to learn the host from: the documented baseline that any
     * nesting host honours (8-bit ASIDs, no RIL, 4K only, 44 bits, no
     * substreams) and no host object.
     */
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR0), IDR0, ASID16), ==, 0);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR1), IDR1, SSIDSIZE), ==, 0);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR3), IDR3, RIL), ==, 0);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR5), IDR5, OAS), ==, 4);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR5), IDR5, GRAN16K), ==, 0);
    /* QEMU's own: 2-level stream tables, TERM_MODEL, no stall */
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR0), IDR0, STLEVEL), ==, 1);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR0), IDR0, TERM_MODEL), ==, 1);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR0), IDR0, STALL_MODEL), ==, 1);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR0), IDR0, MSI), ==, 1);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR1), IDR1, SIDSIZE), ==, 16);
    /* The rest of the rule table's baseline column */
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR0), IDR0, TTENDIAN), ==, 2);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR0), IDR0, TTF), ==, 2);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR0), IDR0, CD2L), ==, 0);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR0), IDR0, ATS), ==, 0);
    g_assert_cmpuint(extract32(rd(&a, A_IDR3), 11, 2), ==, 0);   /* BBML */
    g_assert_cmpuint(extract32(rd(&a, A_IDR5), 10, 2), ==, 0);   /* VAX */
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR5), IDR5, GRAN4K), ==, 1);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR5), IDR5, GRAN64K), ==, 0);
    g_assert_cmpint(count(&a, "VIOMMU"), ==, 0);
    accel_stop(&a);
}

static void test_migration_blocked(void)
{
    Accel a;
    QDict *rsp;

    /* No VFIO device: its own blocker would be the one reported */
    if (!accel_start_dev(&a, "grace", "", "")) {
        return;
    }
    rsp = qtest_qmp(a.qts, "{ 'execute': 'migrate', 'arguments': "
                    "{ 'uri': 'exec:cat > /dev/null' } }");
    g_assert_true(qdict_haskey(rsp, "error"));
    g_assert_nonnull(strstr(qdict_get_str(qdict_get_qdict(rsp, "error"),
                                          "desc"), "accel=on"));
    qobject_unref(rsp);
    accel_stop(&a);
}

static QDict *find_field(QDict *info, const char *name)
{
    QListEntry *e;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(info, "fields"), e) {
        QDict *f = qobject_to(QDict, qlist_entry_obj(e));

        if (!strcmp(qdict_get_str(f, "name"), name)) {
            return f;
        }
    }
    g_assert_not_reached();
}

static void test_query_reports_state(void)
{
    Accel a;
    QDict *info, *f, *dev;

    if (!accel_start(&a, "small", "")) {
        return;
    }
    guest_enable(&a);
    write_ste(&a, DEV_SID, s1_ste0(), 0);
    cfgi_ste(&a, DEV_SID);
    queue_cmd(&a, OP_TLBI_NH_ASID | 7ULL << 48, 0);
    queue_cmd(&a, OP_TLBI_NH_ALL, 0);
    queue_cmd(&a, OP_CMD_SYNC, 0);
    kick(&a);

    info = query_one(&a);
    g_assert_true(qdict_get_bool(info, "host-known"));
    g_assert_cmpint(qdict_get_int(info, "viommu"), !=, 0);
    g_assert_cmpint(qdict_get_int(info, "batches"), ==, 1);
    g_assert_cmpint(qdict_get_int(info, "commands-forwarded"), ==, 2);
    /* The host's 44 bits win over QEMU's offer of 48 */
    f = find_field(info, "IDR5.OAS");
    g_assert_cmpstr(qdict_get_str(f, "rule"), ==, "MIN");
    g_assert_cmpint(qdict_get_int(f, "host"), ==, 4);
    g_assert_cmpint(qdict_get_int(f, "qemu"), ==, 5);
    g_assert_cmpint(qdict_get_int(f, "guest"), ==, 4);
    /* Every field of the rule table is listed, the first one too */
    g_assert_cmpint(qlist_size(qdict_get_qlist(info, "fields")), ==, 18);
    f = find_field(info, "IDR0.STLEVEL");
    g_assert_cmpstr(qdict_get_str(f, "rule"), ==, "QEMU");
    dev = qobject_to(QDict, qlist_peek(qdict_get_qlist(info, "devices")));
    g_assert_cmpint(qdict_get_int(dev, "vsid"), ==, DEV_SID);
    g_assert_cmpint(qdict_get_int(dev, "hwpt"), !=, 0);
    qobject_unref(info);
    accel_stop(&a);
}

static void test_idr_ats_follows_host(void)
{
    Accel a;

    if (!accel_start(&a, "ats", "")) {
        return;
    }
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR0), IDR0, ATS), ==, 1);
    accel_stop(&a);
    if (!accel_start(&a, "ats", ",ats=off")) {
        return;
    }
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR0), IDR0, ATS), ==, 0);
    accel_stop(&a);
    /* grace has no ATS */
    if (!accel_start(&a, "grace", "")) {
        return;
    }
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR0), IDR0, ATS), ==, 0);
    accel_stop(&a);
    assert_refused("grace", ",ats=on", "ats=on cannot be honoured");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (int i = 0; i < ARRAY_SIZE(profile_idrs); i++) {
        g_autofree char *path = g_strdup_printf("/arm-smmuv3-accel/idr/%s",
                                                profile_idrs[i].profile);

        qtest_add_data_func(path, &profile_idrs[i], test_idr_profile);
    }
    qtest_add_func("/arm-smmuv3-accel/idr/properties-cap",
                   test_idr_properties_cap);
    qtest_add_func("/arm-smmuv3-accel/idr/properties-json",
                   test_idr_properties_json);
    qtest_add_func("/arm-smmuv3-accel/props/refused-with-accel",
                   test_refused_with_accel);
    qtest_add_func("/arm-smmuv3-accel/idr/property-host-cannot-honour",
                   test_property_host_cannot_honour);
    qtest_add_func("/arm-smmuv3-accel/idr/host-cannot-walk-guest-tables",
                   test_host_cannot_walk_guest_tables);
    qtest_add_func("/arm-smmuv3-accel/host/viommu-refused-cannot-nest",
                   test_viommu_refused_host_cannot_nest);
    qtest_add_func("/arm-smmuv3-accel/props/vfio-before-smmu-refused",
                   test_vfio_before_smmu_refused);
    qtest_add_func("/arm-smmuv3-accel/host/second-iommufd-refused",
                   test_second_iommufd_refused);
    qtest_add_func("/arm-smmuv3-accel/props/vfio-behind-pci-bridge-refused",
                   test_vfio_behind_pci_bridge_refused);
    qtest_add_func("/arm-smmuv3-accel/props/rejects-stage2",
                   test_accel_rejects_stage2);
    qtest_add_func("/arm-smmuv3-accel/host/objects-at-plug",
                   test_host_objects_at_plug);
    qtest_add_func("/arm-smmuv3-accel/idr/baseline-without-device",
                   test_idr_baseline_without_device);
    qtest_add_func("/arm-smmuv3-accel/props/migration-blocked",
                   test_migration_blocked);
    qtest_add_func("/arm-smmuv3-accel/query/reports-state",
                   test_query_reports_state);
    qtest_add_func("/arm-smmuv3-accel/idr/ats-follows-host",
                   test_idr_ats_follows_host);
    return g_test_run();
}
