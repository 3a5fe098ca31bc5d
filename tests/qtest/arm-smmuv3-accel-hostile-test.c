/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QTest: a hostile guest aims every address it gives the SMMU (stream
 * table, context descriptors, command and event queues, the CMD_SYNC MSI,
 * the event queue and global error MSIs) at the registers of the emulated
 * DMA devices behind the same SMMU (AHCI, e1000e, NVMe, virtio-blk), each
 * set up so that a write to its doorbell starts DMA through the SMMU, and
 * at the SMMU itself; then makes the SMMU read and write there.  QEMU must
 * keep answering (a watchdog fails a hang) and must not crash, with
 * arm-smmuv3,accel=on (an assigned device on the host model beside them)
 * and with the emulated SMMU.
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "arm-smmuv3-qtest.h"
#include "arm-smmuv3-accel-model.h"

#define ECAM            0x4010000000ULL
#define CFG(sid, reg)   (ECAM + ((uint64_t)(sid) << 12) + (reg))

/* Guest memory (virt RAM starts at 1 GiB) */
#define STRTAB          0x40100000ULL
#define CMDQ            0x40200000ULL
#define EVTQ            0x40300000ULL
#define CDTAB           0x40400000ULL
#define RAM_SCRATCH     0x40800000ULL
#define QLOG2           6

/* SMMU registers */
#define A_CR0           0x20
#define A_GBPA          0x44
#define A_IRQ_CTRL      0x50
#define A_GERROR        0x60
#define A_GERRORN       0x64
#define A_GERROR_IRQ_CFG0 0x68
#define A_GERROR_IRQ_CFG1 0x70
#define A_STRTAB_BASE   0x80
#define A_STRTAB_CFG    0x88
#define A_CMDQ_BASE     0x90
#define A_CMDQ_PROD     0x98
#define A_CMDQ_CONS     0x9c
#define A_EVENTQ_BASE   0xa0
#define A_EVENTQ_IRQ_CFG0 0xb0
#define A_EVENTQ_IRQ_CFG1 0xb8
#define A_EVENTQ_PROD   0x100a8
#define A_EVENTQ_CONS   0x100ac
#define CR0_ON          (BIT(0) | BIT(2) | BIT(3))

#define OP_CFGI_STE     0x03
/* CFGI_STE_RANGE with Range 31 (word 1): CFGI_ALL */
#define OP_CFGI_ALL     0x04
#define CFGI_ALL_RANGE  31
#define OP_TLBI_NH_ALL  0x10
#define OP_CMD_SYNC     0x46
#define SYNC_CS_IRQ     (1ULL << 12)

/* The assigned device (accel only) and the emulated DMA devices */
#define VFIO_SID        0x08
#define E1000E_SID      0x20
#define AHCI_SID        0x28
#define NVME_SID        0x30
#define VIRTIO_SID      0x38

#define E1000E_BAR      0x10000000ULL
#define AHCI_BAR        0x10100000ULL
#define NVME_BAR        0x10200000ULL
#define VIRTIO_BAR      0x10300000ULL

static const uint32_t emulated_sids[] = {
    E1000E_SID, AHCI_SID, NVME_SID, VIRTIO_SID,
};

/* The doorbells: a write there starts DMA through the SMMU */
static const uint64_t doorbells[] = {
    E1000E_BAR + 0x3818,        /* TDT */
    AHCI_BAR + 0x138,           /* port 0 PxCI */
    NVME_BAR + 0x1000,          /* admin submission queue tail */
    VIRTIO_BAR + 0x3000,        /* queue 0 notify */
};

#define EMULATED_DEVS                                                     \
    " -device e1000e,bus=pcie.0,addr=4.0,romfile="                        \
    " -device ich9-ahci,id=ahci0,bus=pcie.0,addr=5.0"                     \
    " -blockdev null-co,node-name=null0"                                  \
    " -device ide-hd,drive=null0,bus=ahci0.0"                             \
    " -blockdev null-co,node-name=null1"                                  \
    " -device nvme,serial=hostile,drive=null1,bus=pcie.0,addr=6.0"        \
    " -blockdev null-co,node-name=null2"                                  \
    " -device virtio-blk-pci,drive=null2,bus=pcie.0,addr=7.0,"            \
    "disable-legacy=on"

