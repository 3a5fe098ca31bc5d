/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Structured fuzz targets for the SMMUv3.  An input is a sequence of
 * operations a guest or the host can perform: register accesses, STEs,
 * CDs, page table entries and commands written into guest memory, queue
 * moves, device DMA through the SMMU, and for accel=on host failures,
 * host events and unplugging the assigned device.  The layout (stream
 * table, queues, CD table) is set up by the first byte's choice, so deep
 * states are reached in a few operations.
 *
 *   smmuv3-accel-ops  arm-smmuv3,accel=on with vfio0 of the host model
 *                     (preloaded: LD_PRELOAD, HOSTMODEL_HOST and
 *                     HOSTMODEL_CONTROL set) and four emulated DMA masters
 *   smmuv3-ops        the emulated arm-smmuv3 with the same DMA masters
 *
 * SMMUV3_FUZZ_OPTS adds options to the arm-smmuv3 device (make fuzz runs
 * accel=on with several hosts and option sets).  SMMUV3_FUZZ_HOTPLUG=1
 * starts the accel=on machine without its assigned device, which is
 * hot-plugged before the first input: the vSMMU learns its host then.
 *
 * After each input the machine is reset.  With accel=on, the host must
 * then hold the iommufd objects it held before the first input (but for
 * the device's vDEVICE, kept from its first STE): a difference is a leak
 * or a double free, and aborts the run.
 */

#include "qemu/osdep.h"
#include "qemu/rcu.h"
#include "qapi/error.h"
#include "qobject/qdict.h"
#include "qom/object.h"
#include "hw/sysbus.h"
#include "hw/pci/pci.h"
#include "hw/pci/pci_device.h"
#include "monitor/qdev.h"
#include "qapi/qapi-commands-misc.h"
#include "system/memory.h"
#include "hw/arm/smmuv3.h"
#include "hw/arm/smmuv3-internal.h"
#include "tests/qtest/libqtest.h"
#include "fuzz.h"
#include "../../hostmodel/hostmodel-client.h"

/* Guest memory the operations use (virt's RAM starts at 1 GiB) */
#define SMMUV3_FUZZ_RAM        0x40000000ULL
#define SMMUV3_FUZZ_STRTAB     0x40100000ULL   /* linear, or the L1 table */
#define SMMUV3_FUZZ_STRTAB_L2  0x40110000ULL   /* 2-level: eight L2 tables */
#define SMMUV3_FUZZ_CMDQ       0x40200000ULL
#define SMMUV3_FUZZ_EVTQ       0x40300000ULL
#define SMMUV3_FUZZ_CDTAB      0x40400000ULL
#define SMMUV3_FUZZ_PT         0x40500000ULL   /* stage-1 tables */
#define SMMUV3_FUZZ_PT_PAGES   16
#define SMMUV3_FUZZ_DATA       0x40600000ULL   /* what the tables map */
#define SMMUV3_FUZZ_WINDOW     0x00800000ULL   /* RAM operations' reach */

#define SMMUV3_FUZZ_ST_LOG2    9
#define SMMUV3_FUZZ_ST_SPLIT   6
#define SMMUV3_FUZZ_CMDQ_LOG2  8
#define SMMUV3_FUZZ_EVTQ_LOG2  6
#define SMMUV3_FUZZ_MMIO_SIZE  0x20000
#define SMMUV3_FUZZ_MAX_DIRTY  64
#define SMMUV3_FUZZ_VFIO_PATH  "/dev/vfio/devices/vfio0"
#define SMMUV3_FUZZ_N_TYPES    7

/* Setup choices: the first byte of an input */
#define SETUP_TABLES    BIT(0)  /* program the bases and enable the SMMU */
#define SETUP_2LVL      BIT(1)  /* a 2-level stream table */
#define SETUP_IRQS      BIT(2)  /* GERROR and EVENTQ interrupts */

enum {
    OP_WRITE_REG,       /* u16 offset, u32 value */
    OP_WRITE_REG64,     /* u16 offset, u64 value */
    OP_READ_REG,        /* u16 offset */
    OP_STE,             /* u8 device, u8 shape, 8 x u64 */
    OP_CD,              /* u8 index, u8 shape, 4 x u64 */
    OP_MAP,             /* u64 iova, u16 page, u8 attributes */
    OP_RAM,             /* u32 offset, u64 value */
    OP_CMD,             /* u8 opcode choice, u8 device, u64, u64 */
    OP_SYNC,            /* u8 completion, u64 MSI address */
    OP_KICK,            /* publish the commands written so far */
    OP_CR0,             /* u8 enable bits */
    OP_GERRORN,         /* acknowledge the global errors */
    OP_EVTQ_CONSUME,    /* u8 how far */
    OP_DMA,             /* u8 device, u64 iova, u8 length, u8 direction */
    OP_HOST_FAIL,       /* u8 call, u8 nth, u8 errno */
    OP_HOST_EVENT,      /* u8 kind, 4 x u64 */
    OP_UNPLUG,          /* the assigned device goes away */
    OP_REPLUG,          /* and comes back */
    OP_CLOCK_STEP,      /* u16 microseconds */
    OP_RESET,
    OP_QUERY,           /* what 'info smmuv3-accel' reports, mid-input */
    OP_AIM,             /* u8 register, u8 target, u16 offset */
    OP_COUNT
};

typedef struct SmmuFuzzInput {
    const uint8_t *p;
    size_t left;
} SmmuFuzzInput;

typedef struct SmmuFuzz {
    QTestState *qts;
    DeviceState *smmu;
    bool accel;
    uint64_t base;              /* MMIO */
    PCIDevice *dma_devs[4];     /* the emulated DMA devices */
    HmClient *hm;
    bool unplugged;
    bool two_level;
    uint32_t prod;              /* CMDQ producer index, wrap bit included */
    unsigned pt_used;           /* table pages handed out from PT */
    uint64_t dirty[SMMUV3_FUZZ_MAX_DIRTY];
    unsigned n_dirty;
} SmmuFuzz;

static SmmuFuzz smmuv3_fuzz;

/*
 * StreamIDs: vfio0 behind the root port rp0 (pcie.0 slot 1), on the bus
 * number each input gives it, so that it can be unplugged and plugged
 * back (pcie.0 itself takes no hot-plug); the emulated devices in pcie.0
 * slots 4..7.
 */
#define SMMUV3_FUZZ_RP_CFG     (0x4010000000ULL + (0x08 << 12))
#define SMMUV3_FUZZ_VFIO_BUS   1
static const uint32_t smmuv3_fuzz_sids[] = {
    SMMUV3_FUZZ_VFIO_BUS << 8, 0x20, 0x28, 0x30, 0x38
};
static const char *const smmuv3_fuzz_dma_ids[] = { "e0", "s0", "n0", "b0" };

/*
 * The DMA masters: edu devices, whose DMA the DMA operation issues through
 * the SMMU directly.  A reset of these costs little; generic-fuzz has the
 * real devices (make fuzz's generic-accel and generic-emulated).
 */
#define SMMUV3_FUZZ_DEVS                                                  \
    " -device edu,id=e0,bus=pcie.0,addr=4.0"                              \
    " -device edu,id=s0,bus=pcie.0,addr=5.0"                              \
    " -device edu,id=n0,bus=pcie.0,addr=6.0"                              \
    " -device edu,id=b0,bus=pcie.0,addr=7.0"

static uint64_t smmuv3_fuzz_take(SmmuFuzzInput *in, unsigned bytes)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < bytes && in->left; i++, in->left--) {
        v |= (uint64_t)*in->p++ << (8 * i);
    }
    return v;
}

