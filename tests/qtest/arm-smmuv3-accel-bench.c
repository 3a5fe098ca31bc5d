/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Benchmark (not a test): arm-smmuv3,accel=on invalidation forwarding on
 * the host kernel model.  For bursts of 1, 8, 64 and 256 TLBI_NH_VA plus a
 * CMD_SYNC, prints the host calls (IOMMU_HWPT_INVALIDATE) per burst and
 * the time per forwarded command, batched (the default) side by side with
 * one call per command (x-batch-invalidations=off), and their ratios.
 *
 * The time covers the guest's CMDQ_PROD write to CMDQ_CONS catching up,
 * so it includes one qtest round trip per burst in both columns.  The
 * model's ioctls are cheaper than a kernel's: the call counts are the
 * figure that carries over to a real host.
 *
 * usage: HOSTMODEL_LIB=... HOSTMODEL_DIR=... QTEST_QEMU_BINARY=...
 *        arm-smmuv3-accel-bench [rounds]
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "libqtest.h"
#include "arm-smmuv3-qtest.h"
#include "arm-smmuv3-accel-model.h"

#define A_CR0               0x20
#define A_STRTAB_BASE       0x80
#define A_STRTAB_BASE_CFG   0x88
#define A_CMDQ_BASE         0x90
#define A_CMDQ_PROD         0x98
#define A_CMDQ_CONS         0x9c
#define A_EVENTQ_BASE       0xa0
#define STRTAB              0x40100000ULL
#define CMDQ                0x40200000ULL
#define EVTQ                0x40300000ULL
#define CDTAB               0x40400000ULL
#define QLOG2               10
#define DEV_SID             0x8

typedef struct Bench {
    QTestState *qts;
    HmClient *hm;
    uint64_t base;
    uint32_t prod;
    char *dir;
} Bench;

static void wr(Bench *b, uint32_t off, uint32_t v)
{
    qtest_writel(b->qts, b->base + off, v);
}

static void start(Bench *b, bool batch)
{
    g_autofree char *bin = g_strdup(qtest_qemu_binary(NULL));
    g_autofree char *host = NULL, *text = NULL, *prefix = NULL;
    g_autofree char *sock = NULL;
    uint64_t ste[8] = { cpu_to_le64(1 | (5 << 1) | CDTAB) };

    b->dir = g_dir_make_tmp("smmuv3-bench-XXXXXX", NULL);
    host = g_build_filename(b->dir, "host.conf", NULL);
    text = g_strdup_printf("[smmu smmu0]\nprofile = %s/profiles/grace.conf\n"
                           "[device vfio0]\nsmmu = smmu0\nsid = 0x100\n"
                           "group = 1\nbdf = 0000:01:00.0\n",
                           g_getenv("HOSTMODEL_DIR"));
    g_assert_true(g_file_set_contents(host, text, -1, NULL));
    sock = g_build_filename(b->dir, "ctl.sock", NULL);
    prefix = g_strdup_printf("env LD_PRELOAD=%s HOSTMODEL_HOST=%s "
                             "HOSTMODEL_PREOPEN=100=/dev/vfio/devices/vfio0,"
                             "101=/dev/iommu HOSTMODEL_CONTROL=%s %s",
                             g_getenv("HOSTMODEL_LIB"), host, sock, bin);
    g_setenv("QTEST_QEMU_BINARY", prefix, true);
    b->qts = qtest_initf("-M virt -accel tcg -display none -nodefaults "
                         "-object iommufd,id=i0,fd=101 "
                         "-device arm-smmuv3,primary-bus=pcie.0,accel=on,"
                         "x-batch-invalidations=%s "
                         "-device vfio-pci,id=d0,fd=100,iommufd=i0,"
                         "bus=pcie.0,addr=1.0", batch ? "on" : "off");
    g_setenv("QTEST_QEMU_BINARY", bin, true);
    b->hm = hm_client_connect(sock);
    g_assert_nonnull(b->hm);
    b->base = smmuv3_qtest_base(b->qts);
    b->prod = 0;

    qtest_memwrite(b->qts, STRTAB + DEV_SID * 64, ste, sizeof(ste));
    wr(b, A_STRTAB_BASE, STRTAB);
    wr(b, A_STRTAB_BASE + 4, 0);
    wr(b, A_STRTAB_BASE_CFG, 8);
    wr(b, A_CMDQ_BASE, CMDQ | QLOG2);
    wr(b, A_CMDQ_BASE + 4, 0);
    wr(b, A_EVENTQ_BASE, EVTQ | 8);
    wr(b, A_EVENTQ_BASE + 4, 0);
    wr(b, A_CR0, 0xd);
}

