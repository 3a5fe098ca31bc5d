/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QTest: the ID registers of a user-created arm-smmuv3 on the virt machine,
 * read over MMIO the way a guest driver reads them.
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "arm-smmuv3-qtest.h"


static QTestState *start_virt(const char *smmu_opts)
{
    return qtest_initf("-M virt -accel tcg -display none -nodefaults "
                       "-device arm-smmuv3,primary-bus=pcie.0%s",
                       smmu_opts);
}

static void test_idr_stage1_defaults(void)
{
    QTestState *qts = start_virt("");
    uint64_t base = smmuv3_qtest_base(qts);
    uint32_t idr0 = qtest_readl(qts, base + A_IDR0);
    uint32_t idr1 = qtest_readl(qts, base + A_IDR1);
    uint32_t idr5 = qtest_readl(qts, base + A_IDR5);

    /* Stage 1 only, AArch64 tables, coherent, 2-level stream table. */
    g_assert_cmpuint(FIELD_EX32(idr0, IDR0, S1P), ==, 1);
    g_assert_cmpuint(FIELD_EX32(idr0, IDR0, S2P), ==, 0);
    g_assert_cmpuint(FIELD_EX32(idr0, IDR0, TTF), ==, 2);
    g_assert_cmpuint(FIELD_EX32(idr0, IDR0, COHACC), ==, 1);
    g_assert_cmpuint(FIELD_EX32(idr0, IDR0, ASID16), ==, 1);
    g_assert_cmpuint(FIELD_EX32(idr0, IDR0, TTENDIAN), ==, 2);
    g_assert_cmpuint(FIELD_EX32(idr0, IDR0, STALL_MODEL), ==, 1);
    g_assert_cmpuint(FIELD_EX32(idr0, IDR0, TERM_MODEL), ==, 1);
    g_assert_cmpuint(FIELD_EX32(idr0, IDR0, STLEVEL), ==, 1);

    /* 16-bit StreamIDs, no substreams. */
    g_assert_cmpuint(FIELD_EX32(idr1, IDR1, SIDSIZE), ==, 16);
    g_assert_cmpuint(FIELD_EX32(idr1, IDR1, SSIDSIZE), ==, 0);

    /* 44-bit output addresses, all three granules. */
    g_assert_cmpuint(FIELD_EX32(idr5, IDR5, OAS), ==, 4);
    g_assert_cmpuint(FIELD_EX32(idr5, IDR5, GRAN4K), ==, 1);
    g_assert_cmpuint(FIELD_EX32(idr5, IDR5, GRAN16K), ==, 1);
    g_assert_cmpuint(FIELD_EX32(idr5, IDR5, GRAN64K), ==, 1);

    /* SMMUv3.1 */
    g_assert_cmpuint(qtest_readl(qts, base + A_AIDR), ==, 1);
    qtest_quit(qts);
}

static void test_idr_stage_nested(void)
{
    QTestState *qts = start_virt(",stage=nested");
    uint64_t base = smmuv3_qtest_base(qts);
    uint32_t idr0 = qtest_readl(qts, base + A_IDR0);

    g_assert_cmpuint(FIELD_EX32(idr0, IDR0, S1P), ==, 1);
    g_assert_cmpuint(FIELD_EX32(idr0, IDR0, S2P), ==, 1);
    g_assert_cmpuint(FIELD_EX32(idr0, IDR0, VMID16), ==, 1);
    qtest_quit(qts);
}

static void test_idr_s2fwb(void)
{
    QTestState *qts = start_virt(",stage=nested,s2fwb=on");
    uint64_t base = smmuv3_qtest_base(qts);

    g_assert_cmpuint(FIELD_EX32(qtest_readl(qts, base + A_IDR3), IDR3, FWB),
                     ==, 1);
    qtest_quit(qts);

    /* Off by default: the stock model does not advertise it */
    qts = start_virt(",stage=nested");
    base = smmuv3_qtest_base(qts);
    g_assert_cmpuint(FIELD_EX32(qtest_readl(qts, base + A_IDR3), IDR3, FWB),
                     ==, 0);
    qtest_quit(qts);
}

/* QEMU must refuse to start with @opts, saying @msg on stderr */
static void assert_start_fails(const char *opts, const char *msg)
{
    g_autofree char *cmd =
        g_strdup_printf("%s -M virt -accel tcg -display none -nodefaults "
                        "-S -device arm-smmuv3,primary-bus=pcie.0%s",
                        qtest_qemu_binary(NULL), opts);
    g_autofree char *out = NULL, *err = NULL;
    int status;

    g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status, NULL));
    g_assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    g_assert_nonnull(strstr(err, msg));
}

static void test_s2fwb_needs_stage2(void)
{
    assert_start_fails(",s2fwb=on", "s2fwb=on needs stage 2");
    assert_start_fails(",stage=1,s2fwb=on", "s2fwb=on needs stage 2");
}

static void test_idr_read_only(void)
{
    QTestState *qts = start_virt("");
    uint64_t base = smmuv3_qtest_base(qts);
    uint32_t idr0 = qtest_readl(qts, base + A_IDR0);
    uint32_t idr1 = qtest_readl(qts, base + A_IDR1);

    qtest_writel(qts, base + A_IDR0, ~idr0);
    qtest_writel(qts, base + A_IDR1, 0);
    g_assert_cmphex(qtest_readl(qts, base + A_IDR0), ==, idr0);
    g_assert_cmphex(qtest_readl(qts, base + A_IDR1), ==, idr1);
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/arm-smmuv3/idr/stage1-defaults", test_idr_stage1_defaults);
    qtest_add_func("/arm-smmuv3/idr/stage-nested", test_idr_stage_nested);
    qtest_add_func("/arm-smmuv3/idr/read-only", test_idr_read_only);
    qtest_add_func("/arm-smmuv3/idr/s2fwb", test_idr_s2fwb);
    qtest_add_func("/arm-smmuv3/idr/s2fwb-needs-stage2",
                   test_s2fwb_needs_stage2);
    return g_test_run();
}