/*
 * Guest memory and registers are written through the qtest calls: with
 * FUZZ_SERIALIZE_QTEST=1 and QTEST_LOG=1 a reproducer prints as a qtest
 * trace (the DMA, host and plug operations print nothing).
 */
static void smmuv3_fuzz_write64(uint64_t addr, uint64_t v)
{
    qtest_writeq(smmuv3_fuzz.qts, addr, v);
}

static void smmuv3_fuzz_reg32(QTestState *s, uint32_t off, uint32_t v)
{
    qtest_writel(s, smmuv3_fuzz.base + off, v);
}

static void smmuv3_fuzz_reg64(QTestState *s, uint32_t off, uint64_t v)
{
    qtest_writeq(s, smmuv3_fuzz.base + off, v);
}

/* The absolute address of a region mapped below the system memory */
static uint64_t smmuv3_fuzz_mr_addr(MemoryRegion *mr)
{
    uint64_t addr = 0;

    for (; mr && mr != get_system_memory(); mr = mr->container) {
        addr += mr->addr;
    }
    g_assert(mr);
    return addr;
}

static uint64_t smmuv3_fuzz_ste_addr(uint32_t sid)
{
    if (smmuv3_fuzz.two_level) {
        uint32_t span = 1u << SMMUV3_FUZZ_ST_SPLIT;

        return SMMUV3_FUZZ_STRTAB_L2 + (sid / span) * 0x1000 +
               (sid % span) * 64;
    }
    return SMMUV3_FUZZ_STRTAB + sid * 64;
}

