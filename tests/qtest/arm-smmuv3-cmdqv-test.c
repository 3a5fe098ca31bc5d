/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QTest: arm-smmuv3,cmdqv=on, the registers of the Tegra241 CMDQV beside
 * the emulated SMMU: its region and parameters, the enable handshakes that
 * Linux's driver polls, CMDQ_ALLOC and the VINTFs' logical views of the
 * VCMDQs it gives them, the VINTF registers, reset.  Register layout:
 * docs/devel/arm-smmuv3-accel-cmdqv.rst.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "libqtest.h"
#include "arm-smmuv3-qtest.h"
#include "arm-smmuv3-cmdqv-qtest.h"

#define CMDQV_SIZE      0xb0000ULL      /* 0x30000 + 4 VINTFs of 0x20000 */


static const char *cmdqv_args =
    "-M virt -display none -nodefaults "
    "-device arm-smmuv3,primary-bus=pcie.0,stage=nested,cmdqv=on";

typedef struct Cmdqv {
    QTestState *qts;
    uint64_t base;
} Cmdqv;

static void cmdqv_start(Cmdqv *c)
{
    uint64_t size = 0;

    c->qts = qtest_init(cmdqv_args);
    c->base = smmuv3_qtest_region(c->qts, "tegra241-cmdqv", &size);
    g_assert_cmphex(c->base, !=, 0);
    g_assert_cmphex(size, ==, CMDQV_SIZE);
}

static uint32_t rd(Cmdqv *c, uint64_t off)
{
    return qtest_readl(c->qts, c->base + off);
}

static void wr(Cmdqv *c, uint64_t off, uint32_t v)
{
    qtest_writel(c->qts, c->base + off, v);
}

/*
 * Without cmdqv there is no such region; with -only-migratable, cmdqv
 * is refused (its state cannot be migrated yet)
 */
static void test_region_only_when_asked(void)
{
    QTestState *qts = qtest_init("-M virt -display none -nodefaults "
                                 "-device arm-smmuv3,primary-bus=pcie.0");
    g_autofree char *cmd = g_strdup_printf(
        "timeout -s KILL 30 %s -M virt -display none -nodefaults -S "
        "-only-migratable "
        "-device arm-smmuv3,primary-bus=pcie.0,cmdqv=on",
        qtest_qemu_binary(NULL));
    g_autofree char *out = NULL, *err = NULL;
    uint64_t size = 0;
    int status;

    g_assert_cmphex(smmuv3_qtest_region(qts, "tegra241-cmdqv", &size), ==, 0);
    qtest_quit(qts);

    g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status, NULL));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
    g_assert_nonnull(strstr(err, "cmdqv=on: the CMDQV's state cannot be "
                            "migrated yet"));
}

/* The machine's own SMMU (iommu=smmuv3) maps no CMDQV: refused */
static void test_legacy_smmu_refused(void)
{
    g_autofree char *cmd = g_strdup_printf(
        "timeout -s KILL 30 %s -M virt,iommu=smmuv3 -display none "
        "-nodefaults -S -global arm-smmuv3.cmdqv=on",
        qtest_qemu_binary(NULL));
    g_autofree char *out = NULL, *err = NULL;
    int status;

    g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status, NULL));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
    g_assert_nonnull(strstr(err, "iommu=smmuv3 cannot have a CMDQV; for one, "
                            "use -device arm-smmuv3,"));
}

/*
 * PARAM: version 1, 8 VCMDQs, 4 VINTFs, 16 StreamIDs a VINTF.  Each
 * enable is acknowledged at once in STATUS, and CONFIG keeps its other
 * bits (the driver writes it read-modify-write).
 */
static void test_param_and_handshakes(void)
{
    Cmdqv c;

    cmdqv_start(&c);
    g_assert_cmphex(rd(&c, A_PARAM), ==, 0x4231);
    g_assert_cmphex(rd(&c, A_STATUS), ==, 0);
    wr(&c, A_CONFIG, 0xf0 | 1);
    g_assert_cmphex(rd(&c, A_STATUS), ==, 1);
    g_assert_cmphex(rd(&c, A_CONFIG), ==, 0xf1);
    wr(&c, A_CONFIG, 0xf0);
    g_assert_cmphex(rd(&c, A_STATUS), ==, 0);

    /* A VINTF: owner, VMID and enable read back; STATUS follows */
    wr(&c, A_VINTF(1) + VINTF_CONFIG, 1 << 17 | 0x1234 << 1 | 1);
    g_assert_cmphex(rd(&c, A_VINTF(1) + VINTF_CONFIG), ==,
                    1 << 17 | 0x1234 << 1 | 1);
    g_assert_cmphex(rd(&c, A_VINTF(1) + VINTF_STATUS), ==, 1);
    g_assert_cmphex(rd(&c, A_VINTF(0) + VINTF_STATUS), ==, 0);
    wr(&c, A_VINTF(1) + VINTF_CONFIG, 0x1234 << 1);
    g_assert_cmphex(rd(&c, A_VINTF(1) + VINTF_STATUS), ==, 0);

    /* A VCMDQ through its global page */
    wr(&c, A_GLOBAL_PAGE0(5) + VCMDQ_CONFIG, 1);
    g_assert_cmphex(rd(&c, A_GLOBAL_PAGE0(5) + VCMDQ_STATUS), ==, 1);
    wr(&c, A_GLOBAL_PAGE0(5) + VCMDQ_CONFIG, 0);
    g_assert_cmphex(rd(&c, A_GLOBAL_PAGE0(5) + VCMDQ_STATUS), ==, 0);
    qtest_quit(c.qts);
}

