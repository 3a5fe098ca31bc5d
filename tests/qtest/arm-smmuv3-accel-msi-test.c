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
    write_bad_ste(&a);
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

static int64_t counter(Accel *a, const char *name)
{
    QDict *info = query_one(a);
    int64_t n = qdict_get_int(info, name);

    qobject_unref(info);
    return n;
}

/* Wait until counter @name reaches @n, as a bottom half makes it */
static int64_t wait_counter(Accel *a, const char *name, int64_t n)
{
    int64_t got = counter(a, name);

    for (int i = 0; i < 10000 && got < n; i++) {
        g_usleep(1000);
        got = counter(a, name);
    }
    return got;
}

/* The event queue's interrupt an MSI of @data at @addr, on */
static void evtq_msi(Accel *a, uint64_t addr, uint32_t data)
{
    wrq(a, A_EVENTQ_IRQ_CFG0, addr);
    wr(a, A_EVENTQ_IRQ_CFG1, data);
    wr(a, A_IRQ_CTRL, R_IRQ_CTRL_EVENTQ_IRQEN_MASK);
}

/* More than any pass of a Linux guest's, which are at most 65 */
#define MANY            4095

/*
 * One CMDQ_PROD write whose CMD_SYNCs all complete with an MSI on the
 * flash's command register, read array and read ID in turn: each MSI
 * flips the flash between ROM and I/O mode, a memory transaction whose
 * replaced views QEMU frees only after an RCU grace period.  One pass
 * writes 16 of them, the rest wait for the views to be freed, so QEMU's
 * peak memory does not grow with the queue; every CMD_SYNC completes.
 */
static void test_sync_msis_on_flash(void)
{
    Accel a;
    long before, after;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    queues_at(&a, CMDQ, 12, EVTQ, QLOG2);
    for (unsigned i = 0; i < MANY; i++) {
        queue_cmd(&a, OP_CMD_SYNC | SYNC_CS_IRQ |
                  (uint64_t)(i & 1 ? 0x90 : 0xff) << 32, FLASH_CMD);
    }
    before = qemu_peak_rss_kb(&a);
    kick(&a);
    g_assert_cmpint(wait_counter(&a, "msis", MANY), ==, MANY);
    after = qemu_peak_rss_kb(&a);
    g_test_message("peak RSS %ld -> %ld KiB", before, after);
    g_assert_cmpint(after - before, <, PASS_MEM_KB);
    g_assert_cmpuint(rd(&a, A_CMDQ_CONS) & 0xfffff, ==, a.prod);
    g_assert_cmpint(counter(&a, "msis-held"), >=, MANY / 16 - 1);
    accel_stop(&a);
}

/* Linux's CMD_SYNC MSIs, in RAM, are never held: one trap does them all */
static void test_sync_msis_in_ram(void)
{
    const uint64_t sync_msi = CDTAB + 0x9020;
    Accel a;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    queues_at(&a, CMDQ, 12, EVTQ, QLOG2);
    for (unsigned i = 0; i < MANY; i++) {
        queue_cmd(&a, OP_CMD_SYNC | SYNC_CS_IRQ | (uint64_t)i << 32,
                  sync_msi);
    }
    kick(&a);
    g_assert_cmpuint(rd(&a, A_CMDQ_CONS) & 0xfffff, ==, a.prod);
    g_assert_cmphex(qtest_readl(a.qts, sync_msi), ==, MANY - 1);
    g_assert_cmpint(counter(&a, "msis"), ==, MANY);
    g_assert_cmpint(counter(&a, "msis-held"), ==, 0);
    accel_stop(&a);
}

/*
 * One trap raising 1024 events whose interrupt is an MSI on the flash
 * (data 0xff: each one two mode flips): 16 are sent, the rest held and
 * sent as one once the pass's memory is freed, after the last event.  A
 * pass of one event before it leaves the burst its whole ration.
 */
static void test_evtq_msis_on_flash(void)
{
    const unsigned n = 1024;
    Accel a;
    long before, after;
    uint32_t prod;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    queues_at(&a, CMDQ, 11, EVTQ, 11);
    evtq_msi(&a, FLASH_CMD, 0xff);
    write_bad_ste(&a);
    cfgi_ste(&a, DEV_SID);
    g_assert_cmpint(counter(&a, "msis"), ==, 1);
    prod = rd(&a, A_EVENTQ_PROD);
    for (unsigned i = 0; i < n; i++) {
        queue_cmd(&a, OP_CFGI_STE | (uint64_t)DEV_SID << 32, 1);
    }
    queue_cmd(&a, OP_CMD_SYNC, 0);
    before = qemu_peak_rss_kb(&a);
    kick(&a);
    g_assert_cmpuint(rd(&a, A_CMDQ_CONS) & 0xfffff, ==, a.prod);
    g_assert_cmpuint(rd(&a, A_EVENTQ_PROD) - prod, ==, n);
    g_assert_cmpint(wait_counter(&a, "msis", 18), ==, 18);
    g_assert_cmpint(counter(&a, "msis-held"), ==, n - 16);
    after = qemu_peak_rss_kb(&a);
    g_test_message("peak RSS %ld -> %ld KiB", before, after);
    g_assert_cmpint(after - before, <, PASS_MEM_KB);
    /* Nothing more comes */
    g_usleep(100 * 1000);
    g_assert_cmpint(counter(&a, "msis"), ==, 18);
    accel_stop(&a);
}

/*
 * The ration is per pass, not for ever: a trap of 17 events whose
 * interrupt is an MSI outside RAM sends 16 and holds one, sent when the
 * pass ends; the next trap of 16 has its whole ration again.
 */