static void smmuv3_fuzz_setup(QTestState *s, uint8_t setup)
{
    if (smmuv3_fuzz.accel) {
        /* rp0's secondary and subordinate bus: a machine reset clears them */
        qtest_writeb(s, SMMUV3_FUZZ_RP_CFG + PCI_SECONDARY_BUS,
                     SMMUV3_FUZZ_VFIO_BUS);
        qtest_writeb(s, SMMUV3_FUZZ_RP_CFG + PCI_SUBORDINATE_BUS,
                     SMMUV3_FUZZ_VFIO_BUS);
    }
    smmuv3_fuzz.two_level = setup & SETUP_2LVL;
    if (!(setup & SETUP_TABLES)) {
        return;
    }
    if (smmuv3_fuzz.two_level) {
        uint32_t l1 = 1u << (SMMUV3_FUZZ_ST_LOG2 - SMMUV3_FUZZ_ST_SPLIT);

        for (uint32_t i = 0; i < l1; i++) {
            /* L2Ptr with Span = SPLIT + 1 */
            smmuv3_fuzz_write64(SMMUV3_FUZZ_STRTAB + i * 8,
                                (SMMUV3_FUZZ_STRTAB_L2 + i * 0x1000) |
                                (SMMUV3_FUZZ_ST_SPLIT + 1));
        }
        smmuv3_fuzz_reg32(s, A_STRTAB_BASE_CFG,
                          (1 << R_STRTAB_BASE_CFG_FMT_SHIFT) |
                          (SMMUV3_FUZZ_ST_SPLIT <<
                           R_STRTAB_BASE_CFG_SPLIT_SHIFT) |
                          SMMUV3_FUZZ_ST_LOG2);
    } else {
        smmuv3_fuzz_reg32(s, A_STRTAB_BASE_CFG, SMMUV3_FUZZ_ST_LOG2);
    }
    smmuv3_fuzz_reg64(s, A_STRTAB_BASE, SMMUV3_FUZZ_STRTAB);
    smmuv3_fuzz_reg64(s, A_CMDQ_BASE,
                      SMMUV3_FUZZ_CMDQ | SMMUV3_FUZZ_CMDQ_LOG2);
    smmuv3_fuzz_reg32(s, A_CMDQ_PROD, 0);
    smmuv3_fuzz_reg32(s, A_CMDQ_CONS, 0);
    smmuv3_fuzz_reg64(s, A_EVENTQ_BASE,
                      SMMUV3_FUZZ_EVTQ | SMMUV3_FUZZ_EVTQ_LOG2);
    smmuv3_fuzz_reg32(s, A_IRQ_CTRL, (setup & SETUP_IRQS) ?
                      R_IRQ_CTRL_GERROR_IRQEN_MASK |
                      R_IRQ_CTRL_EVENTQ_IRQEN_MASK : 0);
    smmuv3_fuzz_reg32(s, A_CR0, R_CR0_SMMU_ENABLE_MASK |
                      R_CR0_EVENTQEN_MASK | R_CR0_CMDQEN_MASK);
}

static uint32_t smmuv3_fuzz_sid(uint8_t choice, uint64_t raw)
{
    unsigned n = ARRAY_SIZE(smmuv3_fuzz_sids);

    /* Mostly a device's StreamID; sometimes whatever the input says */
    return choice < 0xf0 ? smmuv3_fuzz_sids[choice % n] : (uint32_t)raw;
}

static void smmuv3_fuzz_op_ste(SmmuFuzzInput *in)
{
    static const uint8_t configs[] = { 0x0, 0x4, 0x5, 0x6, 0x7 };
    static const uint8_t cdmaxes[] = { 0, 1, 8, 31 };
    uint8_t dev = smmuv3_fuzz_take(in, 1);
    uint8_t shape = smmuv3_fuzz_take(in, 1);
    uint32_t sid = smmuv3_fuzz_sid(dev, dev) &
                   MAKE_64BIT_MASK(0, SMMUV3_FUZZ_ST_LOG2);
    uint64_t w[8];

    for (int i = 0; i < 8; i++) {
        w[i] = smmuv3_fuzz_take(in, 8);
    }
    if (shape & 1) {
        /*
         * Valid, a chosen Config, the CD table at CDTAB, S1Fmt and
         * S1CDMax from the shape (random S1CDMax is nearly always above
         * SSIDSIZE)
         */
        w[0] &= ~(MAKE_64BIT_MASK(0, 52) | MAKE_64BIT_MASK(59, 5));
        w[0] |= 1 | (configs[(shape >> 1) % ARRAY_SIZE(configs)] << 1) |
                ((shape >> 4) & 3) << 4 | SMMUV3_FUZZ_CDTAB |
                (uint64_t)cdmaxes[shape >> 6] << 59;
    }
    for (int i = 0; i < 8; i++) {
        smmuv3_fuzz_write64(smmuv3_fuzz_ste_addr(sid) + i * 8, w[i]);
    }
}

static void smmuv3_fuzz_op_cd(SmmuFuzzInput *in)
{
    uint8_t idx = smmuv3_fuzz_take(in, 1) % 64;
    uint8_t shape = smmuv3_fuzz_take(in, 1);
    uint64_t w[4];

    for (int i = 0; i < 4; i++) {
        w[i] = smmuv3_fuzz_take(in, 8);
    }
    if (shape & 1) {
        /* Valid, AArch64, T0SZ 16, 4K granule, TTB0 at PT */
        w[0] &= ~(MAKE_64BIT_MASK(0, 8) | BIT_ULL(14));
        w[0] |= 16 | BIT_ULL(31) | BIT_ULL(32 + 9) | BIT_ULL(30);
        w[1] = (w[1] & ~MAKE_64BIT_MASK(4, 48)) | SMMUV3_FUZZ_PT;
    }
    for (int i = 0; i < 4; i++) {
        smmuv3_fuzz_write64(SMMUV3_FUZZ_CDTAB + idx * 64 + i * 8, w[i]);
    }
}