/*
 * CMDQ_ALLOC gives VCMDQs to VINTFs by logical index: the VINTF's pages
 * then alias them (page 0 and page 1), a logical queue without a VCMDQ
 * reads as zero and ignores writes, and unallocating takes the alias away.
 */
static void test_alloc_aliases(void)
{
    Cmdqv c;

    cmdqv_start(&c);
    /* As Linux's reset: VINTF v's queues are v * 2 + l, unallocated */
    for (int q = 0; q < 8; q++) {
        wr(&c, A_CMDQ_ALLOC(q), ALLOC(q / 2, q % 2) & ~1);
        g_assert_cmphex(rd(&c, A_CMDQ_ALLOC(q)), ==, ALLOC(q / 2, q % 2) & ~1);
    }
    g_assert_cmphex(rd(&c, A_LPAGE0(2, 1) + VCMDQ_STATUS), ==, 0);
    wr(&c, A_LPAGE0(2, 1) + VCMDQ_PROD, 7);
    g_assert_cmphex(rd(&c, A_GLOBAL_PAGE0(5) + VCMDQ_PROD), ==, 0);

    /* Allocated: VINTF 2's logical queue 1 is VCMDQ 5 */
    wr(&c, A_CMDQ_ALLOC(5), rd(&c, A_CMDQ_ALLOC(5)) | 1);
    wr(&c, A_LPAGE0(2, 1) + VCMDQ_PROD, 7);
    g_assert_cmphex(rd(&c, A_GLOBAL_PAGE0(5) + VCMDQ_PROD), ==, 7);
    wr(&c, A_GLOBAL_PAGE0(5) + VCMDQ_CONS, 3);
    g_assert_cmphex(rd(&c, A_LPAGE0(2, 1) + VCMDQ_CONS), ==, 3);
    qtest_writeq(c.qts, c.base + A_LPAGE1(2, 1) + VCMDQ_BASE,
                 0x123456789a0ULL | 4);
    g_assert_cmphex(qtest_readq(c.qts, c.base + A_GLOBAL_PAGE1(5) +
                                VCMDQ_BASE), ==, 0x123456789a0ULL | 4);
    wr(&c, A_LPAGE0(2, 1) + VCMDQ_CONFIG, 1);
    g_assert_cmphex(rd(&c, A_LPAGE0(2, 1) + VCMDQ_STATUS), ==, 1);
    /* no other VINTF's page, and no other logical index, reaches it */
    g_assert_cmphex(rd(&c, A_LPAGE0(1, 1) + VCMDQ_PROD), ==, 0);
    g_assert_cmphex(rd(&c, A_LPAGE0(2, 0) + VCMDQ_PROD), ==, 0);

    /* Unallocated again: the alias goes, the queue keeps its state */
    wr(&c, A_CMDQ_ALLOC(5), rd(&c, A_CMDQ_ALLOC(5)) & ~1);
    g_assert_cmphex(rd(&c, A_LPAGE0(2, 1) + VCMDQ_PROD), ==, 0);
    g_assert_cmphex(rd(&c, A_GLOBAL_PAGE0(5) + VCMDQ_PROD), ==, 7);
    qtest_quit(c.qts);
}

/* The StreamID table, and the error maps while no queue has an error */
static void test_vintf_sid_table(void)
{
    Cmdqv c;

    cmdqv_start(&c);
    for (int s = 0; s < 16; s++) {
        wr(&c, A_VINTF(3) + VINTF_SID_REPLACE(s), 0x100 + s);
        wr(&c, A_VINTF(3) + VINTF_SID_MATCH(s), (0x20 + s) << 1 | 1);
    }
    for (int s = 0; s < 16; s++) {
        g_assert_cmphex(rd(&c, A_VINTF(3) + VINTF_SID_REPLACE(s)), ==,
                        0x100 + s);
        g_assert_cmphex(rd(&c, A_VINTF(3) + VINTF_SID_MATCH(s)), ==,
                        (0x20 + s) << 1 | 1);
    }
    /* VIRT_SID is 20 bits */
    wr(&c, A_VINTF(3) + VINTF_SID_MATCH(0), 0xffffffff);
    g_assert_cmphex(rd(&c, A_VINTF(3) + VINTF_SID_MATCH(0)), ==, 0x1fffff);
    g_assert_cmphex(rd(&c, A_VINTF(2) + VINTF_SID_MATCH(0)), ==, 0);
    g_assert_cmphex(rd(&c, A_VINTF_ERR_MAP), ==, 0);
    g_assert_cmphex(rd(&c, A_CMDQ_ERR_MAP), ==, 0);
    g_assert_cmphex(qtest_readq(c.qts, c.base + A_VINTF(3) +
                                VINTF_LVCMDQ_ERR_MAP), ==, 0);
    qtest_quit(c.qts);
}