static void stop(Bench *b)
{
    hm_client_close(b->hm);
    qtest_quit(b->qts);
    model_dir_free(b->dir);
}

static uint64_t invalidate_calls(Bench *b)
{
    const char *p;

    g_assert_cmpint(hm_client_command(b->hm, "stats"), ==, 0);
    p = strstr(hm_client_last_reply(b->hm), "IOMMU_HWPT_INVALIDATE=");
    return p ? g_ascii_strtoull(p + strlen("IOMMU_HWPT_INVALIDATE="),
                                NULL, 10) : 0;
}

/* Queue @n TLBI_NH_VA and a CMD_SYNC without telling the SMMU */
static void queue_burst(Bench *b, int n)
{
    uint32_t mask = (1 << QLOG2) - 1;

    for (int i = 0; i <= n; i++) {
        uint64_t cmd[2];

        if (i < n) {
            cmd[0] = cpu_to_le64(0x12 | 1ULL << 48);
            cmd[1] = cpu_to_le64(0x1000ULL * (i + 1));
        } else {
            cmd[0] = cpu_to_le64(0x46);
            cmd[1] = 0;
        }
        qtest_memwrite(b->qts, CMDQ + (b->prod & mask) * 16, cmd,
                       sizeof(cmd));
        b->prod = (b->prod + 1) & ((2 << QLOG2) - 1);
    }
}

typedef struct Result {
    double calls_per_burst;
    double ns_per_cmd;
} Result;

static uint64_t one_round(Bench *b, int burst)
{
    int64_t t0;

    queue_burst(b, burst);
    t0 = g_get_monotonic_time();
    wr(b, A_CMDQ_PROD, b->prod);
    g_assert_cmpuint(qtest_readl(b->qts, b->base + A_CMDQ_CONS), ==, b->prod);
    return (g_get_monotonic_time() - t0) * 1000;
}

/*
 * Both QEMUs run at once and take turns, round by round, first one then
 * the other, so that the machine's load falls on both columns alike.
 */
static void run(Bench b[2], int burst, int rounds, Result r[2])
{
    uint64_t calls0[2], ns[2] = { 0, 0 };

    for (int m = 0; m < 2; m++) {
        calls0[m] = invalidate_calls(&b[m]);
    }
    for (int i = 0; i < rounds; i++) {
        for (int k = 0; k < 2; k++) {
            int m = (i + k) % 2;

            ns[m] += one_round(&b[m], burst);
        }
    }
    for (int m = 0; m < 2; m++) {
        r[m].calls_per_burst =
            (double)(invalidate_calls(&b[m]) - calls0[m]) / rounds;
        r[m].ns_per_cmd = (double)ns[m] / rounds / burst;
    }
}

int main(int argc, char **argv)
{
    static const int bursts[] = { 1, 8, 64, 256 };
    int rounds = argc > 1 ? atoi(argv[1]) : 200;
    Result res[2][ARRAY_SIZE(bursts)];
    Bench b[2];

    if (!g_getenv("HOSTMODEL_LIB") || !g_getenv("HOSTMODEL_DIR") ||
        !g_getenv("QTEST_QEMU_BINARY")) {
        fprintf(stderr, "set HOSTMODEL_LIB, HOSTMODEL_DIR and "
                "QTEST_QEMU_BINARY (make bench does)\n");
        return 1;
    }
    for (int m = 0; m < 2; m++) {
        start(&b[m], m == 0);
    }
    for (int i = 0; i < ARRAY_SIZE(bursts); i++) {
        Result r[2];

        run(b, bursts[i], rounds, r);
        res[0][i] = r[0];
        res[1][i] = r[1];
    }
    for (int m = 0; m < 2; m++) {
        stop(&b[m]);
    }

    printf("arm-smmuv3,accel=on invalidation forwarding, host model, "
           "%d rounds per burst\n", rounds);
    printf("%6s | %14s %14s %7s | %12s %12s %7s\n", "burst",
           "calls batched", "calls per-cmd", "ratio", "ns/cmd batch",
           "ns/cmd per", "ratio");
    for (int i = 0; i < ARRAY_SIZE(bursts); i++) {
        Result *bt = &res[0][i], *pc = &res[1][i];

        printf("%6d | %14.2f %14.2f %6.1fx | %12.0f %12.0f %6.2fx\n",
               bursts[i], bt->calls_per_burst, pc->calls_per_burst,
               pc->calls_per_burst / bt->calls_per_burst, bt->ns_per_cmd,
               pc->ns_per_cmd, pc->ns_per_cmd / bt->ns_per_cmd);
    }
    return 0;
}
