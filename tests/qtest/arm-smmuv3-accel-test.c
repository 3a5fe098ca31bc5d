/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QTest: arm-smmuv3,accel=on against the host kernel model
 * (tests/hostmodel): ID registers masked with several host profiles, host
 * objects, STE installation, ordered invalidation batches, errors at the
 * exact command, refusals, and no host object left behind.
 *
 * Needs HOSTMODEL_LIB (libhostmodel.so) and HOSTMODEL_DIR (the directory
 * of the model's sources and profiles); skipped without them.
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "arm-smmuv3-qtest.h"
#include "arm-smmuv3-accel-model.h"

REG32(CR0, 0x20)
REG32(GBPA, 0x44)
    FIELD(GBPA, ABORT,      20, 1)
    FIELD(GBPA, UPDATE,     31, 1)
REG32(IRQ_CTRL, 0x50)
    FIELD(IRQ_CTRL, GERROR_IRQEN, 0, 1)
    FIELD(IRQ_CTRL, EVENTQ_IRQEN, 2, 1)
REG32(GERROR, 0x60)
    FIELD(GERROR, CMDQ_ERR,  0, 1)
    FIELD(GERROR, MSI_CMDQ_ABT_ERR,   4, 1)
    FIELD(GERROR, MSI_EVENTQ_ABT_ERR, 5, 1)
    FIELD(GERROR, MSI_GERROR_ABT_ERR, 7, 1)
REG32(GERRORN, 0x64)
#define A_GERROR_IRQ_CFG0 0x68
REG32(GERROR_IRQ_CFG1, 0x70)
#define A_STRTAB_BASE 0x80
REG32(STRTAB_BASE_CFG, 0x88)
#define A_CMDQ_BASE 0x90
REG32(CMDQ_PROD, 0x98)
REG32(CMDQ_CONS, 0x9c)
    FIELD(CMDQ_CONS, ERR,   24, 7)
#define A_EVENTQ_BASE 0xa0
#define A_EVENTQ_IRQ_CFG0 0xb0
REG32(EVENTQ_IRQ_CFG1, 0xb8)
REG32(EVENTQ_PROD, 0x100a8)
    FIELD(EVENTQ_PROD, OVFLG, 31, 1)
REG32(EVENTQ_CONS, 0x100ac)

#define CR0_SMMUEN      BIT(0)
#define CR0_EVENTQEN    BIT(2)
#define CR0_CMDQEN      BIT(3)
#define CERROR_ILL      1
#define CERROR_ABT      2

/* Guest memory layout (virt RAM starts at 1 GiB) */
#define STRTAB          0x40100000ULL
#define CMDQ            0x40200000ULL
#define EVTQ            0x40300000ULL
#define CDTAB           0x40400000ULL
#define QLOG2           8

/* The vfio-pci device sits in slot 1 of pcie.0: StreamID 0x8 */
#define DEV_SID         0x8

#define OP_CFGI_STE     0x03
#define OP_CFGI_CD      0x05
#define OP_TLBI_NH_ALL  0x10
#define OP_TLBI_NH_ASID 0x11
#define OP_TLBI_NH_VA   0x12
#define OP_CMD_SYNC     0x46
#define SYNC_CS_IRQ     (1ULL << 12)
#define SYNC_CS_SEV     (2ULL << 12)
#define EVT_C_BAD_STREAMID 0x02
#define EVT_C_BAD_STE   0x04
#define EVT_F_TRANSLATION 0x10

typedef struct Accel {
    QTestState *qts;
    HmClient *hm;
    uint64_t base;
    uint32_t prod;
    unsigned qlog2;
    /* IOMMU_DESTROY refusals a test provoked on purpose */
    unsigned long destroy_errors_ok;
    char *dir;
    char *report;
} Accel;

static const char *hostmodel_lib(void)
{
    return g_getenv("HOSTMODEL_LIB");
}

/* The QEMU command prefix that runs it on the model */
static char *model_prefix(Accel *a, const char *profile)
{
    g_autofree char *host = model_one_device_host(a->dir, profile);

    a->report = g_build_filename(a->dir, "report.jsonl", NULL);
    return g_strdup_printf("env LD_PRELOAD=%s HOSTMODEL_HOST=%s "
                           "HOSTMODEL_PREOPEN=100=/dev/vfio/devices/vfio0,"
                           "101=/dev/iommu HOSTMODEL_CONTROL=%s/ctl.sock "
                           "HOSTMODEL_REPORT=%s HOSTMODEL_LOG=%s/log.jsonl %s",
                           hostmodel_lib(), host, a->dir, a->report, a->dir,
                           qtest_qemu_binary(NULL));
}

static const char *accel_args =
    "-M virt -display none -nodefaults "
    "-object iommufd,id=i0,fd=101 "
    "-device arm-smmuv3,primary-bus=pcie.0,accel=on%s%s";
static const char *vfio_dev =
    " -device vfio-pci,id=d0,fd=100,iommufd=i0,bus=pcie.0,addr=1.0";

static bool accel_start_dev(Accel *a, const char *profile, const char *opts,
                            const char *dev)
{
    g_autofree char *bin = g_strdup(qtest_qemu_binary(NULL));
    g_autofree char *prefix = NULL;
    g_autofree char *sock = NULL;

    if (!hostmodel_lib() || !g_getenv("HOSTMODEL_DIR")) {
        g_test_skip("HOSTMODEL_LIB and HOSTMODEL_DIR are not set");
        return false;
    }
    memset(a, 0, sizeof(*a));
    a->qlog2 = QLOG2;
    a->dir = g_dir_make_tmp("smmuv3-accel-XXXXXX", NULL);
    prefix = model_prefix(a, profile);
    g_setenv("QTEST_QEMU_BINARY", prefix, true);
    a->qts = qtest_initf(accel_args, opts, dev);
    g_setenv("QTEST_QEMU_BINARY", bin, true);
    a->base = smmuv3_qtest_base(a->qts);
    sock = g_build_filename(a->dir, "ctl.sock", NULL);
    a->hm = hm_client_connect(sock);
    g_assert_nonnull(a->hm);
    return true;
}

static bool accel_start(Accel *a, const char *profile, const char *opts)
{
    return accel_start_dev(a, profile, opts, vfio_dev);
}

/* Quit QEMU and check the model saw no object of ours left behind */
static void accel_stop(Accel *a)
{
    g_autofree char *report = NULL;

    g_assert_cmpuint(model_destroy_errors(a->hm), ==, a->destroy_errors_ok);
    hm_client_close(a->hm);
    qtest_quit(a->qts);
    g_assert_true(g_file_get_contents(a->report, &report, NULL, NULL));
    g_assert_null(strstr(report, "VIOMMU"));
    g_assert_null(strstr(report, "VDEVICE"));
    g_assert_null(strstr(report, "HWPT_NESTED"));
    g_assert_null(strstr(report, "VEVENTQ"));
    g_free(a->report);
    g_free(a->dir);
}

static int count(Accel *a, const char *type)
{
    int n = hm_client_count_objects(a->hm, type);

    g_assert_cmpint(n, >=, 0);
    return n;
}

static uint32_t rd(Accel *a, uint32_t off)
{
    return qtest_readl(a->qts, a->base + off);
}

static void wr(Accel *a, uint32_t off, uint32_t v)
{
    qtest_writel(a->qts, a->base + off, v);
}

static void wrq(Accel *a, uint32_t off, uint64_t v)
{
    wr(a, off, v);
    wr(a, off + 4, v >> 32);
}

static void write_ste(Accel *a, uint32_t sid, uint64_t w0, uint64_t w1)
{
    uint64_t ste[8] = { cpu_to_le64(w0), cpu_to_le64(w1) };

    qtest_memwrite(a->qts, STRTAB + sid * 64, ste, sizeof(ste));
}

static uint64_t s1_ste0(void)
{
    /* V, Config=stage-1 translate, S1ContextPtr */
    return 1 | (5 << 1) | CDTAB;
}

/* Linear stream table, command and event queues, SMMU enabled */
static void guest_enable(Accel *a)
{
    wrq(a, A_STRTAB_BASE, STRTAB);
    wr(a, A_STRTAB_BASE_CFG, QLOG2);
    wrq(a, A_CMDQ_BASE, CMDQ | QLOG2);
    wrq(a, A_EVENTQ_BASE, EVTQ | QLOG2);
    wr(a, A_CR0, CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN);
}

static void queue_cmd(Accel *a, uint64_t w0, uint64_t w1)
{
    uint64_t cmd[2] = { cpu_to_le64(w0), cpu_to_le64(w1) };
    uint32_t idx = a->prod & ((1 << a->qlog2) - 1);

    qtest_memwrite(a->qts, CMDQ + idx * 16, cmd, sizeof(cmd));
    a->prod = (a->prod + 1) & ((2 << a->qlog2) - 1);
}

static void kick(Accel *a)
{
    wr(a, A_CMDQ_PROD, a->prod);
}

static void cfgi_ste(Accel *a, uint32_t sid)
{
    queue_cmd(a, OP_CFGI_STE | (uint64_t)sid << 32, 1);
    queue_cmd(a, OP_CMD_SYNC, 0);
    kick(a);
    /* Consumed without a new error (CONS.ERR keeps the last one) */
    g_assert_cmpuint(rd(a, A_CMDQ_CONS) & 0xfffff, ==, a->prod);
    g_assert_cmpuint(FIELD_EX32(rd(a, A_GERROR) ^ rd(a, A_GERRORN), GERROR,
                                CMDQ_ERR), ==, 0);
}

static long host_cmds(Accel *a, uint64_t (*cmds)[2], size_t max)
{
    long n = hm_client_get_cmds(a->hm, "smmu0", cmds, max);

    g_assert_cmpint(n, >=, 0);
    return n;
}

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
    g_free(a.dir);
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
    g_free(m.dir);
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

static QDict *query_one(Accel *a);

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

static void test_ste_s1_installs_masked_nested_hwpt(void)
{
    Accel a;
    uint64_t ste[4];
    int ats;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    /* S1CIR/COR/CSH set, plus bits the host must never see (STE1 13) */
    write_ste(&a, DEV_SID, s1_ste0(), 0xd4 | BIT_ULL(13));
    cfgi_ste(&a, DEV_SID);

    g_assert_cmpint(count(&a, "VDEVICE"), ==, 1);
    g_assert_cmpint(count(&a, "HWPT_NESTED"), ==, 3);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    /* Nested over the host S2, with the guest's stage-1 fields only */
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 7);
    g_assert_cmphex(ste[0] & ~0xfULL, ==, s1_ste0() & ~0xfULL);
    g_assert_cmphex(ste[1] & 0xff, ==, 0xd4);
    g_assert_cmphex(ste[1] & BIT_ULL(13), ==, 0);
    g_assert_cmpuint(rd(&a, A_GERROR), ==, 0);

    /* Back to bypass: the stage-1 HWPT is freed */
    write_ste(&a, DEV_SID, 1 | (4 << 1), 0);
    cfgi_ste(&a, DEV_SID);
    g_assert_cmpint(count(&a, "HWPT_NESTED"), ==, 2);
    accel_stop(&a);
}