/* A system reset takes every register back to zero */
static void test_reset(void)
{
    Cmdqv c;

    cmdqv_start(&c);
    wr(&c, A_CONFIG, 1);
    wr(&c, A_VINTF(0) + VINTF_CONFIG, 1 << 17 | 1);
    wr(&c, A_CMDQ_ALLOC(0), ALLOC(0, 0));
    wr(&c, A_GLOBAL_PAGE0(0) + VCMDQ_CONFIG, 1);
    wr(&c, A_GLOBAL_PAGE0(0) + VCMDQ_PROD, 4);
    wr(&c, 0x01c, 0xffffffff);
    qtest_system_reset(c.qts);
    g_assert_cmphex(rd(&c, 0x01c), ==, 0);
    g_assert_cmphex(rd(&c, A_CONFIG), ==, 0);
    g_assert_cmphex(rd(&c, A_STATUS), ==, 0);
    g_assert_cmphex(rd(&c, A_VINTF(0) + VINTF_CONFIG), ==, 0);
    g_assert_cmphex(rd(&c, A_CMDQ_ALLOC(0)), ==, 0);
    g_assert_cmphex(rd(&c, A_GLOBAL_PAGE0(0) + VCMDQ_STATUS), ==, 0);
    g_assert_cmphex(rd(&c, A_GLOBAL_PAGE0(0) + VCMDQ_PROD), ==, 0);
    g_assert_cmphex(rd(&c, A_PARAM), ==, 0x4231);
    qtest_quit(c.qts);
}

/* Guest memory for the queues (virt's RAM starts at 1 GiB) */
#define QUEUE           0x40200000ULL
#define OP_CFGI_STE     0x03
#define OP_CFGI_ALL     0x04
#define OP_TLBI_NH_ALL  0x10
#define OP_TLBI_NH_ASID 0x11
#define OP_ATC_INV      0x40
#define OP_CMD_SYNC     0x46
#define CERROR_ILL      1
#define CERROR_ABT      2

static void put_cmd(Cmdqv *c, uint64_t base, unsigned log2, uint32_t idx,
                    uint64_t w0, uint64_t w1)
{
    uint64_t cmd[2] = { cpu_to_le64(w0), cpu_to_le64(w1) };

    qtest_memwrite(c->qts, base + (idx & ((1 << log2) - 1)) * 16, cmd,
                   sizeof(cmd));
}

/*
 * CMDQV and VINTF @v enabled (@hyp_own, @vmid), its logical queue 0 given
 * VCMDQ @q, of 2^@log2 entries at @base, enabled
 */
static void vcmdq_setup(Cmdqv *c, int v, bool hyp_own, uint16_t vmid, int q,
                        uint64_t base, unsigned log2)
{
    wr(c, A_CONFIG, 1);
    wr(c, A_VINTF(v) + VINTF_CONFIG, hyp_own << 17 | vmid << 1 | 1);
    wr(c, A_CMDQ_ALLOC(q), ALLOC(v, 0));
    qtest_writeq(c->qts, c->base + A_LPAGE1(v, 0) + VCMDQ_BASE, base | log2);
    wr(c, A_LPAGE0(v, 0) + VCMDQ_CONFIG, 1);
}

static bool cmdqv_irq_pending(Cmdqv *c)
{
    return cmdqv_qtest_irq_pending(c->qts);
}

/*
 * The host's VINTF (HYP_OWN) may issue anything: its queue is consumed at
 * each PROD write, round and round (2 entries a lap, the wrap bit flips)
 */
static void test_hyp_own_queue_consumed(void)
{
    static const uint64_t ops[] = { OP_CFGI_ALL, OP_TLBI_NH_ALL,
                                    OP_CMD_SYNC };
    Cmdqv c;
    uint32_t prod = 0;

    cmdqv_start(&c);
    vcmdq_setup(&c, 0, true, 0, 0, QUEUE, 1);
    for (int lap = 0; lap < 5; lap++) {
        for (int i = 0; i < 2; i++, prod++) {
            put_cmd(&c, QUEUE, 1, prod, ops[(lap + i) % 3],
                    ops[(lap + i) % 3] == OP_CFGI_ALL ? 31 : 0);
        }
        prod &= 3;
        wr(&c, A_LPAGE0(0, 0) + VCMDQ_PROD, prod);
        g_assert_cmphex(rd(&c, A_LPAGE0(0, 0) + VCMDQ_CONS), ==, prod);
    }
    g_assert_cmphex(rd(&c, A_GLOBAL_PAGE0(0) + VCMDQ_GERROR), ==, 0);
    qtest_quit(c.qts);
}