/* A 4-level, 4K-granule stage-1 mapping of @iova, tables taken from PT */
static void smmuv3_fuzz_op_map(SmmuFuzzInput *in)
{
    uint64_t iova = smmuv3_fuzz_take(in, 8) & MAKE_64BIT_MASK(12, 36);
    uint16_t page = smmuv3_fuzz_take(in, 2);
    uint8_t attrs = smmuv3_fuzz_take(in, 1);
    uint64_t table = SMMUV3_FUZZ_PT;

    for (int level = 0; level < 3; level++) {
        uint64_t slot = table + ((iova >> (39 - 9 * level)) & 0x1ff) * 8;
        uint64_t desc = qtest_readq(smmuv3_fuzz.qts, slot);

        if (!(desc & 1)) {
            if (smmuv3_fuzz.pt_used + 1 >= SMMUV3_FUZZ_PT_PAGES) {
                return;
            }
            smmuv3_fuzz.pt_used++;
            desc = (SMMUV3_FUZZ_PT + smmuv3_fuzz.pt_used * 0x1000) | 3;
            smmuv3_fuzz_write64(slot, desc);
        }
        table = desc & MAKE_64BIT_MASK(12, 36);
    }
    /* A page descriptor: AF, and the access bits the input chose */
    smmuv3_fuzz_write64(table + ((iova >> 12) & 0x1ff) * 8,
                        (SMMUV3_FUZZ_DATA + (page % 256) * 0x1000) |
                        BIT_ULL(10) | ((attrs & 3) << 6) | 3);
}

static void smmuv3_fuzz_op_ram(SmmuFuzzInput *in)
{
    uint64_t addr = SMMUV3_FUZZ_RAM +
                    ((smmuv3_fuzz_take(in, 4) % SMMUV3_FUZZ_WINDOW) & ~7ULL);

    smmuv3_fuzz_write64(addr, smmuv3_fuzz_take(in, 8));
    if (smmuv3_fuzz.n_dirty < SMMUV3_FUZZ_MAX_DIRTY) {
        smmuv3_fuzz.dirty[smmuv3_fuzz.n_dirty++] = addr;
    }
}

static void smmuv3_fuzz_push(uint64_t w0, uint64_t w1)
{
    uint32_t mask = MAKE_64BIT_MASK(0, SMMUV3_FUZZ_CMDQ_LOG2);
    uint64_t slot = SMMUV3_FUZZ_CMDQ + (smmuv3_fuzz.prod & mask) * 16;

    smmuv3_fuzz_write64(slot, w0);
    smmuv3_fuzz_write64(slot + 8, w1);
    smmuv3_fuzz.prod = (smmuv3_fuzz.prod + 1) &
                       MAKE_64BIT_MASK(0, SMMUV3_FUZZ_CMDQ_LOG2 + 1);
}

static void smmuv3_fuzz_kick(QTestState *s)
{
    smmuv3_fuzz_reg32(s, A_CMDQ_PROD, smmuv3_fuzz.prod);
}

static void smmuv3_fuzz_op_cmd(QTestState *s, SmmuFuzzInput *in)
{
    static const uint8_t opcodes[] = {
        SMMU_CMD_CFGI_STE, SMMU_CMD_CFGI_STE_RANGE, SMMU_CMD_CFGI_CD,
        SMMU_CMD_CFGI_CD_ALL, SMMU_CMD_CFGI_ALL, SMMU_CMD_TLBI_NH_ALL,
        SMMU_CMD_TLBI_NH_ASID, SMMU_CMD_TLBI_NH_VA, SMMU_CMD_TLBI_NH_VAA,
        SMMU_CMD_TLBI_S12_VMALL, SMMU_CMD_TLBI_S2_IPA,
        SMMU_CMD_TLBI_NSNH_ALL, SMMU_CMD_ATC_INV, SMMU_CMD_PRI_RESP,
        SMMU_CMD_RESUME, SMMU_CMD_STALL_TERM, SMMU_CMD_PREFETCH_CONFIG,
        SMMU_CMD_PREFETCH_ADDR, SMMU_CMD_TLBI_EL2_ALL, SMMU_CMD_TLBI_EL3_ALL,
    };
    uint8_t choice = smmuv3_fuzz_take(in, 1);
    uint8_t dev = smmuv3_fuzz_take(in, 1);
    uint64_t w0 = smmuv3_fuzz_take(in, 8);
    uint64_t w1 = smmuv3_fuzz_take(in, 8);

    if (choice < ARRAY_SIZE(opcodes) * 8) {
        w0 = (w0 & ~0xffULL) | opcodes[choice % ARRAY_SIZE(opcodes)];
    }
    /* The StreamID field (CFGI_STE, CFGI_CD, ATC_INV, PRI_RESP, ...) */
    w0 = deposit64(w0, 32, 32, smmuv3_fuzz_sid(dev, w0 >> 32));
    smmuv3_fuzz_push(w0, w1);
    if (choice & 0x80) {
        smmuv3_fuzz_kick(s);
    }
}