/*
 * What each bit of a guest stage-1 STE's first two words does, from the
 * SMMUv3 STE layout and the fields Linux accepts in a vSTE (V, Config,
 * S1Fmt, S1ContextPtr, S1CDMax; S1DSS, S1CIR, S1COR, S1CSH, S1STALLD,
 * EATS), for the grace host (OAS 48, SSIDSIZE 20, no ATS, can stall).
 */
typedef enum {
    STE_BIT_FORWARDED,      /* reaches the host as the guest wrote it */
    STE_BIT_MASKED,         /* RES0 or not the guest's: never sent */
    STE_BIT_ILLEGAL,        /* the STE is refused: C_BAD_STE, stream off */
    STE_BIT_FORCED,         /* QEMU decides it (S1STALLD) */
} SteBit;

static SteBit ste_bit_expected(int bit)
{
    if (bit == 2) {
        return STE_BIT_ILLEGAL;         /* Config 0b111: stage 2 */
    }
    if (bit < 52) {
        /* V, Config, S1Fmt, S1ContextPtr below OAS (48 bits) */
        return bit < 48 ? STE_BIT_FORWARDED : STE_BIT_ILLEGAL;
    }
    if (bit < 59) {
        return STE_BIT_MASKED;          /* RES0 */
    }
    if (bit < 64) {
        return STE_BIT_FORWARDED;       /* S1CDMax <= SSIDSIZE */
    }
    bit -= 64;
    if (bit < 8) {
        return STE_BIT_FORWARDED;       /* S1DSS, S1CIR, S1COR, S1CSH */
    }
    if (bit == 27) {
        return STE_BIT_FORCED;          /* S1STALLD */
    }
    if (bit >= 28 && bit < 32) {
        return STE_BIT_ILLEGAL;         /* EATS without ATS, StreamWorld */
    }
    return STE_BIT_MASKED;              /* stage-2 and other fields */
}

/* Install @w0/@w1 for DEV_SID; the host's STE, or V=0 when refused */
static void ste_install(Accel *a, uint64_t w0, uint64_t w1, uint64_t host[4])
{
    int ats;

    write_ste(a, DEV_SID, w0, w1);
    cfgi_ste(a, DEV_SID);
    g_assert_cmpint(hm_client_get_ste(a->hm, "vfio0", host, &ats), ==, 0);
}

/*
 * Every bit of the words a nested HWPT takes, set alone on a valid
 * stage-1 STE, reaches the host exactly as the architecture and the
 * kernel's vSTE rules say: a wrong mask, either way, fails here.
 */
static void test_ste_every_bit(void)
{
    Accel a;
    uint64_t base[4], host[4];
    uint32_t events = 0;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    ste_install(&a, s1_ste0(), 0, base);
    g_assert_cmphex((base[0] >> 1) & 7, ==, 7);
    for (int bit = 0; bit < 128; bit++) {
        uint64_t w[2] = { s1_ste0(), 0 };
        uint64_t mask = BIT_ULL(bit % 64);
        int word = bit / 64;

        if (w[word] & mask) {
            continue;                   /* set in every stage-1 STE */
        }
        w[word] |= mask;
        ste_install(&a, w[0], w[1], host);
        switch (ste_bit_expected(bit)) {
        case STE_BIT_FORWARDED:
            g_assert_cmphex(host[word], ==, base[word] | mask);
            g_assert_cmphex(host[!word], ==, base[!word]);
            break;
        case STE_BIT_MASKED:
        case STE_BIT_FORCED:
            g_assert_cmphex(host[0], ==, base[0]);
            g_assert_cmphex(host[1], ==, base[1]);
            break;
        case STE_BIT_ILLEGAL:
            g_assert_cmphex((host[0] >> 1) & 7, ==, 0);
            g_assert_cmpuint(rd(&a, A_EVENTQ_PROD) & 0xff, ==, ++events);
            break;
        }
        ste_install(&a, s1_ste0(), 0, host);
        g_assert_cmphex(host[0], ==, base[0]);
    }
    /* The host's own S1STALLD, whatever the guest wrote */
    g_assert_cmphex(base[1] & BIT_ULL(27), ==, BIT_ULL(27));
    accel_stop(&a);
}

static bool accel_start_s1(Accel *a, const char *profile, const char *opts);

/*
 * An abort STE is no refused STE: no event, the shared abort HWPT.  A
 * CFGI_STE for another StreamID leaves the device's STE alone, even when
 * its entry in memory changed.
 */
static void test_ste_abort_and_other_sid(void)
{
    Accel a;
    uint64_t ste[4];
    int ats;

    if (!accel_start_s1(&a, "grace", "")) {
        return;
    }
    write_ste(&a, DEV_SID, 1, 0);
    cfgi_ste(&a, DEV_SID);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 0);
    g_assert_cmphex(rd(&a, A_EVENTQ_PROD), ==, 0);

    write_ste(&a, DEV_SID, 1 | (4 << 1), 0);
    cfgi_ste(&a, DEV_SID + 1);
    cfgi_ste(&a, DEV_SID - 1);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 0);
    cfgi_ste(&a, DEV_SID);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 6);
    accel_stop(&a);
}

static void test_bad_ste_event_no_host_call(void)
{
    Accel a;
    uint64_t evt[4], ste[4];
    int nested, ats;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    nested = count(&a, "HWPT_NESTED");
    /* Config=stage-2 translate: never offered with accel=on */
    write_ste(&a, DEV_SID, 1 | (6 << 1) | CDTAB, 0);
    cfgi_ste(&a, DEV_SID);

    g_assert_cmpuint(rd(&a, A_EVENTQ_PROD) & 0xff, ==, 1);
    qtest_memread(a.qts, EVTQ, evt, sizeof(evt));
    g_assert_cmpuint(le64_to_cpu(evt[0]) & 0xff, ==, EVT_C_BAD_STE);
    g_assert_cmpuint(le64_to_cpu(evt[0]) >> 32, ==, DEV_SID);
    /*
     * Installed as invalid (V=0), which the enabled SMMU already had for
     * this stream: no host call carried anything of the bad STE.
     */
    g_assert_cmpint(count(&a, "HWPT_NESTED"), ==, nested);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 0);
    accel_stop(&a);
}

/*
 * A stage-1 STE for DEV_SID through CFGI_STE: true when the host got it
 * (nested), false when the guest got C_BAD_STE and the host nothing.
 */
static bool ste_accepted(Accel *a, uint64_t w0, uint64_t w1)
{
    uint32_t prod = rd(a, A_EVENTQ_PROD) & 0xff;
    uint64_t evt[4], ste[4];
    int ats;

    write_ste(a, DEV_SID, w0, w1);
    cfgi_ste(a, DEV_SID);
    g_assert_cmpint(hm_client_get_ste(a->hm, "vfio0", ste, &ats), ==, 0);
    if ((rd(a, A_EVENTQ_PROD) & 0xff) == prod) {
        g_assert_cmphex((ste[0] >> 1) & 7, ==, 7);
        return true;
    }
    g_assert_cmpuint(rd(a, A_EVENTQ_PROD) & 0xff, ==, prod + 1);
    qtest_memread(a->qts, EVTQ + prod * 32, evt, sizeof(evt));
    g_assert_cmpuint(le64_to_cpu(evt[0]) & 0xff, ==, EVT_C_BAD_STE);
    g_assert_cmphex((ste[0] >> 1) & 7, !=, 7);
    wr(a, A_EVENTQ_CONS, rd(a, A_EVENTQ_PROD));
    return false;
}

/*
 * The fields of a stage-1 STE that the guest registers make ILLEGAL
 * (C_BAD_STE, nothing to the host): S1ContextPtr beyond the output size
 * the guest was given, for each size; reserved S1Fmt and S1DSS, and a
 * 2-level CD table without CD2L, with substreams.
 */
static void test_ste_illegal_fields(void)
{
    static const unsigned sizes[] = { 32, 36, 40, 42, 44, 48 };
    const uint64_t cdmax1 = 1ULL << 59, s1 = 1 | (5 << 1);
    Accel a;

    for (int i = 0; i < ARRAY_SIZE(sizes); i++) {
        g_autofree char *opt = g_strdup_printf(",oas=%u", sizes[i]);
        uint64_t top = 1ULL << sizes[i];

        if (!accel_start(&a, "grace", opt)) {
            return;
        }
        guest_enable(&a);
        g_assert_true(ste_accepted(&a, s1 | (top - 64), 0));
        g_assert_false(ste_accepted(&a, s1 | top, 0));
        accel_stop(&a);
    }

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    g_assert_true(ste_accepted(&a, s1 | cdmax1 | 1 << 4 | CDTAB, 0));
    g_assert_false(ste_accepted(&a, s1 | cdmax1 | 3 << 4 | CDTAB, 0));
    g_assert_true(ste_accepted(&a, s1 | cdmax1 | CDTAB, 2));
    g_assert_false(ste_accepted(&a, s1 | cdmax1 | CDTAB, 3));
    accel_stop(&a);
    /* No CD2L: a linear CD table only */
    if (!accel_start(&a, "small", "")) {
        return;
    }
    guest_enable(&a);
    g_assert_true(ste_accepted(&a, s1 | cdmax1 | CDTAB, 0));
    g_assert_false(ste_accepted(&a, s1 | cdmax1 | 1 << 4 | CDTAB, 0));
    accel_stop(&a);
}

/*
 * Start with the guest's SMMU on and DEV_SID on a stage-1 STE, the host's
 * command log cleared: where every command queue test begins.
 */
static bool accel_start_s1(Accel *a, const char *profile, const char *opts)
{
    if (!accel_start(a, profile, opts)) {
        return false;
    }
    guest_enable(a);
    write_ste(a, DEV_SID, s1_ste0(), 0);
    cfgi_ste(a, DEV_SID);
    hm_client_clear_cmds(a->hm, "smmu0");
    return true;
}

static void test_invalidations_one_ordered_batch(void)
{
    Accel a;
    uint64_t cmds[16][2];
    long n;

    if (!accel_start_s1(&a, "grace", "")) {
        return;
    }

    queue_cmd(&a, OP_TLBI_NH_ASID | 7ULL << 48, 0);
    queue_cmd(&a, OP_TLBI_NH_VA | 7ULL << 48, 0x1000);
    queue_cmd(&a, OP_CFGI_CD | (uint64_t)DEV_SID << 32, 1);
    queue_cmd(&a, OP_CMD_SYNC, 0);
    kick(&a);
    g_assert_cmpuint(rd(&a, A_CMDQ_CONS), ==, a.prod);

    /* In order, vSID turned into the host SID, then one CMD_SYNC */
    n = host_cmds(&a, cmds, ARRAY_SIZE(cmds));
    g_assert_cmpint(n, ==, 4);
    g_assert_cmphex(cmds[0][0] & 0xff, ==, OP_TLBI_NH_ASID);
    g_assert_cmphex(cmds[0][0] >> 48, ==, 7);
    g_assert_cmphex(cmds[1][0] & 0xff, ==, OP_TLBI_NH_VA);
    g_assert_cmphex(cmds[1][1], ==, 0x1000);
    g_assert_cmphex(cmds[2][0] & 0xff, ==, OP_CFGI_CD);
    g_assert_cmphex(cmds[2][0] >> 32, ==, 0x100);
    g_assert_cmphex(cmds[3][0] & 0xff, ==, OP_CMD_SYNC);
    accel_stop(&a);
}