typedef struct Hostile {
    QTestState *qts;
    ModelQemu model;
    uint64_t smmu;
    uint32_t prod;
    bool accel;
} Hostile;

static void wr(Hostile *h, uint32_t off, uint32_t v)
{
    qtest_writel(h->qts, h->smmu + off, v);
}

static void wrq(Hostile *h, uint32_t off, uint64_t v)
{
    wr(h, off, v);
    wr(h, off + 4, v >> 32);
}

static void write_ste(Hostile *h, uint32_t sid, uint64_t w0)
{
    uint64_t ste[8] = { cpu_to_le64(w0) };

    qtest_memwrite(h->qts, STRTAB + sid * 64, ste, sizeof(ste));
}

/* Memory decoding and bus mastering, @bar at config offset @reg */
static void pci_enable(Hostile *h, uint32_t sid, uint32_t reg, uint64_t bar)
{
    qtest_writel(h->qts, CFG(sid, reg), bar);
    qtest_writel(h->qts, CFG(sid, reg + 4), bar >> 32);
    qtest_writew(h->qts, CFG(sid, 0x04), 0x6);
}

/* Each device ready to do DMA when its doorbell is written */
static void devices_arm(Hostile *h)
{
    QTestState *qts = h->qts;
    uint32_t hdr[8] = { cpu_to_le32(5), 0, cpu_to_le32(RAM_SCRATCH) };

    pci_enable(h, E1000E_SID, 0x10, E1000E_BAR);
    qtest_writel(qts, E1000E_BAR + 0x3800, RAM_SCRATCH);    /* TDBAL */
    qtest_writel(qts, E1000E_BAR + 0x3808, 4096);           /* TDLEN */
    qtest_writel(qts, E1000E_BAR + 0x0400, 0x2);            /* TCTL.EN */

    pci_enable(h, AHCI_SID, 0x24, AHCI_BAR);
    qtest_writel(qts, AHCI_BAR + 0x04, 1U << 31);           /* GHC.AE */
    for (int slot = 0; slot < 32; slot++) {
        qtest_memwrite(qts, RAM_SCRATCH + 0x1000 + slot * 32, hdr,
                       sizeof(hdr));
    }
    qtest_writel(qts, AHCI_BAR + 0x100, RAM_SCRATCH + 0x1000);
    qtest_writel(qts, AHCI_BAR + 0x108, RAM_SCRATCH + 0x2000);
    qtest_writel(qts, AHCI_BAR + 0x118, (1 << 4) | 1);      /* FRE, ST */

    pci_enable(h, NVME_SID, 0x10, NVME_BAR);
    qtest_writel(qts, NVME_BAR + 0x24, 0x003f003f);         /* AQA */
    qtest_writeq(qts, NVME_BAR + 0x28, RAM_SCRATCH + 0x3000);
    qtest_writeq(qts, NVME_BAR + 0x30, RAM_SCRATCH + 0x4000);
    qtest_writel(qts, NVME_BAR + 0x14, 0x00460001);         /* CC.EN */

    /* virtio 1.0: features, queue 0 in RAM, DRIVER_OK */
    pci_enable(h, VIRTIO_SID, 0x20, VIRTIO_BAR);
    qtest_writeb(qts, VIRTIO_BAR + 0x14, 1 | 2);
    qtest_writel(qts, VIRTIO_BAR + 0x08, 1);
    qtest_writel(qts, VIRTIO_BAR + 0x0c, 1);                /* VERSION_1 */
    qtest_writeb(qts, VIRTIO_BAR + 0x14, 1 | 2 | 8);
    qtest_writew(qts, VIRTIO_BAR + 0x16, 0);
    qtest_writeq(qts, VIRTIO_BAR + 0x20, RAM_SCRATCH + 0x5000);
    qtest_writeq(qts, VIRTIO_BAR + 0x28, RAM_SCRATCH + 0x6000);
    qtest_writeq(qts, VIRTIO_BAR + 0x30, RAM_SCRATCH + 0x7000);
    qtest_writew(qts, VIRTIO_BAR + 0x1c, 1);
    qtest_writeb(qts, VIRTIO_BAR + 0x14, 1 | 2 | 4 | 8);
}