static void smmuv3_fuzz_op_sync(QTestState *s, SmmuFuzzInput *in)
{
    uint8_t cs = smmuv3_fuzz_take(in, 1);
    uint64_t msi = smmuv3_fuzz_take(in, 8);

    smmuv3_fuzz_push(SMMU_CMD_SYNC | ((uint64_t)(cs & 3) << 12) |
                     ((uint64_t)(cs >> 2) << 32), msi);
    smmuv3_fuzz_kick(s);
}

/*
 * Point a base or MSI address register at another device's registers, the
 * SMMU's own, or the ends of the address space (virt's memory map): what a
 * hostile guest aims queues and doorbells at.
 */
static void smmuv3_fuzz_op_aim(QTestState *s, SmmuFuzzInput *in)
{
    static const uint32_t regs[] = {
        A_STRTAB_BASE, A_CMDQ_BASE, A_EVENTQ_BASE, A_GERROR_IRQ_CFG0,
        A_EVENTQ_IRQ_CFG0,
    };
    uint8_t reg = smmuv3_fuzz_take(in, 1);
    uint8_t target = smmuv3_fuzz_take(in, 1);
    uint64_t off = smmuv3_fuzz_take(in, 2);
    uint64_t targets[] = {
        smmuv3_fuzz.base, smmuv3_fuzz.base + 0x10000,
        0x08000000,             /* GIC distributor */
        0x08080000,             /* GIC ITS: the MSI doorbell */
        0x080a0000,             /* GIC redistributors */
        0x09000000,             /* PL011 */
        0x09020000,             /* fw_cfg */
        0x10000000,             /* PCIe MMIO window */
        0x4010000000ULL,        /* PCIe ECAM */
        SMMUV3_FUZZ_RAM, SMMUV3_FUZZ_CMDQ, SMMUV3_FUZZ_STRTAB,
        0, ~0ULL << 6,
    };
    uint64_t addr = targets[target % ARRAY_SIZE(targets)] + off * 8;
    uint32_t r = regs[reg % ARRAY_SIZE(regs)];

    if (r == A_STRTAB_BASE || r == A_CMDQ_BASE || r == A_EVENTQ_BASE) {
        /* keep a queue size or table size the layout expects */
        addr = (addr & ~0x3fULL) | (reg >> 4 & 0xf);
    }
    smmuv3_fuzz_reg64(s, r, addr);
}

static void smmuv3_fuzz_op_dma(SmmuFuzzInput *in)
{
    uint8_t dev = smmuv3_fuzz_take(in, 1);
    uint64_t iova = smmuv3_fuzz_take(in, 8);
    uint8_t len = smmuv3_fuzz_take(in, 1) % 64 + 1;
    uint8_t dir = smmuv3_fuzz_take(in, 1);
    PCIDevice *pdev = smmuv3_fuzz.dma_devs[dev % 4];
    uint8_t buf[64];

    if (!(dir & 2)) {
        /* Mostly where the tables can map */
        iova &= MAKE_64BIT_MASK(0, 24);
    }
    memset(buf, 0xa5, sizeof(buf));
    address_space_rw(pci_device_iommu_address_space(pdev), iova,
                     MEMTXATTRS_UNSPECIFIED, buf, len, dir & 1);
}

static void smmuv3_fuzz_op_host_fail(SmmuFuzzInput *in)
{
    /* IOMMU_DESTROY and detach are left alone: refused, they leak by design */
    static const char *const calls[] = {
        "IOMMU_HWPT_ALLOC", "IOMMU_HWPT_INVALIDATE", "IOMMU_VDEVICE_ALLOC",
        "IOMMU_VEVENTQ_ALLOC", "VFIO_DEVICE_ATTACH_IOMMUFD_PT",
        "IOMMU_GET_HW_INFO", "IOMMU_IOAS_MAP", "IOMMU_VIOMMU_ALLOC",
        "VEVENTQ_READ",
    };
    static const int errs[] = {
        EINVAL, ENOMEM, EIO, EFAULT, ETIMEDOUT, EOPNOTSUPP, EBUSY, ENOSPC,
    };
    uint8_t call = smmuv3_fuzz_take(in, 1);
    unsigned nth = smmuv3_fuzz_take(in, 1) % 4 + 1;
    int err = errs[smmuv3_fuzz_take(in, 1) % ARRAY_SIZE(errs)];

    if (call % (ARRAY_SIZE(calls) + 1) == ARRAY_SIZE(calls)) {
        hm_client_fail_sync(smmuv3_fuzz.hm, "smmu0", nth, err);
    } else {
        hm_client_fail_nth(smmuv3_fuzz.hm,
                           calls[call % (ARRAY_SIZE(calls) + 1)], nth, err);
    }
}

