/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QTest: arm-smmuv3,accel=on,cmdqv=on|auto on the host model's Tegra241
 * CMDQV (profile grace-cmdqv): what the guest is told, its VCMDQs as host
 * HW queues whose registers the guest reaches with no trap, the host's
 * command errors in the guest's registers and interrupt, and what is
 * refused with a message.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "arm-smmuv3-accel-harness.h"
#include "arm-smmuv3-cmdqv-qtest.h"

/* One VINTF: the CONFIG page, the global VCMDQ pages, VINTF0's two */
#define ACCEL_CMDQV_SIZE    0x50000ULL
/* A queue of 256 commands: one 4K host page, as IDR1.CMDQS allows */
#define VQUEUE          0x40800000ULL
#define VQUEUE_LOG2     8
#define OP_CFGI_ALL     0x04
/* The host VCMDQ of the guest's logical queue 0: VINTF1's first */
#define HOST_VCMDQ      2

typedef struct AccelCmdqv {
    Accel a;
    uint64_t cv;
    char *trace;
} AccelCmdqv;

static uint32_t cv_rd(AccelCmdqv *c, uint64_t off)
{
    return qtest_readl(c->a.qts, c->cv + off);
}

static void cv_wr(AccelCmdqv *c, uint64_t off, uint32_t v)
{
    qtest_writel(c->a.qts, c->cv + off, v);
}

/* The host's hardware thread runs beside QEMU: wait for it */
static bool cv_wait(AccelCmdqv *c, uint64_t off, uint32_t mask, uint32_t want)
{
    for (int i = 0; i < 2000; i++) {
        if ((cv_rd(c, off) & mask) == want) {
            return true;
        }
        g_usleep(1000);
    }
    g_test_message("CMDQV 0x%" PRIx64 ": 0x%x, expected 0x%x under 0x%x",
                   off, cv_rd(c, off), want, mask);
    return false;
}

static bool cv_start(AccelCmdqv *c, const char *profile, const char *opts)
{
    g_autofree char *dir = g_dir_make_tmp("smmuv3-cmdqv-XXXXXX", NULL);
    g_autofree char *all = NULL;
    uint64_t size = 0;

    c->trace = g_build_filename(dir, "trace.log", NULL);
    all = g_strdup_printf("%s -trace smmuv3_cmdqv_consume -D %s", opts,
                          c->trace);
    if (!accel_start(&c->a, profile, all)) {
        g_free(c->trace);
        rmdir(dir);
        return false;
    }
    c->cv = smmuv3_qtest_region(c->a.qts, "tegra241-cmdqv", &size);
    g_assert_cmphex(c->cv, !=, 0);
    g_assert_cmphex(size, ==, ACCEL_CMDQV_SIZE);
    return true;
}

static void cv_stop(AccelCmdqv *c)
{
    g_autofree char *dir = g_path_get_dirname(c->trace);

    accel_stop(&c->a);
    unlink(c->trace);
    rmdir(dir);
    g_free(c->trace);
}

/* Times QEMU itself ran a VCMDQ (trace smmuv3_cmdqv_consume) */
static int cv_qemu_runs(AccelCmdqv *c)
{
    g_autofree char *log = NULL;
    int n = 0;

    if (!g_file_get_contents(c->trace, &log, NULL, NULL)) {
        return 0;
    }
    for (char *p = log; (p = strstr(p, "smmuv3_cmdqv_consume")); p++) {
        n++;
    }
    return n;
}

/* x-query-smmuv3-accel's "cmdqv" member @key */
static int64_t cv_info(AccelCmdqv *c, const char *key)
{
    QDict *v = query_one(&c->a);
    QDict *cv = qdict_get_qdict(v, "cmdqv");
    int64_t n;

    g_assert_nonnull(cv);
    n = qdict_get_try_bool(cv, key, false) ? 1 : qdict_get_try_int(cv, key, 0);
    qobject_unref(v);
    return n;
}

static void cv_put(AccelCmdqv *c, uint32_t idx, uint64_t w0, uint64_t w1)
{
    uint64_t cmd[2] = { cpu_to_le64(w0), cpu_to_le64(w1) };

    qtest_memwrite(c->a.qts,
                   VQUEUE + (idx & ((1 << VQUEUE_LOG2) - 1)) * 16, cmd,
                   sizeof(cmd));
}