/*
 * A guest's VINTF (not HYP_OWN) may not issue CFGI_STE: the queue stops
 * at it with CONS.ERR ILL, its GERROR toggles, the error maps show it and
 * the interrupt fires; it stays stopped until GERRORN acknowledges, then
 * goes on from the command the guest put in its place.
 */
static void test_guest_vintf_refuses(void)
{
    Cmdqv c;

    cmdqv_start(&c);
    /* Two bits an interrupt, the upper one for edge-triggered */
    qtest_writel(c.qts, GICD + 0xc00 + 4 * (CMDQV_INTID / 16),
                 2u << (CMDQV_INTID % 16 * 2));
    vcmdq_setup(&c, 1, false, 5, 2, QUEUE, 3);
    g_assert_cmphex(rd(&c, A_VINTF(1) + VINTF_CONFIG) >> 17, ==, 0);
    put_cmd(&c, QUEUE, 3, 0, OP_TLBI_NH_ASID | 7ULL << 48, 0);
    put_cmd(&c, QUEUE, 3, 1, OP_CFGI_STE | 8ULL << 32, 1);
    put_cmd(&c, QUEUE, 3, 2, OP_CMD_SYNC, 0);
    g_assert_false(cmdqv_irq_pending(&c));
    wr(&c, A_LPAGE0(1, 0) + VCMDQ_PROD, 3);
    g_assert_cmphex(rd(&c, A_LPAGE0(1, 0) + VCMDQ_CONS), ==,
                    CERROR_ILL << 24 | 1);
    g_assert_cmphex(rd(&c, A_LPAGE0(1, 0) + VCMDQ_GERROR) ^
                    rd(&c, A_LPAGE0(1, 0) + VCMDQ_GERRORN), ==, 1);
    g_assert_cmphex(rd(&c, A_CMDQ_ERR_MAP), ==, 1 << 2);
    g_assert_cmphex(rd(&c, A_VINTF_ERR_MAP), ==, 1 << 1);
    g_assert_cmphex(rd(&c, A_VINTF(1) + VINTF_LVCMDQ_ERR_MAP), ==, 1);
    g_assert_true(cmdqv_irq_pending(&c));

    /* Stopped until acknowledged */
    wr(&c, A_LPAGE0(1, 0) + VCMDQ_PROD, 3);
    g_assert_cmphex(rd(&c, A_LPAGE0(1, 0) + VCMDQ_CONS) & 0xffff, ==, 1);
    put_cmd(&c, QUEUE, 3, 1, OP_CMD_SYNC, 0);
    wr(&c, A_LPAGE0(1, 0) + VCMDQ_GERRORN,
       rd(&c, A_LPAGE0(1, 0) + VCMDQ_GERROR));
    g_assert_cmphex(rd(&c, A_LPAGE0(1, 0) + VCMDQ_CONS) & 0xffff, ==, 3);
    g_assert_cmphex(rd(&c, A_VINTF_ERR_MAP), ==, 0);
    g_assert_cmphex(rd(&c, A_CMDQ_ERR_MAP), ==, 0);
    qtest_quit(c.qts);
}

/*
 * A guest's ATC_INV names a StreamID of its VINTF's match table (it is
 * replaced by the physical one); another is illegal
 */
static void test_guest_atc_inv_sid_match(void)
{
    Cmdqv c;

    cmdqv_start(&c);
    vcmdq_setup(&c, 2, false, 9, 4, QUEUE, 3);
    wr(&c, A_VINTF(2) + VINTF_SID_REPLACE(3), 0x100);
    wr(&c, A_VINTF(2) + VINTF_SID_MATCH(3), 0x20 << 1 | 1);
    wr(&c, A_VINTF(2) + VINTF_SID_REPLACE(0), 0x108);
    wr(&c, A_VINTF(2) + VINTF_SID_MATCH(0), 0x28 << 1 | 1);
    /* a disabled entry matches nothing */
    wr(&c, A_VINTF(2) + VINTF_SID_MATCH(5), 0x21 << 1);
    put_cmd(&c, QUEUE, 3, 0, OP_ATC_INV | 0x20ULL << 32, 0);
    put_cmd(&c, QUEUE, 3, 1, OP_ATC_INV | 0x28ULL << 32, 0);
    put_cmd(&c, QUEUE, 3, 2, OP_CMD_SYNC, 0);
    put_cmd(&c, QUEUE, 3, 3, OP_ATC_INV | 0x21ULL << 32, 0);
    wr(&c, A_LPAGE0(2, 0) + VCMDQ_PROD, 3);
    g_assert_cmphex(rd(&c, A_LPAGE0(2, 0) + VCMDQ_CONS), ==, 3);
    wr(&c, A_LPAGE0(2, 0) + VCMDQ_PROD, 4);
    g_assert_cmphex(rd(&c, A_LPAGE0(2, 0) + VCMDQ_CONS), ==,
                    CERROR_ILL << 24 | 3);
    qtest_quit(c.qts);
}