/*
 * What a forwarded command's format leaves RES0 does not reach the host:
 * each opcode with every such bit of its low word 0 and of word 1 set
 * (the high word of word 0 holds the StreamID or VMID the host rewrites).
 */
static void test_res0_bits_stripped(void)
{
    static const struct {
        uint8_t op, host_op;
        uint32_t res0_lo;   /* RES0 bits of word 0 [31:0] */
        uint64_t w1, host_w1;
    } cases[] = {
        { OP_CFGI_CD, OP_CFGI_CD, 0xb00, ~0ULL, 1 },  /* SSec is checked */
        { 0x06 /* CFGI_CD_ALL */, 0x06, 0xfffffb00, ~0ULL, 0 },
        { OP_TLBI_NH_ALL, OP_TLBI_NH_ALL, 0xffffff00, ~0ULL, 0 },
        /* The host makes it a TLBI_NH_ALL of the VM's VMID */
        { 0x30 /* TLBI_NSNH_ALL */, OP_TLBI_NH_ALL, 0xffffff00, ~0ULL, 0 },
    };
    Accel a;
    uint64_t cmds[4][2];

    if (!accel_start_s1(&a, "grace", "")) {
        return;
    }
    for (int i = 0; i < ARRAY_SIZE(cases); i++) {
        uint64_t w0 = cases[i].op | cases[i].res0_lo |
                      (uint64_t)DEV_SID << 32;

        hm_client_clear_cmds(a.hm, "smmu0");
        queue_cmd(&a, w0, cases[i].w1);
        queue_cmd(&a, OP_CMD_SYNC, 0);
        kick(&a);
        g_assert_cmpuint(rd(&a, A_CMDQ_CONS), ==, a.prod);
        g_assert_cmpint(host_cmds(&a, cmds, ARRAY_SIZE(cmds)), >=, 1);
        g_assert_cmphex((uint32_t)cmds[0][0], ==, cases[i].host_op);
        g_assert_cmphex(cmds[0][1], ==, cases[i].host_w1);
    }
    /* With SMMU_IDR0.ASID16, ASID[15:8] is the guest's to use */
    hm_client_clear_cmds(a.hm, "smmu0");
    queue_cmd(&a, OP_TLBI_NH_ASID | 0x1234ULL << 48, 0);
    queue_cmd(&a, OP_CMD_SYNC, 0);
    kick(&a);
    g_assert_cmpuint(rd(&a, A_CMDQ_CONS), ==, a.prod);
    g_assert_cmpint(host_cmds(&a, cmds, ARRAY_SIZE(cmds)), >=, 1);
    g_assert_cmphex(cmds[0][0] >> 48, ==, 0x1234);
    accel_stop(&a);
}

/*
 * IDR0.MSI: a CMD_SYNC with CS=SIG_IRQ and an MSI address completes by
 * writing its MSIData there (Linux polls that memory), after the commands
 * before it reached the host; with CS=SIG_SEV nothing is written.
 */
static void test_sync_msi_completion(void)
{
    const uint64_t msi = CDTAB + 0x8000, sev = CDTAB + 0x8010;
    Accel a;
    uint64_t cmds[4][2];

    if (!accel_start_s1(&a, "grace", "")) {
        return;
    }
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_IDR0), IDR0, MSI), ==, 1);
    qtest_writel(a.qts, msi, 0xffffffff);
    qtest_writel(a.qts, sev, 0xffffffff);
    queue_cmd(&a, OP_TLBI_NH_ASID | 7ULL << 48, 0);
    queue_cmd(&a, OP_CMD_SYNC | SYNC_CS_IRQ | 0x5a5a0001ULL << 32, msi);
    queue_cmd(&a, OP_CMD_SYNC | SYNC_CS_SEV | 0x77ULL << 32, sev);
    kick(&a);
    g_assert_cmpuint(rd(&a, A_CMDQ_CONS), ==, a.prod);
    g_assert_cmphex(qtest_readl(a.qts, msi), ==, 0x5a5a0001);
    g_assert_cmphex(qtest_readl(a.qts, sev), ==, 0xffffffff);
    g_assert_cmpint(host_cmds(&a, cmds, ARRAY_SIZE(cmds)), >=, 1);
    g_assert_cmphex(cmds[0][0] & 0xff, ==, OP_TLBI_NH_ASID);

    accel_stop(&a);
}

/*
 * A CMD_SYNC with CS=SIG_IRQ and no MSI address signals the wired
 * interrupt: no MSI write (QEMU's trace of MSI writes, in its log, shows
 * none), no abort.
 */
static void test_sync_irq_without_address(void)
{
    Accel a;
    g_autofree char *dev = NULL, *log = NULL, *text = NULL;
    g_autofree char *dir = g_dir_make_tmp("smmuv3-accel-log-XXXXXX", NULL);

    log = g_build_filename(dir, "qemu.log", NULL);
    dev = g_strdup_printf("%s -trace smmuv3_accel_msi -D %s", vfio_dev, log);
    if (!accel_start_dev(&a, "grace", "", dev)) {
        return;
    }
    guest_enable(&a);
    queue_cmd(&a, OP_CMD_SYNC | SYNC_CS_IRQ | 0x99ULL << 32, 0);
    kick(&a);
    g_assert_cmpuint(rd(&a, A_CMDQ_CONS), ==, a.prod);
    g_assert_cmpuint(rd(&a, A_GERROR), ==, rd(&a, A_GERRORN));
    /* The same with an address: the trace is there to be seen */
    queue_cmd(&a, OP_CMD_SYNC | SYNC_CS_IRQ | 0x98ULL << 32, CDTAB + 0x8000);
    kick(&a);
    g_assert_cmphex(qtest_readl(a.qts, CDTAB + 0x8000), ==, 0x98);
    accel_stop(&a);
    g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
    g_assert_nonnull(strstr(text, "wrote 0x98"));
    g_assert_null(strstr(text, "wrote 0x99"));
    unlink(log);
    rmdir(dir);
}

/*
 * x-forward-invalidations=off (the e2e harness's proof that a stale host
 * translation is caught): the guest's commands complete, none reaches the
 * host.
 */
static void test_forwarding_off_drops(void)
{
    Accel a;
    uint64_t cmds[16][2];

    if (!accel_start_s1(&a, "grace", ",x-forward-invalidations=off")) {
        return;
    }

    queue_cmd(&a, OP_TLBI_NH_ASID | 7ULL << 48, 0);
    queue_cmd(&a, OP_CFGI_CD | (uint64_t)DEV_SID << 32, 1);
    queue_cmd(&a, OP_CMD_SYNC, 0);
    kick(&a);
    g_assert_cmpuint(rd(&a, A_CMDQ_CONS), ==, a.prod);
    g_assert_cmpuint(rd(&a, A_GERROR), ==, 0);
    g_assert_cmpint(host_cmds(&a, cmds, ARRAY_SIZE(cmds)), ==, 0);
    accel_stop(&a);
}

static void test_host_failure_at_exact_command(void)
{
    Accel a;
    uint64_t cmds[16][2];
    uint32_t first, cons;
    long n;

    if (!accel_start_s1(&a, "grace", "")) {
        return;
    }

    /*
     * The host refuses the batch, then the batch replayed, then the third
     * command alone: a persistent failure of command 2 (the kernel's
     * entry_num is left as given, counting the whole batch).
     */
    hm_client_fail_nth(a.hm, "IOMMU_HWPT_INVALIDATE", 1, EIO);
    hm_client_fail_nth(a.hm, "IOMMU_HWPT_INVALIDATE", 2, EIO);
    hm_client_fail_nth(a.hm, "IOMMU_HWPT_INVALIDATE", 5, EIO);
    first = a.prod;
    queue_cmd(&a, OP_TLBI_NH_ALL, 0);
    queue_cmd(&a, OP_TLBI_NH_ASID | 3ULL << 48, 0);
    queue_cmd(&a, OP_CFGI_CD | (uint64_t)DEV_SID << 32, 1);
    queue_cmd(&a, OP_TLBI_NH_ALL, 0);
    queue_cmd(&a, OP_CMD_SYNC, 0);
    kick(&a);

    cons = rd(&a, A_CMDQ_CONS);
    g_assert_cmpuint(cons & 0xfffff, ==, first + 2);
    g_assert_cmpuint(FIELD_EX32(cons, CMDQ_CONS, ERR), ==, CERROR_ILL);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_GERROR), GERROR, CMDQ_ERR), ==, 1);

    /* Exactly what precedes the failing command reached the host */
    n = host_cmds(&a, cmds, ARRAY_SIZE(cmds));
    g_assert_cmpint(n, ==, 4);
    g_assert_cmphex(cmds[0][0] & 0xff, ==, OP_TLBI_NH_ALL);
    g_assert_cmphex(cmds[1][0] & 0xff, ==, OP_CMD_SYNC);
    g_assert_cmphex(cmds[2][0] & 0xff, ==, OP_TLBI_NH_ASID);
    g_assert_cmphex(cmds[3][0] & 0xff, ==, OP_CMD_SYNC);
    accel_stop(&a);
}

/* Make the host refuse calls @first to @last of IOMMU_HWPT_INVALIDATE */
static void fail_invalidations(Accel *a, unsigned first, unsigned last)
{
    for (unsigned i = first; i <= last; i++) {
        g_assert_cmpint(hm_client_fail_nth(a->hm, "IOMMU_HWPT_INVALIDATE", i,
                                           EIO), ==, 0);
    }
}

/* As Linux does after a command error: a CMD_SYNC in its slot, GERRORN */
static void cmdq_resume(Accel *a)
{
    uint64_t sync[2] = { cpu_to_le64(OP_CMD_SYNC), 0 };
    uint32_t cons = rd(a, A_CMDQ_CONS);

    qtest_memwrite(a->qts, CMDQ + (cons & ((1 << a->qlog2) - 1)) * 16, sync,
                   sizeof(sync));
    wr(a, A_GERRORN, rd(a, A_GERROR));
}

/* A bigger command queue, empty, at CMDQ */
static void cmdq_resize(Accel *a, unsigned qlog2)
{
    wr(a, A_CR0, CR0_SMMUEN | CR0_EVENTQEN);
    wrq(a, A_CMDQ_BASE, CMDQ | qlog2);
    wr(a, A_CMDQ_PROD, 0);
    wr(a, A_CMDQ_CONS, 0);
    a->prod = 0;
    a->qlog2 = qlog2;
    wr(a, A_CR0, CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN);
}