/*
 * A sane configuration: every stream bypasses (the assigned one on a
 * stage-1 STE), queues in RAM, no MSIs, no pending error.
 */
static void smmu_sane(Hostile *h)
{
    wr(h, A_CR0, 0);
    wr(h, A_IRQ_CTRL, 0);
    wrq(h, A_EVENTQ_IRQ_CFG0, 0);
    wrq(h, A_GERROR_IRQ_CFG0, 0);
    wr(h, A_GERRORN, qtest_readl(h->qts, h->smmu + A_GERROR));
    for (int i = 0; i < ARRAY_SIZE(emulated_sids); i++) {
        write_ste(h, emulated_sids[i], 1 | (4 << 1));
    }
    write_ste(h, VFIO_SID, 1 | (5 << 1) | CDTAB);
    wrq(h, A_STRTAB_BASE, STRTAB);
    wr(h, A_STRTAB_CFG, QLOG2);
    wrq(h, A_CMDQ_BASE, CMDQ | QLOG2);
    wr(h, A_CMDQ_PROD, 0);
    wr(h, A_CMDQ_CONS, 0);
    h->prod = 0;
    wrq(h, A_EVENTQ_BASE, EVTQ | QLOG2);
    wr(h, A_EVENTQ_PROD, 0);
    wr(h, A_EVENTQ_CONS, 0);
    wr(h, A_CR0, CR0_ON);
}

static void queue_cmd(Hostile *h, uint64_t w0, uint64_t w1)
{
    uint64_t cmd[2] = { cpu_to_le64(w0), cpu_to_le64(w1) };

    qtest_memwrite(h->qts, CMDQ + (h->prod & ((1 << QLOG2) - 1)) * 16, cmd,
                   sizeof(cmd));
    h->prod = (h->prod + 1) & ((2 << QLOG2) - 1);
}

/* Everything that makes the SMMU read or write what the guest pointed at */
static void provoke(Hostile *h, uint64_t target, uint32_t data)
{
    queue_cmd(h, OP_CFGI_STE | (uint64_t)VFIO_SID << 32, 1);
    queue_cmd(h, OP_CFGI_ALL, CFGI_ALL_RANGE);
    queue_cmd(h, OP_TLBI_NH_ALL, 0);
    queue_cmd(h, OP_CMD_SYNC | SYNC_CS_IRQ | (uint64_t)data << 32, target);
    queue_cmd(h, 0x7f, 0);                      /* illegal: GERROR */
    wr(h, A_CMDQ_PROD, h->prod);
    /* The devices do DMA through the SMMU: translations and faults */
    for (int i = 0; i < ARRAY_SIZE(doorbells); i++) {
        qtest_writel(h->qts, doorbells[i], 1);
    }
    wr(h, A_CR0, 0);
    wr(h, A_CR0, CR0_ON);
}

typedef enum {
    AIM_STRTAB, AIM_CD, AIM_CMDQ, AIM_EVTQ, AIM_SYNC_MSI, AIM_EVTQ_MSI,
    AIM_GERROR_MSI, AIM_COUNT,
} Aim;

