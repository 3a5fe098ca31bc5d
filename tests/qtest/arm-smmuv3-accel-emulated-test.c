/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QTest: arm-smmuv3,accel=on against the host kernel model
 * (tests/hostmodel), emulated devices beside the assigned one and a
 * hostile guest: edu's DMA translated by QEMU's own stage 1, a CMD_SYNC
 * MSI (into e1000e) and an event (into AHCI) aimed at emulated DMA devices
 * without deadlock, and random STEs and commands.  The sweep of every
 * guest-chosen address over the emulated devices, accel on and off, is
 * arm-smmuv3-accel-hostile-test.c.
 *
 * Needs HOSTMODEL_LIB (libhostmodel.so) and HOSTMODEL_DIR (the directory
 * of the model's sources and profiles); skipped without them.
 */

#include "qemu/osdep.h"
#include "arm-smmuv3-accel-harness.h"
#include "arm-smmuv3-cmdqv-qtest.h"

/* An emulated device (edu) next to the assigned one, in slot 3 */
#define EDU_SID         0x18
#define EDU_BAR         0x10000000ULL
#define EDU_CFG(reg)    (ECAM + (EDU_SID << 12) + (reg))
#define EDU_DMA_SRC     0x80
#define EDU_DMA_DST     0x88
#define EDU_DMA_CNT     0x90
#define EDU_DMA_CMD     0x98
#define EDU_BUF         0x40000
#define DATA_PA         0x40700000ULL
#define DMA_IOVA        0x100000ULL

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

/* A second page of data, a page edu copies to, the guest's VCMDQ */
#define DATA2_PA        0x40701000ULL
#define SCRATCH_PA      0x40702000ULL
#define VQUEUE          0x40800000ULL

/* What edu reads at DMA_IOVA now: copied through its buffer to scratch */
static uint64_t edu_read_iova(Accel *a)
{
    g_assert_true(edu_dma(a, DMA_IOVA, false));
    g_assert_true(edu_dma(a, DMA_IOVA + 0x1000, true));
    return qtest_readq(a->qts, SCRATCH_PA);
}

/*
 * cmdqv=on: the guest's TLBIs go to its VCMDQ, which the host runs, not
 * QEMU; edu's translations, which QEMU makes, must then not be cached:
 * after the guest remaps its IOVA and invalidates through the VCMDQ,
 * edu's next DMA reads the new page.
 */
static void test_emulated_device_beside_cmdqv(void)
{
    Accel a;
    uint64_t data = cpu_to_le64(0x1111111111111111ULL);
    uint64_t data2 = cpu_to_le64(0x2222222222222222ULL);
    uint64_t cmds[2][2] = {
        { cpu_to_le64(OP_TLBI_NH_ASID | 1ULL << 48), 0 },
        { cpu_to_le64(OP_CMD_SYNC), 0 },
    };
    g_autofree char *devs = g_strdup_printf("%s -device edu,bus=pcie.0,"
                                            "addr=3.0", vfio_dev);
    uint64_t cv, size;

    if (!accel_start_dev(&a, "grace-cmdqv", ",cmdqv=on", devs)) {
        return;
    }
    cv = smmuv3_qtest_region(a.qts, "tegra241-cmdqv", &size);
    qtest_writel(a.qts, EDU_CFG(0x10), EDU_BAR);
    qtest_writew(a.qts, EDU_CFG(0x04), 0x6);
    guest_enable(&a);
    edu_stage1(&a);
    qtest_memwrite(a.qts, DATA_PA, &data, sizeof(data));
    qtest_memwrite(a.qts, DATA2_PA, &data2, sizeof(data2));
    wr64(&a, PT_L3 + ((DMA_IOVA + 0x1000) >> 12) * 8, SCRATCH_PA |
         (1 << 10) | (1 << 6) | (3 << 8) | 3);
    g_assert_cmphex(edu_read_iova(&a), ==, 0x1111111111111111ULL);

    /* the guest's queue 0 on the host, as Linux brings it up */
    qtest_writel(a.qts, cv + A_CONFIG, 1);
    qtest_writel(a.qts, cv + A_VINTF(0) + VINTF_CONFIG, 1);
    qtest_writel(a.qts, cv + A_CMDQ_ALLOC(0), ALLOC(0, 0));
    qtest_writeq(a.qts, cv + A_LPAGE1(0, 0) + VCMDQ_BASE, VQUEUE | 8);
    qtest_writel(a.qts, cv + A_LPAGE0(0, 0) + VCMDQ_CONFIG, 1);
    g_assert_cmpint(count(&a, "HW_QUEUE"), ==, 1);

    /* remapped, invalidated through the VCMDQ, which QEMU never sees */
    wr64(&a, PT_L3 + (DMA_IOVA >> 12) * 8, DATA2_PA | (1 << 10) | (1 << 6) |
         (3 << 8) | 3);
    qtest_memwrite(a.qts, VQUEUE, cmds, sizeof(cmds));
    qtest_writel(a.qts, cv + A_LPAGE0(0, 0) + VCMDQ_PROD, 2);
    for (int i = 0; i < 2000 &&
         qtest_readl(a.qts, cv + A_LPAGE0(0, 0) + VCMDQ_CONS) != 2; i++) {
        g_usleep(1000);
    }
    g_assert_cmphex(qtest_readl(a.qts, cv + A_LPAGE0(0, 0) + VCMDQ_CONS), ==,
                    2);
    g_assert_cmphex(edu_read_iova(&a), ==, 0x2222222222222222ULL);
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
 * CFGI_STE.  An event queue must be RAM: the record is not written (it
 * would have issued commands on the port, and written out of the SMMU's
 * lock too, or QEMU would deadlock), the SMMU reports
 * GERROR.EVENTQ_ABT_ERR, and the device sees nothing.
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
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_GERROR) ^ rd(&a, A_GERRORN),
                                GERROR, EVENTQ_ABT_ERR), ==, 1);
    g_assert_cmpuint(rd(&a, A_EVENTQ_PROD), ==, 1);
    /* Slot 9 was not issued */
    g_assert_cmphex(qtest_readl(a.qts, AHCI_PORT0 + 0x38), ==, 0);
    smmuv3_qtest_watchdog(0);
    accel_stop(&a);
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

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/arm-smmuv3-accel/hostile/sync-msi-into-dma-device",
                   test_sync_msi_into_dma_device);
    qtest_add_func("/arm-smmuv3-accel/emulated/device-beside-cmdqv",
                   test_emulated_device_beside_cmdqv);
    qtest_add_func("/arm-smmuv3-accel/emulated/device-beside-accel",
                   test_emulated_device_beside_accel);
    qtest_add_func("/arm-smmuv3-accel/hostile/random-stes-and-commands",
                   test_hostile_guest);
    qtest_add_func("/arm-smmuv3-accel/hostile/event-into-dma-device",
                   test_event_into_dma_device);
    return g_test_run();
}