/*
 * As Linux brings up its VINTF0 and logical queue 0: CMDQV and VINTF
 * enabled, VCMDQ 0 given to it, BASE (trapped), CONFIG.EN (the host's)
 */
static void cv_guest_queue(AccelCmdqv *c, uint64_t base, unsigned log2)
{
    cv_wr(c, A_CONFIG, 1);
    cv_wr(c, A_VINTF(0) + VINTF_CONFIG, 1 | 1 << 17);
    cv_wr(c, A_CMDQ_ALLOC(0), ALLOC(0, 0));
    qtest_writeq(c->a.qts, c->cv + A_LPAGE1(0, 0) + VCMDQ_BASE,
                 base | log2);
    cv_wr(c, A_LPAGE0(0, 0) + VCMDQ_CONFIG, 1);
}

/*
 * With a host CMDQV, the guest is told of one VINTF with the host's
 * queues and StreamIDs a VM; a queue must fit a page of guest RAM, so
 * IDR1.CMDQS says at most 256 entries; the vIOMMU is the CMDQV's
 */
static void test_guest_told(void)
{
    AccelCmdqv c;

    if (!cv_start(&c, "grace-cmdqv", ",cmdqv=auto")) {
        return;
    }
    /* VER 1, NUM_VCMDQ_LOG2 1 (2 a VINTF), NUM_VINTF_LOG2 0, 16 SIDs */
    g_assert_cmphex(cv_rd(&c, A_PARAM), ==, 1 | 1 << 4 | 0 << 8 | 4 << 12);
    g_assert_cmpuint(FIELD_EX32(rd(&c.a, A_IDR1), IDR1, CMDQS), ==, 8);
    g_assert_cmpint(count(&c.a, "VIOMMU"), ==, 1);
    g_assert_cmpuint(model_call_errors(c.a.hm, "mmap"), ==, 0);
    /* HYP_OWN reads 0: the guest filters its own commands */
    cv_wr(&c, A_VINTF(0) + VINTF_CONFIG, 1 | 1 << 17);
    g_assert_cmphex(cv_rd(&c, A_VINTF(0) + VINTF_CONFIG), ==, 1);
    cv_stop(&c);
}

/* auto on a host without one: no CMDQV for the guest, nothing capped */
static void test_auto_without_host_cmdqv(void)
{
    AccelCmdqv c;
    QDict *info;

    if (!cv_start(&c, "grace", ",cmdqv=auto")) {
        return;
    }
    g_assert_cmpuint(FIELD_EX32(rd(&c.a, A_IDR1), IDR1, CMDQS), >, 8);
    info = query_one(&c.a);
    g_assert_false(qdict_haskey(info, "cmdqv"));
    qobject_unref(info);
    cv_stop(&c);
}

/*
 * The guest's logical queue 0 becomes a host HW queue on its memory at
 * its BASE write; its commands reach the host SMMU through the mapped
 * registers, with the host's VMID, and QEMU never runs the queue
 */