static void smmuv3_fuzz_op_host_event(SmmuFuzzInput *in)
{
    uint8_t kind = smmuv3_fuzz_take(in, 1);
    uint64_t evt[4];
    uint32_t seq;
    unsigned n;

    for (int i = 0; i < 4; i++) {
        evt[i] = smmuv3_fuzz_take(in, 8);
    }
    if (smmuv3_fuzz.unplugged) {
        return;
    }
    if (kind == 0xff) {
        hm_client_overflow(smmuv3_fuzz.hm, "vfio0", &n);
    } else {
        hm_client_inject_event(smmuv3_fuzz.hm, "vfio0", evt, &seq);
    }
}

/* Unplug vfio0; false when it was not plugged (nothing drained) */
static bool smmuv3_fuzz_unplug(void)
{
    Object *dev = object_resolve_path("/machine/peripheral/d0", NULL);

    if (!dev) {
        return false;
    }
    object_unparent(dev);
    /*
     * Its regions keep it, and its VFIO file, until an RCU grace period:
     * as device_add does, wait for that before the file can be bound again.
     */
    drain_call_rcu();
    smmuv3_fuzz.unplugged = true;
    return true;
}

/* Plug vfio0 back, as the command line had it; false when refused */
static bool smmuv3_fuzz_replug(Error **errp)
{
    g_autoptr(QDict) opts = qdict_new();
    g_autofree char *fdstr = NULL;
    DeviceState *dev;
    int fd;

    if (!smmuv3_fuzz.unplugged) {
        return true;
    }
    fd = open(SMMUV3_FUZZ_VFIO_PATH, O_RDWR | O_CLOEXEC);
    g_assert(fd >= 0);
    fdstr = g_strdup_printf("%d", fd);
    qdict_put_str(opts, "driver", "vfio-pci");
    qdict_put_str(opts, "id", "d0");
    qdict_put_str(opts, "fd", fdstr);
    qdict_put_str(opts, "iommufd", "i0");
    qdict_put_str(opts, "bus", "rp0");
    qdict_put_str(opts, "addr", "0.0");
    dev = qdev_device_add_from_qdict(opts, false, errp);
    if (!dev) {
        close(fd);
        return false;
    }
    object_unref(OBJECT(dev));
    smmuv3_fuzz.unplugged = false;
    return true;
}

static void smmuv3_fuzz_op(QTestState *s, SmmuFuzzInput *in, uint8_t op)
{
    switch (op) {
    case OP_WRITE_REG: {
        uint32_t off = smmuv3_fuzz_take(in, 2) * 4 % SMMUV3_FUZZ_MMIO_SIZE;

        smmuv3_fuzz_reg32(s, off, smmuv3_fuzz_take(in, 4));
        break;
    }
    case OP_WRITE_REG64: {
        uint32_t off = smmuv3_fuzz_take(in, 2) * 8 % SMMUV3_FUZZ_MMIO_SIZE;

        smmuv3_fuzz_reg64(s, off, smmuv3_fuzz_take(in, 8));
        break;
    }
    case OP_READ_REG:
        qtest_readl(s, smmuv3_fuzz.base +
                    smmuv3_fuzz_take(in, 2) * 4 % SMMUV3_FUZZ_MMIO_SIZE);
        break;
    case OP_STE:
        smmuv3_fuzz_op_ste(in);
        break;
    case OP_CD:
        smmuv3_fuzz_op_cd(in);
        break;
    case OP_MAP:
        smmuv3_fuzz_op_map(in);
        break;
    case OP_RAM:
        smmuv3_fuzz_op_ram(in);
        break;
    case OP_CMD:
        smmuv3_fuzz_op_cmd(s, in);
        break;
    case OP_SYNC:
        smmuv3_fuzz_op_sync(s, in);
        break;
    case OP_KICK:
        smmuv3_fuzz_kick(s);
        break;
    case OP_CR0:
        smmuv3_fuzz_reg32(s, A_CR0, smmuv3_fuzz_take(in, 1) & 0x1f);
        break;
    case OP_GERRORN:
        smmuv3_fuzz_reg32(s, A_GERRORN,
                          qtest_readl(s, smmuv3_fuzz.base + A_GERROR));
        break;
    case OP_EVTQ_CONSUME: {
        uint32_t prod = qtest_readl(s, smmuv3_fuzz.base + 0x10000 +
                                    A_EVENTQ_PROD);
        uint8_t how = smmuv3_fuzz_take(in, 1);

        smmuv3_fuzz_reg32(s, 0x10000 + A_EVENTQ_CONS,
                          how < 0xf0 ? prod : prod + how);
        break;
    }
    case OP_DMA:
        smmuv3_fuzz_op_dma(in);
        break;
    case OP_HOST_FAIL:
        if (smmuv3_fuzz.accel) {
            smmuv3_fuzz_op_host_fail(in);
        }
        break;
    case OP_HOST_EVENT:
        if (smmuv3_fuzz.accel) {
            smmuv3_fuzz_op_host_event(in);
        }
        break;
    case OP_UNPLUG:
        if (smmuv3_fuzz.accel) {
            smmuv3_fuzz_unplug();
        }
        break;
    case OP_REPLUG:
        if (smmuv3_fuzz.accel) {
            /* refused under an injected host failure: tried again at the end */
            smmuv3_fuzz_replug(NULL);
        }
        break;
    case OP_CLOCK_STEP:
        /* A fixed step: "the next timer" fails when none is armed */
        qtest_clock_step(s, (smmuv3_fuzz_take(in, 2) + 1) * SCALE_US);
        break;
    case OP_RESET:
        /* vfio0's bus number goes with it: its STEs move to StreamID 0 */
        fuzz_reset(s);
        smmuv3_fuzz.prod = 0;
        break;
    case OP_AIM:
        smmuv3_fuzz_op_aim(s, in);
        break;
    case OP_QUERY:
        /* The HMP command runs the QMP query and prints its answer */
        g_free(qmp_human_monitor_command("info smmuv3-accel", false, 0,
                                         NULL));
        break;
    }
}

