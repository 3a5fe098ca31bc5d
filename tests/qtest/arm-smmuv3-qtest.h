/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Helpers shared by the arm-smmuv3 qtests.
 */

#ifndef ARM_SMMUV3_QTEST_H
#define ARM_SMMUV3_QTEST_H

#include "libqtest.h"

/*
 * The MMIO base of the first arm-smmuv3, from "info mtree": a device
 * created with -device lands on the platform bus, at an address the
 * machine picks.
 */
static inline uint64_t smmuv3_qtest_base(QTestState *qts)
{
    g_autofree char *mtree = qtest_hmp(qts, "info mtree");
    g_auto(GStrv) lines = g_strsplit(mtree, "\n", -1);

    for (int i = 0; lines[i]; i++) {
        if (strstr(lines[i], "): arm-smmuv3")) {
            uint64_t base = g_ascii_strtoull(g_strstrip(lines[i]), NULL, 16);

            g_assert_cmphex(base, !=, 0);
            return base;
        }
    }
    g_assert_not_reached();
}

#endif