static void test_queue_runs_on_host(void)
{
    AccelCmdqv c;
    uint64_t got[8][2];
    int src[8];

    if (!cv_start(&c, "grace-cmdqv", ",cmdqv=on")) {
        return;
    }
    g_assert_cmpint(count(&c.a, "HW_QUEUE"), ==, 0);
    cv_guest_queue(&c, VQUEUE, VQUEUE_LOG2);
    g_assert_cmpint(count(&c.a, "HW_QUEUE"), ==, 1);
    g_assert_cmpint(cv_info(&c, "vintf-mapped"), ==, 1);
    g_assert_cmpint(cv_info(&c, "host-queues"), ==, 1);
    g_assert_cmpint(cv_info(&c, "queues-allocated"), ==, 1);
    g_assert_true(cv_wait(&c, A_LPAGE0(0, 0) + VCMDQ_STATUS, 1, 1));
    hm_client_clear_cmds(c.a.hm, "smmu0");

    cv_put(&c, 0, OP_TLBI_NH_ASID | 5ULL << 48 | 0x77ULL << 32, 0);
    cv_put(&c, 1, OP_CMD_SYNC, 0);
    cv_wr(&c, A_LPAGE0(0, 0) + VCMDQ_PROD, 2);
    g_assert_true(cv_wait(&c, A_LPAGE0(0, 0) + VCMDQ_CONS, ~0u, 2));
    g_assert_cmpint(hm_client_get_cmds_src(c.a.hm, "smmu0", got, src, 8), ==,
                    2);
    g_assert_cmpint(src[0], ==, HOST_VCMDQ);
    g_assert_cmpint(src[1], ==, HOST_VCMDQ);
    g_assert_cmphex(got[0][0] >> 48, ==, 5);
    g_assert_cmphex(got[0][0] >> 32 & 0xffff, !=, 0x77);
    g_assert_cmpint(cv_qemu_runs(&c), ==, 0);

    /* the second queue too, as Linux takes both; nothing asked beyond */
    cv_wr(&c, A_CMDQ_ALLOC(1), ALLOC(0, 1));
    qtest_writeq(c.a.qts, c.cv + A_LPAGE1(0, 1) + VCMDQ_BASE,
                 (VQUEUE + 0x1000) | VQUEUE_LOG2);
    g_assert_cmpint(cv_info(&c, "host-queues"), ==, 2);
    g_assert_cmpint(cv_info(&c, "queue-errors"), ==, 0);
    qtest_writeq(c.a.qts, c.cv + A_LPAGE1(0, 1) + VCMDQ_BASE, 0);

    /* BASE 0 (Linux's deinit): the host queue goes */
    cv_wr(&c, A_LPAGE0(0, 0) + VCMDQ_CONFIG, 0);
    qtest_writeq(c.a.qts, c.cv + A_LPAGE1(0, 0) + VCMDQ_BASE, 0);
    g_assert_cmpint(count(&c.a, "HW_QUEUE"), ==, 0);
    g_assert_cmpint(cv_info(&c, "host-queues"), ==, 0);
    cv_stop(&c);
}

/*
 * A command the host's VINTF refuses: the guest reads the error in the
 * queue's registers and the error maps, and gets the CMDQV's interrupt
 * (from the host's CMDQV vEVENTQ); it resumes as on hardware
 */
static void test_host_error_reaches_guest(void)
{
    AccelCmdqv c;

    if (!cv_start(&c, "grace-cmdqv", ",cmdqv=on")) {
        return;
    }
    /* edge-triggered, as the CMDQV's interrupt is described */
    qtest_writel(c.a.qts, GICD + 0xc00 + 4 * (CMDQV_INTID / 16),
                 2u << (CMDQV_INTID % 16 * 2));
    cv_guest_queue(&c, VQUEUE, VQUEUE_LOG2);
    g_assert_true(cv_wait(&c, A_LPAGE0(0, 0) + VCMDQ_STATUS, 1, 1));
    cv_put(&c, 0, OP_CMD_SYNC, 0);
    cv_put(&c, 1, OP_CFGI_ALL, 0);
    g_assert_false(cmdqv_qtest_irq_pending(c.a.qts));
    cv_wr(&c, A_LPAGE0(0, 0) + VCMDQ_PROD, 2);
    g_assert_true(cv_wait(&c, A_LPAGE0(0, 0) + VCMDQ_CONS, ~0u,
                          CERROR_ILL << 24 | 1));
    g_assert_cmphex(cv_rd(&c, A_LPAGE0(0, 0) + VCMDQ_GERROR) ^
                    cv_rd(&c, A_LPAGE0(0, 0) + VCMDQ_GERRORN), ==, 1);
    g_assert_cmphex(cv_rd(&c, A_VINTF_ERR_MAP), ==, 1);
    g_assert_cmphex(cv_rd(&c, A_VINTF(0) + VINTF_LVCMDQ_ERR_MAP), ==, 1);
    g_assert_cmphex(cv_rd(&c, A_CMDQ_ERR_MAP), ==, 1);
    for (int i = 0; i < 2000 && !cmdqv_qtest_irq_pending(c.a.qts); i++) {
        g_usleep(1000);
    }
    g_assert_true(cmdqv_qtest_irq_pending(c.a.qts));
    g_assert_cmpint(cv_info(&c, "errors"), ==, 1);

    /* a CMD_SYNC in its place, GERRORN: the queue goes on */
    cv_put(&c, 1, OP_CMD_SYNC, 0);
    cv_wr(&c, A_LPAGE0(0, 0) + VCMDQ_CONS, 1);
    cv_wr(&c, A_LPAGE0(0, 0) + VCMDQ_GERRORN,
          cv_rd(&c, A_LPAGE0(0, 0) + VCMDQ_GERROR));
    g_assert_true(cv_wait(&c, A_LPAGE0(0, 0) + VCMDQ_CONS, ~0u, 2));
    g_assert_cmphex(cv_rd(&c, A_VINTF_ERR_MAP), ==, 0);
    g_assert_cmpint(cv_qemu_runs(&c), ==, 0);
    cv_stop(&c);
}