/* A queue nowhere (no RAM or device there): CONS.ERR ABT */
static void test_queue_fetch_abort(void)
{
    Cmdqv c;

    cmdqv_start(&c);
    vcmdq_setup(&c, 0, true, 0, 0, 0x5000000000ULL, 2);
    wr(&c, A_LPAGE0(0, 0) + VCMDQ_PROD, 1);
    g_assert_cmphex(rd(&c, A_LPAGE0(0, 0) + VCMDQ_CONS), ==,
                    CERROR_ABT << 24);
    qtest_quit(c.qts);
}

/*
 * A queue of a disabled CMDQV or VINTF, or an unallocated one, is not
 * consumed; what its PROD holds runs as soon as the last of them is
 * enabled or allocated, without another PROD write
 */
static void test_disabled_not_consumed(void)
{
    Cmdqv c;

    cmdqv_start(&c);
    vcmdq_setup(&c, 0, true, 0, 0, QUEUE, 2);
    for (int i = 0; i < 3; i++) {
        put_cmd(&c, QUEUE, 2, i, OP_CMD_SYNC, 0);
    }
    /* the VINTF disabled, then the queue unallocated */
    wr(&c, A_VINTF(0) + VINTF_CONFIG, 1 << 17);
    wr(&c, A_LPAGE0(0, 0) + VCMDQ_PROD, 1);
    wr(&c, A_CMDQ_ALLOC(0), ALLOC(0, 0) & ~1);
    wr(&c, A_GLOBAL_PAGE0(0) + VCMDQ_PROD, 1);
    g_assert_cmphex(rd(&c, A_GLOBAL_PAGE0(0) + VCMDQ_CONS), ==, 0);
    wr(&c, A_VINTF(0) + VINTF_CONFIG, 1 << 17 | 1);
    g_assert_cmphex(rd(&c, A_GLOBAL_PAGE0(0) + VCMDQ_CONS), ==, 0);
    wr(&c, A_CMDQ_ALLOC(0), ALLOC(0, 0));
    g_assert_cmphex(rd(&c, A_GLOBAL_PAGE0(0) + VCMDQ_CONS), ==, 1);

    /* the VINTF off: runs when it is enabled */
    wr(&c, A_VINTF(0) + VINTF_CONFIG, 1 << 17);
    wr(&c, A_GLOBAL_PAGE0(0) + VCMDQ_PROD, 2);
    g_assert_cmphex(rd(&c, A_GLOBAL_PAGE0(0) + VCMDQ_CONS), ==, 1);
    wr(&c, A_VINTF(0) + VINTF_CONFIG, 1 << 17 | 1);
    g_assert_cmphex(rd(&c, A_GLOBAL_PAGE0(0) + VCMDQ_CONS), ==, 2);

    /* the queue itself off: runs when it is enabled */
    wr(&c, A_GLOBAL_PAGE0(0) + VCMDQ_CONFIG, 0);
    put_cmd(&c, QUEUE, 2, 3, OP_CMD_SYNC, 0);
    wr(&c, A_GLOBAL_PAGE0(0) + VCMDQ_PROD, 4);
    g_assert_cmphex(rd(&c, A_GLOBAL_PAGE0(0) + VCMDQ_CONS), ==, 2);
    wr(&c, A_GLOBAL_PAGE0(0) + VCMDQ_CONFIG, 1);
    g_assert_cmphex(rd(&c, A_GLOBAL_PAGE0(0) + VCMDQ_CONS), ==, 4);

    /* the CMDQV off: runs when it is enabled */
    wr(&c, A_CONFIG, 0);
    put_cmd(&c, QUEUE, 2, 0, OP_CMD_SYNC, 0);
    wr(&c, A_GLOBAL_PAGE0(0) + VCMDQ_PROD, 4 | 1);
    g_assert_cmphex(rd(&c, A_GLOBAL_PAGE0(0) + VCMDQ_CONS), ==, 4);
    wr(&c, A_CONFIG, 1);
    g_assert_cmphex(rd(&c, A_GLOBAL_PAGE0(0) + VCMDQ_CONS), ==, 4 | 1);
    qtest_quit(c.qts);
}

/*
 * An error on the host's own VINTF (0) shows in the maps like any other:
 * VINTF_ERR_MAP bit 0, CMDQ_ERR_MAP bit of its VCMDQ, its LVCMDQ_ERR_MAP
 */