/*
 * After a refused command nothing behind it takes effect: a CMD_SYNC must
 * not signal completion (its MSI word stays as it was), a CFGI_STE must
 * not reach the host.  Once the guest fixes the slot and acknowledges the
 * error, the queue resumes and both do.
 */
static void test_host_failure_stops_sync_and_ste(void)
{
    const uint64_t msi = CDTAB + 0x8000;
    Accel a;
    uint64_t ste[4];
    uint32_t first, cons;
    int ats;

    if (!accel_start_s1(&a, "grace", "")) {
        return;
    }
    qtest_writel(a.qts, msi, 0xffffffff);
    /* The batch of one, its replay, the command alone: all refused */
    fail_invalidations(&a, 1, 3);
    write_ste(&a, DEV_SID, 1 | (4 << 1), 0);
    first = a.prod;
    queue_cmd(&a, OP_TLBI_NH_ASID | 3ULL << 48, 0);
    queue_cmd(&a, OP_CMD_SYNC | SYNC_CS_IRQ | 0x5a5a0001ULL << 32, msi);
    queue_cmd(&a, OP_CFGI_STE | (uint64_t)DEV_SID << 32, 1);
    queue_cmd(&a, OP_CMD_SYNC, 0);
    kick(&a);

    cons = rd(&a, A_CMDQ_CONS);
    g_assert_cmpuint(cons & 0xfffff, ==, first);
    g_assert_cmpuint(FIELD_EX32(cons, CMDQ_CONS, ERR), ==, CERROR_ILL);
    g_assert_cmphex(qtest_readl(a.qts, msi), ==, 0xffffffff);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 7);

    cmdq_resume(&a);
    /* CONS.ERR keeps the last error: only the index moves */
    g_assert_cmpuint(rd(&a, A_CMDQ_CONS) & 0xfffff, ==, a.prod);
    g_assert_cmphex(qtest_readl(a.qts, msi), ==, 0x5a5a0001);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 6);
    accel_stop(&a);
}

/*
 * A refusal when the batch is full (256 commands): the queue stops on the
 * culprit, and none of the commands read after it reach the host.
 */
static void test_host_failure_in_full_batch(void)
{
    const uint64_t msi = CDTAB + 0x8000;
    Accel a;
    g_autofree uint64_t (*cmds)[2] = g_malloc0(1024 * sizeof(*cmds));
    uint32_t first, cons;
    long n;

    if (!accel_start_s1(&a, "grace", "")) {
        return;
    }
    cmdq_resize(&a, 9);
    qtest_writel(a.qts, msi, 0xffffffff);
    /* The full batch and its replay, then command 10 of the singles */
    fail_invalidations(&a, 1, 2);
    fail_invalidations(&a, 13, 13);
    first = a.prod;
    for (uint64_t asid = 0; asid < 300; asid++) {
        queue_cmd(&a, OP_TLBI_NH_ASID | asid << 48, 0);
    }
    queue_cmd(&a, OP_CMD_SYNC | SYNC_CS_IRQ | 0x5a5a0001ULL << 32, msi);
    kick(&a);

    cons = rd(&a, A_CMDQ_CONS);
    g_assert_cmpuint(cons & 0xfffff, ==, first + 10);
    g_assert_cmpuint(FIELD_EX32(cons, CMDQ_CONS, ERR), ==, CERROR_ILL);
    g_assert_cmphex(qtest_readl(a.qts, msi), ==, 0xffffffff);
    /* Commands 0 to 9, each followed by the host's own CMD_SYNC */
    n = host_cmds(&a, cmds, 1024);
    g_assert_cmpint(n, ==, 20);
    for (int i = 0; i < n; i += 2) {
        g_assert_cmphex(cmds[i][0] & 0xff, ==, OP_TLBI_NH_ASID);
        g_assert_cmpuint(cmds[i][0] >> 48, ==, i / 2);
    }
    accel_stop(&a);
}

/*
 * A queue that stops on an unreadable entry (CERROR_ABT): what was read
 * before it has been consumed, so it must reach the host now, not with
 * whatever comes later.
 */
static void test_queue_abort_sends_what_precedes(void)
{
    /*
     * virt's 128 MiB of RAM end here: a queue (64-byte aligned) whose
     * slots 2 and 3 are the last 32 bytes of RAM, slot 4 past it.
     */
    const uint64_t ram_end = 0x48000000ULL;
    uint64_t cmd[4] = {
        cpu_to_le64(OP_TLBI_NH_ASID | 5ULL << 48), 0,
        cpu_to_le64(OP_TLBI_NH_ASID | 6ULL << 48), 0,
    };
    uint64_t cmds[8][2];
    Accel a;
    uint32_t cons;

    if (!accel_start_s1(&a, "grace", "")) {
        return;
    }
    wr(&a, A_CR0, CR0_SMMUEN | CR0_EVENTQEN);
    wrq(&a, A_CMDQ_BASE, (ram_end - 64) | QLOG2);
    wr(&a, A_CMDQ_PROD, 2);
    wr(&a, A_CMDQ_CONS, 2);
    wr(&a, A_CR0, CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN);
    qtest_memwrite(a.qts, ram_end - sizeof(cmd), cmd, sizeof(cmd));
    wr(&a, A_CMDQ_PROD, 5);

    cons = rd(&a, A_CMDQ_CONS);
    g_assert_cmpuint(cons & 0xfffff, ==, 4);
    g_assert_cmpuint(FIELD_EX32(cons, CMDQ_CONS, ERR), ==, CERROR_ABT);
    /* One call: both commands, then the host's CMD_SYNC */
    g_assert_cmpint(host_cmds(&a, cmds, ARRAY_SIZE(cmds)), ==, 3);
    g_assert_cmpuint(cmds[0][0] >> 48, ==, 5);
    g_assert_cmpuint(cmds[1][0] >> 48, ==, 6);
    g_assert_cmphex(cmds[2][0] & 0xff, ==, OP_CMD_SYNC);
    accel_stop(&a);
}

/*
 * The host refuses to move a device to the shared bypass HWPT: the guest
 * hears C_BAD_STE and the stream is aborted, not left on its stage 1.
 */
static void test_shared_hwpt_refused_aborts(void)
{
    Accel a;
    uint64_t evt[4], ste[4];
    uint32_t prod;
    int ats;

    if (!accel_start_s1(&a, "grace", "")) {
        return;
    }
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 7);
    prod = rd(&a, A_EVENTQ_PROD) & 0xff;
    g_assert_cmpint(hm_client_fail_nth(a.hm, "VFIO_DEVICE_ATTACH_IOMMUFD_PT",
                                       1, EIO), ==, 0);
    write_ste(&a, DEV_SID, 1 | (4 << 1), 0);
    cfgi_ste(&a, DEV_SID);
    g_assert_cmpuint(rd(&a, A_EVENTQ_PROD) & 0xff, ==, prod + 1);
    qtest_memread(a.qts, EVTQ + prod * 32, evt, sizeof(evt));
    g_assert_cmpuint(le64_to_cpu(evt[0]) & 0xff, ==, EVT_C_BAD_STE);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 0);
    accel_stop(&a);
}

static void test_transient_host_failure_invisible(void)
{
    Accel a;
    uint64_t cmds[16][2];
    long n;

    if (!accel_start_s1(&a, "grace", "")) {
        return;
    }
    /* A longer batch first: its third entry stays in the batch's memory */
    for (int i = 1; i <= 3; i++) {
        queue_cmd(&a, OP_TLBI_NH_ASID | (uint64_t)(0x40 + i) << 48, 0);
    }
    queue_cmd(&a, OP_CMD_SYNC, 0);
    kick(&a);
    hm_client_clear_cmds(a.hm, "smmu0");

    /*
     * One refusal, then the replay goes through: the guest sees nothing,
     * and the replay sends the batch's two commands, not what lies after
     */
    hm_client_fail_nth(a.hm, "IOMMU_HWPT_INVALIDATE", 1, EIO);
    queue_cmd(&a, OP_TLBI_NH_ALL, 0);
    queue_cmd(&a, OP_TLBI_NH_ASID | 3ULL << 48, 0);
    queue_cmd(&a, OP_CMD_SYNC, 0);
    kick(&a);
    g_assert_cmpuint(rd(&a, A_CMDQ_CONS), ==, a.prod);
    g_assert_cmpuint(rd(&a, A_GERROR), ==, 0);
    n = host_cmds(&a, cmds, ARRAY_SIZE(cmds));
    for (int i = 0; i < n; i++) {
        g_assert_cmphex(cmds[i][0] >> 48 & 0xff, !=, 0x43);
    }
    g_assert_cmpint(n, ==, 3);
    accel_stop(&a);
}

/*
 * CFGI_CD names a SubstreamID: below SMMU_IDR1.SSIDSIZE it goes to the
 * host as the guest wrote it; at 1 << SSIDSIZE it is CERROR_ILL, with no
 * host call (small: SSIDSIZE 10).  CFGI_CD_ALL has no SubstreamID.
 */
static void test_cfgi_cd_ssid_within_ssidsize(void)
{
    Accel a;
    uint64_t cmds[8][2];
    uint32_t cons;

    if (!accel_start_s1(&a, "small", "")) {
        return;
    }
    queue_cmd(&a, OP_CFGI_CD | (uint64_t)DEV_SID << 32 | 0x3ffULL << 12, 1);
    queue_cmd(&a, 0x06 | (uint64_t)DEV_SID << 32, 0);   /* CFGI_CD_ALL */
    queue_cmd(&a, OP_CMD_SYNC, 0);
    kick(&a);
    g_assert_cmpuint(rd(&a, A_CMDQ_CONS), ==, a.prod);
    g_assert_cmpint(host_cmds(&a, cmds, ARRAY_SIZE(cmds)), ==, 3);
    g_assert_cmphex((cmds[0][0] >> 12) & 0xfffff, ==, 0x3ff);
    g_assert_cmphex(cmds[1][0] & 0xff, ==, 0x06);

    hm_client_clear_cmds(a.hm, "smmu0");
    queue_cmd(&a, OP_CFGI_CD | (uint64_t)DEV_SID << 32 | 0x400ULL << 12, 1);
    queue_cmd(&a, OP_CMD_SYNC, 0);
    kick(&a);
    cons = rd(&a, A_CMDQ_CONS);
    g_assert_cmpuint(cons & 0xfffff, ==, a.prod - 2);
    g_assert_cmpuint(FIELD_EX32(cons, CMDQ_CONS, ERR), ==, CERROR_ILL);
    g_assert_cmpint(host_cmds(&a, cmds, ARRAY_SIZE(cmds)), ==, 0);
    accel_stop(&a);
}

