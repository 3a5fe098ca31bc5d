/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Guest stage-1 structures for SMMUv3 nesting (see smmu-s1.h).
 */

#include <string.h>
#include "smmu-s1.h"

/* CD word 0 */
#define CD0_T0SZ(x)         ((uint64_t)(x))
#define CD0_TG0_4K          (0ULL << 6)
#define CD0_IR0_WBRA        (1ULL << 8)
#define CD0_OR0_WBRA        (1ULL << 10)
#define CD0_SH0_ISH         (3ULL << 12)
#define CD0_EPD1            (1ULL << 30)
#define CD0_V               (1ULL << 31)
#define CD0_IPS_44          (4ULL << 32)
#define CD0_AA64            (1ULL << 41)
#define CD0_R               (1ULL << 45)
#define CD0_A               (1ULL << 46)
#define CD0_ASID(x)         ((uint64_t)(x) << 48)
/* CD word 1: TTB0; word 3: MAIR, attribute 0 normal write-back. */
#define CD3_MAIR_WB         0xffULL

/* Descriptors */
#define PT_TABLE            3ULL
#define PT_BLOCK            1ULL
#define PT_SH_ISH           (3ULL << 8)
#define PT_AF               (1ULL << 10)

static uint64_t *word(S1Tables *s, uint64_t off)
{
    return (uint64_t *)(s->mem + off);
}

void s1_init(S1Tables *s, uint8_t *mem, uint64_t ipa, uint16_t asid)
{
    uint64_t *cd, *l1;

    s->mem = mem;
    s->ipa = ipa;
    s->asid = asid;
    memset(mem, 0, S1_L2_OFF + 0x1000);
    cd = word(s, S1_CD_OFF);
    cd[0] = CD0_T0SZ(25) | CD0_TG0_4K | CD0_IR0_WBRA | CD0_OR0_WBRA |
            CD0_SH0_ISH | CD0_EPD1 | CD0_V | CD0_IPS_44 | CD0_AA64 |
            CD0_R | CD0_A | CD0_ASID(asid);
    cd[1] = ipa + S1_L1_OFF;
    cd[3] = CD3_MAIR_WB;
    /* Level 1 entry 0 (VA 0..1 GiB) points to the level-2 table. */
    l1 = word(s, S1_L1_OFF);
    l1[0] = (ipa + S1_L2_OFF) | PT_TABLE;
    __sync_synchronize();
}

uint64_t s1_cd_ipa(const S1Tables *s)
{
    return s->ipa + S1_CD_OFF;
}

void s1_map_block(S1Tables *s, uint64_t va, uint64_t ipa)
{
    word(s, S1_L2_OFF)[(va >> 21) & 0x1ff] =
        ipa | PT_BLOCK | PT_SH_ISH | PT_AF;
    __sync_synchronize();
}

void s1_unmap_block(S1Tables *s, uint64_t va)
{
    word(s, S1_L2_OFF)[(va >> 21) & 0x1ff] = 0;
    __sync_synchronize();
}

void s1_vste(const S1Tables *s, uint64_t ste[2])
{
    ste[0] = STE0_V | STE0_CFG(STE0_CFG_S1) | STE0_S1CTXPTR(s1_cd_ipa(s));
    ste[1] = STE1_S1CIR_WBRA | STE1_S1COR_WBRA | STE1_S1CSH_ISH;
}