/*
 * A queue the host cannot take (not aligned to its size, so not where
 * the hardware could read it) stays off, as on hardware: its enable
 * never completes and nothing of it runs
 */
static void test_queue_refused_stays_off(void)
{
    AccelCmdqv c;

    if (!cv_start(&c, "grace-cmdqv", ",cmdqv=on")) {
        return;
    }
    cv_guest_queue(&c, VQUEUE + 0x800, VQUEUE_LOG2);
    g_assert_cmpint(count(&c.a, "HW_QUEUE"), ==, 0);
    g_assert_cmpint(cv_info(&c, "queue-errors"), ==, 1);
    g_usleep(20000);
    g_assert_cmphex(cv_rd(&c, A_LPAGE0(0, 0) + VCMDQ_STATUS), ==, 0);
    g_assert_cmpint(cv_qemu_runs(&c), ==, 0);
    /* the guest puts it where it should be */
    cv_wr(&c, A_LPAGE0(0, 0) + VCMDQ_CONFIG, 0);
    qtest_writeq(c.a.qts, c.cv + A_LPAGE1(0, 0) + VCMDQ_BASE,
                 VQUEUE | VQUEUE_LOG2);
    cv_wr(&c, A_LPAGE0(0, 0) + VCMDQ_CONFIG, 1);
    g_assert_cmpint(count(&c.a, "HW_QUEUE"), ==, 1);
    g_assert_true(cv_wait(&c, A_LPAGE0(0, 0) + VCMDQ_STATUS, 1, 1));
    cv_stop(&c);
}

/* The guest's queues are bounded by the host's too: IDR1.CMDQS 6 */
static void test_cmdqs_host_bound(void)
{
    AccelCmdqv c;

    if (!cv_start(&c, "grace-cmdqv-smallq", ",cmdqv=on")) {
        return;
    }
    g_assert_cmpuint(FIELD_EX32(rd(&c.a, A_IDR1), IDR1, CMDQS), ==, 6);
    cv_stop(&c);
}

/*
 * A 64-bit BASE write is one change for the host: moving a queue from
 * above 4 GiB to below allocates one host queue, not one at a mixed
 * address (the new low half with the old high half) on the way
 */
static void test_base_written_once(void)
{
    AccelCmdqv c;

    if (!cv_start(&c, "grace-cmdqv", ",cmdqv=on -m 5G")) {
        return;
    }
    cv_guest_queue(&c, 0x100000000ULL, VQUEUE_LOG2);
    g_assert_cmpint(cv_info(&c, "queues-allocated"), ==, 1);
    /* in halves, 0x1_4080_0000 would come first: RAM, so taken */
    cv_wr(&c, A_LPAGE0(0, 0) + VCMDQ_CONFIG, 0);
    qtest_writeq(c.a.qts, c.cv + A_LPAGE1(0, 0) + VCMDQ_BASE,
                 VQUEUE | VQUEUE_LOG2);
    g_assert_cmpint(cv_info(&c, "queues-allocated"), ==, 2);
    g_assert_cmpint(cv_info(&c, "host-queues"), ==, 1);
    cv_stop(&c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/arm-smmuv3-accel-cmdqv/guest-told", test_guest_told);
    qtest_add_func("/arm-smmuv3-accel-cmdqv/auto-without-host-cmdqv",
                   test_auto_without_host_cmdqv);
    qtest_add_func("/arm-smmuv3-accel-cmdqv/queue-runs-on-host",
                   test_queue_runs_on_host);
    qtest_add_func("/arm-smmuv3-accel-cmdqv/host-error-reaches-guest",
                   test_host_error_reaches_guest);
    qtest_add_func("/arm-smmuv3-accel-cmdqv/queue-refused-stays-off",
                   test_queue_refused_stays_off);
    qtest_add_func("/arm-smmuv3-accel-cmdqv/cmdqs-host-bound",
                   test_cmdqs_host_bound);
    qtest_add_func("/arm-smmuv3-accel-cmdqv/base-written-once",
                   test_base_written_once);
    return g_test_run();
}