static void test_vintf0_error_maps(void)
{
    Cmdqv c;

    cmdqv_start(&c);
    vcmdq_setup(&c, 0, true, 0, 0, QUEUE, 2);
    put_cmd(&c, QUEUE, 2, 0, 0x7f, 0);      /* no such command */
    wr(&c, A_LPAGE0(0, 0) + VCMDQ_PROD, 1);
    g_assert_cmphex(rd(&c, A_LPAGE0(0, 0) + VCMDQ_CONS), ==,
                    CERROR_ILL << 24);
    g_assert_cmphex(rd(&c, A_VINTF_ERR_MAP), ==, 1);
    g_assert_cmphex(rd(&c, A_CMDQ_ERR_MAP), ==, 1);
    g_assert_cmphex(qtest_readq(c.qts, c.base + A_VINTF(0) +
                                VINTF_LVCMDQ_ERR_MAP), ==, 1);
    qtest_quit(c.qts);
}

/*
 * Registers a VCMDQ page does not have read as zero, whatever was written
 * there; CONS_INDX_BASE (page 1) keeps its 64 bits
 */
static void test_vcmdq_unknown_registers(void)
{
    Cmdqv c;

    cmdqv_start(&c);
    wr(&c, A_CMDQ_ALLOC(1), ALLOC(0, 0));
    for (uint32_t reg = 0x18; reg < 0x80; reg += 4) {
        wr(&c, A_LPAGE0(0, 0) + reg, 0xffffffff);
        g_assert_cmphex(rd(&c, A_LPAGE0(0, 0) + reg), ==, 0);
    }
    for (uint32_t reg = 0x10; reg < 0x80; reg += 4) {
        wr(&c, A_LPAGE1(0, 0) + reg, 0xffffffff);
        g_assert_cmphex(rd(&c, A_LPAGE1(0, 0) + reg), ==, 0);
    }
    qtest_writeq(c.qts, c.base + A_GLOBAL_PAGE1(1) + 0x08,
                 0x123456789abcdef0ULL);
    g_assert_cmphex(qtest_readq(c.qts, c.base + A_LPAGE1(0, 0) + 0x08), ==,
                    0x123456789abcdef0ULL);
    g_assert_cmphex(rd(&c, A_LPAGE1(0, 0) + 0x0c), ==, 0x12345678);
    qtest_quit(c.qts);
}

/*
 * CMDQ_ALLOC naming a VINTF or a logical index that does not exist gives
 * the VCMDQ to no one: it is not consumed, and an error it had before
 * shows in CMDQ_ERR_MAP only, not in any VINTF's maps
 */
static void test_alloc_out_of_range(void)
{
    static const uint32_t bad[] = { 4 << 15 | 1, 1 << 15 | 2 << 1 | 1 };
    Cmdqv c;

    cmdqv_start(&c);
    for (int i = 0; i < 4; i++) {
        wr(&c, A_VINTF(i) + VINTF_CONFIG, 1 << 17 | 1);
    }
    vcmdq_setup(&c, 1, true, 0, 3, QUEUE, 2);
    put_cmd(&c, QUEUE, 2, 0, 0x7f, 0);
    put_cmd(&c, QUEUE, 2, 1, OP_CMD_SYNC, 0);
    wr(&c, A_GLOBAL_PAGE0(3) + VCMDQ_PROD, 1);
    g_assert_cmphex(rd(&c, A_VINTF_ERR_MAP), ==, 1 << 1);
    for (int i = 0; i < ARRAY_SIZE(bad); i++) {
        wr(&c, A_CMDQ_ALLOC(3), bad[i]);
        g_assert_cmphex(rd(&c, A_CMDQ_ERR_MAP), ==, 1 << 3);
        g_assert_cmphex(rd(&c, A_VINTF_ERR_MAP), ==, 0);
        g_assert_cmphex(qtest_readq(c.qts, c.base + A_VINTF(1) +
                                    VINTF_LVCMDQ_ERR_MAP), ==, 0);
    }
    /* acknowledged, the queue still does not run: CONS stays at 0 */
    put_cmd(&c, QUEUE, 2, 0, OP_CMD_SYNC, 0);
    for (int i = 0; i < ARRAY_SIZE(bad); i++) {
        wr(&c, A_CMDQ_ALLOC(3), bad[i]);
        wr(&c, A_GLOBAL_PAGE0(3) + VCMDQ_GERRORN,
           rd(&c, A_GLOBAL_PAGE0(3) + VCMDQ_GERROR));
        wr(&c, A_GLOBAL_PAGE0(3) + VCMDQ_PROD, 2);
        g_assert_cmphex(rd(&c, A_GLOBAL_PAGE0(3) + VCMDQ_CONS) & 0xffff, ==,
                        0);
    }
    /* given back to VINTF 1, it runs */
    wr(&c, A_CMDQ_ALLOC(3), ALLOC(1, 0));
    wr(&c, A_GLOBAL_PAGE0(3) + VCMDQ_PROD, 2);
    g_assert_cmphex(rd(&c, A_GLOBAL_PAGE0(3) + VCMDQ_CONS) & 0xffff, ==, 2);
    qtest_quit(c.qts);
}

