/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QTest: arm-smmuv3,x-cmdqv=on, the registers of the Tegra241 CMDQV beside
 * the emulated SMMU: its region and parameters, the enable handshakes that
 * Linux's driver polls, CMDQ_ALLOC and the VINTFs' logical views of the
 * VCMDQs it gives them, the VINTF registers, reset.  Register layout:
 * docs/devel/arm-smmuv3-accel-cmdqv.rst.
 */

#include "qemu/osdep.h"
#include "libqtest.h"

#define CMDQV_SIZE      0xb0000ULL      /* 0x30000 + 4 VINTFs of 0x20000 */
#define A_CONFIG        0x000
#define A_PARAM         0x004
#define A_STATUS        0x008
#define A_VINTF_ERR_MAP 0x014
#define A_CMDQ_ERR_MAP  0x024
#define A_CMDQ_ALLOC(q) (0x200 + 4 * (q))
#define A_VINTF(v)      (0x1000 + 0x100 * (v))
#define VINTF_CONFIG    0x00
#define VINTF_STATUS    0x04
#define VINTF_SID_MATCH(s)   (0x40 + 4 * (s))
#define VINTF_SID_REPLACE(s) (0x80 + 4 * (s))
#define VINTF_LVCMDQ_ERR_MAP 0xc0
#define A_GLOBAL_PAGE0(q) (0x10000 + 0x80 * (q))
#define A_GLOBAL_PAGE1(q) (0x20000 + 0x80 * (q))
#define A_LPAGE0(v, l)  (0x30000 + 0x20000 * (v) + 0x80 * (l))
#define A_LPAGE1(v, l)  (0x40000 + 0x20000 * (v) + 0x80 * (l))
#define VCMDQ_CONS      0x00
#define VCMDQ_PROD      0x04
#define VCMDQ_CONFIG    0x08
#define VCMDQ_STATUS    0x0c
#define VCMDQ_GERROR    0x10
#define VCMDQ_GERRORN   0x14
#define VCMDQ_BASE      0x00
#define ALLOC(v, l)     ((v) << 15 | (l) << 1 | 1)

static const char *cmdqv_args =
    "-M virt -display none -nodefaults "
    "-device arm-smmuv3,primary-bus=pcie.0,stage=nested,x-cmdqv=on";

/* The base of the "tegra241-cmdqv" region, from "info mtree" */
static uint64_t cmdqv_base(QTestState *qts, uint64_t *size)
{
    g_autofree char *mtree = qtest_hmp(qts, "info mtree");
    g_auto(GStrv) lines = g_strsplit(mtree, "\n", -1);

    for (int i = 0; lines[i]; i++) {
        if (strstr(lines[i], "): tegra241-cmdqv")) {
            char *end;
            uint64_t base = g_ascii_strtoull(g_strstrip(lines[i]), &end, 16);
            uint64_t last = g_ascii_strtoull(end + 1, NULL, 16);

            *size = last - base + 1;
            return base;
        }
    }
    return 0;
}

typedef struct Cmdqv {
    QTestState *qts;
    uint64_t base;
} Cmdqv;

static void cmdqv_start(Cmdqv *c)
{
    uint64_t size = 0;

    c->qts = qtest_init(cmdqv_args);
    c->base = cmdqv_base(c->qts, &size);
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

/* Without x-cmdqv there is no such region */
static void test_region_only_when_asked(void)
{
    QTestState *qts = qtest_init("-M virt -display none -nodefaults "
                                 "-device arm-smmuv3,primary-bus=pcie.0");
    uint64_t size = 0;

    g_assert_cmphex(cmdqv_base(qts, &size), ==, 0);
    qtest_quit(qts);
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
    qtest_system_reset(c.qts);
    g_assert_cmphex(rd(&c, A_CONFIG), ==, 0);
    g_assert_cmphex(rd(&c, A_STATUS), ==, 0);
    g_assert_cmphex(rd(&c, A_VINTF(0) + VINTF_CONFIG), ==, 0);
    g_assert_cmphex(rd(&c, A_CMDQ_ALLOC(0)), ==, 0);
    g_assert_cmphex(rd(&c, A_GLOBAL_PAGE0(0) + VCMDQ_STATUS), ==, 0);
    g_assert_cmphex(rd(&c, A_GLOBAL_PAGE0(0) + VCMDQ_PROD), ==, 0);
    g_assert_cmphex(rd(&c, A_PARAM), ==, 0x4231);
    qtest_quit(c.qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/arm-smmuv3-cmdqv/region-only-when-asked",
                   test_region_only_when_asked);
    qtest_add_func("/arm-smmuv3-cmdqv/param-and-handshakes",
                   test_param_and_handshakes);
    qtest_add_func("/arm-smmuv3-cmdqv/alloc-aliases", test_alloc_aliases);
    qtest_add_func("/arm-smmuv3-cmdqv/vintf-sid-table",
                   test_vintf_sid_table);
    qtest_add_func("/arm-smmuv3-cmdqv/reset", test_reset);
    return g_test_run();
}