static void aim(Hostile *h, Aim what, uint64_t target, uint32_t data)
{
    switch (what) {
    case AIM_STRTAB:
        wrq(h, A_STRTAB_BASE, target);
        break;
    case AIM_CD:
        write_ste(h, VFIO_SID, 1 | (5 << 1) | (target & ~0x3fULL));
        for (int i = 0; i < ARRAY_SIZE(emulated_sids); i++) {
            write_ste(h, emulated_sids[i], 1 | (5 << 1) |
                      (target & ~0x3fULL));
        }
        break;
    case AIM_CMDQ:
        wr(h, A_CR0, CR0_ON & ~BIT(3));
        wrq(h, A_CMDQ_BASE, target | 1);
        wr(h, A_CMDQ_CONS, 0);
        wr(h, A_CR0, CR0_ON);
        wr(h, A_CMDQ_PROD, 2);
        smmu_sane(h);
        break;
    case AIM_EVTQ:
        /* Slot 1 (PROD=1) lands 32 bytes further */
        wrq(h, A_EVENTQ_BASE, (target & ~0x3fULL) | 1);
        wr(h, A_EVENTQ_PROD, data & 1);
        wr(h, A_EVENTQ_CONS, data & 1);
        write_ste(h, VFIO_SID, 1 | (6 << 1));   /* C_BAD_STE on CFGI */
        for (int i = 0; i < ARRAY_SIZE(emulated_sids); i++) {
            write_ste(h, emulated_sids[i], 0);  /* C_BAD_STE on DMA */
        }
        break;
    case AIM_SYNC_MSI:
        break;
    case AIM_EVTQ_MSI:
        wrq(h, A_EVENTQ_IRQ_CFG0, target);
        wr(h, A_EVENTQ_IRQ_CFG1, data);
        wr(h, A_IRQ_CTRL, BIT(0) | BIT(2));
        write_ste(h, VFIO_SID, 1 | (6 << 1));
        break;
    case AIM_GERROR_MSI:
        wrq(h, A_GERROR_IRQ_CFG0, target);
        wr(h, A_GERROR_IRQ_CFG1, data);
        wr(h, A_IRQ_CTRL, BIT(0) | BIT(2));
        break;
    default:
        g_assert_not_reached();
    }
}

/* The addresses aimed at: each doorbell, the words around it, the SMMU */
static GArray *targets(Hostile *h)
{
    GArray *t = g_array_new(false, false, sizeof(uint64_t));

    for (int i = 0; i < ARRAY_SIZE(doorbells); i++) {
        /* An event's word 6 (+0x18) or a 4-byte MSI on the doorbell */
        uint64_t at[] = {
            doorbells[i], doorbells[i] - 0x18, doorbells[i] - 0x38,
            doorbells[i] & ~0xfffULL, doorbells[i] & ~0x3fULL,
        };

        g_array_append_vals(t, at, ARRAY_SIZE(at));
    }
    for (uint64_t off = 0; off < 0x200; off += 0x20) {
        uint64_t at[] = { h->smmu + off, h->smmu + 0x10000 + off };

        g_array_append_vals(t, at, ARRAY_SIZE(at));
    }
    return t;
}

static void hostile_start(Hostile *h, bool accel)
{
    g_autofree char *sysfsdev = NULL;
    g_autofree char *args = NULL;

    memset(h, 0, sizeof(*h));
    h->accel = accel;
    if (accel) {
        model_init_dir(&h->model);
        sysfsdev = model_sysfsdev(&h->model, "0000:01:00.0", "vfio0", 1);
        args = g_strdup_printf("-M virt -display none -nodefaults "
                               "-object iommufd,id=i0 "
                               "-device arm-smmuv3,primary-bus=pcie.0,"
                               "accel=on -device vfio-pci,sysfsdev=%s,"
                               "iommufd=i0,bus=pcie.0,addr=1.0"
                               EMULATED_DEVS, sysfsdev);
        model_start(&h->model, args);
        h->qts = h->model.qts;
    } else {
        h->qts = qtest_init("-M virt -display none -nodefaults "
                            "-device arm-smmuv3,primary-bus=pcie.0"
                            EMULATED_DEVS);
    }
    h->smmu = smmuv3_qtest_base(h->qts);
    devices_arm(h);
}

static void hostile_stop(Hostile *h)
{
    if (h->accel) {
        model_stop(&h->model);
    } else {
        qtest_quit(h->qts);
    }
}

