/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The Tegra241 CMDQV's registers, as the qtests of arm-smmuv3,cmdqv reach
 * them (offsets from the CMDQV's base; layout in
 * docs/devel/arm-smmuv3-accel-cmdqv.rst), and its interrupt on virt.
 */

#ifndef ARM_SMMUV3_CMDQV_QTEST_H
#define ARM_SMMUV3_CMDQV_QTEST_H

#include "libqtest.h"

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

/* virt's GICv2 distributor; the CMDQV's interrupt is the SMMU's fifth */
#define GICD            0x08000000ULL
#define CMDQV_INTID     (144 + 4)

/* Whether the CMDQV's (edge) interrupt is pending at the distributor */
static inline bool cmdqv_qtest_irq_pending(QTestState *qts)
{
    return qtest_readl(qts, GICD + 0x200 + 4 * (CMDQV_INTID / 32)) &
           (1u << (CMDQV_INTID % 32));
}

#endif
