/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The guest side of SMMUv3 nesting, in the architecture's formats: stream
 * table entry words (the vSTE given to IOMMU_HWPT_ALLOC), a context
 * descriptor and stage-1 page tables written into "guest RAM" (memory
 * mapped in the IOAS, so that the host SMMU walks them through stage 2),
 * and command queue entries (for IOMMU_HWPT_INVALIDATE).
 *
 * The stage 1 is AArch64, 4 KiB granule, 39-bit input (T0SZ 25, walk from
 * level 1), mapping 2 MiB blocks of the first GiB.
 */

#ifndef SMMU_S1_H
#define SMMU_S1_H

#include <stdint.h>

/* STE word 0 */
#define STE0_V              (1ULL << 0)
#define STE0_CFG(x)         ((uint64_t)(x) << 1)
#define STE0_CFG_ABORT      0
#define STE0_CFG_BYPASS     4
#define STE0_CFG_S1         5
#define STE0_CFG_S2         6
#define STE0_S1CTXPTR(pa)   ((pa) & 0x000fffffffffffc0ULL)
/* STE word 1 */
#define STE1_S1CIR_WBRA     (1ULL << 2)
#define STE1_S1COR_WBRA     (1ULL << 4)
#define STE1_S1CSH_ISH      (3ULL << 6)
#define STE1_EATS(x)        ((uint64_t)(x) << 28)

/* Command opcodes (word 0 bits 7:0) */
#define CMD_CFGI_STE        0x03
#define CMD_CFGI_CD         0x05
#define CMD_CFGI_CD_ALL     0x06
#define CMD_TLBI_NH_ALL     0x10
#define CMD_TLBI_NH_ASID    0x11
#define CMD_TLBI_NH_VA      0x12
#define CMD_TLBI_NSNH_ALL   0x30
#define CMD_CMD_SYNC        0x46

/* Event record: type in word 0 bits 7:0, StreamID in bits 63:32. */
#define EVT_ID(w0)          ((unsigned)((w0) & 0xff))
#define EVT_SID(w0)         ((unsigned)((w0) >> 32))
#define EVT_F_TRANSLATION   0x10

static inline void cmd_tlbi_nh_asid(uint64_t *cmd, uint16_t asid)
{
    cmd[0] = CMD_TLBI_NH_ASID | ((uint64_t)asid << 48);
    cmd[1] = 0;
}

static inline void cmd_tlbi_nh_all(uint64_t *cmd)
{
    cmd[0] = CMD_TLBI_NH_ALL;
    cmd[1] = 0;
}

static inline void cmd_cfgi_cd(uint64_t *cmd, uint32_t vsid)
{
    cmd[0] = CMD_CFGI_CD | ((uint64_t)vsid << 32);
    cmd[1] = 1;     /* leaf */
}

static inline void cmd_cfgi_ste(uint64_t *cmd, uint32_t vsid)
{
    cmd[0] = CMD_CFGI_STE | ((uint64_t)vsid << 32);
    cmd[1] = 1;     /* leaf */
}

static inline void cmd_sync(uint64_t *cmd)
{
    cmd[0] = CMD_CMD_SYNC;
    cmd[1] = 0;
}

/* Guest stage-1 tables inside a block of guest RAM. */
typedef struct S1Tables {
    uint8_t *mem;       /* our mapping of the guest RAM block */
    uint64_t ipa;       /* its IPA (IOVA in the IOAS) */
    uint16_t asid;
} S1Tables;

/* Offsets of the structures in the block (the first 12 KiB). */
#define S1_CD_OFF           0x0000
#define S1_L1_OFF           0x1000
#define S1_L2_OFF           0x2000
#define S1_BLOCK            (2ULL << 20)

/* Writes the CD (ASID, TTB0) and a level-1 table for VAs 0..1 GiB. */
void s1_init(S1Tables *s, uint8_t *mem, uint64_t ipa, uint16_t asid);
uint64_t s1_cd_ipa(const S1Tables *s);
/* Map or unmap the 2 MiB block at va (< 1 GiB) to ipa, read-write. */
void s1_map_block(S1Tables *s, uint64_t va, uint64_t ipa);
void s1_unmap_block(S1Tables *s, uint64_t va);

/* vSTE words for a stage-1 translate STE using this CD. */
void s1_vste(const S1Tables *s, uint64_t ste[2]);

#endif
