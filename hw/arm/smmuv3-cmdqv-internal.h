/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * arm-smmuv3,cmdqv: a Tegra241 CMDQ-Virtualization block beside the SMMU
 * (emulated, or the host's with accel=on).  Register layout and semantics:
 * docs/devel/arm-smmuv3-accel-cmdqv.rst.
 */

#ifndef HW_ARM_SMMUV3_CMDQV_INTERNAL_H
#define HW_ARM_SMMUV3_CMDQV_INTERNAL_H

#include "hw/registerfields.h"
#include "migration/blocker.h"
#include "smmuv3-accel.h"
#include "smmuv3-cmdqv.h"
#include "smmuv3-internal.h"

/*
 * The emulated one, as a Grace part: VINTF0 for the host kernel, the
 * others for its guests.  With accel=on the guest gets one VINTF, whose
 * queues are the host's (smmuv3-accel-cmdqv.c), at most as many.
 */
#define SMMUV3_CMDQV_VINTFS_LOG2    2
#define SMMUV3_CMDQV_VCMDQS_LOG2    3
#define SMMUV3_CMDQV_SIDS_LOG2      4
#define SMMUV3_CMDQV_VERSION        1
#define SMMUV3_CMDQV_VINTFS         (1 << SMMUV3_CMDQV_VINTFS_LOG2)
#define SMMUV3_CMDQV_VCMDQS         (1 << SMMUV3_CMDQV_VCMDQS_LOG2)
#define SMMUV3_CMDQV_SIDS           (1 << SMMUV3_CMDQV_SIDS_LOG2)
/* accel=on before a host says more (as upstream: two) */
#define SMMUV3_CMDQV_ACCEL_VCMDQS   2

/* The CONFIG page, the global VCMDQ pages, then two pages a VINTF */
#define SMMUV3_CMDQV_PAGE0          0x10000
#define SMMUV3_CMDQV_PAGE1          0x20000
#define SMMUV3_CMDQV_VINTF_PAGES    0x30000
#define SMMUV3_CMDQV_VINTF_STRIDE   0x20000
#define SMMUV3_CMDQV_VCMDQ_STRIDE   0x80
#define SMMUV3_CMDQV_SIZE(vintfs)   (SMMUV3_CMDQV_VINTF_PAGES + \
                                     (vintfs) * SMMUV3_CMDQV_VINTF_STRIDE)

REG32(CMDQV_CONFIG,         0x000)
    FIELD(CMDQV_CONFIG, EN,             0, 1)
REG32(CMDQV_PARAM,          0x004)
    FIELD(CMDQV_PARAM, VER,             0, 4)
    FIELD(CMDQV_PARAM, NUM_VCMDQ_LOG2,  4, 4)
    FIELD(CMDQV_PARAM, NUM_VINTF_LOG2,  8, 4)
    FIELD(CMDQV_PARAM, NUM_SID_PER_VM_LOG2, 12, 4)
REG32(CMDQV_STATUS,         0x008)
    FIELD(CMDQV_STATUS, ENABLED,        0, 1)
REG32(VINTF_ERR_MAP,        0x014)
REG32(VINTF_INT_MASK,       0x01c)
REG32(CMDQ_ERR_MAP,         0x024)
REG32(CMDQ_ALLOC,           0x200)
    FIELD(CMDQ_ALLOC, ALLOCATED,        0, 1)
    FIELD(CMDQ_ALLOC, LVCMDQ,           1, 7)
    FIELD(CMDQ_ALLOC, VINTF,           15, 6)

/* A VINTF's block in the CONFIG page, at 0x1000 + 0x100 * v */
#define A_VINTF_BLOCK               0x1000
#define SMMUV3_CMDQV_VINTF_BLOCK    0x100
REG32(VINTF_CONFIG,         0x00)
    FIELD(VINTF_CONFIG, EN,             0, 1)
    FIELD(VINTF_CONFIG, VMID,           1, 16)
    FIELD(VINTF_CONFIG, HYP_OWN,       17, 1)
REG32(VINTF_STATUS,         0x04)
    FIELD(VINTF_STATUS, ENABLED,        0, 1)