static void test_cfgi_cd_before_ste_stays_local(void)
{
    Accel a;
    uint64_t cmds[16][2];

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    hm_client_clear_cmds(a.hm, "smmu0");
    /*
     * A driver writes a CD and sends CFGI_CD before the STE that uses it:
     * a stream with no vDEVICE (here 0x77, an emulated device's, say) has
     * nothing cached on the host, which would refuse the unknown vSID.
     * The assigned device's stream has one (enabling the SMMU gave it an
     * invalid STE), so its CFGI_CD goes.
     */
    queue_cmd(&a, OP_CFGI_CD | 0x77ULL << 32, 1);
    queue_cmd(&a, OP_CFGI_CD | (uint64_t)DEV_SID << 32, 1);
    queue_cmd(&a, OP_TLBI_NH_ALL, 0);
    queue_cmd(&a, OP_CMD_SYNC, 0);
    kick(&a);
    g_assert_cmpuint(rd(&a, A_CMDQ_CONS), ==, a.prod);
    g_assert_cmpuint(rd(&a, A_GERROR), ==, 0);
    g_assert_cmpint(host_cmds(&a, cmds, ARRAY_SIZE(cmds)), ==, 3);
    g_assert_cmphex(cmds[0][0] & 0xff, ==, OP_CFGI_CD);
    g_assert_cmphex(cmds[0][0] >> 32, ==, 0x100);
    g_assert_cmphex(cmds[1][0] & 0xff, ==, OP_TLBI_NH_ALL);
    accel_stop(&a);
}

static void test_malformed_command_no_host_call(void)
{
    Accel a;
    uint64_t cmds[16][2];
    uint32_t cons;

    if (!accel_start_s1(&a, "small", "")) {
        return;
    }

    /* A range invalidation (NUM=1) while SMMU_IDR3.RIL is 0 */
    queue_cmd(&a, OP_TLBI_NH_VA | 1ULL << 12, 0x1000 | 1 << 10);
    queue_cmd(&a, OP_CMD_SYNC, 0);
    kick(&a);
    cons = rd(&a, A_CMDQ_CONS);
    g_assert_cmpuint(FIELD_EX32(cons, CMDQ_CONS, ERR), ==, CERROR_ILL);
    g_assert_cmpint(host_cmds(&a, cmds, ARRAY_SIZE(cmds)), ==, 0);

    /*
     * Commands behind it, skip it, acknowledge, go: ASID[15:8] without
     * SMMU_IDR0.ASID16 is illegal too
     */
    a.prod = (cons & 0xfffff) + 1;
    queue_cmd(&a, OP_TLBI_NH_ASID | 0xffULL << 48, 0);
    queue_cmd(&a, OP_TLBI_NH_ASID | 0x100ULL << 48, 0);
    queue_cmd(&a, OP_CMD_SYNC, 0);
    wr(&a, A_CMDQ_CONS, (cons & 0xfffff) + 1);
    wr(&a, A_GERRORN, rd(&a, A_GERROR));
    kick(&a);
    cons = rd(&a, A_CMDQ_CONS);
    g_assert_cmpuint(FIELD_EX32(cons, CMDQ_CONS, ERR), ==, CERROR_ILL);
    g_assert_cmpuint(cons & 0xfffff, ==, a.prod - 2);
    /* The 8-bit one before it went through (the host adds its sync) */
    g_assert_cmpint(host_cmds(&a, cmds, ARRAY_SIZE(cmds)), ==, 2);
    g_assert_cmphex(cmds[0][0] & 0xff, ==, OP_TLBI_NH_ASID);
    g_assert_cmphex(cmds[0][0] >> 48, ==, 0xff);
    g_assert_cmphex(cmds[1][0] & 0xff, ==, OP_CMD_SYNC);
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
    g_assert_cmpint(count(&a, "VIOMMU"), ==, 0);
    accel_stop(&a);
}

static void test_gbpa_abort_reinstalls(void)
{
    Accel a;
    uint64_t ste[4];
    int ats;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    /* SMMU disabled, GBPA bypass (reset value): the host bypasses */
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 6);
    wr(&a, A_GBPA, R_GBPA_UPDATE_MASK | R_GBPA_ABORT_MASK);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 0);
    /* A write without UPDATE is ignored */
    wr(&a, A_GBPA, 0);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 0);
    accel_stop(&a);
}

static void test_smmuen_off_reinstalls(void)
{
    Accel a;
    uint64_t ste[4];
    int ats;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    write_ste(&a, DEV_SID, s1_ste0(), 0);
    cfgi_ste(&a, DEV_SID);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 7);
    /* SMMUEN cleared: GBPA (bypass) applies again at once */
    wr(&a, A_CR0, CR0_CMDQEN);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 6);
    g_assert_cmpint(count(&a, "HWPT_NESTED"), ==, 2);
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

/* Let QEMU's main loop read the host queue until EVENTQ_PROD moves */
static uint32_t wait_eventq_prod(Accel *a, uint32_t old)
{
    for (int i = 0; i < 2000; i++) {
        uint32_t prod = rd(a, A_EVENTQ_PROD);

        if (prod != old) {
            return prod;
        }
        g_usleep(1000);
    }
    return old;
}

static void test_host_event_relayed_with_vsid(Accel *a)
{
    uint64_t host_evt[4] = { EVT_F_TRANSLATION, 0, 0x1234000, 0 };
    uint64_t evt[4];
    uint32_t prod;

    prod = rd(a, A_EVENTQ_PROD);
    g_assert_cmpint(hm_client_inject_event(a->hm, "vfio0", host_evt, NULL),
                    ==, 0);
    prod = wait_eventq_prod(a, prod);
    g_assert_cmpuint(prod & 0xff, ==, 1);
    qtest_memread(a->qts, EVTQ, evt, sizeof(evt));
    g_assert_cmphex(le64_to_cpu(evt[0]) & 0xff, ==, EVT_F_TRANSLATION);
    /* The host SID (0x100) came back as the guest's StreamID */
    g_assert_cmphex(le64_to_cpu(evt[0]) >> 32, ==, DEV_SID);
    g_assert_cmphex(le64_to_cpu(evt[2]), ==, 0x1234000);
}

/* QEMU's CPU time (ms) over @ms of wall time in which the test waits */
static long cpu_ms_while_idle(Accel *a, unsigned ms)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/stat",
                                            qtest_pid(a->qts));
    long hz = sysconf(_SC_CLK_TCK), ticks[2];

    for (int i = 0; i < 2; i++) {
        g_autofree char *stat = NULL;
        unsigned long utime, stime;
        char *p;

        g_assert_true(g_file_get_contents(path, &stat, NULL, NULL));
        /* Fields 14 and 15, counted after the ")" ending the name */
        p = strrchr(stat, ')');
        g_assert_cmpint(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
                               "%*u %*u %lu %lu", &utime, &stime), ==, 2);
        ticks[i] = utime + stime;
        if (!i) {
            g_usleep(ms * 1000);
        }
    }
    return (ticks[1] - ticks[0]) * 1000 / hz;
}

static void test_events(void)
{
    Accel a;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    /* No event queue enabled: no vEVENTQ */
    g_assert_cmpint(count(&a, "VEVENTQ"), ==, 0);
    guest_enable(&a);
    g_assert_cmpint(count(&a, "VEVENTQ"), ==, 1);
    write_ste(&a, DEV_SID, s1_ste0(), 0);
    cfgi_ste(&a, DEV_SID);
    test_host_event_relayed_with_vsid(&a);

    /* The guest turns its event queue off: the vEVENTQ goes */
    wr(&a, A_CR0, CR0_SMMUEN | CR0_CMDQEN);
    g_assert_cmpint(count(&a, "VEVENTQ"), ==, 0);
    /* ... and its file leaves the main loop: QEMU idles, not spinning */
    g_assert_cmpint(cpu_ms_while_idle(&a, 500), <, 250);
    accel_stop(&a);
}

/*
 * The vEVENTQ is destroyed while another thread may still be in poll() on
 * its fd (the model holds each closed vEVENTQ file 30 ms, as the kernel
 * does for a concurrent poll): the destroy must wait for it, or the queue
 * leaks, the vIOMMU with it, and the guest's next event queue never comes
 * (the host allows one per vIOMMU).  Guest resets in a row keep host
 * events flowing, and nothing is left at exit.
 */
static void test_evtq_survives_reset_loop(void)
{
    Accel a;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    g_assert_cmpint(hm_client_command(a.hm, "veventq-hold 30"), ==, 0);
    for (int i = 0; i < 4; i++) {
        guest_enable(&a);
        write_ste(&a, DEV_SID, s1_ste0(), 0);
        cfgi_ste(&a, DEV_SID);
        g_assert_cmpint(count(&a, "VEVENTQ"), ==, 1);
        /* The event queue starts empty after a reset */
        wr(&a, A_EVENTQ_CONS, rd(&a, A_EVENTQ_PROD));
        test_host_event_relayed_with_vsid(&a);
        qtest_system_reset(a.qts);
        a.prod = 0;
        g_assert_cmpint(count(&a, "VEVENTQ"), ==, 0);
    }
    /* The destroys were refused while the file was held, then retried */
    a.destroy_errors_ok = model_destroy_errors(a.hm);
    g_assert_cmpuint(a.destroy_errors_ok, >, 0);
    accel_stop(&a);
}

static void test_host_overflow_sets_ovflg(void)
{
    Accel a;
    unsigned injected;
    uint32_t prod;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    write_ste(&a, DEV_SID, s1_ste0(), 0);
    cfgi_ste(&a, DEV_SID);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_EVENTQ_PROD), EVENTQ_PROD, OVFLG),
                     ==, 0);
    /* The host queue overflows before QEMU reads it */
    g_assert_cmpint(hm_client_overflow(a.hm, "vfio0", &injected), ==, 0);
    for (int i = 0; i < 2000; i++) {
        prod = rd(&a, A_EVENTQ_PROD);
        if (FIELD_EX32(prod, EVENTQ_PROD, OVFLG)) {
            break;
        }
        g_usleep(1000);
    }
    g_assert_cmpuint(FIELD_EX32(prod, EVENTQ_PROD, OVFLG), ==, 1);
    accel_stop(&a);
}

/* An emulated device (edu) next to the assigned one, in slot 3 */
#define EDU_SID         0x18
#define EDU_BAR         0x10000000ULL
#define ECAM            0x4010000000ULL
#define EDU_CFG(reg)    (ECAM + (EDU_SID << 12) + (reg))
#define EDU_DMA_SRC     0x80
#define EDU_DMA_DST     0x88
#define EDU_DMA_CNT     0x90
#define EDU_DMA_CMD     0x98
#define EDU_BUF         0x40000
#define PT_L1           0x40600000ULL
#define PT_L2           0x40601000ULL
#define PT_L3           0x40602000ULL
#define DATA_PA         0x40700000ULL
#define DMA_IOVA        0x100000ULL

static void wr64(Accel *a, uint64_t addr, uint64_t v)
{
    v = cpu_to_le64(v);
    qtest_memwrite(a->qts, addr, &v, sizeof(v));
}