/* The host's iommufd object types, as the model counts them */
static const char *const smmuv3_fuzz_types[SMMUV3_FUZZ_N_TYPES] = {
    "IOAS", "HWPT_PAGING", "HWPT_NESTED", "VIOMMU", "VDEVICE", "VEVENTQ",
    "DEVICE",
};

static void smmuv3_fuzz_count(int *counts)
{
    for (int i = 0; i < SMMUV3_FUZZ_N_TYPES; i++) {
        counts[i] = hm_client_count_objects(smmuv3_fuzz.hm,
                                            smmuv3_fuzz_types[i]);
    }
}

/*
 * With the assigned device gone, the host must hold nothing: whatever
 * path the input took (a fallback HWPT of VFIO's, a stage 2 of ours, a
 * vDEVICE kept across resets), the last device's unplug frees it all.
 */
static void smmuv3_fuzz_check_objects(void)
{
    int now[SMMUV3_FUZZ_N_TYPES];
    bool ok = true;

    smmuv3_fuzz_count(now);
    for (int i = 0; i < SMMUV3_FUZZ_N_TYPES; i++) {
        ok &= now[i] == 0;
    }
    if (ok) {
        return;
    }
    fprintf(stderr, "smmuv3-fuzz: iommufd objects left after the device's "
            "unplug:");
    for (int i = 0; i < SMMUV3_FUZZ_N_TYPES; i++) {
        fprintf(stderr, " %s %d", smmuv3_fuzz_types[i], now[i]);
    }
    fprintf(stderr, "\n");
    abort();
}

/* Leave guest memory and the host as the next input expects them */
static void smmuv3_fuzz_clean(QTestState *s)
{
    Error *err = NULL;

    for (unsigned i = 0; i < smmuv3_fuzz.n_dirty; i++) {
        smmuv3_fuzz_write64(smmuv3_fuzz.dirty[i], 0);
    }
    smmuv3_fuzz.n_dirty = 0;
    qtest_memset(s, SMMUV3_FUZZ_STRTAB, 0, 0x20000);
    qtest_memset(s, SMMUV3_FUZZ_CMDQ, 0, 16 << SMMUV3_FUZZ_CMDQ_LOG2);
    qtest_memset(s, SMMUV3_FUZZ_EVTQ, 0, 32 << SMMUV3_FUZZ_EVTQ_LOG2);
    qtest_memset(s, SMMUV3_FUZZ_CDTAB, 0, 64 * 64);
    qtest_memset(s, SMMUV3_FUZZ_PT, 0, SMMUV3_FUZZ_PT_PAGES * 0x1000);
    smmuv3_fuzz.pt_used = 0;
    smmuv3_fuzz.prod = 0;
    /*
     * The fuzz loop never waits with the BQL released, so the RCU thread,
     * which takes it to free old flat views, would never run: an input that
     * flips a ROM device's mode grew the heap by 2 MB at each run.  The
     * unplug below drains too; once is enough.
     */
    if (!smmuv3_fuzz.accel) {
        drain_call_rcu();
        device_cold_reset(smmuv3_fuzz.smmu);
        flush_events(s);
        return;
    }
    hm_client_fail_clear(smmuv3_fuzz.hm);
    if (!smmuv3_fuzz_unplug()) {
        drain_call_rcu();
    }
    smmuv3_fuzz_check_objects();
    /*
     * With no host failure left, the device must plug back: a refusal
     * means its unplug left something behind.
     */
    if (!smmuv3_fuzz_replug(&err)) {
        fprintf(stderr, "smmuv3-fuzz: vfio0 cannot be plugged back: %s\n",
                error_get_pretty(err));
        abort();
    }
    /* The SMMU's reset is the machine's, as far as the SMMU goes */
    device_cold_reset(smmuv3_fuzz.smmu);
    flush_events(s);
}