static void test_msi_ration_per_pass(void)
{
    Accel a;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    evtq_msi(&a, FLASH_CMD, 0x90);
    write_bad_ste(&a);
    for (int burst = 0; burst < 2; burst++) {
        for (int i = 0; i < 17 - burst; i++) {
            queue_cmd(&a, OP_CFGI_STE | (uint64_t)DEV_SID << 32, 1);
        }
        queue_cmd(&a, OP_CMD_SYNC, 0);
        kick(&a);
        g_assert_cmpuint(rd(&a, A_CMDQ_CONS) & 0xfffff, ==, a.prod);
        /* the held one comes when the pass ends */
        g_assert_cmpint(wait_counter(&a, "msis", 17), ==, 17 + burst * 16);
        g_assert_cmpint(counter(&a, "msis-held"), ==, 1);
        wr(&a, A_EVENTQ_CONS, rd(&a, A_EVENTQ_PROD));
    }
    accel_stop(&a);
}

/*
 * The same with the flash backed by a drive: programming it writes the
 * drive, whose wait polls the main loop's bottom halves inside the trap.
 * The pass must not end there (only once its memory is freed), or the
 * ration is restarted again and again: two flips every three CMD_SYNCs.
 */
static void test_sync_msis_on_flash_drive(void)
{
    g_autofree char *path = NULL;
    g_autofree char *dev = NULL;
    const uint64_t flash1 = 0x04000000ULL + FLASH_CMD;
    Accel a;
    long before, after;
    int fd;

    fd = g_file_open_tmp("smmuv3-flash-XXXXXX", &path, NULL);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, 64 * 1024 * 1024), ==, 0);
    close(fd);
    dev = g_strdup_printf("%s -drive if=pflash,unit=1,format=raw,file=%s",
                          vfio_dev, path);
    if (!accel_start_dev(&a, "grace", "", dev)) {
        unlink(path);
        return;
    }
    guest_enable(&a);
    queues_at(&a, CMDQ, 12, EVTQ, QLOG2);
    for (unsigned i = 0; i < MANY; i++) {
        /* program setup, a byte programmed, read array */
        static const uint32_t data[] = { 0x40, 0x00, 0xff };

        queue_cmd(&a, OP_CMD_SYNC | SYNC_CS_IRQ |
                  (uint64_t)data[i % 3] << 32, flash1);
    }
    before = qemu_peak_rss_kb(&a);
    kick(&a);
    g_assert_cmpint(wait_counter(&a, "msis", MANY), ==, MANY);
    after = qemu_peak_rss_kb(&a);
    g_test_message("peak RSS %ld -> %ld KiB", before, after);
    g_assert_cmpint(after - before, <, PASS_MEM_KB);
    g_assert_cmpuint(rd(&a, A_CMDQ_CONS) & 0xfffff, ==, a.prod);
    accel_stop(&a);
    unlink(path);
}

/*
 * virt's GICv2 distributor, and the SPIs of the SMMU's wired interrupts:
 * the first device on the platform bus takes its first interrupts, from
 * SPI 112 (INTID 144): event queue, PRI queue, CMD_SYNC, global error.
 */
#define GICD            0x08000000ULL
#define GICD_ISPENDR(n) (GICD + 0x200 + 4 * (n))
#define GICD_ICFGR(n)   (GICD + 0xc00 + 4 * (n))
#define SMMU_INTID(irq) (144 + (irq))

static bool wired_pending(Accel *a, int irq)
{
    int id = SMMU_INTID(irq);

    return qtest_readl(a->qts, GICD_ISPENDR(id / 32)) & BIT(id % 32);
}

/*
 * An interrupt without an MSI address is the wired one: the GIC sees the
 * SPI pending (edge-triggered, so that the pulse latches), and no MSI is
 * written.
 */
static void test_wired_without_address(void)
{
    Accel a;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    /* Two bits an interrupt, the upper one for edge-triggered */
    qtest_writel(a.qts, GICD_ICFGR(SMMU_INTID(0) / 16),
                 0xaa << (SMMU_INTID(0) % 16 * 2));
    g_assert_false(wired_pending(&a, 2));
    queue_cmd(&a, OP_CMD_SYNC | SYNC_CS_IRQ | 0x55ULL << 32, 0);
    kick(&a);
    g_assert_true(wired_pending(&a, 2));

    wr(&a, A_IRQ_CTRL, R_IRQ_CTRL_EVENTQ_IRQEN_MASK);
    g_assert_false(wired_pending(&a, 0));
    write_bad_ste(&a);
    cfgi_ste(&a, DEV_SID);
    g_assert_true(wired_pending(&a, 0));
    g_assert_cmpint(counter(&a, "msis"), ==, 0);
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
    qtest_add_func("/arm-smmuv3-accel/msi/sync-msis-on-flash",
                   test_sync_msis_on_flash);
    qtest_add_func("/arm-smmuv3-accel/msi/sync-msis-in-ram",
                   test_sync_msis_in_ram);
    qtest_add_func("/arm-smmuv3-accel/msi/evtq-msis-on-flash",
                   test_evtq_msis_on_flash);
    qtest_add_func("/arm-smmuv3-accel/msi/ration-per-pass",
                   test_msi_ration_per_pass);
    qtest_add_func("/arm-smmuv3-accel/msi/sync-msis-on-flash-drive",
                   test_sync_msis_on_flash_drive);
    qtest_add_func("/arm-smmuv3-accel/msi/wired-without-address",
                   test_wired_without_address);
    return g_test_run();
}