/*
 * Stage-1 for edu: a CD with a 39-bit, 4K-granule table mapping DMA_IOVA
 * to DATA_PA; QEMU walks it, the host is not involved.
 */
static void edu_stage1(Accel *a)
{
    uint32_t cd[16] = { 0 };

    cd[0] = 25 | (1U << 30) | (1U << 31);       /* T0SZ, EPD1, V */
    /* IPS 48 bits, AArch64, R, A, ASID 1 */
    cd[1] = 5 | (1 << 9) | (1 << 13) | (1 << 14) | (1 << 16);
    cd[2] = (uint32_t)PT_L1;
    cd[3] = PT_L1 >> 32;
    for (int i = 0; i < 16; i++) {
        cd[i] = cpu_to_le32(cd[i]);
    }
    qtest_memwrite(a->qts, CDTAB + 0x1000, cd, sizeof(cd));
    wr64(a, PT_L1, PT_L2 | 3);
    wr64(a, PT_L2, PT_L3 | 3);
    /* Page, AF, AP=RW at all levels, inner shareable */
    wr64(a, PT_L3 + (DMA_IOVA >> 12) * 8, DATA_PA | (1 << 10) | (1 << 6) |
         (3 << 8) | 3);
    write_ste(a, EDU_SID, 1 | (5 << 1) | (CDTAB + 0x1000), 0);
    cfgi_ste(a, EDU_SID);
}

/* One edu DMA of 8 bytes; @to_ram: from its buffer to @iova, else back */
static bool edu_dma(Accel *a, uint64_t iova, bool to_ram)
{
    qtest_writeq(a->qts, EDU_BAR + EDU_DMA_SRC, to_ram ? EDU_BUF : iova);
    qtest_writeq(a->qts, EDU_BAR + EDU_DMA_DST, to_ram ? iova : EDU_BUF);
    qtest_writeq(a->qts, EDU_BAR + EDU_DMA_CNT, 8);
    qtest_writeq(a->qts, EDU_BAR + EDU_DMA_CMD, to_ram ? 3 : 1);
    /* edu runs its DMA from a 100 ms timer */
    qtest_clock_step(a->qts, 200 * 1000 * 1000);
    return !(qtest_readq(a->qts, EDU_BAR + EDU_DMA_CMD) & 1);
}

static void test_emulated_device_beside_accel(void)
{
    Accel a;
    uint64_t data = cpu_to_le64(0x1122334455667788ULL), evt[4];
    g_autofree char *devs = g_strdup_printf("%s -device edu,bus=pcie.0,"
                                            "addr=3.0", vfio_dev);

    if (!accel_start_dev(&a, "grace", "", devs)) {
        return;
    }
    /* BAR0 and bus mastering, as firmware would */
    qtest_writel(a.qts, EDU_CFG(0x10), EDU_BAR);
    qtest_writew(a.qts, EDU_CFG(0x04), 0x6);
    guest_enable(&a);
    edu_stage1(&a);
    qtest_memwrite(a.qts, DATA_PA, &data, sizeof(data));

    /* Translated by QEMU's emulated stage 1, not by the host */
    g_assert_true(edu_dma(&a, DMA_IOVA, false));
    g_assert_true(edu_dma(&a, DMA_IOVA + 0x100, true));
    g_assert_cmphex(qtest_readq(a.qts, DATA_PA + 0x100), ==,
                    0x1122334455667788ULL);
    /* Nothing of edu reached the host: still one device's vDEVICE */
    g_assert_cmpint(count(&a, "VDEVICE"), ==, 1);

    /* An unmapped IOVA faults into the guest event queue */
    edu_dma(&a, DMA_IOVA + 0x1000, false);
    g_assert_cmpuint(rd(&a, A_EVENTQ_PROD) & 0xff, >=, 1);
    qtest_memread(a.qts, EVTQ, evt, sizeof(evt));
    g_assert_cmphex(le64_to_cpu(evt[0]) & 0xff, ==, EVT_F_TRANSLATION);
    g_assert_cmphex(le64_to_cpu(evt[0]) >> 32, ==, EDU_SID);
    accel_stop(&a);
}

/* e1000e in slot 4 of pcie.0: StreamID 0x20, TX registers of BAR0 */
#define E1000E_SID      0x20
#define E1000E_BAR      0x10100000ULL
#define E1000E_CFG(reg) (ECAM + (E1000E_SID << 12) + (reg))
#define E1000E_TCTL     0x0400
#define E1000E_TDBAL    0x3800
#define E1000E_TDLEN    0x3808
#define E1000E_TDT      0x3818

/*
 * A guest aims a CMD_SYNC's completion MSI at a device that does DMA
 * through this SMMU as it is written (e1000e's TX tail): the write must
 * come after the SMMU lets go of its lock, or QEMU deadlocks.
 */
static void test_sync_msi_into_dma_device(void)
{
    Accel a;
    g_autofree char *devs = g_strdup_printf("%s -device e1000e,bus=pcie.0,"
                                            "addr=4.0,romfile=", vfio_dev);

    if (!accel_start_dev(&a, "grace", "", devs)) {
        return;
    }
    qtest_writel(a.qts, E1000E_CFG(0x10), E1000E_BAR);
    qtest_writew(a.qts, E1000E_CFG(0x04), 0x6);
    qtest_writel(a.qts, E1000E_BAR + E1000E_TDBAL, CDTAB + 0x10000);
    qtest_writel(a.qts, E1000E_BAR + E1000E_TDLEN, 4096);
    qtest_writel(a.qts, E1000E_BAR + E1000E_TCTL, 0x2);
    guest_enable(&a);

    queue_cmd(&a, OP_CMD_SYNC | SYNC_CS_IRQ | 1ULL << 32,
              E1000E_BAR + E1000E_TDT);
    kick(&a);
    g_assert_cmpuint(rd(&a, A_CMDQ_CONS), ==, a.prod);
    g_assert_cmpuint(qtest_readl(a.qts, E1000E_BAR + E1000E_TDT), ==, 1);
    accel_stop(&a);
}

/* ich9-ahci in slot 5 of pcie.0 (StreamID 0x28) with a disk on port 0 */
#define AHCI_SID        0x28
#define AHCI_CFG(reg)   (ECAM + (AHCI_SID << 12) + (reg))
#define AHCI_BAR        0x10200000ULL
#define AHCI_PORT0      (AHCI_BAR + 0x100)
#define AHCI_CLB        0x40a00000ULL
#define AHCI_FB         0x40a01000ULL
#define AHCI_CTBA       0x40a02000ULL
#define AHCI_DEVS       " -device ich9-ahci,id=ahci0,bus=pcie.0,addr=5.0"    \
                        " -blockdev null-co,node-name=null0"                 \
                        " -device ide-hd,drive=null0,bus=ahci0.0"

/* AHCI enabled, port 0 running with a command list (mapped at once) */
static void ahci_start_port0(Accel *a)
{
    uint32_t hdr[8] = { 0 };

    qtest_writel(a->qts, AHCI_CFG(0x24), AHCI_BAR);
    qtest_writew(a->qts, AHCI_CFG(0x04), 0x6);
    qtest_writel(a->qts, AHCI_BAR + 0x04, 1U << 31);
    /* Every slot's header points at a command table in RAM */
    hdr[0] = cpu_to_le32(5);
    hdr[2] = cpu_to_le32((uint32_t)AHCI_CTBA);
    for (int slot = 0; slot < 32; slot++) {
        qtest_memwrite(a->qts, AHCI_CLB + slot * 32, hdr, sizeof(hdr));
    }
    qtest_writel(a->qts, AHCI_PORT0 + 0x00, AHCI_CLB);
    qtest_writel(a->qts, AHCI_PORT0 + 0x08, AHCI_FB);
    qtest_writel(a->qts, AHCI_PORT0 + 0x18, (1 << 4) | 1);
}

/*
 * A guest aims its event queue at an emulated DMA device behind this
 * SMMU (AHCI port 0 + 0x20, so that an event's word 6 lands on PxCI and
 * issues commands, whose DMA the SMMU translates), then has the accel
 * install fail on an unreadable stream table (F_STE_FETCH) from a
 * CFGI_STE.  The event must be written out of the SMMU's lock, or QEMU
 * deadlocks.
 */
static void test_event_into_dma_device(void)
{
    Accel a;
    g_autofree char *devs = g_strdup_printf("%s%s", vfio_dev, AHCI_DEVS);

    if (!accel_start_dev(&a, "grace", "", devs)) {
        return;
    }
    ahci_start_port0(&a);
    guest_enable(&a);
    smmuv3_qtest_watchdog(60);
    /*
     * Unassigned memory: word 6 of F_STE_FETCH is its low bits (0x200).
     * The queue (64-byte aligned) starts on port 0, and its slot 1, where
     * the guest set PROD, is at +0x20.
     */
    wrq(&a, A_STRTAB_BASE, 0x5000000000ULL);
    wrq(&a, A_EVENTQ_BASE, AHCI_PORT0 | 1);
    wr(&a, A_EVENTQ_PROD, 1);
    wr(&a, A_EVENTQ_CONS, 1);
    queue_cmd(&a, OP_CFGI_STE | (uint64_t)DEV_SID << 32, 1);
    queue_cmd(&a, OP_CMD_SYNC, 0);
    kick(&a);
    g_assert_cmpuint(rd(&a, A_CMDQ_CONS), ==, a.prod);
    /* The event reached the device: slot 9 was issued */
    g_assert_cmphex(qtest_readl(a.qts, AHCI_PORT0 + 0x38) & BIT(9), ==,
                    BIT(9));
    smmuv3_qtest_watchdog(0);
    accel_stop(&a);
}

