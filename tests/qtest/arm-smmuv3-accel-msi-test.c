/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QTest: arm-smmuv3,accel=on against the host kernel model
 * (tests/hostmodel), MSIs: the assigned device's MSI-X translated through
 * the guest's stage 1 (a lookup, no event), and the SMMU's own event
 * queue and global error interrupts as MSIs.
 *
 * Needs HOSTMODEL_LIB (libhostmodel.so) and HOSTMODEL_DIR (the directory
 * of the model's sources and profiles); skipped without them.
 */

#include "qemu/osdep.h"
#include "arm-smmuv3-accel-harness.h"

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

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/arm-smmuv3-accel/msi/translated-through-guest-s1",
                   test_msi_translated_through_guest_s1);
    qtest_add_func("/arm-smmuv3-accel/msi/lookup-records-no-event",
                   test_msi_lookup_records_no_event);
    qtest_add_func("/arm-smmuv3-accel/msi/evtq-gerror-msis",
                   test_evtq_gerror_msis);
    return g_test_run();
}