/*
 * The edges of the CONFIG page's arrays and of the VCMDQ pages: the words
 * just past CMDQ_ALLOC, past the last VINTF's block and past the last
 * VCMDQ's global pages read as zero and ignore writes (so a write there
 * reaches no queue: the one run after it still works); VINTF_INT_MASK
 * keeps 64 bits; the error maps' upper words are zero.
 */
static void test_register_edges(void)
{
    static const uint64_t past[] = {
        0x220, 0x224, 0x1400, 0x1404, 0x1440,
        A_GLOBAL_PAGE0(8), A_GLOBAL_PAGE0(8) + 4, A_GLOBAL_PAGE0(8) + 8,
        A_GLOBAL_PAGE1(8), A_GLOBAL_PAGE1(8) + 4,
        0x00c, 0x010, 0x018, 0x100, 0x1000 + 0x08, 0x1000 + 0x3c,
    };
    Cmdqv c;

    cmdqv_start(&c);
    wr(&c, A_CMDQ_ALLOC(0), ALLOC(1, 1));
    g_assert_cmphex(rd(&c, A_CMDQ_ALLOC(0)), ==, ALLOC(1, 1));
    g_assert_cmphex(rd(&c, A_CMDQ_ALLOC(7)), ==, 0);
    for (int i = 0; i < ARRAY_SIZE(past); i++) {
        wr(&c, past[i], 0xffffffff);
        g_assert_cmphex(rd(&c, past[i]), ==, 0);
    }
    qtest_writeq(c.qts, c.base + 0x01c, 0x8000000180000001ULL);
    g_assert_cmphex(rd(&c, 0x01c), ==, 0x80000001);
    g_assert_cmphex(rd(&c, 0x020), ==, 0x80000001);

    /* VCMDQ 0 still runs (nothing above reached it), then fails */
    vcmdq_setup(&c, 0, true, 0, 0, QUEUE, 2);
    g_assert_cmphex(rd(&c, A_VINTF(0) + VINTF_CONFIG), ==, 1 << 17 | 1);
    put_cmd(&c, QUEUE, 2, 0, OP_CMD_SYNC, 0);
    put_cmd(&c, QUEUE, 2, 1, 0x7f, 0);
    wr(&c, A_LPAGE0(0, 0) + VCMDQ_PROD, 2);
    g_assert_cmphex(rd(&c, A_LPAGE0(0, 0) + VCMDQ_CONS), ==,
                    CERROR_ILL << 24 | 1);
    /* its CONS is the first word of the VCMDQ pages, read and written */
    g_assert_cmphex(rd(&c, A_GLOBAL_PAGE0(0) + VCMDQ_CONS), ==,
                    CERROR_ILL << 24 | 1);
    wr(&c, A_GLOBAL_PAGE0(0) + VCMDQ_CONS, 2);
    g_assert_cmphex(rd(&c, A_LPAGE0(0, 0) + VCMDQ_CONS), ==, 2);
    /* ... and shows in the first word of each map only */
    g_assert_cmphex(rd(&c, A_CMDQ_ERR_MAP), ==, 1);
    for (int i = 1; i < 4; i++) {
        g_assert_cmphex(rd(&c, A_CMDQ_ERR_MAP + 4 * i), ==, 0);
    }
    g_assert_cmphex(rd(&c, A_VINTF(0) + VINTF_LVCMDQ_ERR_MAP), ==, 1);
    for (int i = 1; i < 4; i++) {
        g_assert_cmphex(rd(&c, A_VINTF(0) + VINTF_LVCMDQ_ERR_MAP + 4 * i),
                        ==, 0);
    }
    qtest_quit(c.qts);
}

/*
 * A queue base on an odd 32-byte boundary: LOG2SIZE is bits [4:0] only,
 * so a 2-entry queue there wraps after 2 commands
 */
static void test_vcmdq_base_bit5(void)
{
    Cmdqv c;

    cmdqv_start(&c);
    vcmdq_setup(&c, 0, true, 0, 0, QUEUE + 0x20, 1);
    put_cmd(&c, QUEUE + 0x20, 1, 0, OP_CMD_SYNC, 0);
    put_cmd(&c, QUEUE + 0x20, 1, 1, OP_CMD_SYNC, 0);
    wr(&c, A_LPAGE0(0, 0) + VCMDQ_PROD, 2);
    g_assert_cmphex(rd(&c, A_LPAGE0(0, 0) + VCMDQ_CONS), ==, 2);
    /* the next lap reads the same two slots */
    wr(&c, A_LPAGE0(0, 0) + VCMDQ_PROD, 1);
    g_assert_cmphex(rd(&c, A_LPAGE0(0, 0) + VCMDQ_CONS), ==, 1);
    qtest_quit(c.qts);
}

