/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The harness of the arm-smmuv3,accel=on qtests against the host kernel
 * model (tests/hostmodel), one program an area (arm-smmuv3-accel-test.c,
 * -ste-, -cmdq-, -evtq-, -msi- and -emulated-test.c): the SMMU registers
 * and guest memory layout they use, QEMU started on the model with one
 * assigned device and stopped with no host object left behind, register
 * and guest memory access, STE and command queue helpers, the QMP query.
 *
 * The tests need HOSTMODEL_LIB (libhostmodel.so) and HOSTMODEL_DIR (the
 * directory of the model's sources and profiles); skipped without them.
 */

#ifndef ARM_SMMUV3_ACCEL_HARNESS_H
#define ARM_SMMUV3_ACCEL_HARNESS_H

#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "arm-smmuv3-qtest.h"
#include "arm-smmuv3-accel-model.h"

/* The SMMUv3 registers beyond the ID ones (arm-smmuv3-qtest.h) */
REG32(CR0, 0x20)
REG32(GBPA, 0x44)
    FIELD(GBPA, ABORT,      20, 1)
    FIELD(GBPA, UPDATE,     31, 1)
REG32(IRQ_CTRL, 0x50)
    FIELD(IRQ_CTRL, GERROR_IRQEN, 0, 1)
    FIELD(IRQ_CTRL, EVENTQ_IRQEN, 2, 1)
REG32(GERROR, 0x60)
    FIELD(GERROR, CMDQ_ERR,  0, 1)
    FIELD(GERROR, EVENTQ_ABT_ERR, 2, 1)
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
/* A stage-1 page table the tests build: one table a level, 4K granule */
#define PT_L1           0x40600000ULL
#define PT_L2           0x40601000ULL
#define PT_L3           0x40602000ULL
/* The config space of the devices on pcie.0 */
#define ECAM            0x4010000000ULL
/* virt's flash0 at 0: its command register is anywhere in it */
#define FLASH_CMD       0x100ULL
/* What one pass of the SMMU may take: a few flash mode flips, no more */
#define PASS_MEM_KB     (32 * 1024)

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

static inline const char *hostmodel_lib(void)
{
    return g_getenv("HOSTMODEL_LIB");
}

/* The QEMU command prefix that runs it on the model */
static inline char *model_prefix(Accel *a, const char *profile)
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

static inline bool accel_start_dev(Accel *a, const char *profile,
                                   const char *opts, const char *dev)
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

static inline bool accel_start(Accel *a, const char *profile, const char *opts)
{
    return accel_start_dev(a, profile, opts, vfio_dev);
}

/* Quit QEMU and check the model saw no object of ours left behind */
static inline void accel_stop(Accel *a)
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
    model_dir_free(a->dir);
}

static inline int count(Accel *a, const char *type)
{
    int n = hm_client_count_objects(a->hm, type);

    g_assert_cmpint(n, >=, 0);
    return n;
}

static inline uint32_t rd(Accel *a, uint32_t off)
{
    return qtest_readl(a->qts, a->base + off);
}

static inline void wr(Accel *a, uint32_t off, uint32_t v)
{
    qtest_writel(a->qts, a->base + off, v);
}

static inline void wrq(Accel *a, uint32_t off, uint64_t v)
{
    wr(a, off, v);
    wr(a, off + 4, v >> 32);
}

static inline void write_ste(Accel *a, uint32_t sid, uint64_t w0, uint64_t w1)
{
    uint64_t ste[8] = { cpu_to_le64(w0), cpu_to_le64(w1) };

    qtest_memwrite(a->qts, STRTAB + sid * 64, ste, sizeof(ste));
}

/* A STE the host refuses: each CFGI_STE of it records C_BAD_STE */
static inline void write_bad_ste(Accel *a)
{
    write_ste(a, DEV_SID, 1 | (6 << 1) | CDTAB, 0);
}

static inline uint64_t s1_ste0(void)
{
    /* V, Config=stage-1 translate, S1ContextPtr */
    return 1 | (5 << 1) | CDTAB;
}