static QDict *query_one(Accel *a)
{
    QDict *rsp = qtest_qmp(a->qts, "{ 'execute': 'x-query-smmuv3-accel' }");
    QList *list = qdict_get_qlist(rsp, "return");
    QDict *info;

    g_assert_cmpint(qlist_size(list), ==, 1);
    info = qobject_to(QDict, qlist_peek(list));
    qobject_ref(info);
    qobject_unref(rsp);
    return info;
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

static void test_ste_two_level_table(void)
{
    Accel a;
    uint64_t l1 = cpu_to_le64((STRTAB + 0x10000) | 9);
    uint64_t ste[4];
    int ats;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    /* 2-level: SPLIT 8, 256 STEs per level-2 table; SID 8 is in the first */
    wrq(&a, A_STRTAB_BASE, STRTAB);
    wr(&a, A_STRTAB_BASE_CFG, (1 << 16) | (8 << 6) | 16);
    wrq(&a, A_CMDQ_BASE, CMDQ | QLOG2);
    wrq(&a, A_EVENTQ_BASE, EVTQ | QLOG2);
    qtest_memwrite(a.qts, STRTAB, &l1, sizeof(l1));
    {
        uint64_t w[8] = { cpu_to_le64(s1_ste0()) };

        qtest_memwrite(a.qts, STRTAB + 0x10000 + DEV_SID * 64, w, sizeof(w));
    }
    wr(&a, A_CR0, CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 7);
    g_assert_cmphex(ste[0] & ~0xfULL, ==, s1_ste0() & ~0xfULL);
    accel_stop(&a);
}

static void test_nested_hwpt_refused_by_host(void)
{
    Accel a;
    uint64_t evt[4], ste[4];
    int ats;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    /* The host refuses the device's stage-1 HWPT */
    hm_client_fail_nth(a.hm, "IOMMU_HWPT_ALLOC", 1, EIO);
    write_ste(&a, DEV_SID, s1_ste0(), 0);
    cfgi_ste(&a, DEV_SID);
    /* The guest hears C_BAD_STE; the stream is blocked, not left stale */
    g_assert_cmpuint(rd(&a, A_EVENTQ_PROD) & 0xff, ==, 1);
    qtest_memread(a.qts, EVTQ, evt, sizeof(evt));
    g_assert_cmpuint(le64_to_cpu(evt[0]) & 0xff, ==, EVT_C_BAD_STE);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 0);
    /* The guest tries again and the host accepts */
    cfgi_ste(&a, DEV_SID);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 7);
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

/* A random command, mostly of the kinds the accel path looks at */
static void random_cmd(uint64_t cmd[2])
{
    static const uint8_t ops[] = {
        OP_CFGI_STE, 0x04, OP_CFGI_CD, 0x06, OP_TLBI_NH_ALL, OP_TLBI_NH_ASID,
        OP_TLBI_NH_VA, 0x13, 0x30, 0x40, 0x28, 0x2a, OP_CMD_SYNC,
    };
    uint64_t w0 = (uint64_t)g_test_rand_int() << 32 | g_test_rand_int();

    cmd[0] = (w0 & ~0xffULL) |
             (g_test_rand_int_range(0, 8) ? ops[g_test_rand_int_range(0,
                                                 ARRAY_SIZE(ops))]
                                          : g_test_rand_int_range(0, 256));
    cmd[1] = (uint64_t)g_test_rand_int() << 32 | g_test_rand_int();
    if (g_test_rand_bit()) {
        /* Aim at the assigned device now and then */
        cmd[0] = (cmd[0] & 0xffffffffULL) | (uint64_t)DEV_SID << 32;
    }
}

static void test_hostile_guest(void)
{
    Accel a;
    uint32_t cons;
    QDict *info;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    for (int round = 0; round < 200; round++) {
        uint64_t w0 = (uint64_t)g_test_rand_int() << 32 | g_test_rand_int();
        uint64_t w1 = (uint64_t)g_test_rand_int() << 32 | g_test_rand_int();
        int n = g_test_rand_int_range(1, 12);

        /* Garbage STE, often valid with a random Config */
        write_ste(&a, DEV_SID, g_test_rand_bit() ? w0 | 1 : w0, w1);
        for (int i = 0; i < n; i++) {
            uint64_t cmd[2];

            random_cmd(cmd);
            queue_cmd(&a, cmd[0], cmd[1]);
        }
        kick(&a);
        cons = rd(&a, A_CMDQ_CONS);
        if (FIELD_EX32(rd(&a, A_GERROR), GERROR, CMDQ_ERR) !=
            FIELD_EX32(rd(&a, 0x64), GERROR, CMDQ_ERR)) {
            /* Acknowledge, skip the bad command, carry on */
            a.prod = (cons & 0xfffff) & ((2 << QLOG2) - 1);
            wr(&a, 0x64, rd(&a, A_GERROR));
            wr(&a, A_CMDQ_CONS, a.prod);
        }
        if (!g_test_rand_int_range(0, 20)) {
            wr(&a, A_GBPA, g_test_rand_int());
            wr(&a, A_CR0, g_test_rand_int() & 0xd);
            wr(&a, A_CR0, CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN);
        }
    }
    /* Still answering, both paths exercised, nothing left behind at exit */
    info = query_one(&a);
    g_test_message("forwarded %" PRId64 " in %" PRId64 " batches, %" PRId64
                   " STEs refused, %" PRId64 " host errors",
                   qdict_get_int(info, "commands-forwarded"),
                   qdict_get_int(info, "batches"),
                   qdict_get_int(info, "bad-stes"),
                   qdict_get_int(info, "host-errors"));
    g_assert_cmpint(qdict_get_int(info, "commands-forwarded"), >, 0);
    g_assert_cmpint(qdict_get_int(info, "bad-stes"), >, 0);
    qobject_unref(info);
    accel_stop(&a);
}

/* The assigned device's config space, through ECAM */
#define DEV_CFG(reg)    (ECAM + (DEV_SID << 12) + (reg))
#define DEV_BAR         0x11000000ULL
#define MSI_IOVA        0x8000000ULL
#define MSI_PAGE        0x40800000ULL

static uint8_t find_cap(Accel *a, uint8_t id)
{
    uint8_t cap = qtest_readb(a->qts, DEV_CFG(0x34));

    while (cap && qtest_readb(a->qts, DEV_CFG(cap)) != id) {
        cap = qtest_readb(a->qts, DEV_CFG(cap + 1));
    }
    g_assert_cmpuint(cap, !=, 0);
    return cap;
}

/*
 * The assigned device with MSI-X enabled, SMMU on, and a stage 1 mapping
 * its MSI IOVA page to a RAM page standing in for the doorbell (so that
 * the translated write can be seen).  Returns the MSI-X table's address.
 */
static uint64_t msix_stage1(Accel *a)
{
    uint32_t cd[16] = { 0 }, table;
    uint8_t msix;

    /* BAR0 (64-bit), memory decoding and bus mastering */
    qtest_writel(a->qts, DEV_CFG(0x10), DEV_BAR);
    qtest_writel(a->qts, DEV_CFG(0x14), 0);
    qtest_writew(a->qts, DEV_CFG(0x04), 0x6);
    guest_enable(a);

    cd[0] = 25 | (1U << 30) | (1U << 31);
    cd[1] = 5 | (1 << 9) | (1 << 13) | (1 << 14) | (2 << 16);
    cd[2] = (uint32_t)PT_L1;
    for (int i = 0; i < 16; i++) {
        cd[i] = cpu_to_le32(cd[i]);
    }
    qtest_memwrite(a->qts, CDTAB, cd, sizeof(cd));
    wr64(a, PT_L1, PT_L2 | 3);
    wr64(a, PT_L2 + (MSI_IOVA >> 21) * 8, PT_L3 | 3);
    wr64(a, PT_L3, MSI_PAGE | (1 << 10) | (1 << 6) | (3 << 8) | 3);
    write_ste(a, DEV_SID, s1_ste0(), 0);
    cfgi_ste(a, DEV_SID);

    msix = find_cap(a, 0x11);
    table = qtest_readl(a->qts, DEV_CFG(msix + 4));
    g_assert_cmpuint(table & 7, ==, 0);
    g_assert_cmpuint(qtest_readw(a->qts, DEV_CFG(msix + 2)) & 0x7ff, >=, 1);
    qtest_writew(a->qts, DEV_CFG(msix + 2), 1 << 15);
    return DEV_BAR + table;
}

/* MSI-X vector @n: @addr and @data, unmasked */
static void msix_vector(Accel *a, uint64_t table, int n, uint64_t addr,
                        uint32_t data)
{
    qtest_writel(a->qts, table + n * 16 + 0, addr);
    qtest_writel(a->qts, table + n * 16 + 4, addr >> 32);
    qtest_writel(a->qts, table + n * 16 + 8, data);
    qtest_writel(a->qts, table + n * 16 + 12, 0);
}

/* Wait for @data at @addr (an MSI QEMU delivers from its main loop) */
static uint32_t wait_word(Accel *a, uint64_t addr, uint32_t data)
{
    uint32_t got = 0;

    for (int i = 0; i < 2000 && got != data; i++) {
        g_usleep(1000);
        got = qtest_readl(a->qts, addr);
    }
    return got;
}

static void test_msi_translated_through_guest_s1(void)
{
    Accel a;
    uint64_t table;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    table = msix_stage1(&a);
    msix_vector(&a, table, 0, MSI_IOVA + 0x40, 0x1234);

    /* The host signals the vector; QEMU delivers through the guest's S1 */
    g_assert_cmpint(hm_client_signal_msi(a.hm, "vfio0", 0), ==, 0);
    g_assert_cmphex(wait_word(&a, MSI_PAGE + 0x40, 0x1234), ==, 0x1234);
    accel_stop(&a);
}

/*
 * QEMU's walk of an assigned device's MSI doorbell is a lookup, not a
 * transaction of the device: an IOVA the guest did not map (a vector it
 * tears down, say) gives no F_TRANSLATION in the guest's event log.
 */
static void test_msi_lookup_records_no_event(void)
{
    Accel a;
    uint64_t table;
    uint32_t prod;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    table = msix_stage1(&a);
    prod = rd(&a, A_EVENTQ_PROD);
    msix_vector(&a, table, 0, MSI_IOVA + 0x1000, 0x1111);
    msix_vector(&a, table, 1, MSI_IOVA + 0x40, 0x2222);
    g_assert_cmpint(hm_client_signal_msi(a.hm, "vfio0", 0), ==, 0);
    g_assert_cmpint(hm_client_signal_msi(a.hm, "vfio0", 1), ==, 0);
    /* Vector 1 arrived, so vector 0 was looked up before it */
    g_assert_cmphex(wait_word(&a, MSI_PAGE + 0x40, 0x2222), ==, 0x2222);
    g_usleep(50 * 1000);
    g_assert_cmphex(rd(&a, A_EVENTQ_PROD), ==, prod);
    accel_stop(&a);
}

/*
 * Events come from transactions and commands only.  Enabling the SMMU
 * with the assigned stream beyond the stream table (a device-tree guest's
 * small table) or with a bad STE, and writing CR0 and GBPA again, write
 * nothing into the event queue; a CFGI_STE of the stream reports it.
 */
static void test_no_event_without_command(void)
{
    Accel a;
    uint64_t evt[4], ste[4];
    int ats;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    wrq(&a, A_STRTAB_BASE, STRTAB);
    wr(&a, A_STRTAB_BASE_CFG, 3);
    wrq(&a, A_CMDQ_BASE, CMDQ | QLOG2);
    wrq(&a, A_EVENTQ_BASE, EVTQ | QLOG2);
    wr(&a, A_CR0, CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN);
    g_assert_cmphex(rd(&a, A_EVENTQ_PROD), ==, 0);
    /* Beyond the table: aborted on the host */
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 0);

    /* Config=stage-2 (never offered), installed by register writes */
    write_ste(&a, DEV_SID, 1 | (6 << 1) | CDTAB, 0);
    wr(&a, A_CR0, CR0_EVENTQEN | CR0_CMDQEN);
    wr(&a, A_STRTAB_BASE_CFG, QLOG2);
    wr(&a, A_CR0, CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN);
    wr(&a, A_CR0, CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN);
    g_assert_cmphex(rd(&a, A_EVENTQ_PROD), ==, 0);

    cfgi_ste(&a, DEV_SID);
    g_assert_cmphex(rd(&a, A_EVENTQ_PROD), ==, 1);
    qtest_memread(a.qts, EVTQ, evt, sizeof(evt));
    g_assert_cmphex(le64_to_cpu(evt[0]) & 0xff, ==, EVT_C_BAD_STE);
    accel_stop(&a);
}