/*
 * A guest VINTF's TLBIs carry its VMID, whatever the guest put there: the
 * SMMU invalidates (asid 7, vmid 5), as its trace shows; the host's VINTF
 * keeps the command's own VMID.  With x-cmdqv-guest-tlbi=off the guest
 * VINTF's are consumed and dropped (what the e2e stale-cmdqv mode needs).
 */
static void guest_tlbis(bool dropped)
{
    g_autofree char *dir = g_dir_make_tmp("smmuv3-cmdqv-XXXXXX", NULL);
    g_autofree char *log = g_build_filename(dir, "trace.log", NULL);
    g_autofree char *text = NULL;
    uint64_t size;
    Cmdqv c;

    c.qts = qtest_initf("%s%s -trace smmu_iotlb_inv_asid_vmid -D %s",
                        cmdqv_args, dropped ? ",x-cmdqv-guest-tlbi=off" : "",
                        log);
    c.base = smmuv3_qtest_region(c.qts, "tegra241-cmdqv", &size);
    vcmdq_setup(&c, 1, false, 5, 2, QUEUE, 3);
    put_cmd(&c, QUEUE, 3, 0, OP_TLBI_NH_ASID | 7ULL << 48 | 0x33ULL << 32,
            0);
    wr(&c, A_LPAGE0(1, 0) + VCMDQ_PROD, 1);
    vcmdq_setup(&c, 0, true, 0, 0, QUEUE + 0x1000, 3);
    put_cmd(&c, QUEUE + 0x1000, 3, 0,
            OP_TLBI_NH_ASID | 8ULL << 48 | 0x33ULL << 32, 0);
    wr(&c, A_LPAGE0(0, 0) + VCMDQ_PROD, 1);
    g_assert_cmphex(rd(&c, A_LPAGE0(1, 0) + VCMDQ_CONS), ==, 1);
    g_assert_cmphex(rd(&c, A_LPAGE0(0, 0) + VCMDQ_CONS), ==, 1);
    qtest_quit(c.qts);

    g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
    if (dropped) {
        g_assert_null(strstr(text, "asid=7"));
    } else {
        g_assert_nonnull(strstr(text, "IOTLB invalidate asid=7 vmid=5\n"));
    }
    g_assert_nonnull(strstr(text, "IOTLB invalidate asid=8 vmid=51\n"));
    g_assert_null(strstr(text, "asid=7 vmid=51"));
    unlink(log);
    rmdir(dir);
}

static void test_guest_vmid_substituted(void)
{
    guest_tlbis(false);
}

static void test_guest_tlbi_dropped(void)
{
    guest_tlbis(true);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/arm-smmuv3-cmdqv/guest-tlbi-dropped",
                   test_guest_tlbi_dropped);
    qtest_add_func("/arm-smmuv3-cmdqv/region-only-when-asked",
                   test_region_only_when_asked);
    qtest_add_func("/arm-smmuv3-cmdqv/legacy-smmu-refused",
                   test_legacy_smmu_refused);
    qtest_add_func("/arm-smmuv3-cmdqv/param-and-handshakes",
                   test_param_and_handshakes);
    qtest_add_func("/arm-smmuv3-cmdqv/alloc-aliases", test_alloc_aliases);
    qtest_add_func("/arm-smmuv3-cmdqv/vintf-sid-table",
                   test_vintf_sid_table);
    qtest_add_func("/arm-smmuv3-cmdqv/reset", test_reset);
    qtest_add_func("/arm-smmuv3-cmdqv/hyp-own-queue-consumed",
                   test_hyp_own_queue_consumed);
    qtest_add_func("/arm-smmuv3-cmdqv/guest-vintf-refuses",
                   test_guest_vintf_refuses);
    qtest_add_func("/arm-smmuv3-cmdqv/guest-atc-inv-sid-match",
                   test_guest_atc_inv_sid_match);
    qtest_add_func("/arm-smmuv3-cmdqv/queue-fetch-abort",
                   test_queue_fetch_abort);
    qtest_add_func("/arm-smmuv3-cmdqv/disabled-not-consumed",
                   test_disabled_not_consumed);
    qtest_add_func("/arm-smmuv3-cmdqv/vintf0-error-maps",
                   test_vintf0_error_maps);
    qtest_add_func("/arm-smmuv3-cmdqv/vcmdq-unknown-registers",
                   test_vcmdq_unknown_registers);
    qtest_add_func("/arm-smmuv3-cmdqv/alloc-out-of-range",
                   test_alloc_out_of_range);
    qtest_add_func("/arm-smmuv3-cmdqv/register-edges", test_register_edges);
    qtest_add_func("/arm-smmuv3-cmdqv/vcmdq-base-bit5", test_vcmdq_base_bit5);
    qtest_add_func("/arm-smmuv3-cmdqv/guest-vmid-substituted",
                   test_guest_vmid_substituted);
    return g_test_run();
}