static void test_aim_everywhere(gconstpointer data)
{
    bool accel = GPOINTER_TO_INT(data);
    Hostile h;
    g_autoptr(GArray) t = NULL;
    unsigned rounds = 0;

    if (accel && !model_available()) {
        return;
    }
    hostile_start(&h, accel);
    t = targets(&h);
    for (Aim what = 0; what < AIM_COUNT; what++) {
        for (int i = 0; i < t->len; i++) {
            uint64_t target = g_array_index(t, uint64_t, i);

            smmuv3_qtest_watchdog(30);
            smmu_sane(&h);
            aim(&h, what, target, i);
            provoke(&h, target, 1 + (i & 1));
            /* Still answering, still the SMMU it was */
            g_assert_cmphex(qtest_readl(h.qts, h.smmu + 0x0) & 0x3, !=, 0);
            rounds++;
        }
    }
    smmuv3_qtest_watchdog(0);
    g_test_message("%u rounds, %u targets", rounds, t->len);
    hostile_stop(&h);
}

/* edu in slot 3 of pcie.0 (StreamID 0x18), for the walker values below */
#define EDU_SID         0x18
#define EDU_BAR         0x11000000ULL
#define PT_L1           0x40600000ULL
#define PT_L2           0x40601000ULL
#define PT_L3           0x40602000ULL
#define DMA_IOVA        0x100000ULL

/* One edu DMA of 8 bytes from @iova: true when it faulted (an event) */
static bool edu_dma_faults(Hostile *h, uint64_t iova)
{
    uint32_t prod = qtest_readl(h->qts, h->smmu + A_EVENTQ_PROD);

    qtest_writeq(h->qts, EDU_BAR + 0x80, iova);
    qtest_writeq(h->qts, EDU_BAR + 0x88, 0x40000);
    qtest_writeq(h->qts, EDU_BAR + 0x90, 8);
    qtest_writeq(h->qts, EDU_BAR + 0x98, 1);
    /* edu runs its DMA from a 100 ms timer */
    qtest_clock_step(h->qts, 200 * 1000 * 1000);
    g_assert_cmphex(qtest_readq(h->qts, EDU_BAR + 0x98) & 1, ==, 0);
    return qtest_readl(h->qts, h->smmu + A_EVENTQ_PROD) != prod;
}

/* A stage-1 CD for edu at CDTAB with @ips, over a 3-level 4K table */
static void edu_cd(Hostile *h, unsigned ips)
{
    uint32_t cd[16] = { 0 };
    uint64_t pte[3] = { cpu_to_le64(PT_L2 | 3), cpu_to_le64(PT_L3 | 3),
                        cpu_to_le64(0x40700000ULL | (1 << 10) | 3) };

    cd[0] = cpu_to_le32(25 | (1U << 30) | (1U << 31));
    cd[1] = cpu_to_le32(ips | (1 << 9) | (1 << 14) | (1 << 16));
    cd[2] = cpu_to_le32((uint32_t)PT_L1);
    qtest_memwrite(h->qts, CDTAB, cd, sizeof(cd));
    qtest_memwrite(h->qts, PT_L1, &pte[0], 8);
    qtest_memwrite(h->qts, PT_L2, &pte[1], 8);
    qtest_memwrite(h->qts, PT_L3 + (DMA_IOVA >> 12) * 8, &pte[2], 8);
}

static void edu_cfgi_all(Hostile *h)
{
    queue_cmd(h, OP_CFGI_ALL, CFGI_ALL_RANGE);
    queue_cmd(h, OP_CMD_SYNC, 0);
    wr(h, A_CMDQ_PROD, h->prod);
}

/*
 * Values the emulated walk used to abort on (an assert) or to shift by
 * more than 63: a CD's IPS of 52 bits and a reserved one, an AArch32
 * stage-2 STE, a stage-2 start level that resolves no IPA bit, LOG2SIZE
 * 63, and an L1 descriptor Span and a SPLIT of 31.  Each is walked by a
 * DMA of edu; QEMU must answer, an ILLEGAL STE must fault (an event) and
 * a valid one must translate (no event).
 */