static void smmuv3_fuzz_run(QTestState *s, const unsigned char *data,
                            size_t size)
{
    SmmuFuzzInput in = { data, size };

    smmuv3_fuzz.qts = s;
    smmuv3_fuzz_setup(s, smmuv3_fuzz_take(&in, 1));
    flush_events(s);
    while (in.left) {
        smmuv3_fuzz_op(s, &in, smmuv3_fuzz_take(&in, 1) % OP_COUNT);
        flush_events(s);
    }
    smmuv3_fuzz_clean(s);
}

static void smmuv3_fuzz_pre_fuzz(QTestState *s)
{
    Object *smmu = object_resolve_path_type("", TYPE_ARM_SMMUV3, NULL);

    g_assert(smmu);
    smmuv3_fuzz.qts = s;
    smmuv3_fuzz.smmu = DEVICE(smmu);
    smmuv3_fuzz.base = smmuv3_fuzz_mr_addr(
        sysbus_mmio_get_region(SYS_BUS_DEVICE(smmu), 0));
    for (int i = 0; i < ARRAY_SIZE(smmuv3_fuzz_dma_ids); i++) {
        g_autofree char *path = g_strdup_printf("/machine/peripheral/%s",
                                                smmuv3_fuzz_dma_ids[i]);

        smmuv3_fuzz.dma_devs[i] = PCI_DEVICE(object_resolve_path(path,
                                                                 NULL));
    }
    if (smmuv3_fuzz.accel) {
        smmuv3_fuzz.hm = hm_client_connect_env();
        g_assert(smmuv3_fuzz.hm);
    }
    fuzz_reset(s);
    flush_events(s);
    if (smmuv3_fuzz.accel) {
        smmuv3_fuzz_unplug();
        smmuv3_fuzz_check_objects();
        g_assert(smmuv3_fuzz_replug(&error_abort));
    }
}

static GString *smmuv3_fuzz_cmdline(FuzzTarget *t)
{
    GString *cmd = g_string_new(TARGET_NAME " -machine virt,accel=qtest "
                                "-display none -nodefaults -m 512M ");
    const char *opts = getenv("SMMUV3_FUZZ_OPTS") ?: "";
    int fd, iommufd;

    smmuv3_fuzz.accel = t->opaque != NULL;
    if (!smmuv3_fuzz.accel) {
        g_string_append_printf(cmd, "-device arm-smmuv3,primary-bus=pcie.0%s%s"
                               SMMUV3_FUZZ_DEVS, *opts ? "," : "", opts);
        return cmd;
    }
    if (!getenv("HOSTMODEL_HOST") || !getenv("HOSTMODEL_CONTROL")) {
        fprintf(stderr, "smmuv3-accel-ops runs on the host model: set "
                "LD_PRELOAD=libhostmodel.so, HOSTMODEL_HOST and "
                "HOSTMODEL_CONTROL (make fuzz does)\n");
        exit(1);
    }
    fd = open(SMMUV3_FUZZ_VFIO_PATH, O_RDWR | O_CLOEXEC);
    /*
     * The iommufd is passed, as libvirt does: QEMU keeps it open when its
     * last device goes, so what QEMU leaves behind stays countable (the
     * kernel frees everything with the file).
     */
    iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
    if (fd < 0 || iommufd < 0) {
        fprintf(stderr, "smmuv3-accel-ops: %s or /dev/iommu: %s (is the "
                "host model preloaded?)\n", SMMUV3_FUZZ_VFIO_PATH,
                strerror(errno));
        exit(1);
    }
    g_string_append_printf(cmd, "-object iommufd,id=i0,fd=%d "
                           "-device arm-smmuv3,primary-bus=pcie.0,accel=on%s%s "
                           "-device pcie-root-port,id=rp0,chassis=1,addr=1.0"
                           SMMUV3_FUZZ_DEVS, iommufd, *opts ? "," : "", opts);
    if (g_strcmp0(getenv("SMMUV3_FUZZ_HOTPLUG"), "1") == 0) {
        /* pre_fuzz plugs it */
        close(fd);
        smmuv3_fuzz.unplugged = true;
        return cmd;
    }
    g_string_append_printf(cmd, " -device vfio-pci,id=d0,fd=%d,iommufd=i0,"
                           "bus=rp0,addr=0.0", fd);
    return cmd;
}

static void smmuv3_fuzz_register(void)
{
    fuzz_add_target(&(FuzzTarget){
        .name = "smmuv3-accel-ops",
        .description = "arm-smmuv3,accel=on on the host model: guest and "
                       "host operations",
        .get_init_cmdline = smmuv3_fuzz_cmdline,
        .pre_fuzz = smmuv3_fuzz_pre_fuzz,
        .fuzz = smmuv3_fuzz_run,
        .opaque = (void *)"accel",
    });
    fuzz_add_target(&(FuzzTarget){
        .name = "smmuv3-ops",
        .description = "the emulated arm-smmuv3: guest operations",
        .get_init_cmdline = smmuv3_fuzz_cmdline,
        .pre_fuzz = smmuv3_fuzz_pre_fuzz,
        .fuzz = smmuv3_fuzz_run,
    });
}

fuzz_target_init(smmuv3_fuzz_register);
