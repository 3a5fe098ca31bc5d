/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QTest: arm-smmuv3,accel=on against the host kernel model
 * (tests/hostmodel), the command queue: invalidations forwarded in one
 * ordered batch with RES0 bits stripped, CMD_SYNC completion (MSI, wired
 * interrupt), host failures stopping the queue at the exact command,
 * malformed commands and CFGI_CD kept from the host, forwarding off.
 *
 * Needs HOSTMODEL_LIB (libhostmodel.so) and HOSTMODEL_DIR (the directory
 * of the model's sources and profiles); skipped without them.
 */

#include "qemu/osdep.h"
#include "arm-smmuv3-accel-harness.h"

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
    g_autofree char *dev = NULL, *log = NULL, *text = NULL, *dir = NULL;

    if (!model_available()) {
        return;
    }
    dir = g_dir_make_tmp("smmuv3-accel-log-XXXXXX", NULL);
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

/*
 * An illegal command sends the batch gathered before it first.  When the
 * host refuses a command of that batch, the queue stops on that command:
 * the guest never reached the illegal one, and the log says only what the
 * host refused.
 */
static void test_illegal_after_failing_batch(void)
{
    Accel a;
    uint64_t cmds[16][2];
    g_autofree char *dev = NULL, *log = NULL, *text = NULL, *dir = NULL;
    uint32_t first, cons;

    if (!model_available()) {
        return;
    }
    dir = g_dir_make_tmp("smmuv3-accel-log-XXXXXX", NULL);
    log = g_build_filename(dir, "qemu.log", NULL);
    dev = g_strdup_printf("%s -d guest_errors -D %s", vfio_dev, log);
    if (!accel_start_dev(&a, "small", "", dev)) {
        return;
    }
    guest_enable(&a);
    write_ste(&a, DEV_SID, s1_ste0(), 0);
    cfgi_ste(&a, DEV_SID);
    hm_client_clear_cmds(a.hm, "smmu0");

    /* The batch of two, its replay, then the second alone: refused */
    fail_invalidations(&a, 1, 2);
    fail_invalidations(&a, 4, 4);
    first = a.prod;
    queue_cmd(&a, OP_TLBI_NH_ASID | 3ULL << 48, 0);
    queue_cmd(&a, OP_TLBI_NH_ASID | 4ULL << 48, 0);
    /* a range invalidation (NUM=1) while SMMU_IDR3.RIL is 0: illegal */
    queue_cmd(&a, OP_TLBI_NH_VA | 1ULL << 12, 0x1000 | 1 << 10);
    queue_cmd(&a, OP_CMD_SYNC, 0);
    kick(&a);

    cons = rd(&a, A_CMDQ_CONS);
    g_assert_cmpuint(cons & 0xfffff, ==, first + 1);
    g_assert_cmpuint(FIELD_EX32(cons, CMDQ_CONS, ERR), ==, CERROR_ILL);
    /* ASID 3 and the host's own CMD_SYNC */
    g_assert_cmpint(host_cmds(&a, cmds, ARRAY_SIZE(cmds)), ==, 2);
    g_assert_cmpuint(cmds[0][0] >> 48, ==, 3);
    accel_stop(&a);

    g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
    g_assert_nonnull(strstr(text, "the host refused command "
                            "0x0004000000000011"));
    g_assert_null(strstr(text, "illegal command"));
    unlink(log);
    rmdir(dir);
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

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/arm-smmuv3-accel/cmdq/one-ordered-batch",
                   test_invalidations_one_ordered_batch);
    qtest_add_func("/arm-smmuv3-accel/cmdq/res0-bits-stripped",
                   test_res0_bits_stripped);
    qtest_add_func("/arm-smmuv3-accel/cmdq/sync-irq-without-address",
                   test_sync_irq_without_address);
    qtest_add_func("/arm-smmuv3-accel/cmdq/sync-msi-completion",
                   test_sync_msi_completion);
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
    qtest_add_func("/arm-smmuv3-accel/cmdq/illegal-after-failing-batch",
                   test_illegal_after_failing_batch);
    qtest_add_func("/arm-smmuv3-accel/cmdq/malformed-no-host-call",
                   test_malformed_command_no_host_call);
    qtest_add_func("/arm-smmuv3-accel/cmdq/host-failure-stops-sync-and-ste",
                   test_host_failure_stops_sync_and_ste);
    qtest_add_func("/arm-smmuv3-accel/cmdq/host-failure-in-full-batch",
                   test_host_failure_in_full_batch);
    qtest_add_func("/arm-smmuv3-accel/cmdq/queue-abort-sends-what-precedes",
                   test_queue_abort_sends_what_precedes);
    return g_test_run();
}