/*
 * IDR0.MSI: the event queue and global error interrupts are MSIs once
 * their IRQ_CFG0 has an address; a write that aborts is reported in
 * GERROR (MSI_EVENTQ_ABT_ERR, MSI_CMDQ_ABT_ERR).
 */
static void test_evtq_gerror_msis(void)
{
    const uint64_t evtq_msi = CDTAB + 0x9000, gerror_msi = CDTAB + 0x9010;
    const uint64_t nowhere = 0x5000000000ULL, sync_msi = CDTAB + 0x9020;
    Accel a;
    uint32_t gerror;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    wrq(&a, A_EVENTQ_IRQ_CFG0, evtq_msi);
    wr(&a, A_EVENTQ_IRQ_CFG1, 0xe0e0);
    wrq(&a, A_GERROR_IRQ_CFG0, gerror_msi);
    wr(&a, A_GERROR_IRQ_CFG1, 0x9e9e);
    wr(&a, A_IRQ_CTRL, R_IRQ_CTRL_GERROR_IRQEN_MASK |
       R_IRQ_CTRL_EVENTQ_IRQEN_MASK);

    /* An event (a refused STE) sends the event queue's MSI */
    write_ste(&a, DEV_SID, 1 | (6 << 1) | CDTAB, 0);
    cfgi_ste(&a, DEV_SID);
    g_assert_cmphex(qtest_readl(a.qts, evtq_msi), ==, 0xe0e0);

    /* A command error sends the global error MSI */
    queue_cmd(&a, 0x7f, 0);
    kick(&a);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_GERROR), GERROR, CMDQ_ERR), ==, 1);
    g_assert_cmphex(qtest_readl(a.qts, gerror_msi), ==, 0x9e9e);
    cmdq_resume(&a);

    /* MSIs to nowhere abort: reported, and nothing else breaks */
    wrq(&a, A_EVENTQ_IRQ_CFG0, nowhere);
    qtest_writel(a.qts, gerror_msi, 0);
    cfgi_ste(&a, DEV_SID);
    gerror = rd(&a, A_GERROR) ^ rd(&a, A_GERRORN);
    g_assert_cmpuint(FIELD_EX32(gerror, GERROR, MSI_EVENTQ_ABT_ERR), ==, 1);
    g_assert_cmphex(qtest_readl(a.qts, gerror_msi), ==, 0x9e9e);
    wr(&a, A_GERRORN, rd(&a, A_GERROR));

    qtest_writel(a.qts, sync_msi, 0);
    queue_cmd(&a, OP_CMD_SYNC | SYNC_CS_IRQ | 0x77ULL << 32, nowhere);
    queue_cmd(&a, OP_CMD_SYNC | SYNC_CS_IRQ | 0x78ULL << 32, sync_msi);
    kick(&a);
    g_assert_cmpuint(rd(&a, A_CMDQ_CONS) & 0xfffff, ==, a.prod);
    gerror = rd(&a, A_GERROR) ^ rd(&a, A_GERRORN);
    g_assert_cmpuint(FIELD_EX32(gerror, GERROR, MSI_CMDQ_ABT_ERR), ==, 1);
    g_assert_cmphex(qtest_readl(a.qts, sync_msi), ==, 0x78);
    accel_stop(&a);
}

/*
 * The guest was told there is no stall.  On a host that can stall (grace,
 * STALL_MODEL=0) S1STALLD reaches it set, so that no CD.S makes the
 * device stall; on one that cannot (small) the bit is RES0.
 */
static void test_ste_s1stalld_follows_host(void)
{
    static const struct {
        const char *profile;
        uint64_t guest_ste1, host_ste1;
    } cases[] = {
        { "grace", 0, BIT_ULL(27) },
        { "grace", BIT_ULL(27), BIT_ULL(27) },
        { "small", BIT_ULL(27), 0 },
        { "small", 0, 0 },
    };

    for (int i = 0; i < ARRAY_SIZE(cases); i++) {
        Accel a;
        uint64_t ste[4];
        int ats;

        if (!accel_start(&a, cases[i].profile, "")) {
            return;
        }
        guest_enable(&a);
        write_ste(&a, DEV_SID, s1_ste0(), cases[i].guest_ste1);
        cfgi_ste(&a, DEV_SID);
        g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
        g_assert_cmphex((ste[0] >> 1) & 7, ==, 7);
        g_assert_cmphex(ste[1] & BIT_ULL(27), ==, cases[i].host_ste1);
        accel_stop(&a);
    }
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
    qtest_add_func("/arm-smmuv3-accel/idr/property-host-cannot-honour",
                   test_property_host_cannot_honour);
    qtest_add_func("/arm-smmuv3-accel/host/viommu-refused-cannot-nest",
                   test_viommu_refused_host_cannot_nest);
    qtest_add_func("/arm-smmuv3-accel/props/vfio-before-smmu-refused",
                   test_vfio_before_smmu_refused);
    qtest_add_func("/arm-smmuv3-accel/props/rejects-stage2",
                   test_accel_rejects_stage2);
    qtest_add_func("/arm-smmuv3-accel/host/objects-at-plug",
                   test_host_objects_at_plug);
    qtest_add_func("/arm-smmuv3-accel/ste/s1-installs-masked-nested-hwpt",
                   test_ste_s1_installs_masked_nested_hwpt);
    qtest_add_func("/arm-smmuv3-accel/ste/every-bit", test_ste_every_bit);
    qtest_add_func("/arm-smmuv3-accel/ste/abort-and-other-sid",
                   test_ste_abort_and_other_sid);
    qtest_add_func("/arm-smmuv3-accel/ste/illegal-fields",
                   test_ste_illegal_fields);
    qtest_add_func("/arm-smmuv3-accel/ste/bad-ste-event-no-host-call",
                   test_bad_ste_event_no_host_call);
    qtest_add_func("/arm-smmuv3-accel/cmdq/one-ordered-batch",
                   test_invalidations_one_ordered_batch);
    qtest_add_func("/arm-smmuv3-accel/ste/shared-hwpt-refused-aborts",
                   test_shared_hwpt_refused_aborts);
    qtest_add_func("/arm-smmuv3-accel/cmdq/res0-bits-stripped",
                   test_res0_bits_stripped);
    qtest_add_func("/arm-smmuv3-accel/cmdq/sync-irq-without-address",
                   test_sync_irq_without_address);
    qtest_add_func("/arm-smmuv3-accel/cmdq/sync-msi-completion",
                   test_sync_msi_completion);
    qtest_add_func("/arm-smmuv3-accel/hostile/sync-msi-into-dma-device",
                   test_sync_msi_into_dma_device);
    qtest_add_func("/arm-smmuv3-accel/cmdq/forwarding-off-drops",
                   test_forwarding_off_drops);
    qtest_add_func("/arm-smmuv3-accel/cmdq/host-failure-exact-command",
                   test_host_failure_at_exact_command);
    qtest_add_func("/arm-smmuv3-accel/cmdq/transient-host-failure-invisible",
                   test_transient_host_failure_invisible);
    qtest_add_func("/arm-smmuv3-accel/cmdq/cfgi-cd-ssid-within-ssidsize",
                   test_cfgi_cd_ssid_within_ssidsize);
    qtest_add_func("/arm-smmuv3-accel/cmdq/cfgi-cd-before-ste-stays-local",
                   test_cfgi_cd_before_ste_stays_local);
    qtest_add_func("/arm-smmuv3-accel/cmdq/malformed-no-host-call",
                   test_malformed_command_no_host_call);
    qtest_add_func("/arm-smmuv3-accel/idr/baseline-without-device",
                   test_idr_baseline_without_device);
    qtest_add_func("/arm-smmuv3-accel/ste/gbpa-abort-reinstalls",
                   test_gbpa_abort_reinstalls);
    qtest_add_func("/arm-smmuv3-accel/ste/smmuen-off-reinstalls",
                   test_smmuen_off_reinstalls);
    qtest_add_func("/arm-smmuv3-accel/props/migration-blocked",
                   test_migration_blocked);
    qtest_add_func("/arm-smmuv3-accel/evtq/relay-and-free", test_events);
    qtest_add_func("/arm-smmuv3-accel/evtq/survives-reset-loop",
                   test_evtq_survives_reset_loop);
    qtest_add_func("/arm-smmuv3-accel/evtq/host-overflow-sets-ovflg",
                   test_host_overflow_sets_ovflg);
    qtest_add_func("/arm-smmuv3-accel/emulated/device-beside-accel",
                   test_emulated_device_beside_accel);
    qtest_add_func("/arm-smmuv3-accel/query/reports-state",
                   test_query_reports_state);
    qtest_add_func("/arm-smmuv3-accel/ste/two-level-table",
                   test_ste_two_level_table);
    qtest_add_func("/arm-smmuv3-accel/ste/nested-hwpt-refused-by-host",
                   test_nested_hwpt_refused_by_host);
    qtest_add_func("/arm-smmuv3-accel/idr/ats-follows-host",
                   test_idr_ats_follows_host);
    qtest_add_func("/arm-smmuv3-accel/hostile/random-stes-and-commands",
                   test_hostile_guest);
    qtest_add_func("/arm-smmuv3-accel/msi/translated-through-guest-s1",
                   test_msi_translated_through_guest_s1);
    qtest_add_func("/arm-smmuv3-accel/msi/lookup-records-no-event",
                   test_msi_lookup_records_no_event);
    qtest_add_func("/arm-smmuv3-accel/msi/evtq-gerror-msis",
                   test_evtq_gerror_msis);
    qtest_add_func("/arm-smmuv3-accel/evtq/no-event-without-command",
                   test_no_event_without_command);
    qtest_add_func("/arm-smmuv3-accel/ste/s1stalld-follows-host",
                   test_ste_s1stalld_follows_host);
    qtest_add_func("/arm-smmuv3-accel/cmdq/host-failure-stops-sync-and-ste",
                   test_host_failure_stops_sync_and_ste);
    qtest_add_func("/arm-smmuv3-accel/cmdq/host-failure-in-full-batch",
                   test_host_failure_in_full_batch);
    qtest_add_func("/arm-smmuv3-accel/cmdq/queue-abort-sends-what-precedes",
                   test_queue_abort_sends_what_precedes);
    qtest_add_func("/arm-smmuv3-accel/hostile/event-into-dma-device",
                   test_event_into_dma_device);
    return g_test_run();
}