static void test_walker_values(void)
{
    uint64_t l1std = cpu_to_le64((STRTAB + 0x10000) | 31);
    Hostile h = { 0 };

    h.qts = qtest_init("-M virt -display none -nodefaults "
                       "-device arm-smmuv3,primary-bus=pcie.0,stage=nested "
                       "-device edu,bus=pcie.0,addr=3.0");
    h.smmu = smmuv3_qtest_base(h.qts);
    qtest_writel(h.qts, ECAM + (EDU_SID << 12) + 0x10, EDU_BAR);
    qtest_writew(h.qts, ECAM + (EDU_SID << 12) + 0x04, 0x6);
    smmuv3_qtest_watchdog(60);
    smmu_sane(&h);

    /* IPS 52 bits, then reserved: taken as the SMMU's OAS */
    for (unsigned ips = 5; ips <= 7; ips++) {
        edu_cd(&h, ips);
        write_ste(&h, EDU_SID, 1 | (5 << 1) | CDTAB);
        edu_cfgi_all(&h);
        g_assert_false(edu_dma_faults(&h, DMA_IOVA));
    }
    /* Stage 2 with AArch32 tables (S2AA64=0): ILLEGAL, no abort */
    {
        /* Word 5: S2T0SZ 25 (a 39-bit IPA), S2SL0 2, S2PS 48 bits */
        uint64_t s2 = 25 | (2 << 6) | (5 << 16);
        uint64_t ste[8] = {
            cpu_to_le64(1 | (6 << 1)), 0, cpu_to_le64(s2 << 32),
        };

        qtest_memwrite(h.qts, STRTAB + EDU_SID * 64, ste, sizeof(ste));
        edu_cfgi_all(&h);
        g_assert_true(edu_dma_faults(&h, DMA_IOVA));
        /* AArch64 (S2AA64), 4K, start level 0 cannot index 39 bits */
        ste[2] = cpu_to_le64((s2 | 1 << 19) << 32);
        qtest_memwrite(h.qts, STRTAB + EDU_SID * 64, ste, sizeof(ste));
        edu_cfgi_all(&h);
        g_assert_true(edu_dma_faults(&h, DMA_IOVA));
    }
    /* LOG2SIZE 63: as SIDSIZE (16), whose table is 2 MiB aligned */
    {
        uint64_t ste[8] = { cpu_to_le64(1 | (4 << 1)) };

        qtest_memwrite(h.qts, (STRTAB & ~0x1fffffULL) + EDU_SID * 64, ste,
                       sizeof(ste));
    }
    wr(&h, A_STRTAB_CFG, 63);
    edu_cfgi_all(&h);
    g_assert_false(edu_dma_faults(&h, DMA_IOVA));
    /* 2-level, SPLIT 31 and an L1 descriptor with Span 31 */
    qtest_memwrite(h.qts, STRTAB, &l1std, sizeof(l1std));
    wr(&h, A_CR0, 0);
    wr(&h, A_STRTAB_CFG, (1 << 16) | (31 << 6) | 16);
    wr(&h, A_CR0, CR0_ON);
    edu_cfgi_all(&h);
    edu_dma_faults(&h, DMA_IOVA);
    /* Back to a linear table (FMT=0): walked as linear again */
    wr(&h, A_CR0, 0);
    wr(&h, A_STRTAB_CFG, QLOG2);
    wr(&h, A_CR0, CR0_ON);
    write_ste(&h, EDU_SID, 1 | (4 << 1));
    edu_cfgi_all(&h);
    g_assert_false(edu_dma_faults(&h, DMA_IOVA));
    smmuv3_qtest_watchdog(0);
    qtest_quit(h.qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_data_func("/arm-smmuv3-accel/hostile/aim-everywhere/accel",
                        GINT_TO_POINTER(true), test_aim_everywhere);
    qtest_add_data_func("/arm-smmuv3-accel/hostile/aim-everywhere/emulated",
                        GINT_TO_POINTER(false), test_aim_everywhere);
    qtest_add_func("/arm-smmuv3-accel/hostile/walker-values",
                   test_walker_values);
    return g_test_run();
}