REG32(VINTF_SID_MATCH,      0x40)
    FIELD(VINTF_SID_MATCH, ENABLE,      0, 1)
    FIELD(VINTF_SID_MATCH, VIRT_SID,    1, 20)
REG32(VINTF_SID_REPLACE,    0x80)
REG32(VINTF_LVCMDQ_ERR_MAP, 0xc0)

/* A VCMDQ's registers in its page 0 and page 1 */
REG32(VCMDQ_CONS,           0x00)
    FIELD(VCMDQ_CONS, ERR,             24, 7)
REG32(VCMDQ_PROD,           0x04)
REG32(VCMDQ_CONFIG,         0x08)
    FIELD(VCMDQ_CONFIG, EN,             0, 1)
REG32(VCMDQ_STATUS,         0x0c)
    FIELD(VCMDQ_STATUS, ENABLED,        0, 1)
REG32(VCMDQ_GERROR,         0x10)
REG32(VCMDQ_GERRORN,        0x14)
REG32(VCMDQ_BASE,           0x00)
REG32(VCMDQ_CONS_INDX_BASE, 0x08)

/* BASE: the queue's address, bits [47:5], and LOG2SIZE in entries */
#define SMMUV3_CMDQV_BASE_MASK      (MAKE_64BIT_MASK(5, 43) | 0x1f)
/* GERROR and GERRORN: a command error, toggled */
#define SMMUV3_CMDQV_GERROR_CMDQ    1

typedef struct SMMUv3Cmdqv SMMUv3Cmdqv;

typedef struct SMMUv3CmdqvVcmdq {
    SMMUv3Cmdqv *cmdqv;
    /* accel=on: its registers in the host VINTF page, while it is there */
    uint32_t *hw;
    uint32_t alloc;             /* its CMDQ_ALLOC */
    SMMUQueue q;                /* BASE, PROD, CONS */
    uint32_t config;
    uint32_t gerror;
    uint32_t gerrorn;
    uint64_t cons_indx_base;
} SMMUv3CmdqvVcmdq;

typedef struct SMMUv3CmdqvVintf {
    uint32_t config;
    uint32_t sid_match[SMMUV3_CMDQV_SIDS];
    uint32_t sid_replace[SMMUV3_CMDQV_SIDS];
} SMMUv3CmdqvVintf;

struct SMMUv3Cmdqv {
    SMMUv3State *smmu;
    MemoryRegion mmio;
    qemu_irq irq;
    Error *migration_blocker;
    /* What PARAM says: the emulated part's, or what accel=on offers */
    bool accel;
    bool wide_write;            /* the low half of a 64-bit write */
    unsigned version;
    unsigned vintfs;
    unsigned vcmdqs;
    unsigned sids_log2;

    uint32_t config;
    uint64_t vintf_int_mask;
    SMMUv3CmdqvVintf vintf[SMMUV3_CMDQV_VINTFS];
    SMMUv3CmdqvVcmdq vcmdq[SMMUV3_CMDQV_VCMDQS];
};

/* The guest's VCMDQ @q runs in the host's VINTF (accel=on) */
static inline bool smmuv3_cmdqv_vcmdq_in_host(const SMMUv3CmdqvVcmdq *q)
{
    return q->hw;
}

/* Whether @q is allocated, and to which VINTF and logical queue */
bool smmuv3_cmdqv_allocated(const SMMUv3CmdqvVcmdq *q, unsigned *v,
                            unsigned *l);
/* The VCMDQ VINTF @v's logical queue @l is, or NULL when unallocated */
SMMUv3CmdqvVcmdq *smmuv3_cmdqv_lookup(SMMUv3Cmdqv *c, unsigned v,
                                      unsigned l);
/* Its guest address and size in bytes, from BASE; 0 when not set */
uint64_t smmuv3_cmdqv_vcmdq_addr(const SMMUv3CmdqvVcmdq *q, uint64_t *len);
/* Run what a queue that came back from the host left to do */
void smmuv3_cmdqv_consume_all(SMMUv3Cmdqv *c);
void smmuv3_cmdqv_raise_error(SMMUv3Cmdqv *c);


#endif