/* Linear stream table, command and event queues, SMMU enabled */
static inline void guest_enable(Accel *a)
{
    wrq(a, A_STRTAB_BASE, STRTAB);
    wr(a, A_STRTAB_BASE_CFG, QLOG2);
    wrq(a, A_CMDQ_BASE, CMDQ | QLOG2);
    wrq(a, A_EVENTQ_BASE, EVTQ | QLOG2);
    wr(a, A_CR0, CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN);
}

/*
 * Both queues moved and emptied, the SMMU left on: 2^@cq_log2 commands at
 * @cq (queue_cmd() writes at CMDQ), 2^@eq_log2 events at @eq
 */
static inline void queues_at(Accel *a, uint64_t cq, unsigned cq_log2,
                             uint64_t eq, unsigned eq_log2)
{
    a->qlog2 = cq_log2;
    a->prod = 0;
    wr(a, A_CR0, CR0_SMMUEN);
    wrq(a, A_CMDQ_BASE, cq | cq_log2);
    wr(a, A_CMDQ_PROD, 0);
    wr(a, A_CMDQ_CONS, 0);
    wrq(a, A_EVENTQ_BASE, eq | eq_log2);
    wr(a, A_EVENTQ_PROD, 0);
    wr(a, A_EVENTQ_CONS, 0);
    wr(a, A_CR0, CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN);
}

static inline void queue_cmd(Accel *a, uint64_t w0, uint64_t w1)
{
    uint64_t cmd[2] = { cpu_to_le64(w0), cpu_to_le64(w1) };
    uint32_t idx = a->prod & ((1 << a->qlog2) - 1);

    qtest_memwrite(a->qts, CMDQ + idx * 16, cmd, sizeof(cmd));
    a->prod = (a->prod + 1) & ((2 << a->qlog2) - 1);
}

static inline void kick(Accel *a)
{
    wr(a, A_CMDQ_PROD, a->prod);
}

static inline void cfgi_ste(Accel *a, uint32_t sid)
{
    queue_cmd(a, OP_CFGI_STE | (uint64_t)sid << 32, 1);
    queue_cmd(a, OP_CMD_SYNC, 0);
    kick(a);
    /* Consumed without a new error (CONS.ERR keeps the last one) */
    g_assert_cmpuint(rd(a, A_CMDQ_CONS) & 0xfffff, ==, a->prod);
    g_assert_cmpuint(FIELD_EX32(rd(a, A_GERROR) ^ rd(a, A_GERRORN), GERROR,
                                CMDQ_ERR), ==, 0);
}

static inline long host_cmds(Accel *a, uint64_t (*cmds)[2], size_t max)
{
    long n = hm_client_get_cmds(a->hm, "smmu0", cmds, max);

    g_assert_cmpint(n, >=, 0);
    return n;
}

/*
 * Start with the guest's SMMU on and DEV_SID on a stage-1 STE, the host's
 * command log cleared: where every command queue test begins.
 */
static inline bool accel_start_s1(Accel *a, const char *profile,
                                  const char *opts)
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

/* As Linux does after a command error: a CMD_SYNC in its slot, GERRORN */
static inline void cmdq_resume(Accel *a)
{
    uint64_t sync[2] = { cpu_to_le64(OP_CMD_SYNC), 0 };
    uint32_t cons = rd(a, A_CMDQ_CONS);

    qtest_memwrite(a->qts, CMDQ + (cons & ((1 << a->qlog2) - 1)) * 16, sync,
                   sizeof(sync));
    wr(a, A_GERRORN, rd(a, A_GERROR));
}

/* A 64-bit word of guest memory */
static inline void wr64(Accel *a, uint64_t addr, uint64_t v)
{
    v = cpu_to_le64(v);
    qtest_memwrite(a->qts, addr, &v, sizeof(v));
}

/* The peak resident set of QEMU so far, in KiB */
static inline long qemu_peak_rss_kb(Accel *a)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/status",
                                            qtest_pid(a->qts));
    g_autofree char *status = NULL;
    const char *hwm;

    g_assert_true(g_file_get_contents(path, &status, NULL, NULL));
    hwm = strstr(status, "VmHWM:");
    g_assert_nonnull(hwm);
    return g_ascii_strtoll(hwm + strlen("VmHWM:"), NULL, 10);
}

static inline QDict *query_one(Accel *a)
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

#endif
